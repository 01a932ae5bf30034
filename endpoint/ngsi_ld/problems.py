"""NGSI-LD errors (GS CIM 009 clause 5.5.2): problem details with the ETSI problem types."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
STATUS = {
    "InvalidRequest": 400,
    "BadRequestData": 400,
    "ResourceNotFound": 404,
    "OperationNotSupported": 422,
    "TooComplexQuery": 403,
    "TooManyResults": 403,
    "LdContextNotAvailable": 503,
    "InternalError": 500,
}
TITLES = {
    "InvalidRequest": "Invalid request",
    "BadRequestData": "Bad request data",
    "ResourceNotFound": "Resource not found",
    "OperationNotSupported": "Operation not supported",
    "TooComplexQuery": "Too complex query",
    "TooManyResults": "Too many results",
    "LdContextNotAvailable": "@context not available",
    "InternalError": "Internal error",
}


class NgsiProblem(Exception):
    """An NGSI-LD error: its problem type (the name after ``…/errors/``) and a detail."""

    def __init__(self, kind: str, detail: str, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status or STATUS[kind]
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The problem details object."""
        return {"type": ERRORS + self.kind, "title": TITLES.get(self.kind, self.kind),
                "status": self.status, "detail": self.detail}


def problem_response(problem: NgsiProblem) -> Response:
    """The HTTP answer: ``application/json`` problem details (clause 6.3.2)."""
    response = Response(json.dumps(problem.body(), ensure_ascii=False),
                        status=problem.status, mimetype="application/json")
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response
