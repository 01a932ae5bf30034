"""What operators watch: Prometheus metrics and a structured access log.

Metrics (``prometheus_client``; under ``smartregion serve`` in multiprocess mode, so
``/metrics`` adds up every worker's files in ``PROMETHEUS_MULTIPROC_DIR``):

- ``smartregion_http_requests_total{route,method,status}`` and
  ``smartregion_http_request_duration_seconds{route}`` (until the last byte was handed over);
  ``route`` is the URL rule (``/doc/<kind>/<key>``), so the label set stays small;
- ``smartregion_queries_stopped_total{limit}``: queries refused or stopped by a limit
  (``deadline``, ``memory``, ``crash``, ``result-size``, ``busy``, ``fair-use``; the last is
  a 429);
- ``smartregion_result_cache_total{outcome}``: SPARQL result cache ``hit``/``miss``;
- ``smartregion_served_version{version}``: 1 for the store version a live worker serves.

Access log: one JSON object per request (time, client, method, path, status, bytes, seconds,
route, user agent, referrer) on the logger ``smartregion.access``, written where the
``access_log`` setting says.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ROUTE_KEY = "smartregion.route"
"""Environ key where the app notes the URL rule that matched (for the ``route`` label)."""
UNMATCHED = "(unmatched)"

REQUESTS = Counter("smartregion_http_requests", "HTTP requests answered.",
                   ["route", "method", "status"])
DURATION = Histogram(
    "smartregion_http_request_duration_seconds", "Time from request to last byte handed over.",
    ["route"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                        30, 60))
QUERIES_STOPPED = Counter("smartregion_queries_stopped",
                          "SPARQL queries refused or stopped by a limit.", ["limit"])
RESULT_CACHE = Counter("smartregion_result_cache", "SPARQL result cache lookups.", ["outcome"])
SERVED_VERSION = Gauge("smartregion_served_version",
                       "1 for the store version a live web worker serves.", ["version"],
                       multiprocess_mode="livemax")
_served: dict[str, str] = {}

access_log = logging.getLogger("smartregion.access")


def note_version(version_id: str | None) -> None:
    """Record the version this worker serves (cheap when unchanged)."""
    version_id = version_id or "none"
    previous = _served.get("id")
    if previous == version_id:
        return
    if previous is not None:
        SERVED_VERSION.labels(previous).set(0)
    SERVED_VERSION.labels(version_id).set(1)
    _served["id"] = version_id


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format (all workers' in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def worker_exit() -> None:
    """Drop this worker's live gauges from the sums (called when a worker ends)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def configure_access_log(target: str) -> None:
    """Send the access log to ``target``: ``-`` standard output, a path, or ``""`` (none)."""
    for old in list(access_log.handlers):
        access_log.removeHandler(old)
        old.close()
    access_log.propagate = False
    if not target:
        access_log.disabled = True
        return
    access_log.disabled = False
    handler: logging.Handler = (logging.StreamHandler(sys.stdout) if target == "-"
                                else logging.FileHandler(target, encoding="utf-8"))
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)


class Observed:
    """WSGI middleware: counts, times and logs every request when its body is done."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = []

        def recording_start(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[:] = [status_line.split(" ", 1)[0]]
            return start_response(status_line, headers, exc_info)

        try:
            body = self._app(environ, recording_start)
        except BaseException:
            _record(environ, "500", started, 0)
            raise
        return _Finishing(body, environ, status, started)


class _Finishing:
    """The app's body, passed through; records the request when the server closes it."""

    def __init__(self, body: Iterable[bytes], environ: WSGIEnvironment, status: list[str],
                 started: float) -> None:
        self._body = body
        self._environ = environ
        self._status = status
        self._started = started
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            _record(self._environ, self._status[0] if self._status else "500", self._started,
                    self._sent)


def _record(environ: WSGIEnvironment, status: str, started: float, sent: int) -> None:
    seconds = time.perf_counter() - started
    route = environ.get(ROUTE_KEY, UNMATCHED)
    method = environ.get("REQUEST_METHOD", "")
    REQUESTS.labels(route, method, status).inc()
    DURATION.labels(route).observe(seconds)
    if access_log.disabled or not access_log.handlers:
        return
    query = environ.get("QUERY_STRING", "")
    access_log.info(json.dumps({
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "client": environ.get("REMOTE_ADDR", "-"),
        "method": method,
        "path": environ.get("PATH_INFO", "") + ("?" + query if query else ""),
        "status": int(status) if status.isdigit() else status,
        "bytes": sent,
        "seconds": round(seconds, 6),
        "route": route,
        "user_agent": environ.get("HTTP_USER_AGENT", ""),
        "referrer": environ.get("HTTP_REFERER", ""),
    }, ensure_ascii=False))
