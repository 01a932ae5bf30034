"""Blueprint: the read-only NGSI-LD API under ``/ngsi-ld/v1/`` and our ``@context``.

Content (clauses 6.3.4–6.3.6): ``application/json`` (the default) answers without ``@context``
and names ours in a ``Link`` header; ``application/ld+json`` carries ``@context`` in the body;
``application/geo+json`` answers entities as GeoJSON features. A request's own ``Link``
context must be ours or the core context: a context source that fetched any URL a client names
would be a server-side request forgery hole, so another answers ``LdContextNotAvailable``.
Names the core context leaves undefined are read with ours (the specification's ``@vocab``
would turn them into default-context IRIs that name nothing here).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from rdflib import URIRef

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.negotiation import NotAcceptable, Offer, negotiate
from endpoint.ngsi_ld.context import (
    CONTEXT_PATH,
    CORE_CONTEXT_URL,
    JSONLD_CONTEXT_REL,
    Terms,
    terms,
)
from endpoint.ngsi_ld.entities import NORMALIZED, REPRESENTATIONS, load_things, normalized
from endpoint.ngsi_ld.entities import represent as in_representation
from endpoint.ngsi_ld.problems import NgsiProblem, problem_response
from endpoint.ngsi_ld.selection import matching_ids, parse_query
from endpoint.ngsi_ld.types import (
    Summary,
    attribute_details,
    attribute_list,
    summarize,
    type_details,
    type_info,
    type_list,
)

bp = Blueprint("ngsi_ld", __name__)

API = "/ngsi-ld/v1"
JSON = Offer("application/json", "json", "json")
JSONLD = Offer("application/ld+json", "jsonld", "jsonld")
GEOJSON = Offer("application/geo+json", "geojson", "geojson")
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
_CORE_CONTEXT = re.compile(r"^https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context[\w.-]*"
                           r"\.jsonld$")
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


@bp.errorhandler(NgsiProblem)
def _problem(error: NgsiProblem) -> Response:
    return problem_response(error)


def _terms() -> Terms:
    return terms(settings_of(current_app).ontology_dir)


def context_url() -> str:
    """The URL of our NGSI-LD ``@context`` on the host serving this request."""
    return request.host_url.rstrip("/") + request.script_root + CONTEXT_PATH


def _prefix() -> str:
    return settings_of(current_app).base_uri + "id/"


def _check_request_context() -> None:
    """Refuse a ``Link`` context we would have to fetch (see the module docstring)."""
    header = request.headers.get("Link")
    if not header:
        return
    ours = {context_url(), settings_of(current_app).base_uri.rstrip("/") + CONTEXT_PATH}
    for target, params in _LINK.findall(header):
        if JSONLD_CONTEXT_REL not in params:
            continue
        if target not in ours and not _CORE_CONTEXT.match(target):
            raise NgsiProblem(
                "LdContextNotAvailable",
                f"this context source reads names only with its own @context <{context_url()}>"
                f" or the NGSI-LD core context, not <{target[:200]}>; send full IRIs or "
                "link one of those")


def _offer(geo: bool = False) -> Offer:
    offers = (JSON, JSONLD, GEOJSON) if geo else (JSON, JSONLD)
    try:
        return negotiate(request, offers)
    except NotAcceptable as exc:
        raise NgsiProblem("InvalidRequest", "Accept must allow one of "
                          + ", ".join(o.media_type for o in offers), status=406) from exc


def _representation() -> str:
    options = [o.strip() for o in request.args.get("options", "").split(",") if o.strip()]
    if request.args.get("format"):
        options.append(request.args["format"].strip())
    chosen = NORMALIZED
    for option in options:
        if option in REPRESENTATIONS:
            chosen = REPRESENTATIONS[option]
        elif option != "sysAttrs":  # no system attributes are kept; the option is a no-op
            raise NgsiProblem("BadRequestData", f"options: unknown value {option!r}")
    return chosen


def _lang() -> str | None:
    lang = request.args.get("lang")
    if lang and not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", lang):
        raise NgsiProblem("BadRequestData", f"lang: {lang!r} is not a language tag")
    return lang.lower() if lang else None


def _answer(body: Any, offer: Offer, *, links: list[str] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """A JSON answer in ``offer``'s media type, with the context rules of clause 6.3.5."""
    ctx = context_url()
    link_values = list(links or [])
    if offer is JSONLD:
        body = _with_context(body, [ctx, CORE_CONTEXT_URL])
    else:
        link_values.insert(0, f'<{ctx}>; rel="{JSONLD_CONTEXT_REL}"; '
                              'type="application/ld+json"')
    response = Response(mimetype=offer.media_type)
    response.headers["Link"] = ", ".join(link_values)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.vary.add("Accept")
    response.vary.add("Link")
    make_conditional(request, response, backend_of(current_app).version(), request.path,
                     request.query_string.decode("latin-1"), request.headers.get("Link", ""))
    if response.status_code != 304:
        response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def _with_context(body: Any, context: list[str]) -> Any:
    if isinstance(body, list):
        return [_with_context(item, context) for item in body]
    if isinstance(body, dict) and body.get("type") != "FeatureCollection":
        return {**body, "@context": context}
    return body


