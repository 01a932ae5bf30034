"""Cool URIs of things: ``/id/{kind}/{key}`` → 303 → ``/doc/{kind}/{key}[.ext]``.

The document is one graph (see :mod:`endpoint.describe`) written in the negotiated RDF format
or rendered as a bilingual HTML page (see :mod:`endpoint.pages`).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from rdflib import URIRef

from endpoint import backend_of, settings_of
from endpoint.alternates import alternates_response
from endpoint.area_projects import district_projects
from endpoint.describe import Description, InverseKey, InverseNotFound, describe, thing_exists
from endpoint.document_profiles import (
    geojson_document,
    ngsi_context_link,
    ngsi_ld_document,
    schema_org_document,
)
from endpoint.documents import (
    DOCUMENT_OFFERS,
    choose_representation,
    content_query,
    document_alternatives,
    document_response,
    split_extension,
)
from endpoint.errors import Problem
from endpoint.i18n import current_language, translate
from endpoint.listings import page_number
from endpoint.negotiation import HTML, JSON, Alternatives, Offer, representation_url
from endpoint.negotiation.by_profile import matching_profiles, profile_links, requested_profiles
from endpoint.negotiation.profiles import GEOJSON, NGSI_LD, SCHEMA_ORG
from endpoint.ontology import vocabulary
from endpoint.pages import Linker, resource_page
from endpoint.rdf_output import serialize
from endpoint.schemaorg import embedded_jsonld
from smartregion.formats import graph_format
from smartregion.uris import KEY_PATTERN, document_path, meta_graph_uri, thing_uri

bp = Blueprint("resources", __name__)


# Any well-formed kind is looked up: the store decides what exists. (smartregion.uris.KINDS
# lists the kinds the platform mints, but curated data may use more, e.g. a renaming nested
# in an organisation's file; a thing that exists must never answer 404.)
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")


def _thing(kind: str, key: str) -> URIRef:
    """The IRI of ``/id/{kind}/{key}``, or a 404 problem for a path that cannot name one."""
    if not KIND_PATTERN.match(kind) or not KEY_PATTERN.match(key):
        raise _not_found(kind, key)
    return URIRef(thing_uri(settings_of(current_app).base_uri, kind, key))


def _not_found(kind: str, key: str) -> Problem:
    return Problem(404, "Not Found", f"{translate('not_found_thing')} ({kind}/{key})")


@bp.get("/id/<string:kind>/<string:key>")
def thing(kind: str, key: str) -> ResponseReturnValue:
    """303 See Other to the document, keeping the query (``format``, ``lang``) and leaving the
    negotiation to the document URL, so the client's ``Accept`` applies there."""
    iri = _thing(kind, key)
    if not thing_exists(backend_of(current_app), iri):
        raise _not_found(kind, key)
    location = request.script_root + document_path(kind, key)
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = Response(status=303)
    response.headers["Location"] = location
    # W3C conneg by profile §6.2: a redirect names the profile chosen from the client's list
    wanted = requested_profiles(request)
    chosen = matching_profiles(document_alternatives(kind), wanted) if wanted else []
    if chosen:
        response.headers["Link"] = ", ".join(profile_links(chosen[0]))
    if wanted is not None:
        response.vary.add("Accept-Profile")
    response.cache_control.public = True
    response.cache_control.max_age = 3600  # the mapping /id → /doc never changes
    return response


