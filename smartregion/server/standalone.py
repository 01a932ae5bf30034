"""The server on a background thread of the current process (for tests and tools)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from smartregion.server.app_server import AppServer, FastLane
from smartregion.server.protocol import HttpLimits
from smartregion.server.wsgi_bridge import WsgiApp


@contextmanager
def serve_in_thread(app: WsgiApp, *, limits: HttpLimits | None = None, threads: int = 4,
                    fast_lane: FastLane | None = None) -> Iterator[tuple[str, int]]:
    """Serve ``app`` on a free port of 127.0.0.1 until the block ends; yields (host, port)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    host, port = listener.getsockname()[:2]
    server = AppServer(app, limits=limits or HttpLimits(), threads=threads, fast_lane=fast_lane)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start([listener]))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="smartregion-server", daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield str(host), int(port)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(grace=1.0), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        listener.close()
