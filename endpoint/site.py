"""The HTML site around the documents: home page, listings, search, sitemap and robots.txt.

Every page is German first with English alongside (``?lang=``, then ``Accept-Language``),
carries ``ETag``/``Last-Modified`` from the store version, and listings are paged with
``Link`` rel=next/prev headers as well as in-page navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from rdflib import Literal, URIRef

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.field_mapping import field_bindings
from endpoint.i18n import current_language, translate
from endpoint.listings import (
    MUNICIPALITY_FILTERS,
    PROJECT_FILTERS,
    BadFilter,
    Item,
    Listing,
    bind_filters,
    count,
    facet_options,
    filter_widgets,
    page_href,
    page_number,
    page_rows,
    row_label,
    thing_link,
)
from endpoint.ontology import vocabulary
from endpoint.pages import Link, Linker, literal_text
from endpoint.queries import load_query, paged
from endpoint.schemaorg import script_safe
from smartregion.stats import collection_stats
from smartregion.uris import KINDS

bp = Blueprint("site", __name__)

SITEMAP_SIZE = 50_000  # the most URLs one sitemap file may list (sitemaps.org)
MAX_SEARCH_WORDS = 4  # search.rq binds ?w1 … ?w4
MAX_SEARCH_LENGTH = 200


def _cache() -> dict[str, Any]:
    """A scratch dict for values derived from the served store version (counts, facets)."""
    version = backend_of(current_app).version()
    key = version.id if version else "empty"
    holder: dict[str, dict[str, Any]] = current_app.extensions.setdefault("smartregion.site", {})
    if key not in holder:
        holder.clear()  # only the served version's values are worth keeping
        holder[key] = {}
    return holder[key]


def _html(produce: Callable[[], str], *, links: dict[str, str] | None = None) -> Response:
    """An HTML page, conditional on the store version, language and query."""
    response = Response(mimetype="text/html")
    response.vary.add("Accept-Language")
    if links:
        response.headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"'
                                             for rel, href in links.items())
    make_conditional(request, response, backend_of(current_app).version(), request.path,
                     request.query_string.decode("latin-1"), current_language())
    if response.status_code != 304:
        response.set_data(produce())
    return response


def _linker() -> Linker:
    return Linker(settings_of(current_app).base_uri, request.script_root)


def _page_size() -> int:
    return settings_of(current_app).page_size


def _page_number() -> int:
    return page_number(request.args.get("page"))


# -- home ------------------------------------------------------------------------------------
@bp.get("/")
def home() -> ResponseReturnValue:
    """What the platform is, what it holds, and where to start."""
    backend = backend_of(current_app)
    cache = _cache()
    if "stats" not in cache:
        cache["stats"] = collection_stats(backend)  # the same figures as `smartregion stats`
        cache["triples"] = count(backend, "triple_count", None)
    version = backend.version()
    lang = current_language()

    def produce() -> str:
        stats = cache["stats"]
        counts = [*stats.kinds.items(), ("triples", cache["triples"])]
        site = {"@context": "https://schema.org", "@type": "WebSite", "name":
                translate("site_name", lang), "url": request.url_root,
                "potentialAction": {"@type": "SearchAction",
                                    "target": request.url_root + "search?q={query}",
                                    "query-input": "required name=query"}}
        return render_template(
            "home.html", counts=counts, stats=stats, jsonld=script_safe(site),
            version=literal_text(Literal(version.created.isoformat(), datatype=_DT), lang)[0]
            if version else None,
        )

    return _html(produce)


_DT = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")


# -- listings --------------------------------------------------------------------------------
def _render_listing(listing: Listing, path: str) -> Response:
    root = request.script_root
    links = {}
    if listing.page > 1:
        links["prev"] = page_href(path, listing.params, listing.page - 1, root)
        links["first"] = page_href(path, listing.params, 1, root)
    if listing.page < listing.pages:
        links["next"] = page_href(path, listing.params, listing.page + 1, root)
        links["last"] = page_href(path, listing.params, listing.pages, root)
    if listing.page > listing.pages:
        raise Problem(404, "Not Found", f"page {listing.page} of {listing.pages} does not exist")
    return _html(lambda: render_template("listing.html", listing=listing, path=path,
                                         links=links, jsonld=_item_list(listing, "CollectionPage")),
                 links=links)


def _item_list(listing: Listing, page_type: str) -> object:
    """schema.org description of a listing page: an ItemList of this page's things."""
    root = request.host_url.rstrip("/")
    elements = [
        {"@type": "ListItem", "position": listing.offset + n, "name": item.link.text,
         "url": root + (item.link.href or "").split("?", 1)[0]}
        for n, item in enumerate(listing.items, start=1)
    ]
    return script_safe({
        "@context": "https://schema.org", "@type": page_type, "name": listing.title,
        "mainEntity": {"@type": "ItemList", "numberOfItems": listing.total,
                       "itemListElement": elements},
    })


