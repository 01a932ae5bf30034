"""The query executor process: runs one client query at a time on a read-only store.

Started by :class:`smartregion.store.executor.QueryExecutorPool` as
``python -m smartregion.store.executor_process FD CONFIG``. It talks over the inherited socket
FD, imports nothing but pyoxigraph and the format table (fast start, small footprint) and
caps its own heap (``RLIMIT_DATA``) at its idle size plus ``memory_mb``: a query that wants
more makes the allocation fail, Rust aborts the process, and the pool reports the memory
limit. A timer ends the process on its own if a query outlives its deadline by
``_GRACE`` seconds (the pool normally kills it first).

Wire format (the pool's side is :mod:`smartregion.store.executor_link`). Request: 4-byte
big-endian length + ``marshal`` tuple (see :func:`_run`). Answer: frames of 1 tag byte +
4-byte length + payload: ``D`` result bytes (many), then ``E`` (``marshal`` of kind, rows)
or ``X`` (``marshal`` of error kind, message).
"""

from __future__ import annotations

import json
import marshal
import resource
import signal
import socket
import struct
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from smartregion.formats import GraphFormat, ResultsFormat, graph_format, results_format
from smartregion.store.limits import RowCounter, row_counter

_HEADER = struct.Struct(">cI")
_LENGTH = struct.Struct(">I")
_FRAME_BYTES = 256 * 1024  # result bytes are sent in frames of about this size
_GRACE = 5.0


class RowLimit(Exception):
    """The result has more rows than allowed."""


class ResultWriter(ABC):
    """The file object pyoxigraph serializes into: counts rows, raises :class:`RowLimit`.

    Rows are counted in the serialized bytes when :attr:`counter` is set (solutions; see
    :func:`serialize_result`). Subclasses decide where the bytes go (:meth:`emit`).
    """

    def __init__(self, limit: int) -> None:
        self.counter: RowCounter | None = None
        self.limit = limit
        self.counted = 0
        self.over_limit = False

    def write(self, data: bytes) -> int:
        if self.counter is not None:
            self.counted += self.counter.feed(bytes(data))
            if self.counter.rows(self.counted) > self.limit:
                self.over_limit = True
                raise RowLimit
        self.emit(data)
        return len(data)

    @abstractmethod
    def emit(self, data: bytes) -> None:
        """Take ``data`` (counted already)."""

    def flush(self) -> None:
        """Nothing to do: :meth:`emit` decides when bytes leave."""
        return None

    def as_output(self) -> IO[bytes]:
        """This writer as pyoxigraph's ``output`` argument: pyoxigraph calls only ``write``
        (and ``flush``), but its type stubs ask for a whole binary file."""
        return cast(IO[bytes], self)


def serialize_result(
    result: ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples,
    writer: ResultWriter,
    results_fmt: ResultsFormat | None,
    graph_fmt: GraphFormat | None,
    prefixes: Mapping[str, str],
    *,
    count_rows: bool = True,
) -> tuple[str, int | None]:
    """Serialize a ``Store.query`` result into ``writer``; returns (kind, rows).

    With ``count_rows`` false, solutions are not counted (rows ``None``): the caller bounds
    them otherwise (every row takes at least one byte).

    The one serialization of client query results: the executor sends its bytes, and the
    in-process lane (:mod:`smartregion.store.bounded_query`) answers with the same bytes.
    ``prefixes`` go to the formats that abbreviate with them (Turtle, TriG, JSON-LD).
    """
    if isinstance(result, ox.QueryBoolean):
        assert results_fmt is not None
        result.serialize(writer.as_output(), results_fmt.oxigraph)
        return "boolean", 1
    if isinstance(result, ox.QuerySolutions):
        assert results_fmt is not None
        if not count_rows:
            result.serialize(writer.as_output(), results_fmt.oxigraph)
            return "solutions", None
        counter = writer.counter = row_counter(results_fmt.name)
        result.serialize(writer.as_output(), results_fmt.oxigraph)
        return "solutions", counter.rows(writer.counted)
    assert graph_fmt is not None
    counted = [0]
    ox.serialize(
        _limited(result, writer.limit, counted, quads=graph_fmt.quads),
        writer.as_output(),
        graph_fmt.oxigraph,
        prefixes=dict(prefixes) if graph_fmt.name in ("turtle", "trig", "jsonld") else None,
    )
    return "graph", counted[0]