@bp.get("/doc/<string:kind>/<string:name>")
def document(kind: str, name: str) -> ResponseReturnValue:
    """The document of a thing in the negotiated (or named) representation and profile."""
    key, extension = split_extension(name)
    iri = _thing(kind, key)
    alternatives = document_alternatives(kind)
    choice = choose_representation(extension, alternatives)
    inverse, page = inverse_request()
    settings = settings_of(current_app)
    backend = backend_of(current_app)
    if not thing_exists(backend, iri):  # before the validators: no 304 for what is not there
        raise _not_found(kind, key)
    vocab = vocabulary(settings.ontology_dir)
    path = document_path(kind, key)
    lang = current_language()
    query = content_query("inverse", "page")
    if choice.listing:
        return alternates_response(path, alternatives, choice, str(iri), backend.version(),
                                   query=query)
    profile, offer = choice.profile, choice.offer

    def described() -> Description:
        try:
            description = describe(
                backend, vocab, iri, URIRef(settings.base_uri + path.lstrip("/")),
                URIRef(meta_graph_uri(settings.base_uri)), inverse=inverse, page=page,
                page_size=inverse_page_size(),
            )
        except InverseNotFound as exc:
            raise Problem(404, "Not Found", f"no such inverse links or page: {exc}") from exc
        if description is None:
            raise _not_found(kind, key)
        return description

    def produce() -> bytes | str:
        linker = Linker(settings.base_uri, request.script_root)
        if profile == NGSI_LD:
            return ngsi_ld_document(backend, settings, str(iri), offer)
        if profile == GEOJSON:
            return geojson_document(backend, settings, str(iri), lang)
        description = described()
        if profile == SCHEMA_ORG:
            return schema_org_document(description, vocab, linker, lang)
        if offer is HTML:
            model = resource_page(description, vocab, linker, lang)
            projects = (district_projects(key, lang, linker, inverse_page_size())
                        if kind == "district" else None)
            return render_template(
                "resource.html", page=model, area_projects=projects,
                alternates=alternates(path, offer, query, alternatives),
                jsonld=embedded_jsonld(description, model, linker, lang),
                document_iri=str(description.document),
                iri_href=request.script_root + f"/id/{kind}/{key}",
            )
        fmt = graph_format(offer.name)
        assert fmt is not None  # every document offer but HTML is a graph format
        return serialize(description.graph, fmt, context=vocab.context,
                         context_url=context_url())

    links = [ngsi_context_link()] if (profile, offer) == (NGSI_LD, JSON) else []
    return document_response(path, alternatives, choice, backend.version(), produce,
                             query=query, lang=lang, validator=vocab.digest, links=links)


def inverse_request() -> tuple[InverseKey | None, int]:
    """The inverse group and page a request asks for (`?inverse=`, `?page=`)."""
    token = request.args.get("inverse")
    page = page_number(request.args.get("page"))
    if not token:
        return None, 1
    key = InverseKey.parse(token)
    if key is None:
        raise Problem(400, "Bad Request", f"cannot read inverse={token!r}")
    return key, page


def inverse_page_size() -> int:
    """Links per inverse group and page (the ``inverse_page_size`` setting)."""
    return settings_of(current_app).inverse_page_size


def context_url() -> str:
    """The absolute URL of the published JSON-LD context on the host serving this request."""
    return request.host_url.rstrip("/") + request.script_root + "/context.jsonld"


def alternates(path: str, chosen: Offer, query: str = "",
               alternatives: Alternatives | None = None) -> list[dict[str, str]]:
    """The other variants of a document, for ``<link rel=alternate>`` and the footer: the
    default profile's formats, then the other profiles (``alternatives``) by name."""
    names = {"html": "HTML", "turtle": "Turtle", "jsonld": "JSON-LD", "rdfxml": "RDF/XML",
             "ntriples": "N-Triples"}
    suffix = f"?{query}" if query else ""
    found = [
        {"href": f"{request.script_root}{path}.{o.extension}{suffix}", "type": o.media_type,
         "label": names.get(o.name, o.name)}
        for o in DOCUMENT_OFFERS if o != chosen
    ]
    if alternatives is not None:
        for profile, offer in alternatives.pairs():
            if profile != alternatives.default:
                several = len(alternatives.offers_of(profile)) > 1
                found.append({
                    "href": request.script_root + representation_url(
                        path, alternatives, profile, offer, query),
                    "type": offer.media_type,
                    "label": profile.label(current_language()) + (
                        f" ({names.get(offer.name, offer.name.upper())})" if several else "")})
    return found
