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
Starting, stopping and talking to one executor is :mod:`smartregion.store.executor_link`;
its job, result and error types are re-exported here.

Fair use. Executors go first to the waiting client with the fewest running queries. One
*reserve* executor serves only clients that have nothing running, so a client that keeps
every regular executor busy never locks others out. A client with ``client_queries`` queries
running or waiting in this worker gets :class:`ClientOverLimit` (HTTP 429) for more; a
request that cannot get an executor within ``queue_timeout`` gets :class:`ExecutorsBusy`
(503), or :class:`ClientOverLimit` if its own client is what keeps them busy.

The client (an address) comes with each query, from
:meth:`~smartregion.store.backend.StoreBackend.query`'s ``client``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from smartregion.store.backend import QueryLimitError, StoreError
from smartregion.store.executor_link import (
    QueryJob,
    QueryOutcome,
    QueryStopped,
    ResultBody,
    ResultTooLarge,
    Slot,
    execute,
    spawn,
    stop,
    stop_all,
)

# The job, result and error types live with the executor link; they are part of this
# module's interface (the web layer and the remote backend import them from here).
__all__ = [
    "ClientOverLimit",
    "ExecutorsBusy",
    "PoolConfig",
    "QueryExecutorPool",
    "QueryJob",
    "QueryOutcome",
    "QueryStopped",
    "ResultBody",
    "ResultTooLarge",
]

log = logging.getLogger(__name__)



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


@dataclass(eq=False)
class _Waiter:
    client: str
    seq: int
    slot: Slot | None = None


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
        self._idle: list[Slot] = []
        self._idle_reserve: list[Slot] = []
        self._waiting: list[_Waiter] = []
        self._running: Counter[str] = Counter()
        self._queued: Counter[str] = Counter()
        self._seq = 0
        self._closed = False
        self._slots = [Slot(reserve=False) for _ in range(max(1, config.executors))]
        self._slots += [Slot(reserve=True) for _ in range(max(0, config.reserve))]
        self._finalizer = weakref.finalize(self, stop_all, self._slots)
        for slot in self._slots:
            self._start_in_background(slot)

    # -- public -------------------------------------------------------------------------
    def run(self, job: QueryJob, client: str = "-") -> QueryOutcome:
        """Run ``job`` in an executor and return its serialized result.

        Raises :class:`QuerySyntaxError`, :class:`ResultTooLarge`, :class:`QueryStopped`
        (deadline, memory, crash), :class:`ClientOverLimit`, :class:`ExecutorsBusy`, or
        :class:`StoreError`.
        """
        slot = self._acquire(client)
        lost = False
        try:
            return execute(slot, job)
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

    def running_count(self) -> int:
        """Executor processes that are up (idle or busy with a query)."""
        with self._cond:
            return sum(1 for slot in self._slots
                       if slot.process is not None and slot.process.poll() is None)

    def ready_count(self) -> int:
        """Executors that are started and idle (for tests and health checks)."""
        with self._cond:
            return len(self._idle) + len(self._idle_reserve)

    # -- scheduling -----------------------------------------------------------------------
    def _acquire(self, client: str) -> Slot:
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

    def _release(self, slot: Slot, client: str, lost: bool) -> None:
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
    def _start_in_background(self, slot: Slot) -> None:
        if not self._closed:
            threading.Thread(target=self._start, args=(slot,), daemon=True,
                             name="executor-start").start()

    def _start(self, slot: Slot) -> None:
        stop(slot)
        delay = 0.5
        while not self._closed:
            try:
                spawn(slot, self.store_path(), memory_mb=self.config.memory_mb,
                      prefixes=self.config.prefixes)
                break
            except (OSError, TimeoutError, StoreError) as exc:
                log.error("query executor did not start: %s (retrying in %.1f s)", exc, delay)
                stop(slot)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        with self._cond:
            if self._closed:
                stop(slot)
                return
            (self._idle_reserve if slot.reserve else self._idle).append(slot)
            self._dispatch()
