"""Errors answered in a form the client reads: RFC 9457 problem JSON, HTML or plain text."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from flask import Flask, Request, Response, render_template, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_XML = "application/problem+xml"


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
        ["text/plain", PROBLEM_JSON, "application/json", "text/html"]
    ) if accept else "text/plain"
    if kind is None:  # e.g. a SPARQL client accepting only application/sparql-results+json
        kind = structured_kind(req)
    if kind in (PROBLEM_JSON, "application/json"):
        response = Response(json.dumps(body, ensure_ascii=False), mimetype=PROBLEM_JSON)
    elif kind == PROBLEM_XML:
        response = Response(_xml(body), mimetype=PROBLEM_XML)
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


def structured_kind(req: Request) -> str:
    """The problem format for a client that accepts none of ours by name: JSON when it
    accepts some JSON type (``application/*+json``), XML when some XML type, else text."""
    accepted = [value.split(";", 1)[0].strip().lower() for value, q in req.accept_mimetypes
                if q > 0]
    if any(v.endswith(("/json", "+json")) for v in accepted):
        return PROBLEM_JSON
    if any(v.endswith(("/xml", "+xml")) for v in accepted):
        return PROBLEM_XML
    return "text/plain"


def _xml(body: dict[str, Any]) -> str:
    """RFC 9457 Appendix B: the problem as XML (extension members with simple values)."""
    parts = []
    for key, value in body.items():
        if isinstance(value, str | int | float) and key.isidentifier():
            parts.append(f"<{key}>{escape(str(value))}</{key}>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<problem xmlns="urn:ietf:rfc:7807">{"".join(parts)}</problem>\n')


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
