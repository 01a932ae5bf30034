"""``/healthz``: liveness and the served store version, for load balancers and tests."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from endpoint import backend_of

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with the served version id (``null`` before the first load)."""
    version = backend_of(current_app).version()
    return jsonify(status="ok", version=version.id if version else None)