def _filters(specs: Any) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        return bind_filters(specs, request.args, settings_of(current_app).base_uri)
    except BadFilter as exc:
        raise Problem(400, "Bad Request", str(exc)) from exc


@bp.get("/projects")
def projects() -> ResponseReturnValue:
    """Smart-region projects, filterable by field of action, Kreis, programme, status, year."""
    backend, lang, page = backend_of(current_app), current_language(), _page_number()
    vocab = vocabulary(settings_of(current_app).ontology_dir)
    bindings, params = _filters(PROJECT_FILTERS)
    bindings.update(field_bindings(vocab, bindings))  # the field follows the scheme's mapping
    total = count(backend, "projects_count", bindings)
    rows = page_rows(backend, "projects_list", bindings, page, _page_size()) if total else []
    linker = _linker()
    items = []
    for row in rows:
        state = row.get("state")
        status: list[Link | str] = []
        if state is not None:
            found = vocab.label(str(state), lang)
            href, _ = linker.href(str(state))
            status = [Link(str(state), href, found[0] if found else str(state), found[1]
                           if found else None)]
        start, end = row.get("start"), row.get("end")
        # word joiners keep a period such as "2021–2023" on one line
        years = f"{start or ''}\u2060–\u2060{end or ''}" if start or end else ""
        items.append(Item(thing_link(linker, str(row["item"]), row_label(row, lang)),
                          [status, [years] if years else []]))
    facets = facet_options(backend, vocab, lang, _cache())
    listing = Listing("projects", translate("nav_projects", lang),
                      [translate("name", lang), translate("status", lang),
                       translate("year", lang)], items, total, page,
                      filter_widgets(PROJECT_FILTERS, facets, params, vocab, lang), params,
                      _page_size())
    return _render_listing(listing, "/projects")


@bp.get("/municipalities")
def municipalities() -> ResponseReturnValue:
    """Municipalities, optionally those of one Kreis, with their project counts."""
    backend, lang, page = backend_of(current_app), current_language(), _page_number()
    vocab = vocabulary(settings_of(current_app).ontology_dir)
    bindings, params = _filters(MUNICIPALITY_FILTERS)
    total = count(backend, "municipalities_count", bindings)
    rows = page_rows(backend, "municipalities_list", bindings, page, _page_size()) if total else []
    linker = _linker()
    items = []
    for row in rows:
        kreis = row.get("kreis")
        cells: list[list[Link | str]] = [[], [str(row.get("projects", 0))]]
        if kreis is not None:
            name = row.get("kreisName")
            cells[0] = [thing_link(linker, str(kreis), (str(name), "de") if name else None)]
        items.append(Item(thing_link(linker, str(row["item"]), row_label(row, lang)), cells))
    cache = _cache()
    if "districts" not in cache:
        cache["districts"] = [
            (str(r["value"]), {c: [str(r[c])] for c in ("de", "en") if c in r})
            for r in backend.select(load_query("districts"))
        ]
    widgets = filter_widgets(MUNICIPALITY_FILTERS, {"district": cache["districts"]}, params,
                             vocab, lang)
    listing = Listing("municipalities", translate("nav_municipalities", lang),
                      [translate("name", lang), translate("district", lang),
                       translate("count_projects", lang)], items, total, page, widgets, params,
                      _page_size())
    return _render_listing(listing, "/municipalities")


@bp.get("/organisations")
def organisations() -> ResponseReturnValue:
    """Organisations and initiatives with their type and seat."""
    backend, lang, page = backend_of(current_app), current_language(), _page_number()
    vocab = vocabulary(settings_of(current_app).ontology_dir)
    total = count(backend, "organisations_count", None)
    rows = page_rows(backend, "organisations_list", None, page, _page_size()) if total else []
    linker = _linker()
    items = []
    for row in rows:
        cells: list[list[Link | str]] = [[], []]
        if row.get("type") is not None:
            found = vocab.label(str(row["type"]), lang)
            href, _ = linker.href(str(row["type"]))
            cells[0] = [Link(str(row["type"]), href, found[0] if found else str(row["type"]))]
        if row.get("location") is not None:
            name = row.get("locationName")
            cells[1] = [thing_link(linker, str(row["location"]),
                                   (str(name), "de") if name else None)]
        items.append(Item(thing_link(linker, str(row["item"]), row_label(row, lang)), cells))
    listing = Listing("organisations", translate("nav_organisations", lang),
                      [translate("name", lang), translate("types", lang),
                       translate("location", lang)], items, total, page, size=_page_size())
    return _render_listing(listing, "/organisations")


@bp.get("/events")
def events() -> ResponseReturnValue:
    """Events of the Geschäftsstelle and its partners, newest first."""
    backend, lang, page = backend_of(current_app), current_language(), _page_number()
    total = count(backend, "events_count", None)
    rows = page_rows(backend, "events_list", None, page, _page_size()) if total else []
    linker = _linker()
    items = []
    for row in rows:
        place = row_label(row, lang, prefix="where")
        cells: list[list[Link | str]] = [[str(row["when"])] if row.get("when") else [],
                                         [place[0]] if place else []]
        items.append(Item(thing_link(linker, str(row["item"]), row_label(row, lang)), cells))
    listing = Listing("events", translate("nav_events", lang),
                      [translate("name", lang), translate("date", lang),
                       translate("place", lang)], items, total, page, size=_page_size())
    return _render_listing(listing, "/events")


