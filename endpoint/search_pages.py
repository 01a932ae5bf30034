"""Blueprint: ``/search`` over the full-text index of the served version
(:mod:`smartregion.derived.search_index`), as a page and as data.

``/search?q=…`` ranks things by BM25 over their names, other names, descriptions and the
names of what they link to, German and English stems, umlaut spellings folded, small typos
forgiven. Facets narrow it: ``kind``, ``field`` (field of action), ``kreis``, ``programme``
(keys, as in the listings). Like the listings it negotiates (Accept, ``/search.json``,
``?format=``): HTML, JSON (hits with score and snippet, facet counts), CSV, JSON-LD/Turtle
(a Hydra collection), paged with ``Link`` rel=first/prev/next/last and ``X-Total-Count``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.i18n import current_language, translate
from endpoint.listing_data import PageInfo, collection_graph, csv_body
from endpoint.listing_kinds import Column, ListingKind, Record, Value
from endpoint.listings import Item, Listing, page_href, page_number, thing_link
from endpoint.negotiation import (
    CSV,
    HTML,
    JSON,
    JSONLD,
    TURTLE,
    Alternatives,
    Choice,
    NotAcceptable,
    choose,
    not_acceptable,
    profile_headers,
    representation_url,
)
from endpoint.negotiation.profiles import SRH
from endpoint.ontology import pick, vocabulary
from endpoint.pages import Linker
from endpoint.paging import page_query, paging_links
from endpoint.rdf_output import serialize
from endpoint.resources import context_url
from endpoint.schemaorg import script_safe
from smartregion.derived.dumps import VersionChanged
from smartregion.derived.search import BadSearch, Hit, Results, search
from smartregion.derived.search_index import FACETS, SearchIndexes
from smartregion.formats import graph_format
from smartregion.uris import KEY_PATTERN, KINDS

bp = Blueprint("search", __name__)

MAX_SEARCH_LENGTH = 200
SEARCH_ALTERNATIVES = Alternatives(((SRH, (HTML, CSV, JSON, JSONLD, TURTLE)),))
SEARCH = ListingKind("search", "nav_search", "", (),
                     (Column("kind"), Column("score"), Column("snippet")),
                     lambda row, vocab, lang: Record("", "", None), ())
"""Search results as a listing: the columns its CSV and JSON-LD share with the listings."""
_TAG = re.compile(r"</?mark>")
FACET_TEXT = {"kind": ("Art", "Kind"), "field": ("Handlungsfeld", "Field of action"),
              "kreis": ("Kreis", "District"), "programme": ("Förderprogramm", "Programme")}


def _indexes() -> SearchIndexes:
    found = current_app.extensions.get("smartregion.search")
    if not isinstance(found, SearchIndexes):
        found = SearchIndexes(settings_of(current_app), backend_of(current_app))
        current_app.extensions["smartregion.search"] = found
    return found


def _run(text: str, filters: Mapping[str, str], page: int, size: int) -> Results:
    """The page of results on the served version (again on the new one if a publish
    switched versions while its index was built)."""
    backend = backend_of(current_app)
    for _attempt in range(3):
        version = backend.version()
        if version is None:
            return Results(0, [])
        try:
            index, meta = _indexes().open(version)
        except VersionChanged:
            continue
        try:
            return search(index, meta, text, filters, (page - 1) * size, size)
        except BadSearch as exc:
            raise Problem(400, "Bad Request", f"q={text!r}: {exc}") from exc
    raise Problem(503, "Service Unavailable", "the data were republished during the search")


def _filters() -> dict[str, str]:
    filters = {}
    for facet in FACETS:
        value = (request.args.get(facet) or "").strip()
        if value:
            if not KEY_PATTERN.match(value) or len(value) > 100:
                raise Problem(400, "Bad Request", f"{facet}={value!r} is not a valid key")
            filters[facet] = value
    return filters


@bp.get("/search")
@bp.get("/search.<ext>")
def search_page(ext: str | None = None) -> ResponseReturnValue:
    """Search results in the negotiated representation."""
    offers = SEARCH_ALTERNATIVES.offers_of(SRH)
    if ext is not None and ext not in {o.extension for o in offers}:
        raise Problem(404, "Not Found", "search results come as " + ", ".join(
            f"/search.{o.extension}" for o in offers))
    lang, page = current_language(), page_number(request.args.get("page"))
    size = settings_of(current_app).page_size
    text = " ".join((request.args.get("q") or "").split())[:MAX_SEARCH_LENGTH]
    filters = _filters()
    params = {"q": text, **filters} if text else dict(filters)
    query = page_query(params, page)
    try:
        choice = choose(request, SEARCH_ALTERNATIVES, extension=ext)
    except NotAcceptable as exc:
        raise not_acceptable("/search", SEARCH_ALTERNATIVES, exc.asked, query=query) from exc
    if choice.listing:
        raise Problem(404, "Not Found", "/search has no list of representations")
    response = Response(mimetype=choice.offer.media_type)
    response.headers.update(profile_headers("/search", SEARCH_ALTERNATIVES, choice, query))
    response.vary.add("Accept-Language")
    make_conditional(request, response, backend_of(current_app).version(), request.path,
                     request.query_string.decode("latin-1"), lang, choice.profile.token)
    if response.status_code == 304:
        return response
    searchable = sum(len(w) for w in text.split()) >= 2
    if not searchable and choice.offer is not HTML:
        raise Problem(400, "Bad Request", "q: give a search text of at least two characters")
    try:
        results = _run(text, filters, page, size) if searchable else None
    except Problem as problem:
        if choice.offer is not HTML or problem.status != 400:
            raise
        response.status_code = 400  # the page, with what was wrong, to try again
        response.set_data(render_template("search.html", listing=None, query=text, facets=[],
                                          too_short=False, problem=problem.detail, links={}))
        return response
    pages = max(1, -(-results.total // size)) if results else 1
    if results is not None and page > pages and results.total:
        raise Problem(404, "Not Found", f"page {page} of {pages} does not exist")
    paging = paging_links("/search", SEARCH_ALTERNATIVES, choice, params, page, pages,
                          root=request.script_root)
    if results is not None:
        response.headers["X-Total-Count"] = str(results.total)
        links = [f'<{href}>; rel="{rel}"' for rel, href in paging.items()]
        response.headers["Link"] = ", ".join((*links, response.headers["Link"]))
    response.set_data(_body(choice, text, filters, params, results, page, pages, size, paging))
    return response


def _name(hit: Hit, lang: str) -> tuple[str, str]:
    found = pick(hit.names, lang)
    return found if found else (hit.iri.rsplit("/", 1)[-1], "")


def _records(results: Results, lang: str) -> list[Record]:
    records = []
    for hit in results.hits:
        name, name_lang = _name(hit, lang)
        record = Record(hit.iri, name, name_lang or None, {
            "kind": Value(hit.kind), "score": Value(f"{hit.score:.4f}"),
            "snippet": Value(_TAG.sub("", Markup(hit.snippet).unescape()))})
        record.triples.append((URIRef(hit.iri), SKOS.prefLabel,
                               Literal(name, lang=name_lang or None)))
        kind = {"project": "SmartRegionProject"}.get(hit.kind)
        if kind:
            record.triples.append((URIRef(hit.iri), RDF.type, URIRef(
                "https://data.smarte-region-hessen.de/def/srh#" + kind)))
        records.append(record)
    return records


def _facets(results: Results, lang: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for facet, values in results.facets.items():
        out[facet] = []
        for value in values:
            names = {k: [v] for k, v in value.names.items()}
            found = pick(names, lang)
            name = found[0] if found else (translate(f"kind_{value.key}", lang)
                                           if facet == "kind" and value.key in KINDS
                                           else value.key)
            out[facet].append({"key": value.key, "name": name, "count": value.count})
    return out


def _body(choice: Choice, text: str, filters: Mapping[str, str], params: Mapping[str, str],
          results: Results | None, page: int, pages: int, size: int,
          paging: Mapping[str, str]) -> str | bytes:
    lang, offer = current_language(), choice.offer
    root = request.host_url.rstrip("/") + request.script_root
    if offer is HTML:
        return _html(text, filters, params, results, page, size, paging, lang)
    assert results is not None
    records = _records(results, lang)
    links = {"self": root + representation_url("/search", SEARCH_ALTERNATIVES, choice.profile,
                                               offer, page_query(params, page)),
             **{rel: request.host_url.rstrip("/") + href for rel, href in paging.items()}}
    collection = root + "/search?" + urlencode(params)
    if offer is CSV:
        return csv_body(SEARCH, records)
    if offer is JSON:
        facets = _facets(results, lang)
        items = [{"id": hit.iri, "name": record.name, "kind": hit.kind,
                  "score": round(hit.score, 4), "snippet": hit.snippet,
                  **{f: hit.facets.get(f, []) for f in FACETS if f != "kind"}}
                 for hit, record in zip(results.hits, records, strict=True)]
        document = {"query": text, "filters": dict(filters), "language": lang,
                    "total": results.total, "page": page, "pages": pages, "pageSize": size,
                    "items": items, "facets": facets, "links": links}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    info = PageInfo(SEARCH, translate("nav_search", lang), lang, collection, page, pages,
                    size, results.total, params, links)
    vocab = vocabulary(settings_of(current_app).ontology_dir)
    fmt = graph_format(offer.media_type)
    assert fmt is not None
    return serialize(collection_graph(info, records), fmt, context=vocab.context,
                     context_url=context_url())


def _html(text: str, filters: Mapping[str, str], params: Mapping[str, str],
          results: Results | None, page: int, size: int, paging: Mapping[str, str],
          lang: str) -> str:
    if results is None:
        return render_template("search.html", listing=None, query=text, facets=[],
                               too_short=bool(text), links={})
    linker = Linker(settings_of(current_app).base_uri, request.script_root)
    items = []
    for hit, record in zip(results.hits, _records(results, lang), strict=True):
        items.append(Item(thing_link(linker, hit.iri, (record.name, record.name_lang or "")),
                          [[translate(f"kind_{hit.kind}", lang)] if hit.kind in KINDS else []],
                          (Markup(hit.snippet), "") if hit.snippet else None))
    listing = Listing("search", translate("nav_search", lang), [], items, results.total, page,
                      params=dict(params), size=size)
    facets = []
    for facet, values in _facets(results, lang).items():
        if not values:
            continue
        label = FACET_TEXT[facet][1 if lang == "en" else 0]
        chosen = filters.get(facet)
        options = []
        for value in values:
            wanted = {**params, facet: value["key"]}
            options.append({**value, "selected": value["key"] == chosen,
                            "href": page_href("/search", wanted, 1, request.script_root)})
        reset = ({k: v for k, v in params.items() if k != facet} if chosen else None)
        facets.append({"name": facet, "label": label, "options": options,
                       "reset": page_href("/search", reset, 1, request.script_root)
                       if reset is not None else None})
    data = [{"href": request.script_root + representation_url(
        "/search", SEARCH_ALTERNATIVES, SRH, o, page_query(params, page)), "label": name,
        "type": o.media_type} for o, name in ((JSON, "JSON"), (CSV, "CSV"),
                                               (JSONLD, "JSON-LD"), (TURTLE, "Turtle"))]
    return render_template("search.html", listing=listing, query=text, too_short=False,
                           links=dict(paging), facets=facets, data_links=data,
                           jsonld=_item_list(listing))


def _item_list(listing: Listing) -> object:
    """schema.org description of the page: a ``SearchResultsPage`` with an ItemList."""
    root = request.host_url.rstrip("/")
    elements = [{"@type": "ListItem", "position": listing.offset + n, "name": item.link.text,
                 "url": root + (item.link.href or "").split("?", 1)[0]}
                for n, item in enumerate(listing.items, start=1)]
    return script_safe({
        "@context": "https://schema.org", "@type": "SearchResultsPage", "name": listing.title,
        "mainEntity": {"@type": "ItemList", "numberOfItems": listing.total,
                       "itemListElement": elements}})
