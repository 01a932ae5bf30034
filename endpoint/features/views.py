"""Blueprint: OGC API – Features – Part 1: Core under ``/features/`` (MIM7).

Conformance classes: Core, GeoJSON, HTML and OpenAPI 3.0. JSON/GeoJSON or HTML by ``Accept``
or ``?f=json|html``; HTML in German with English alongside (``?lang=``). Items are paged with
``limit`` (default 10, at most 1,000; larger values are lowered as the standard says) and
``offset``, with ``next``/``prev`` links; ``bbox`` (CRS84) keeps features whose geometry
intersects the box; ``datetime`` (instant or interval, ``..`` open) keeps projects whose
[start, end] meets it and is ignored for collections without time. Feature ids are our URIs;
the path names a feature by its key (``/items/06411000``) or by its whole URI (encoded).

pygeoapi was tried first (0.21): its Flask binding reads its configuration and OpenAPI
document from files at import time into module globals (no app factory, no settings object),
its HTML templates load Bootstrap and Leaflet from CDNs, and it brings 361 MB of dependencies
(rasterio/GDAL, numpy, pyproj, SQLAlchemy) for six read-only JSON views over our own store.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from rdflib import URIRef
from shapely.geometry import box

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.features.collections import (
    COLLECTIONS,
    MAX_TIME,
    MIN_TIME,
    Collection,
    Member,
    build_index,
    feature_of,
)
from endpoint.features.openapi import openapi_document
from endpoint.i18n import current_language
from endpoint.negotiation import HTML, NotAcceptable, Offer, negotiate
from endpoint.ngsi_ld.context import terms
from endpoint.ngsi_ld.entities import load_things

bp = Blueprint("features", __name__)

ROOT = "/features"
JSON = Offer("application/json", "json", "json")
GEOJSON = Offer("application/geo+json", "json", "json")
OPENAPI = Offer("application/vnd.oai.openapi+json;version=3.0", "json", "json")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000
ITEM_PARAMETERS = {"f", "lang", "bbox", "bbox-crs", "datetime", "limit", "offset"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _url(path: str, **params: str | int) -> str:
    base = request.host_url.rstrip("/") + request.script_root + path
    query = {k: str(v) for k, v in params.items() if v not in ("", None)}
    return f"{base}?{urlencode(query)}" if query else base


def _offer(data: Offer) -> Offer:
    asked = request.args.get("f")
    if asked:
        if asked in ("json", "geojson"):
            return data
        if asked == "html":
            return HTML
        raise Problem(400, "Bad Request", f"f must be json or html, not {asked!r}")
    try:
        return negotiate(request, (data, HTML), aliases={"application/json": data})
    except NotAcceptable as exc:
        raise Problem(406, "Not Acceptable", f"available: {data.media_type}, text/html") from exc


def _respond(body: Any, offer: Offer, template: str, links: list[dict[str, str]],
             **context: Any) -> Response:
    response = Response(mimetype=offer.media_type.split(";")[0])
    if offer.media_type.startswith(OPENAPI.media_type.split(";")[0]):
        response.headers["Content-Type"] = offer.media_type
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    header_links = [f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"'
                    for link in links if link["rel"] in ("next", "prev", "alternate",
                                                         "canonical", "collection")]
    if header_links:
        response.headers["Link"] = ", ".join(header_links)
    make_conditional(request, response, backend_of(current_app).version(), request.path,
                     request.query_string.decode("latin-1"), current_language())
    if response.status_code == 304:
        return response
    if offer is HTML:
        response.set_data(render_template(template, body=body, links=links,
                                          lang=current_language(), **context))
    else:
        response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def _links(path: str, offer: Offer, data: Offer, **params: str | int) -> list[dict[str, str]]:
    """self and alternate links of a resource in its two representations."""
    kinds = ((data, "json"), (HTML, "html"))
    return [{"href": _url(path, **params, f=f), "rel": "self" if o is offer else "alternate",
             "type": o.media_type.split(";")[0], "title": f.upper()} for o, f in kinds]


def _index(collection: Collection) -> list[Member]:
    version = backend_of(current_app).version()
    key = (version.id if version else "empty", collection.id)
    holder: dict[Any, list[Member]] = current_app.extensions.setdefault(
        "smartregion.features", {})
    if key not in holder:
        for old in [k for k in holder if k[0] != key[0]]:
            del holder[old]
        holder[key] = build_index(backend_of(current_app), collection, _prefix())
    return holder[key]


def _prefix() -> str:
    return settings_of(current_app).base_uri + "id/"


def _collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise Problem(404, "Not Found", f"no collection {collection_id!r}; there are "
                      + ", ".join(COLLECTIONS))
    return collection


def _describe(collection: Collection, lang: str) -> dict[str, Any]:
    members = _index(collection)
    shapes = [m.geometry for m in members if m.geometry is not None]
    extent: dict[str, Any] = {}
    if shapes:
        bounds = [g.bounds for g in shapes]
        extent["spatial"] = {"bbox": [[min(b[0] for b in bounds), min(b[1] for b in bounds),
                                       max(b[2] for b in bounds), max(b[3] for b in bounds)]],
                             "crs": CRS84}
    if collection.temporal:
        starts = [m.start for m in members if m.start]
        ends = [m.end for m in members if m.end]
        extent["temporal"] = {"interval": [[min(starts).isoformat() if starts else None,
                                            max(ends).isoformat() if ends else None]],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    path = f"{ROOT}/collections/{collection.id}"
    english = lang == "en"
    return {
        "id": collection.id,
        "title": collection.title_en if english else collection.title_de,
        "description": collection.description_en if english else collection.description_de,
        "itemType": "feature", "crs": [CRS84], "extent": extent,
        "links": [
            {"href": _url(path, f="json"), "rel": "self", "type": "application/json",
             "title": collection.title_de},
            {"href": _url(path, f="html"), "rel": "alternate", "type": "text/html",
             "title": collection.title_de},
            {"href": _url(path + "/items", f="json"), "rel": "items",
             "type": "application/geo+json", "title": collection.title_de},
            {"href": _url(path + "/items", f="html"), "rel": "items", "type": "text/html",
             "title": collection.title_de},
        ],
    }


@bp.get(ROOT)
@bp.get(ROOT + "/")
def landing() -> ResponseReturnValue:
    """The landing page: what this API is and where its parts are."""
    offer = _offer(JSON)
    lang = current_language()
    links = [*_links(ROOT + "/", offer, JSON),
        {"href": _url(ROOT + "/api"), "rel": "service-desc",
         "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI"},
        {"href": _url(ROOT + "/api", f="html"), "rel": "service-doc", "type": "text/html",
         "title": "API"},
        {"href": _url(ROOT + "/conformance"), "rel": "conformance",
         "type": "application/json", "title": "Conformance"},
        {"href": _url(ROOT + "/collections"), "rel": "data", "type": "application/json",
         "title": "Collections"},
    ]
    body = {"title": "Smarte Region Hessen – OGC API Features" if lang == "de"
            else "Smart Region Hesse – OGC API Features",
            "description": "Kommunen, Kreise und Smart-Region-Projekte als GeoJSON-Features "
                           "(Living-in.EU MIM7)." if lang == "de" else
                           "Municipalities, districts and smart-region projects as GeoJSON "
                           "features (Living-in.EU MIM7).",
            "links": links}
    return _respond(body, offer, "features_landing.html", links,
                    collections=[_describe(c, lang) for c in COLLECTIONS.values()],
                    conformance=CONFORMANCE)


@bp.get(ROOT + "/api")
def api_definition() -> ResponseReturnValue:
    """The OpenAPI 3.0 definition of this API (``service-desc``)."""
    if request.args.get("f") == "html":
        return landing()
    body = openapi_document(_url(ROOT), list(COLLECTIONS))
    return _respond(body, OPENAPI, "", [])


@bp.get(ROOT + "/conformance")
def conformance() -> ResponseReturnValue:
    """The conformance classes this API implements."""
    offer = _offer(JSON)
    links = _links(ROOT + "/conformance", offer, JSON)
    return _respond({"conformsTo": CONFORMANCE, "links": links}, offer,
                    "features_landing.html", links, collections=[], conformance=CONFORMANCE)


@bp.get(ROOT + "/collections")
def collections() -> ResponseReturnValue:
    """Every collection with its extent and links."""
    offer = _offer(JSON)
    lang = current_language()
    links = _links(ROOT + "/collections", offer, JSON)
    described = [_describe(c, lang) for c in COLLECTIONS.values()]
    return _respond({"links": links, "collections": described}, offer,
                    "features_landing.html", links, collections=described,
                    conformance=CONFORMANCE)


@bp.get(ROOT + "/collections/<collection_id>")
def collection(collection_id: str) -> ResponseReturnValue:
    """One collection."""
    chosen = _collection(collection_id)
    offer = _offer(JSON)
    described = _describe(chosen, current_language())
    return _respond(described, offer, "features_landing.html", described["links"],
                    collections=[described], conformance=[])


def _bbox() -> Any:
    raw = request.args.get("bbox")
    if not raw:
        return None
    crs = request.args.get("bbox-crs", CRS84)
    if crs != CRS84:
        raise Problem(400, "Bad Request", f"bbox-crs: only {CRS84} is supported")
    parts = raw.split(",")
    if len(parts) not in (4, 6) or not all(_NUMBER.match(p.strip()) for p in parts):
        raise Problem(400, "Bad Request", "bbox must be four (or six) numbers: "
                      "minLon,minLat,maxLon,maxLat")
    numbers = [float(p) for p in parts]
    west, south, east, north = (numbers[0], numbers[1], numbers[3], numbers[4]) \
        if len(numbers) == 6 else numbers
    if south > north or not (-90 <= south <= 90 and -90 <= north <= 90):
        raise Problem(400, "Bad Request", "bbox: latitudes out of order or range")
    if west > east:  # crossing the antimeridian: not needed for Hessen
        raise Problem(400, "Bad Request", "bbox crossing the antimeridian is not supported")
    return box(west, south, east, north)


def _moment(text: str, *, end: bool) -> datetime:
    if text in ("", ".."):
        return MAX_TIME if end else MIN_TIME
    try:
        if "T" in text:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        day = datetime.fromisoformat(text[:10]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"datetime: {text!r} is no RFC 3339 date") from exc
    return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day


def _datetime() -> tuple[datetime, datetime] | None:
    raw = request.args.get("datetime")
    if not raw:
        return None
    if "/" in raw:
        start, _, end = raw.partition("/")
        if start in ("", "..") and end in ("", ".."):
            raise Problem(400, "Bad Request", "datetime: both ends open")
        interval = _moment(start, end=False), _moment(end, end=True)
    else:
        interval = _moment(raw, end=False), _moment(raw, end=True)
    if interval[0] > interval[1]:
        raise Problem(400, "Bad Request", "datetime: start after end")
    return interval


def _paging() -> tuple[int, int]:
    raw_limit = request.args.get("limit", str(DEFAULT_LIMIT))
    raw_offset = request.args.get("offset", "0")
    if not raw_limit.isdigit() or int(raw_limit) < 1:
        raise Problem(400, "Bad Request", f"limit must be a positive number, not {raw_limit!r}")
    if not raw_offset.isdigit():
        raise Problem(400, "Bad Request", f"offset must be a number >= 0, not {raw_offset!r}")
    return min(int(raw_limit), MAX_LIMIT), int(raw_offset)


@bp.get(ROOT + "/collections/<collection_id>/items")
def items(collection_id: str) -> ResponseReturnValue:
    """The features of a collection, filtered by ``bbox``/``datetime``, paged."""
    chosen = _collection(collection_id)
    unknown = sorted(set(request.args) - ITEM_PARAMETERS)
    if unknown:
        raise Problem(400, "Bad Request", f"unknown parameter(s): {', '.join(unknown)}; "
                      f"allowed: {', '.join(sorted(ITEM_PARAMETERS))}")
    offer = _offer(GEOJSON)
    area, interval, (limit, offset) = _bbox(), _datetime(), _paging()
    members = _index(chosen)
    if area is not None:
        members = [m for m in members if m.geometry is not None and m.geometry.intersects(area)]
    if interval is not None and chosen.temporal:
        low, high = interval
        members = [m for m in members if m.start is not None
                   and m.start <= high and (m.end or MAX_TIME) >= low]
    page = members[offset:offset + limit]
    lang = current_language()
    vocabulary = terms(settings_of(current_app).ontology_dir)
    things = load_things(backend_of(current_app), [URIRef(m.iri) for m in page])
    features = [_with_links(feature_of(m, things.get(m.iri), vocabulary, lang), chosen)
                for m in page]
    path = f"{ROOT}/collections/{chosen.id}/items"
    kept: dict[str, str | int] = {k: v for k, v in request.args.items()
                                  if k not in ("offset", "f")}
    links = _links(path, offer, GEOJSON, **kept, offset=offset)
    if offset + limit < len(members):
        links.append({"href": _url(path, **{**kept, "limit": limit}, offset=offset + limit,
                                   f="json" if offer is not HTML else "html"),
                      "rel": "next", "type": offer.media_type, "title": "next"})
    if offset > 0:
        links.append({"href": _url(path, **{**kept, "limit": limit},
                                   offset=max(0, offset - limit),
                                   f="json" if offer is not HTML else "html"),
                      "rel": "prev", "type": offer.media_type, "title": "prev"})
    body = {"type": "FeatureCollection", "features": features,
            "numberMatched": len(members), "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).replace(microsecond=0).isoformat()
            .replace("+00:00", "Z"), "links": links}
    return _respond(body, offer, "features_items.html", links, collection=chosen,
                    pages=max(1, math.ceil(len(members) / limit)), page=offset // limit + 1)


def _key(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _with_links(feature: dict[str, Any], chosen: Collection) -> dict[str, Any]:
    iri = feature["id"]
    item = f"{ROOT}/collections/{chosen.id}/items/{quote(_key(iri), safe='')}"
    document = request.host_url.rstrip("/") + request.script_root + "/doc/" + \
        iri[len(_prefix()):]
    feature["links"] = [
        {"href": _url(item, f="json"), "rel": "self", "type": "application/geo+json"},
        {"href": _url(item, f="html"), "rel": "alternate", "type": "text/html"},
        {"href": document, "rel": "canonical", "type": "text/html",
         "title": "Linked-Data-Dokument / Linked Data document"},
        {"href": _url(f"{ROOT}/collections/{chosen.id}"), "rel": "collection",
         "type": "application/json"},
    ]
    return feature


@bp.get(ROOT + "/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> ResponseReturnValue:
    """One feature, by key or by URI."""
    chosen = _collection(collection_id)
    offer = _offer(GEOJSON)
    iri = re.sub(r"^(https?):/(?!/)", r"\1://", feature_id)
    if "://" not in iri:
        kind = {"municipalities": "municipality", "districts": "district",
                "projects": "project"}[chosen.id]
        iri = f"{_prefix()}{kind}/{feature_id}"
    member = next((m for m in _index(chosen) if m.iri == iri), None)
    if member is None:
        raise Problem(404, "Not Found", f"no feature {feature_id!r} in {chosen.id}")
    things = load_things(backend_of(current_app), [URIRef(iri)])
    vocabulary = terms(settings_of(current_app).ontology_dir)
    body = _with_links(feature_of(member, things.get(iri), vocabulary, current_language()),
                       chosen)
    return _respond(body, offer, "features_item.html", body["links"], collection=chosen)