def _summary() -> Summary:
    version = backend_of(current_app).version()
    key = version.id if version else "empty"
    holder: dict[str, Summary] = current_app.extensions.setdefault("smartregion.ngsi_ld", {})
    if key not in holder:
        holder.clear()
        holder[key] = summarize(backend_of(current_app), _prefix())
    return holder[key]


def _limit_offset() -> tuple[int, int]:
    raw_limit, raw_offset = request.args.get("limit"), request.args.get("offset", "0")
    if raw_limit is not None and not raw_limit.isdigit():
        raise NgsiProblem("BadRequestData", f"limit must be a number >= 0, not {raw_limit!r}")
    if not raw_offset.isdigit():
        raise NgsiProblem("BadRequestData", f"offset must be a number >= 0, not {raw_offset!r}")
    limit = int(raw_limit) if raw_limit is not None else DEFAULT_LIMIT
    if limit > MAX_LIMIT:
        raise NgsiProblem("TooManyResults", f"limit may be at most {MAX_LIMIT}")
    if limit == 0 and request.args.get("count") != "true":
        raise NgsiProblem("BadRequestData", "limit=0 is only allowed with count=true")
    return limit, int(raw_offset)


def feature_of(entity: dict[str, Any]) -> dict[str, Any]:
    """An entity as a GeoJSON Feature (clause 4.5.16): ``location`` is the geometry."""
    location = entity.get("location")
    geometry = None
    if isinstance(location, dict):
        # normalized and concise wrap the geometry in "value"; keyValues gives it bare
        geometry = location.get("value", location)
    properties = {k: v for k, v in entity.items() if k not in ("id", "@context")}
    return {"id": entity["id"], "type": "Feature", "geometry": geometry,
            "properties": properties}


# -- @context ---------------------------------------------------------------------------------
@bp.get(CONTEXT_PATH)
def context_document() -> ResponseReturnValue:
    """Our NGSI-LD ``@context``: our terms, then (by reference) the core context."""
    response = Response(json.dumps(_terms().document(), ensure_ascii=False, indent=1),
                        mimetype="application/ld+json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return make_conditional(request, response, backend_of(current_app).version(), CONTEXT_PATH)


# -- entities ---------------------------------------------------------------------------------
@bp.get(f"{API}/entities")
def query_entities() -> ResponseReturnValue:
    """Query entities (clause 5.7.2) with paging (6.3.10) and counting (6.3.13)."""
    _check_request_context()
    offer = _offer(geo=True)
    representation, lang = _representation(), _lang()
    vocabulary = _terms()
    query = parse_query(request.args, vocabulary)
    if not query.selective and request.args.get("local") != "true":
        raise NgsiProblem("BadRequestData", "name at least one of type, id, idPattern, attrs, "
                          "q or a geo-query (or local=true for everything)")
    limit, offset = _limit_offset()
    backend = backend_of(current_app)
    ids = matching_ids(backend, query, _prefix(), vocabulary)
    page = ids[offset:offset + limit]
    things = load_things(backend, [URIRef(i) for i in page])
    entities = [in_representation(normalized(things[i], vocabulary, attrs=query.attrs or None,
                                              lang=lang), representation)
                for i in page if i in things]
    body: Any = entities
    if offer is GEOJSON:
        body = {"type": "FeatureCollection", "features": [feature_of(e) for e in entities]}
    headers = {"NGSILD-Results-Count": str(len(ids))} if request.args.get("count") == "true" \
        else {}
    return _answer(body, offer, links=_paging_links(offset, limit, len(ids)), headers=headers)


def _paging_links(offset: int, limit: int, total: int) -> list[str]:
    if limit == 0:
        return []
    links = []
    base = request.script_root + request.path
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "offset"]
    if offset + limit < total:
        links.append(f'<{base}?{urlencode([*kept, ("offset", offset + limit)])}>; rel="next"')
    if offset > 0:
        previous = max(0, offset - limit)
        links.append(f'<{base}?{urlencode([*kept, ("offset", previous)])}>; rel="prev"')
    return links


