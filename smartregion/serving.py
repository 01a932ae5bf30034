"""Running the web tier: gunicorn managing our asyncio workers, or Flask's reloader for
development.

Each worker process runs :class:`PlatformWorker`: the asyncio HTTP server of
:mod:`smartregion.server` with the SPARQL fast lane of :mod:`endpoint.fast_lane` in front of
the Flask application, plus the worker's pool of query executor processes.
"""

from __future__ import annotations

from typing import Any

from smartregion.server.app_server import AccessLog, AppServer
from smartregion.server.protocol import HttpLimits
from smartregion.server.worker import AsyncioWorker
from smartregion.settings import Settings


class PlatformWorker(AsyncioWorker):
    """The platform's gunicorn worker: limits from the settings, the SPARQL fast lane."""

    def make_server(self, access_log: AccessLog | None) -> AppServer:
        """An :class:`AppServer` for the Flask app this worker loaded."""
        from endpoint import settings_of
        from endpoint.fast_lane import FastLane

        settings = settings_of(self.wsgi)
        limits = HttpLimits(body_bytes=settings.max_request_bytes,
                            header_timeout=settings.request_timeout,
                            keepalive_timeout=settings.keepalive_timeout,
                            send_timeout=settings.send_timeout)
        return AppServer(self.wsgi, limits=limits, threads=self.cfg.threads,
                         fast_lane=FastLane(self.wsgi), access_log=access_log)


def run_serve(settings: Settings, *, dev: bool = False) -> None:
    """Serve the platform on ``settings.host:settings.port`` until interrupted."""
    from endpoint import create_app

    if dev:
        create_app(settings).run(
            host=settings.host, port=settings.port, debug=True, use_reloader=True
        )
        return
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": settings.workers,
                "worker_class": PlatformWorker,
                # Threads run the Flask views, which wait on query executors (blocking I/O,
                # GIL released): one per executor plus some for pages and catalogue files.
                "threads": max(8, 2 * (settings.query_executors + 1) + 4),
                "timeout": int(settings.query_timeout) + 30,
                "graceful_timeout": 10,
                "accesslog": "-",
                "post_worker_init": _start_executors,
                "worker_exit": _stop_executors,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    _Gunicorn().run()


def _start_executors(worker: Any) -> None:
    """Start the worker's query executors before its first request (they start lazily
    otherwise): each worker process has its own pool, created after the fork."""
    from endpoint import backend_of
    from smartregion.store.client_query import query_pool
    from smartregion.store.embedded import EmbeddedBackend

    backend = backend_of(worker.wsgi)
    if isinstance(backend, EmbeddedBackend):
        query_pool(backend)


def _stop_executors(server: Any, worker: Any) -> None:
    """End the worker's executors with it (they would also end when their socket closes)."""
    from endpoint import backend_of
    from smartregion.store.client_query import close_pool
    from smartregion.store.embedded import EmbeddedBackend

    app = getattr(worker, "wsgi", None)
    if app is not None:
        backend = backend_of(app)
        if isinstance(backend, EmbeddedBackend):
            close_pool(backend)
