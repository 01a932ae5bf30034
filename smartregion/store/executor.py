"""QueryExecutorPool: client queries run in separate processes that can be killed.

A public endpoint must survive any query, and a query running inside Rust cannot be
interrupted from Python. So each web worker keeps a small pool of executor processes
(:mod:`smartregion.store.executor_process`), each holding the served store version
read-only. A query is sent to an idle executor with its deadline; the worker waits for the
answer on a socket with that deadline, and past it kills the executor (its work really ends,
its memory goes back to the system) and starts a fresh one in the background. The
executor's heap is capped; a query exceeding the cap aborts only that process. Results are
serialized natively in the executor and sent back in frames; rows are counted on the way and a
result over ``result_limit`` rows is refused as a whole (never passed off as complete).

Fair use. Executors go first to the waiting client with the fewest running queries. One
*reserve* executor serves only clients that have nothing running, so a client that keeps
every regular executor busy never locks others out. A client with ``client_queries`` queries
running or waiting in this worker gets :class:`ClientOverLimit` (HTTP 429) for more; a
request that cannot get an executor within ``queue_timeout`` gets :class:`ExecutorsBusy`
(503), or :class:`ClientOverLimit` if its own client is what keeps them busy.

The client of a request is taken from :data:`CLIENT` (set by the web layer), so the store
interface stays the same for every backend.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO, NoReturn

from smartregion.store.backend import QueryLimitError, QuerySyntaxError, StoreError

log = logging.getLogger(__name__)

CLIENT: ContextVar[str] = ContextVar("smartregion_query_client", default="-")
"""Who sends the current query (an address); the web layer sets it per request."""

_HEADER = struct.Struct(">cI")
_LENGTH = struct.Struct(">I")
_SPOOL_BYTES = 8 * 1024 * 1024  # larger results go to a temporary file, not worker memory
_START_TIMEOUT = 60.0


class ClientOverLimit(QueryLimitError):
    """The client already keeps its share of executors busy (HTTP 429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("fair-use", message)
        self.retry_after = retry_after


class ExecutorsBusy(QueryLimitError):
    """No executor became free in time (HTTP 503)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("busy", message)
        self.retry_after = retry_after


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
class _Slot:
    reserve: bool
    process: subprocess.Popen[bytes] | None = None
    sock: socket.socket | None = None
    deadline: float = 0.0
    client: str = ""


@dataclass(eq=False)
class _Waiter:
    client: str
    seq: int
    slot: _Slot | None = None


@dataclass
class PoolConfig:
    """Sizes and limits of a pool (normally from :class:`~smartregion.settings.Settings`)."""

    executors: int = 2
    reserve: int = 1
    memory_mb: int = 1024
    queue_timeout: float = 10.0
    client_queries: int = 4
    prefixes: dict[str, str] = field(default_factory=dict)


class QueryExecutorPool:
    """Executor processes of one web worker; :meth:`run` is safe to call from many threads."""

    def __init__(self, config: PoolConfig, store_path: Callable[[], str]) -> None:
        self.config = config
        self.store_path = store_path
        self.pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Slot] = []
        self._idle_reserve: list[_Slot] = []
        self._waiting: list[_Waiter] = []
        self._running: Counter[str] = Counter()
        self._queued: Counter[str] = Counter()
        self._seq = 0
        self._closed = False
        self._slots = [_Slot(reserve=False) for _ in range(max(1, config.executors))]
        self._slots += [_Slot(reserve=True) for _ in range(max(0, config.reserve))]
        self._finalizer = weakref.finalize(self, _kill_all, self._slots)
        for slot in self._slots:
            self._start_in_background(slot)

    # -- public -------------------------------------------------------------------------
    def run(self, job: QueryJob, client: str | None = None) -> QueryOutcome:
        """Run ``job`` in an executor and return its serialized result.

        Raises :class:`QuerySyntaxError`, :class:`ResultTooLarge`, :class:`QueryStopped`
        (deadline, memory, crash), :class:`ClientOverLimit`, :class:`ExecutorsBusy`, or
        :class:`StoreError`.
        """
        client = client if client is not None else CLIENT.get()
        slot = self._acquire(client)
        lost = False
        try:
            return self._execute(slot, job)
        except QueryStopped:
            lost = True
            raise
        finally:
            self._release(slot, client, lost)

    def close(self) -> None:
        """End every executor process (the pool cannot be used afterwards)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._finalizer()

    def ready_count(self) -> int:
        """Executors that are started and idle (for tests and health checks)."""
        with self._cond:
            return len(self._idle) + len(self._idle_reserve)

    # -- scheduling -----------------------------------------------------------------------
    def _acquire(self, client: str) -> _Slot:
        with self._cond:
            if self._running[client] + self._queued[client] >= self.config.client_queries:
                raise ClientOverLimit(
                    f"Too many queries at once from your address (at most "
                    f"{self.config.client_queries} running or waiting). Send the next one "
                    "when an earlier one has answered.",
                    self._retry_after(client),
                )
            self._seq += 1
            waiter = _Waiter(client, self._seq)
            self._waiting.append(waiter)
            self._queued[client] += 1
            give_up = time.monotonic() + self.config.queue_timeout
            try:
                while waiter.slot is None:
                    self._dispatch()
                    if waiter.slot is not None:
                        break
                    remaining = give_up - time.monotonic()
                    if self._closed or remaining <= 0:
                        break
                    self._cond.wait(remaining)
            finally:
                if waiter.slot is None:  # (a granted waiter left the queue in _dispatch)
                    self._queued[client] -= 1
                    self._waiting.remove(waiter)
            if waiter.slot is None:
                if self._running[client] > 0:
                    raise ClientOverLimit(
                        "Your earlier queries keep this endpoint's executors busy; try again "
                        "when they have answered.", self._retry_after(client),
                    )
                raise ExecutorsBusy(
                    "All query executors are busy; please try again shortly.",
                    max(1, math.ceil(self.config.queue_timeout)),
                )
            return waiter.slot

    def _dispatch(self) -> None:
        """Hand idle executors to waiting requests (called with the lock held)."""
        granted = False
        while self._waiting and (self._idle or self._idle_reserve):
            if self._idle:
                waiter = min(self._waiting, key=lambda w: (self._running[w.client], w.seq))
                slot = self._idle.pop()
            else:
                fresh = [w for w in self._waiting if self._running[w.client] == 0]
                if not fresh:
                    break
                waiter, slot = fresh[0], self._idle_reserve.pop()
            self._waiting.remove(waiter)
            self._queued[waiter.client] -= 1
            self._running[waiter.client] += 1
            slot.client = waiter.client
            waiter.slot = slot
            granted = True
        if granted:
            self._cond.notify_all()

    def _release(self, slot: _Slot, client: str, lost: bool) -> None:
        with self._cond:
            self._running[client] -= 1
            if self._running[client] <= 0:
                del self._running[client]
            slot.client = ""
            if lost or slot.process is None:
                self._start_in_background(slot)
            else:
                (self._idle_reserve if slot.reserve else self._idle).append(slot)
                self._dispatch()

    def _retry_after(self, client: str) -> int:
        now = time.monotonic()
        ends = [s.deadline - now for s in self._slots if s.client == client and s.deadline > now]
        return max(1, math.ceil(min(ends))) if ends else 1

    # -- processes ------------------------------------------------------------------------
    def _start_in_background(self, slot: _Slot) -> None:
        if not self._closed:
            threading.Thread(target=self._start, args=(slot,), daemon=True,
                             name="executor-start").start()

    def _start(self, slot: _Slot) -> None:
        _stop(slot)
        delay = 0.5
        while not self._closed:
            try:
                _spawn(slot, self.config, self.store_path())
                break
            except (OSError, TimeoutError, StoreError) as exc:
                log.error("query executor did not start: %s (retrying in %.1f s)", exc, delay)
                _stop(slot)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        with self._cond:
            if self._closed:
                _stop(slot)
                return
            (self._idle_reserve if slot.reserve else self._idle).append(slot)
            self._dispatch()

    def _execute(self, slot: _Slot, job: QueryJob) -> QueryOutcome:
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
            _stop(slot)
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


def _lost(slot: _Slot) -> QueryStopped:
    """The executor died during a query: say why (memory cap or crash)."""
    process = slot.process
    code = None
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = process.wait(timeout=5)
    _stop(slot)
    if code in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV):
        # Rust aborts when an allocation fails under RLIMIT_DATA; the kernel's OOM killer
        # sends SIGKILL; an allocation failure inside C code may end in SIGSEGV.
        return QueryStopped("memory", _memory_message())
    return QueryStopped("crash", f"The query executor ended unexpectedly (exit code {code}).")


def _spawn(slot: _Slot, config: PoolConfig, store_path: str) -> None:
    parent, child = socket.socketpair()
    try:
        settings = json.dumps({
            "memory_mb": config.memory_mb, "prefixes": config.prefixes, "store_path": store_path,
        })
        environment = {**os.environ, "MALLOC_ARENA_MAX": "2", "RUST_BACKTRACE": "0"}
        slot.process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "smartregion.store.executor_process",
             str(child.fileno()), settings],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, env=environment,
        )
    finally:
        child.close()
    slot.sock = parent
    parent.settimeout(_START_TIMEOUT)
    if parent.recv(1) != b"R":
        raise StoreError(f"executor exited while starting (exit code {slot.process.poll()})")


def _stop(slot: _Slot) -> None:
    if slot.process is not None and slot.process.poll() is None:
        slot.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            slot.process.wait(timeout=5)
    if slot.sock is not None:
        slot.sock.close()
    slot.process = None
    slot.sock = None


def _kill_all(slots: list[_Slot]) -> None:
    for slot in slots:
        _stop(slot)
