"""Running the web tier: granian (the Rust HTTP server, WSGI interface) serving the Flask app.

``smartregion serve`` calls :func:`run_serve`. Granian owns the sockets, HTTP parsing, limits,
keep-alive and the worker processes; we write no HTTP server of our own. Each worker builds
its own app with :func:`worker_app` *after* granian started it, so everything that must not
cross a fork is made there: the store reader, the query executor processes
(:meth:`~smartregion.store.backend.StoreBackend.start`) and the metrics files.

- workers, blocking threads (which run Flask), backlog, the header-read / keep-alive timeout
  and the largest header block come from the settings;
- ``SIGHUP`` to the main process reloads gracefully: new workers (with new executors) take
  over and the old ones get ``graceful_timeout`` to finish their requests; ``SIGTERM`` and
  ``SIGINT`` stop the same way (the settings stay those ``serve`` started with);
- a worker that dies is started again.

Limits: a header block over ``max_header_bytes`` (or more than 100 header fields) gets 431
from granian; a request target over ``max_url_bytes`` gets 414 and a body over
``max_request_bytes`` 413 from the app (:mod:`endpoint.http`); a client that sends no
complete header block within ``request_timeout`` is disconnected, as is an idle keep-alive
connection.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

from smartregion.settings import Settings

WSGIApp = Callable[..., Any]


def run_serve(settings: Settings, *, dev: bool = False) -> None:
    """Serve the platform on ``settings.host:settings.port`` until interrupted."""
    if dev:
        from endpoint import create_app

        create_app(settings).run(
            host=settings.host, port=settings.port, debug=True, use_reloader=True
        )
        return
    _prepare_metrics_dir(settings)
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    server = Server(
        "endpoint.serving:worker_app",  # shown in the process title; the loader below builds it
        address=settings.host, port=settings.port, interface=Interfaces.WSGI,
        http=HTTPModes.http1, websockets=False,
        workers=settings.workers, blocking_threads=settings.blocking_threads,
        backlog=settings.backlog,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings.request_timeout * 1000),
            keep_alive=True, max_buffer_size=settings.max_header_bytes,
        ),
        respawn_failed_workers=True, workers_kill_timeout=max(1, int(settings.graceful_timeout)),
        log_access=False,  # our own structured access log (endpoint.observability)
    )
    # No thread of ours may run here: granian forks its workers from this process, and a
    # thread caught inside an import at that moment leaves the module lock held in every
    # worker (seen: the first request hung in ``encodings.idna``). The first worker whose
    # app is ready prints the banner instead (:func:`_announce_once`).
    server.serve(target_loader=functools.partial(worker_app, settings), wrap_loader=False)


def public_url(settings: Settings) -> str:
    """The URL a person opens: the served address (loopback for a wildcard host)."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


def banner(settings: Settings) -> str:
    """The lines ``serve`` prints once a worker is ready to answer: where to open it."""
    url = public_url(settings)
    rule = "=" * 78
    return (f"\n{rule}\n  Smarte Region Hessen läuft auf {url} – open this in your browser\n"
            f"  SPARQL: {url}sparql · Katalog/catalogue: {url}catalog · "
            f"Profile: {url}def/profile/\n  Beenden / stop: Ctrl+C\n{rule}\n")


def _announce_once(settings: Settings) -> None:
    """Print :func:`banner` from the first worker whose app is ready: a marker file in the
    metrics directory (emptied by each ``serve``) makes it once per ``serve``, not again when
    workers are replaced."""
    try:
        os.close(os.open(settings.metrics_dir / "banner-printed",
                         os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    except OSError:  # no metrics directory (an app built outside ``serve``): say it anyway
        pass
    print(banner(settings), file=sys.stderr, flush=True)


def worker_app(settings: Settings) -> WSGIApp:
    """The WSGI callable of one worker process: the Flask app (proxy handling, metrics and
    access log included) with the store backend started in this process (granian calls
    this in each worker)."""
    import atexit

    from endpoint import backend_of, create_app
    from endpoint.observability import configure_access_log, worker_exit

    configure_access_log(settings.access_log)
    app = create_app(settings)
    backend = backend_of(app)
    backend.start()  # executors of this worker, created after the fork
    atexit.register(backend.close)
    atexit.register(worker_exit)
    _announce_once(settings)
    return app


def app_from_environment() -> WSGIApp:
    """The worker app with the settings of the environment, for another WSGI server (e.g.
    ``gunicorn 'endpoint.serving:app_from_environment()'``, as ``make bench`` compares)."""
    from smartregion.settings import load_settings

    return worker_app(load_settings())


def _prepare_metrics_dir(settings: Settings) -> None:
    """An empty directory for the workers' Prometheus files (multiprocess mode), named in the
    environment before any worker (or ``prometheus_client``) starts."""
    directory = settings.metrics_dir
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