# -- search ----------------------------------------------------------------------------------
@bp.get("/search")
def search() -> ResponseReturnValue:
    """Things whose names or descriptions (German and English) contain every word."""
    lang, page = current_language(), _page_number()
    text = " ".join((request.args.get("q") or "").split())[:MAX_SEARCH_LENGTH]
    words = [w.lower() for w in text.split()][:MAX_SEARCH_WORDS]
    listing = None
    if sum(len(w) for w in words) >= 2:
        backend = backend_of(current_app)
        base = settings_of(current_app).base_uri
        bindings = {f"w{i + 1}": Literal(words[i] if i < len(words) else "")
                    for i in range(MAX_SEARCH_WORDS)}
        bindings["prefix"] = Literal(base + "id/")
        total = count(backend, "search_count", bindings)
        rows = page_rows(backend, "search", bindings, page, _page_size()) if total else []
        linker = _linker()
        items = []
        for row in rows:
            item = str(row["item"])
            kind = item[len(base) + 3:].split("/", 1)[0]
            snippet = row_label(row, lang, prefix="desc")
            if snippet and len(snippet[0]) > 240:
                snippet = (snippet[0][:240].rsplit(" ", 1)[0] + " …", snippet[1])
            items.append(Item(thing_link(linker, item, row_label(row, lang)),
                              [[translate(f"kind_{kind}", lang)] if kind in KINDS else []],
                              snippet))
        listing = Listing("search", translate("nav_search", lang), [], items, total, page,
                          params={"q": text}, size=_page_size())
    if listing is None:
        return _html(lambda: render_template("search.html", listing=None, query=text,
                                             too_short=bool(text)))
    links = {}
    if listing.page > 1:
        links["prev"] = page_href("/search", listing.params, listing.page - 1,
                                  request.script_root)
    if listing.page < listing.pages:
        links["next"] = page_href("/search", listing.params, listing.page + 1,
                                  request.script_root)
    return _html(lambda: render_template("search.html", listing=listing, query=text,
                                         too_short=False, links=links,
                                         jsonld=_item_list(listing, "SearchResultsPage")),
                 links=links)


# -- sitemap and robots ----------------------------------------------------------------------
@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """All documents (one file up to 50 000 things, else an index of numbered files)."""
    backend = backend_of(current_app)
    prefix = {"prefix": Literal(settings_of(current_app).base_uri + "id/")}
    total = count(backend, "sitemap_count", prefix)
    root = request.url_root.rstrip("/")
    version = backend.version()
    lastmod = version.created.date().isoformat() if version else None
    if total > SITEMAP_SIZE:
        files = -(-total // SITEMAP_SIZE)
        entries = "".join(f"<sitemap><loc>{escape(root)}/sitemap-{n}.xml</loc></sitemap>"
                          for n in range(1, files + 1))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n')
        return _xml(body)
    return _sitemap_file(1, lastmod, with_pages=True)


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> ResponseReturnValue:
    """One numbered file of a sitemap index."""
    version = backend_of(current_app).version()
    return _sitemap_file(number, version.created.date().isoformat() if version else None,
                         with_pages=number == 1)


def _sitemap_file(number: int, lastmod: str | None, *, with_pages: bool) -> Response:
    backend = backend_of(current_app)
    base = settings_of(current_app).base_uri
    bindings = {"prefix": Literal(base + "id/")}
    rows = backend.select(paged(load_query("sitemap"), SITEMAP_SIZE,
                                (number - 1) * SITEMAP_SIZE), bindings)
    if number > 1 and not rows:
        raise Problem(404, "Not Found", f"there is no sitemap file {number}")
    root = request.url_root.rstrip("/")
    linker = _linker()
    urls = [root + path for path in ("/", "/projects", "/municipalities", "/organisations",
                                     "/events", "/def/srh")] if with_pages else []
    for row in rows:
        path = linker.local_path(str(row["item"]))
        if path:
            urls.append(root + request.script_root + path)
    stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    entries = "".join(f"<url><loc>{escape(url)}</loc>{stamp}</url>" for url in urls)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
            f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n')
    return _xml(body)


def _xml(body: str) -> Response:
    response = Response(body, mimetype="application/xml")
    make_conditional(request, response, backend_of(current_app).version(),
                     request.path, request.url_root)
    return response


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    """Crawlers are welcome on the documents; query endpoints are left to people and clients."""
    root = request.url_root.rstrip("/")
    body = (
        "User-agent: *\n"
        "Disallow: /sparql\n"
        "Disallow: /search\n"
        "Disallow: /dump/\n"
        "Allow: /\n"
        f"Sitemap: {root}/sitemap.xml\n"
    )
    response = Response(body, mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response

