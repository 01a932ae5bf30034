"""The server of one worker process: listening sockets, connections, dispatch, access log.

Used by the gunicorn worker (:mod:`smartregion.server.worker`) and, for tests, by
:func:`smartregion.server.standalone.serve_in_thread`; both run it on an event loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from smartregion.server.protocol import HttpConnection, HttpLimits, Request, Response
from smartregion.server.wsgi_bridge import WsgiApp, WsgiBridge

log = logging.getLogger(__name__)

FastLane = Callable[[Request], Response | None]
"""Answers a request at once on the event loop, or returns ``None`` to pass it on."""


class AccessLog:
    """Combined Log Format lines, buffered and flushed by :meth:`flush` (called about once a
    second by the worker): writing each line at once would cost more than a cheap request."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lines: list[str] = []

    def record(self, request: Request, status: int, size: int) -> None:
        """Log one answered request."""
        took = time.perf_counter() - request.started
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z")
        referer = request.header("referer", "-").replace('"', "%22")
        agent = request.header("user-agent", "-").replace('"', "%22")
        target = request.target.replace('"', "%22")
        self._lines.append(
            f'{request.client} - - [{stamp}] "{request.method} {target} HTTP/{request.version}" '
            f'{status} {size or "-"} "{referer}" "{agent}" {took * 1000:.2f}ms\n')
        if len(self._lines) >= 512:
            self.flush()

    def flush(self) -> None:
        """Write out buffered lines."""
        if self._lines:
            lines, self._lines = self._lines, []
            self.stream.write("".join(lines))
            self.stream.flush()


class AppServer:
    """Serves a WSGI app, with an optional fast lane, on the sockets it is given."""

    def __init__(self, app: WsgiApp, *, limits: HttpLimits, threads: int,
                 fast_lane: FastLane | None = None, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.limits = limits
        self.fast_lane = fast_lane
        self.access_log = access_log
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.connections: set[HttpConnection] = set()
        self._servers: list[asyncio.base_events.Server] = []
        self._bridge: WsgiBridge | None = None

    async def start(self, sockets: list[socket.socket]) -> None:
        """Accept connections on ``sockets`` (already bound and listening)."""
        loop = asyncio.get_running_loop()
        name, port = sockets[0].getsockname()[:2] if sockets else ("localhost", 0)
        self._bridge = WsgiBridge(self.app, self.pool, loop, (str(name), int(port)))
        for sock in sockets:
            sock.setblocking(False)
            server = await loop.create_server(self._connection, sock=sock, backlog=2048)
            self._servers.append(server)

    def _connection(self) -> HttpConnection:
        connection = HttpConnection(self, self.limits, self.connections.discard)
        self.connections.add(connection)
        return connection

    # -- Dispatcher -------------------------------------------------------------------------
    def dispatch(self, request: Request, connection: HttpConnection) -> None:
        """Fast lane first; everything else goes to the application in a thread."""
        if self.fast_lane is not None:
            try:
                response = self.fast_lane(request)
            except Exception:  # a failing fast lane must cost one request, not the worker
                log.exception("fast lane failed on %s %s", request.method, request.target)
                response = Response(500, [("Content-Type", "text/plain; charset=utf-8")],
                                    b"Internal Server Error\n")
            if response is not None:
                connection.send(request, response)
                return
        assert self._bridge is not None, "start() first"
        self._bridge.run(request, connection)

    def access(self, request: Request, status: int, size: int) -> None:
        """Record an answered request in the access log."""
        if self.access_log is not None:
            self.access_log.record(request, status, size)

    # -- stopping ---------------------------------------------------------------------------
    async def stop(self, grace: float) -> None:
        """Stop accepting, let requests in progress finish for up to ``grace`` seconds, then
        close every connection."""
        for server in self._servers:
            server.close()
        give_up = time.monotonic() + grace
        while time.monotonic() < give_up:
            for connection in list(self.connections):
                if connection.idle:
                    connection.close()
            if not self.connections:
                break
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.access_log is not None:
            self.access_log.flush()
