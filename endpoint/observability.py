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
route, user agent, referrer), written where the ``access_log`` setting says.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

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

_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


class AccessLog:
    """Where access-log lines go: one JSON object per line, written whole under a lock
    (cheaper per request than the logging module, and never interleaved)."""

    def __init__(self) -> None:
        self._stream: TextIO | None = None
        self._owned = False
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether lines are written at all."""
        return self._stream is not None

    def open(self, target: str) -> None:
        """Write to ``target``: ``-`` standard output, a file path, or ``""`` (nowhere)."""
        self.close()
        if target == "-":
            self._stream, self._owned = sys.stdout, False
        elif target:
            self._stream = open(target, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self._owned = True

    def write(self, entry: dict[str, Any]) -> None:
        """Write one entry as a line of JSON."""
        stream = self._stream
        if stream is None:
            return
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            stream.write(line)
            stream.flush()

    def close(self) -> None:
        """Stop writing (closing a file this log opened)."""
        with self._lock:
            if self._owned and self._stream is not None:
                self._stream.close()
            self._stream, self._owned = None, False


access_log = AccessLog()


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
    access_log.open(target)


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
    key = (route, method, status)
    children = _children.get(key)
    if children is None:  # labels() costs more than the increment: keep the children
        children = _children[key] = (REQUESTS.labels(route, method, status),
                                     DURATION.labels(route))
    children[0].inc()
    children[1].observe(seconds)
    if not access_log.enabled:
        return
    query = environ.get("QUERY_STRING", "")
    access_log.write({
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
    })
