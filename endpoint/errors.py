"""Errors answered in a form the client reads: RFC 9457 problem JSON, HTML or plain text."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request, Response, render_template, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error response with a status, a short title and a detail naming what was wrong."""

    def __init__(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(problem: Problem, req: Request | None = None) -> Response:
    """Render a problem in the representation the request prefers."""
    req = req or request
    body: dict[str, Any] = {
        "type": "about:blank", "title": problem.title, "status": problem.status,
        "detail": problem.detail, **problem.extra,
    }
    accept = req.accept_mimetypes
    kind = accept.best_match(
        ["text/plain", PROBLEM_JSON, "application/json", "text/html"], default="text/plain"
    ) if accept else "text/plain"
    if kind in (PROBLEM_JSON, "application/json"):
        response = Response(json.dumps(body, ensure_ascii=False), mimetype=PROBLEM_JSON)
    elif kind == "text/html":
        try:
            html = render_template("error.html", problem=body)
        except Exception:  # an error page must never fail itself: whatever breaks, send text
            html = None
        if html is not None:
            response = Response(html, mimetype="text/html")
        else:
            response = Response(_text(body), mimetype="text/plain")
    else:
        response = Response(_text(body), mimetype="text/plain")
    response.status_code = problem.status
    for name, value in problem.headers.items():
        response.headers[name] = value
    response.vary.add("Accept")  # with whatever else the problem's own headers vary by
    return response


def _text(body: dict[str, Any]) -> str:
    lines = [f"{body['status']} {body['title']}", "", str(body["detail"])]
    standard = ("type", "title", "status", "detail")
    lines += [f"{k}: {v}" for k, v in body.items() if k not in standard]
    return "\n".join(lines) + "\n"


def register(app: Flask) -> None:
    """Install handlers so that every error, ours and werkzeug's, is answered this way."""

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        # Keep protocol headers werkzeug set (Allow on 405, WWW-Authenticate, Retry-After).
        kept = {k: v for k, v in error.get_headers() if k in ("Allow", "Retry-After")}
        problem = Problem(
            error.code or 500, error.name, error.description or error.name, headers=kept
        )
        return problem_response(problem)