class _FrameWriter(ResultWriter):
    """Sends the result bytes as ``D`` frames of about ``_FRAME_BYTES``."""

    def __init__(self, sock: socket.socket, limit: int) -> None:
        super().__init__(limit)
        self.sock = sock
        self.buffer = bytearray()

    def emit(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= _FRAME_BYTES:
            self.sock.sendall(_HEADER.pack(b"D", len(self.buffer)) + self.buffer)
            self.buffer.clear()

    def finish(self, kind: str, rows: int) -> None:
        end = marshal.dumps((kind, rows))
        frames = bytearray()
        if self.buffer:
            frames += _HEADER.pack(b"D", len(self.buffer)) + self.buffer
        frames += _HEADER.pack(b"E", len(end)) + end
        self.sock.sendall(frames)


def _send_error(sock: socket.socket, kind: str, message: str) -> None:
    payload = marshal.dumps((kind, message))
    sock.sendall(_HEADER.pack(b"X", len(payload)) + payload)


def _receive(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


class _Executor:
    def __init__(self, sock: socket.socket, prefixes: dict[str, str]) -> None:
        self.sock = sock
        self.prefixes = prefixes
        self.store: ox.Store = ox.Store()
        self.store_path = ""

    def serve(self) -> None:
        while True:
            header = _receive(self.sock, _LENGTH.size)
            if header is None:
                return  # the pool closed the socket (or its process is gone): end quietly
            request = _receive(self.sock, _LENGTH.unpack(header)[0])
            if request is None:
                return
            self._run(*marshal.loads(request))

    def _open(self, path: str) -> None:
        if path != self.store_path:
            self.store = ox.Store()  # drop the old version before opening the new one
            self.store = ox.Store.read_only(path) if path else ox.Store()
            self.store_path = path

    def _run(
        self, path: str, text: str, results_name: str, graph_name: str,
        default_graphs: list[str], named_graphs: list[str], timeout: float, limit: int,
    ) -> None:
        signal.setitimer(signal.ITIMER_REAL, timeout + _GRACE)
        writer: _FrameWriter | None = None
        try:
            self._open(path)
            if default_graphs or named_graphs:
                result = self.store.query(
                    text,
                    default_graph=[ox.NamedNode(g) for g in default_graphs] or None,
                    named_graphs=[ox.NamedNode(g) for g in named_graphs] or None,
                )
            else:
                result = self.store.query(text, use_default_graph_as_union=True)
            writer = _FrameWriter(self.sock, limit)
            kind, rows = serialize_result(
                result, writer, results_format(results_name), graph_format(graph_name),
                self.prefixes,
            )
            assert rows is not None  # counted: the executor always counts
            writer.finish(kind, rows)
        except SyntaxError as exc:
            _send_error(self.sock, "syntax", str(exc))
        except RowLimit:
            _send_error(self.sock, "rows", str(limit))
        except MemoryError:
            _send_error(self.sock, "memory", "the query needed more memory than allowed")
        except Exception as exc:  # pyoxigraph re-raises what write() raised, others are its own
            if writer is not None and writer.over_limit:
                _send_error(self.sock, "rows", str(limit))
            else:
                _send_error(self.sock, "store", f"{type(exc).__name__}: {exc}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _limited(
    triples: Iterator[ox.Triple], limit: int, counted: list[int], *, quads: bool
) -> Iterator[Any]:
    default = ox.DefaultGraph()
    for triple in triples:
        counted[0] += 1
        if counted[0] > limit:
            raise RowLimit
        yield ox.Quad(triple.subject, triple.predicate, triple.object, default) if quads else triple


def _cap_heap(memory_mb: int) -> None:
    """Allow the heap to grow by ``memory_mb`` beyond what the idle process uses."""
    data_kib = 0
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                data_kib = int(line.split()[1])
    limit = data_kib * 1024 + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main(argv: list[str]) -> None:
    """Entry point: ``FD CONFIG-JSON`` (memory_mb, prefixes, store_path)."""
    sock = socket.socket(fileno=int(argv[0]))
    config = json.loads(argv[1])
    # The default action of SIGALRM ends the process: the timer is the safety net.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server, which ends us
    executor = _Executor(sock, dict(config.get("prefixes", {})))
    executor._open(str(config.get("store_path", "")))  # opened before the cap: not charged
    if config.get("memory_mb"):
        _cap_heap(int(config["memory_mb"]))
    sock.sendall(b"R")  # ready
    executor.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
