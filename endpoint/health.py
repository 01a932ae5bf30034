"""Operations: ``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics`` (Prometheus).

- ``/healthz`` answers 200 as long as the worker runs Python (no store access): a load
  balancer restarts a worker that stops answering it.
- ``/readyz`` answers 200 when the store is open, this worker's query executors are up and a
  version is served (503 otherwise), with the details as JSON; a load balancer sends traffic
  only to ready nodes.
- ``/metrics`` is the Prometheus text exposition of every worker (:mod:`endpoint.observability`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from endpoint import backend_of
from endpoint.observability import exposition, note_version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 while the worker is alive, with the served version id (``null`` before a load)."""
    version = backend_of(current_app).cached_version()
    return _uncached(jsonify(status="ok", version=version.id if version else None))


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """200 when this worker can answer queries on a served version, else 503."""
    readiness = backend_of(current_app).readiness()
    version = readiness.details.get("version")
    note_version(version if isinstance(version, str) else None)
    response = jsonify(status="ready" if readiness.ready else "not ready", **readiness.details)
    response.status_code = 200 if readiness.ready else 503
    return _uncached(response)


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """The Prometheus metrics of all web workers."""
    version = backend_of(current_app).cached_version()
    note_version(version.id if version else None)
    body, content_type = exposition()
    return _uncached(Response(body, content_type=content_type))


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