def _entity_iri(raw: str) -> str:
    # Proxies merge the '//' of an unencoded IRI in a path; put it back.
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*):/(?!/)", r"\1://", raw)


@bp.get(f"{API}/entities/<path:entity_id>")
def retrieve_entity(entity_id: str) -> ResponseReturnValue:
    """Retrieve one entity (clause 5.7.1)."""
    _check_request_context()
    offer = _offer(geo=True)
    representation, lang = _representation(), _lang()
    vocabulary = _terms()
    iri = _entity_iri(entity_id)
    attrs = [vocabulary.expand(a.strip()) for a in request.args.get("attrs", "").split(",")
             if a.strip()]
    things = load_things(backend_of(current_app), [URIRef(iri)]) \
        if iri.startswith(_prefix()) and ":" in iri else {}
    thing = things.get(iri)
    if thing is None:
        raise NgsiProblem("ResourceNotFound", f"no entity with id {iri[:200]}")
    if attrs and not set(attrs) & set(thing.attribute_iris()):
        raise NgsiProblem("ResourceNotFound", "the entity has none of the attributes in attrs")
    entity = in_representation(normalized(thing, vocabulary, attrs=attrs or None, lang=lang),
                               representation)
    return _answer(feature_of(entity) if offer is GEOJSON else entity, offer)


# -- types and attributes ---------------------------------------------------------------------
@bp.get(f"{API}/types")
def retrieve_types() -> ResponseReturnValue:
    """Available entity types (clauses 5.7.5/5.7.6)."""
    _check_request_context()
    offer, vocabulary = _offer(), _terms()
    details = request.args.get("details") == "true"
    summary = _summary()
    body = type_details(summary, vocabulary) if details else type_list(summary, vocabulary)
    return _answer(body, offer)


@bp.get(f"{API}/types/<path:type_name>")
def retrieve_type(type_name: str) -> ResponseReturnValue:
    """One entity type with its attributes (clause 5.7.7)."""
    _check_request_context()
    offer, vocabulary = _offer(), _terms()
    info = type_info(_summary(), vocabulary, vocabulary.expand(_entity_iri(type_name)))
    if info is None:
        raise NgsiProblem("ResourceNotFound", f"no entity has the type {type_name[:200]}")
    return _answer(info, offer)


@bp.get(f"{API}/attributes")
def retrieve_attributes() -> ResponseReturnValue:
    """Available attributes (clauses 5.7.8/5.7.9)."""
    _check_request_context()
    offer, vocabulary = _offer(), _terms()
    summary = _summary()
    if request.args.get("details") == "true":
        body: Any = [attribute_details(summary, vocabulary, iri)
                     for iri in sorted(summary.attributes, key=vocabulary.compact)]
    else:
        body = attribute_list(summary, vocabulary)
    return _answer(body, offer)


@bp.get(f"{API}/attributes/<path:attribute>")
def retrieve_attribute(attribute: str) -> ResponseReturnValue:
    """One attribute (clause 5.7.10)."""
    _check_request_context()
    offer, vocabulary = _offer(), _terms()
    info = attribute_details(_summary(), vocabulary, vocabulary.expand(_entity_iri(attribute)))
    if info is None:
        raise NgsiProblem("ResourceNotFound", f"no entity has the attribute {attribute[:200]}")
    return _answer(info, offer)


# -- everything else --------------------------------------------------------------------------
@bp.route(f"{API}/", defaults={"rest": ""}, methods=["POST", "PUT", "PATCH", "DELETE"])
@bp.route(f"{API}/<path:rest>", methods=["POST", "PUT", "PATCH", "DELETE"])
def read_only(rest: str) -> ResponseReturnValue:
    """Writes are refused: this context source is read-only (405, ``Allow: GET, HEAD``)."""
    raise NgsiProblem("OperationNotSupported",
                      f"{request.method} is not supported: this NGSI-LD context source is "
                      "read-only (its data are published through the load pipeline)",
                      status=405, headers={"Allow": "GET, HEAD"})


@bp.get(f"{API}/<path:rest>")
def not_provided(rest: str) -> ResponseReturnValue:
    """Parts of the API a read-only context source does not offer (subscriptions, temporal,
    registrations, JSON-LD context management)."""
    raise NgsiProblem("OperationNotSupported",
                      f"/ngsi-ld/v1/{rest[:100]} is not offered: this context source answers "
                      "entities, types and attributes only", status=501)
