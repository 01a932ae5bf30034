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
                "worker_class": "gthread",
                "threads": 8,
                "timeout": int(settings.query_timeout) + 30,
                "graceful_timeout": 10,
                "accesslog": "-",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    _Gunicorn().run()
