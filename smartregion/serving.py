"""Running the web tier: gunicorn with several workers, or Flask's reloader for development."""

from __future__ import annotations

from typing import Any

from smartregion.settings import Settings


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
                # Threads wait on query executors (blocking I/O, GIL released), so a worker
                # needs one per executor plus some for cached answers and pages.
                "worker_class": "gthread",
                "threads": max(8, 2 * (settings.query_executors + 1) + 4),
                "timeout": int(settings.query_timeout) + 30,
                "graceful_timeout": 10,
                "accesslog": "-",
                # The longest request line gunicorn allows: GET queries up to about 8 KB
                # (longer ones are POSTed, as SPARQL clients do).
                "limit_request_line": 8190,
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
