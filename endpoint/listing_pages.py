"""Blueprint: the listings (``/projects``, ``/municipalities``, ``/organisations``,
``/events``) in every representation.

Each listing negotiates like a document (one helper, :mod:`endpoint.negotiation`): in the
platform's own profile as HTML, CSV, JSON, JSON-LD, Turtle and as the SPARQL query that
produces it (``application/sparql-query``), in the schema.org profile as an ``ItemList``; by
``Accept``, extension (``/projects.csv``), ``?format=``/``?_mediatype=`` and ``?_profile=``.
Every representation has the same filters and pages: ``Link`` rel=first/prev/next/last to the
same representation of the other pages, ``X-Total-Count``, and rel=describedby to the query.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from endpoint import backend_of, settings_of
from endpoint.alternates import alternates_response
from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.field_mapping import field_bindings
from endpoint.i18n import current_language, translate
from endpoint.listing_data import (
    PageInfo,
    collection_graph,
    csv_body,
    editor_url,
    item_list,
    json_body,
    query_text,
)
from endpoint.listing_kinds import LISTINGS, PROJECTS, ListingKind, Record
from endpoint.listing_tables import listing_model
from endpoint.listings import BadFilter, bind_filters, count, page_number, page_rows
from endpoint.negotiation import (
    CSV,
    HTML,
    JSON,
    JSONLD,
    SPARQL_QUERY,
    TURTLE,
    Alternatives,
    Choice,
    NotAcceptable,
    ProfileNotAcceptable,
    choose,
    not_acceptable,
    profile_headers,
    representation_url,
)
from endpoint.negotiation.profiles import SCHEMA_ORG, SRH
from endpoint.ontology import vocabulary
from endpoint.pages import Linker
from endpoint.paging import page_query, paging_links
from endpoint.queries import count_query
from endpoint.rdf_output import serialize
from endpoint.resources import context_url
from endpoint.schemaorg import script_safe
from smartregion.formats import graph_format

bp = Blueprint("listings", __name__)

LISTING_ALTERNATIVES = Alternatives((
    (SRH, (HTML, CSV, JSON, JSONLD, TURTLE, SPARQL_QUERY)), (SCHEMA_ORG, (JSONLD,)),
))
TEXT = {
    "as_data": ("Diese Liste als Daten", "This list as data"),
    "open_query": ("Abfrage im SPARQL-Editor öffnen", "Open the query in the SPARQL editor"),
    "query_text": ("SPARQL-Abfrage", "SPARQL query"),
    "representations": ("alle Darstellungen", "all representations"),
}


@bp.record_once
def _routes(state: BlueprintSetupState) -> None:
    app: Flask = state.app  # type: ignore[assignment]  # a Flask app registers blueprints
    for kind in LISTINGS.values():
        def view(ext: str | None = None, kind: ListingKind = kind) -> ResponseReturnValue:
            return listing(kind, ext)
        app.add_url_rule(kind.path, f"listings.{kind.name}", view)
        app.add_url_rule(f"{kind.path}.<ext>", f"listings.{kind.name}_variant", view)


def _cache() -> dict[str, Any]:
    """Values derived from the served store version (facets, districts)."""
    version = backend_of(current_app).version()
    key = version.id if version else "empty"
    holder: dict[str, dict[str, Any]] = current_app.extensions.setdefault(
        "smartregion.listings", {})
    if key not in holder:
        holder.clear()
        holder[key] = {}
    return holder[key]


def _choose(kind: ListingKind, ext: str | None, query: str) -> Choice:
    try:
        return choose(request, LISTING_ALTERNATIVES, extension=ext)
    except ProfileNotAcceptable as exc:
        raise not_acceptable(kind.path, LISTING_ALTERNATIVES, exc.asked, query=query) from exc
    except NotAcceptable as exc:
        raise not_acceptable(kind.path, LISTING_ALTERNATIVES, exc.asked, query=query) from exc


def listing(kind: ListingKind, ext: str | None) -> ResponseReturnValue:
    """One page of a listing in the negotiated representation."""
    if ext is not None and ext not in {o.extension for o in LISTING_ALTERNATIVES.offers_of(SRH)}:
        raise Problem(404, "Not Found", f"there is no {kind.path}.{ext}; the listing comes as "
                      + ", ".join(f"{kind.path}.{o.extension}"
                                  for o in LISTING_ALTERNATIVES.offers_of(SRH)))
    settings, backend = settings_of(current_app), backend_of(current_app)
    lang, page, size = current_language(), page_number(request.args.get("page")), settings.page_size
    vocab = vocabulary(settings.ontology_dir)
    try:
        bindings, params = bind_filters(kind.filters, request.args, settings.base_uri)
    except BadFilter as exc:
        raise Problem(400, "Bad Request", str(exc)) from exc
    if kind is PROJECTS:
        bindings.update(field_bindings(vocab, bindings))  # the field follows the mapping
    query = page_query(params, page)
    choice = _choose(kind, ext, query)
    title = translate(kind.title_key, lang)
    if choice.listing:
        return alternates_response(kind.path, LISTING_ALTERNATIVES, choice, title,
                                   backend.version(), query=query)
    offer = choice.offer
    response = Response(mimetype=offer.media_type)
    response.headers.update(profile_headers(kind.path, LISTING_ALTERNATIVES, choice, query))
    response.vary.add("Accept-Language")  # names are in the page's language
    make_conditional(request, response, backend.version(), request.path,
                     request.query_string.decode("latin-1"), lang, choice.profile.token)
    root = request.host_url.rstrip("/") + request.script_root
    listing_url = root + kind.path + (f"?{urlencode(params)}" if params else "")
    text = query_text(kind, bindings, page, size, listing_url)
    rq = representation_url(kind.path, LISTING_ALTERNATIVES, SRH, SPARQL_QUERY, query)
    if response.status_code == 304:
        return response
    total = count(backend, count_query(kind.list_query), bindings)
    pages = max(1, -(-total // size))
    if page > pages:
        raise Problem(404, "Not Found", f"page {page} of {pages} does not exist")
    if offer == SPARQL_QUERY:
        response.set_data(text)
        return _paged(response, kind, choice, params, page, pages, total, rq)
    rows = page_rows(backend, kind.list_query, bindings, page, size) if total else []
    records = [kind.record(row, vocab, lang) for row in rows]
    paging = _paging(kind, choice, params, page, pages)
    info = PageInfo(kind, title, lang, listing_url, page, pages, size, total, params, {
        "self": root + representation_url(kind.path, LISTING_ALTERNATIVES, choice.profile,
                                          offer, query),
        **{rel: root + href for rel, href in paging.items()},
        "sparql": root + rq, "sparqlEditor": editor_url(root, text)})
    response.set_data(_body(info, choice, records, text, params))
    return _paged(response, kind, choice, params, page, pages, total, rq)


def _body(info: PageInfo, choice: Choice, records: list[Record], text: str,
          params: dict[str, str]) -> str | bytes:
    offer, kind = choice.offer, info.kind
    linker = Linker(settings_of(current_app).base_uri, request.script_root)
    documents = {r.iri: request.host_url.rstrip("/") + (linker.href(r.iri)[0] or r.iri)
                 for r in records}
    if choice.profile == SCHEMA_ORG:
        return _json(item_list(info, records, documents))
    if offer == CSV:
        return csv_body(kind, records)
    if offer == JSON:
        return json_body(info, records)
    if offer in (JSONLD, TURTLE):
        vocab = vocabulary(settings_of(current_app).ontology_dir)
        fmt = graph_format(offer.media_type)
        assert fmt is not None
        return serialize(collection_graph(info, records), fmt, context=vocab.context,
                         context_url=context_url())
    model = listing_model(kind, info, records, params, _cache())
    data = [{"href": request.script_root + representation_url(
                kind.path, LISTING_ALTERNATIVES, SRH, o, page_query(params, info.page)),
             "label": label, "type": o.media_type}
            for o, label in ((CSV, "CSV"), (JSON, "JSON"), (JSONLD, "JSON-LD"),
                             (TURTLE, "Turtle"), (SPARQL_QUERY, _text("query_text")))]
    return render_template(
        "listing.html", listing=model, path=kind.path, links=_paging(kind, choice, params,
                                                                    info.page, info.pages),
        jsonld=script_safe(item_list(info, records, documents)), data_links=data,
        alternates=[{"href": d["href"], "type": d["type"], "label": d["label"]} for d in data],
        editor=info.links["sparqlEditor"], s=_text,
        alt_href=request.script_root + kind.path + "?" + urlencode({"_profile": "alt"}))


def _text(key: str) -> str:
    de, en = TEXT[key]
    return en if current_language() == "en" else de


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _paging(kind: ListingKind, choice: Choice, params: dict[str, str], page: int, pages: int
            ) -> dict[str, str]:
    return paging_links(kind.path, LISTING_ALTERNATIVES, choice, params, page, pages)


def _paged(response: Response, kind: ListingKind, choice: Choice, params: dict[str, str],
           page: int, pages: int, total: int, rq: str) -> Response:
    links = [f'<{href}>; rel="{rel}"'
             for rel, href in _paging(kind, choice, params, page, pages).items()]
    links.append(f'<{rq}>; rel="describedby"; type="{SPARQL_QUERY.media_type}"')
    response.headers["Link"] = ", ".join((*links, response.headers["Link"]))
    response.headers["X-Total-Count"] = str(total)
    return response

