"""Blueprint: saved queries as REST APIs — ``GET /api/{name}``, the OpenAPI document at
``/api/openapi.json`` and the self-hosted API explorer (swagger-ui) at ``/api/``.

Answers are cached per store version (a version never changes): an ``ETag`` from the version,
the API and its parameters answers ``If-None-Match`` with ``304`` before the query runs, and
rendered bodies are kept in memory for the version being served.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.negotiation import NotAcceptable, Offer, negotiate
from endpoint.saved_queries.declarations import SavedQuery, saved_queries
from endpoint.saved_queries.execution import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadParameter,
    as_csv,
    as_json,
    as_jsonld,
    bind_parameters,
    run,
)
from endpoint.saved_queries.openapi import openapi_document

bp = Blueprint("saved_queries", __name__)

JSON = Offer("application/json", "json", "json")
CSV = Offer("text/csv", "csv", "csv")
JSONLD = Offer("application/ld+json", "jsonld", "jsonld")
TURTLE = Offer("text/turtle", "ttl", "turtle")
CACHE_SIZE = 256


def _api_url(name: str = "") -> str:
    return request.host_url.rstrip("/") + request.script_root + "/api" + (f"/{name}" if name
                                                                          else "")


@bp.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of every saved-query API."""
    body = json.dumps(openapi_document(_api_url(), saved_queries()), ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    return make_conditional(request, response, None, "openapi", body)


@bp.get("/api/")
@bp.get("/api")
def explorer() -> ResponseReturnValue:
    """The API explorer (self-hosted swagger-ui) with a plain list for readers without it."""
    apis = [{"name": q.name, "title_de": q.title_de, "title_en": q.title_en}
            for q in saved_queries().values()]
    response = Response(render_template("api_explorer.html", apis=apis), mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


def _page_params() -> tuple[int, int]:
    raw_limit = request.args.get("limit", str(DEFAULT_LIMIT))
    raw_offset = request.args.get("offset", "0")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise Problem(400, "Bad Request", f"limit must be 1…{MAX_LIMIT}, not {raw_limit[:20]!r}")
    if not raw_offset.isdigit():
        raise Problem(400, "Bad Request", f"offset must be a number >= 0, not {raw_offset[:20]!r}")
    return int(raw_limit), int(raw_offset)


def _cache() -> OrderedDict[tuple[str, ...], bytes]:
    version = backend_of(current_app).version()
    key = version.id if version else "empty"
    holder = current_app.extensions.setdefault("smartregion.saved_queries", {})
    if holder.get("version") != key:
        holder.clear()
        holder["version"] = key
        holder["bodies"] = OrderedDict()
    bodies: OrderedDict[tuple[str, ...], bytes] = holder["bodies"]
    return bodies


@bp.get("/api/<name>")
def call(name: str) -> ResponseReturnValue:
    """Run the saved query ``name`` with the request's parameters; one page of results."""
    query: SavedQuery | None = saved_queries().get(name)
    if query is None:
        raise Problem(404, "Not Found", f"no API {name!r}; see {_api_url()}/openapi.json")
    offers = (JSONLD, TURTLE) if query.kind == "construct" else (JSON, CSV, JSONLD)
    try:
        offer = negotiate(request, offers, explicit=request.args.get("format") or None)
    except NotAcceptable as exc:
        raise Problem(406, "Not Acceptable", "available: "
                      + ", ".join(o.media_type for o in offers)) from exc
    known = {p.name for p in query.parameters} | {"limit", "offset", "format"}
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise Problem(400, "Bad Request", f"unknown parameter(s) {', '.join(unknown)[:200]}; "
                      f"{name} takes {', '.join(sorted(known))}")
    try:
        bindings = bind_parameters(query, request.args, settings_of(current_app).base_uri)
    except BadParameter as exc:
        raise Problem(400, "Bad Request", str(exc)) from exc
    limit, offset = _page_params()
    canonical = [(p.name, str(bindings[p.variable])) for p in query.parameters]
    response = Response(mimetype=offer.media_type)
    response.vary.add("Accept")
    make_conditional(request, response, backend_of(current_app).version(), name,
                     json.dumps(canonical), str(limit), str(offset))
    if response.status_code == 304:
        return response
    cache = _cache()
    key = (name, json.dumps(canonical), str(limit), str(offset), offer.media_type)
    body = cache.get(key)
    links = _links(name, limit, offset, more=None)
    if body is None:
        page = run(backend_of(current_app), query, bindings, limit, offset,
                   settings_of(current_app).base_uri)
        links = _links(name, limit, offset, more=page.more)
        if offer is JSON:
            text = as_json(query, page, links)
        elif offer is CSV:
            text = as_csv(query, page)
        elif offer is TURTLE:
            text = str(page.graph.serialize(format="turtle")) if page.graph is not None else ""
        else:
            text = as_jsonld(query, page, _api_url(name))
        body = text.encode("utf-8")
        cache[key] = body
        cache[(*key, "links")] = json.dumps(links).encode()
        while len(cache) > CACHE_SIZE * 2:
            cache.popitem(last=False)
    else:
        links = json.loads(cache.get((*key, "links"), b"{}"))
    response.set_data(body)
    if links:
        response.headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"'
                                             for rel, href in links.items())
    return response


def _links(name: str, limit: int, offset: int, *, more: bool | None) -> dict[str, str]:
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "limit")]
    url = _api_url(name)
    links = {"describedby": _api_url() + "/openapi.json"}
    if more:
        links["next"] = f"{url}?{urlencode([*kept, ('limit', limit), ('offset', offset + limit)])}"
    if offset > 0:
        previous = max(0, offset - limit)
        links["prev"] = f"{url}?{urlencode([*kept, ('limit', limit), ('offset', previous)])}"
    return links
