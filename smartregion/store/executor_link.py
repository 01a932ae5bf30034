"""The pool's side of one executor process: start it, stop it, run a query through it.

:class:`~smartregion.store.executor.QueryExecutorPool` decides *who* gets an executor; this
module handles *one* executor (:class:`Slot`): :func:`spawn` starts
``python -m smartregion.store.executor_process`` on a socket pair and waits for its ready
byte, :func:`execute` sends a :class:`QueryJob` and reads the answer frames (the wire format
is described in :mod:`smartregion.store.executor_process`) with the job's deadline, and
:func:`stop` kills the process, so a query past its deadline really ends and its memory goes
back to the system. Result bytes are collected in a :class:`ResultBody` (spooled to a
temporary file when large); an error frame or a dead executor becomes the matching
exception: :class:`~smartregion.store.backend.QuerySyntaxError`, :class:`ResultTooLarge`,
:class:`QueryStopped` (deadline, memory, crash) or
:class:`~smartregion.store.backend.StoreError`.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, NoReturn

from smartregion.store.backend import QueryLimitError, QuerySyntaxError, StoreError

_HEADER = struct.Struct(">cI")
_LENGTH = struct.Struct(">I")
_SPOOL_BYTES = 8 * 1024 * 1024  # larger results go to a temporary file, not worker memory
_START_TIMEOUT = 60.0


class QueryStopped(QueryLimitError):
    """The query was stopped: ``limit`` is ``deadline``, ``memory`` or ``crash``."""

    def __init__(self, limit: str, message: str, retry_after: int = 5) -> None:
        super().__init__(limit, message)
        self.retry_after = retry_after


class ResultTooLarge(QueryLimitError):
    """The result has more rows (or triples) than ``result_limit``."""

    def __init__(self, limit_rows: int) -> None:
        super().__init__(
            "result-size",
            f"The result has more than {limit_rows} rows (or triples), the most this endpoint "
            "returns for one query. Add LIMIT (and OFFSET to page through it) to the query.",
        )
        self.limit_rows = limit_rows


@dataclass(frozen=True)
class QueryJob:
    """One query for an executor; formats are names from :mod:`smartregion.formats`."""

    store_path: str
    text: str
    results_format: str
    graph_format: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    timeout: float = 30.0
    row_limit: int = 100_000


class ResultBody:
    """Result bytes: kept in memory while small, spooled to a temporary file beyond that."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self._file: IO[bytes] | None = None

    def append(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is None and self.size > _SPOOL_BYTES:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            self._file.writelines(self.chunks)
            self.chunks = []
        if self._file is not None:
            self._file.write(data)
        else:
            self.chunks.append(data)

    @property
    def in_memory(self) -> bool:
        """Whether all bytes are in :attr:`chunks`."""
        return self._file is None

    def __iter__(self) -> Iterator[bytes]:
        if self._file is None:
            yield from self.chunks
            return
        try:
            self._file.seek(0)
            while block := self._file.read(256 * 1024):
                yield block
        finally:
            self.close()

    def close(self) -> None:
        """Release the temporary file (if any)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self.chunks = []


@dataclass
class QueryOutcome:
    """A finished query: result kind (solutions, boolean, graph), row count and bytes."""

    kind: str
    rows: int
    body: ResultBody


@dataclass(eq=False)
class Slot:
    """One executor of a pool: process, socket, and the deadline and client of its query."""

    reserve: bool
    process: subprocess.Popen[bytes] | None = None
    sock: socket.socket | None = None
    deadline: float = 0.0
    client: str = ""


def execute(slot: Slot, job: QueryJob) -> QueryOutcome:
    """Run ``job`` in the started executor of ``slot`` and return its serialized result.

    Past the job's deadline the executor is killed (:func:`stop`) and
    :class:`QueryStopped` ``"deadline"`` raised; the caller must start a fresh one.
    """
    sock = slot.sock
    assert sock is not None
    slot.deadline = time.monotonic() + job.timeout
    request = marshal.dumps((
        job.store_path, job.text, job.results_format, job.graph_format,
        list(job.default_graphs), list(job.named_graphs), job.timeout, job.row_limit,
    ))
    body = ResultBody()
    try:
        sock.settimeout(job.timeout)
        sock.sendall(_LENGTH.pack(len(request)) + request)
        buffer = bytearray()
        while True:
            tag, payload = _read_frame(sock, buffer, slot.deadline)
            if tag == b"D":
                body.append(payload)
            elif tag == b"E":
                kind, rows = marshal.loads(payload)
                return QueryOutcome(kind, rows, body)
            else:
                body.close()
                _raise_error(*marshal.loads(payload))
    except TimeoutError:
        body.close()
        stop(slot)
        raise QueryStopped(
            "deadline",
            f"The query ran longer than its deadline of {job.timeout:g} s and was "
            "stopped. Simplify it, add LIMIT, or run it on a dump of the data.",
        ) from None
    except (ConnectionError, EOFError, OSError) as exc:
        body.close()
        raise _lost(slot) from exc
    finally:
        slot.deadline = 0.0


def _read_frame(sock: socket.socket, buffer: bytearray, deadline: float) -> tuple[bytes, bytes]:
    while True:
        if len(buffer) >= _HEADER.size:
            tag, length = _HEADER.unpack_from(buffer)
            end = _HEADER.size + length
            if len(buffer) >= end:
                payload = bytes(buffer[_HEADER.size:end])
                del buffer[:end]
                return tag, payload
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise EOFError("executor closed its socket")
        buffer += chunk


def _raise_error(kind: str, message: str) -> NoReturn:
    if kind == "syntax":
        raise QuerySyntaxError(message)
    if kind == "rows":
        raise ResultTooLarge(int(message))
    if kind == "memory":
        raise QueryStopped("memory", _memory_message())
    raise StoreError(message)


def _memory_message() -> str:
    return ("The query needed more memory than one query may use and was stopped. "
            "Simplify it or add LIMIT.")


def _lost(slot: Slot) -> QueryStopped:
    """The executor died during a query: say why (memory cap or crash)."""
    process = slot.process
    code = None
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = process.wait(timeout=5)
    stop(slot)
    if code in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV):
        # Rust aborts when an allocation fails under RLIMIT_DATA; the kernel's OOM killer
        # sends SIGKILL; an allocation failure inside C code may end in SIGSEGV.
        return QueryStopped("memory", _memory_message())
    return QueryStopped("crash", f"The query executor ended unexpectedly (exit code {code}).")


def spawn(slot: Slot, store_path: str, *, memory_mb: int, prefixes: dict[str, str]) -> None:
    """Start an executor for ``slot`` on ``store_path`` and wait until it is ready.

    ``memory_mb`` caps the heap one query may add; ``prefixes`` are the PREFIX declarations
    every query gets. Raises :class:`OSError`, :class:`TimeoutError` or :class:`StoreError`
    when it does not start (the caller then calls :func:`stop` and may retry).
    """
    parent, child = socket.socketpair()
    try:
        settings = json.dumps({
            "memory_mb": memory_mb, "prefixes": prefixes, "store_path": store_path,
        })
        environment = {**os.environ, "MALLOC_ARENA_MAX": "2", "RUST_BACKTRACE": "0"}
        process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "smartregion.store.executor_process",
             str(child.fileno()), settings],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, env=environment,
        )
    finally:
        child.close()
    # A local, not slot.process: a pool closing meanwhile stops the slot and clears it.
    slot.process = process
    slot.sock = parent
    parent.settimeout(_START_TIMEOUT)
    if parent.recv(1) != b"R":
        raise StoreError(f"executor exited while starting (exit code {process.poll()})")


def stop(slot: Slot) -> None:
    """Kill the executor of ``slot`` (if running) and close its socket."""
    if slot.process is not None and slot.process.poll() is None:
        slot.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            slot.process.wait(timeout=5)
    if slot.sock is not None:
        slot.sock.close()
    slot.process = None
    slot.sock = None


def stop_all(slots: list[Slot]) -> None:
    """Kill every executor in ``slots`` (the pool's finalizer)."""
    for slot in slots:
        stop(slot)
