"""A gunicorn worker class that runs :class:`~smartregion.server.app_server.AppServer`.

Gunicorn forks the workers, restarts one that dies or stops reporting, and reloads them
gracefully; this class only serves. Signals follow gunicorn's meaning: ``TERM`` stops
gracefully (no new connections, requests in progress get ``graceful_timeout`` seconds),
``INT``/``QUIT`` stop at once, ``USR1`` reopens the log files. Subclasses say how to build
the server (:meth:`AsyncioWorker.make_server`), e.g. with a fast lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

from gunicorn.workers.base import Worker  # type: ignore[import-untyped]

from smartregion.server.app_server import AccessLog, AppServer
from smartregion.server.protocol import HttpLimits


class AsyncioWorker(Worker):  # type: ignore[misc]
    """One event loop serving the gunicorn listeners; the WSGI app runs in ``threads``."""

    def make_server(self, access_log: AccessLog | None) -> AppServer:
        """The server of this worker (subclasses add a fast lane and their limits)."""
        return AppServer(self.wsgi, limits=HttpLimits(
            request_line=self.cfg.limit_request_line or 8190,
            header_count=self.cfg.limit_request_fields or 100,
            keepalive_timeout=float(self.cfg.keepalive or 5)),
            threads=self.cfg.threads, access_log=access_log)

    def run(self) -> None:
        """Serve until told to stop."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(loop))
        finally:
            loop.close()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.ExitStack() as resources:
            access_log = _access_log(self.cfg.accesslog, resources)
            server = self.make_server(access_log)
            await server.start([listener.sock for listener in self.sockets])
            stopping, now = asyncio.Event(), asyncio.Event()

            def quick() -> None:
                now.set()
                stopping.set()

            # The loop's handlers replace gunicorn's (installed by init_signals before run).
            loop.add_signal_handler(signal.SIGTERM, stopping.set)
            for quick_signal in (signal.SIGINT, signal.SIGQUIT, signal.SIGABRT):
                loop.add_signal_handler(quick_signal, quick)
            loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)
            loop.add_signal_handler(signal.SIGWINCH, lambda: None)
            while self.alive and not stopping.is_set():
                self.notify()
                if access_log is not None:
                    access_log.flush()
                if os.getppid() != self.ppid:  # the arbiter is gone: do not serve as an orphan
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=1.0)
            await server.stop(0.0 if now.is_set() else float(self.cfg.graceful_timeout))


def _access_log(target: Any, resources: contextlib.ExitStack) -> AccessLog | None:
    """Gunicorn's ``accesslog`` setting: ``-`` is standard output, a path a file (closed with
    ``resources``), else off."""
    if not target:
        return None
    if target == "-":
        return AccessLog(sys.stdout)
    return AccessLog(resources.enter_context(open(target, "a", encoding="utf-8", buffering=1)))
