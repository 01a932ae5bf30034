"""The HTML site around the documents: home page, sitemap and robots.txt (the listings
are in :mod:`endpoint.listing_pages`, search in :mod:`endpoint.search_pages`).

Every page is German first with English alongside (``?lang=``, then ``Accept-Language``),
carries ``ETag``/``Last-Modified`` from the store version, and search results are paged with
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
from endpoint.i18n import current_language, translate
from endpoint.listings import (
    count,
    page_number,
)
from endpoint.pages import Linker, literal_text
from endpoint.queries import load_query, paged
from endpoint.schemaorg import script_safe
from smartregion.stats import collection_stats

bp = Blueprint("site", __name__)

SITEMAP_SIZE = 50_000  # the most URLs one sitemap file may list (sitemaps.org)


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
        cache["triples"] = count(backend, load_query("triple_count"), None)
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


# -- listings: endpoint/listing_pages.py; search: endpoint/search_pages.py ---------------


# -- sitemap and robots ----------------------------------------------------------------------
@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """All documents (one file up to 50 000 things, else an index of numbered files)."""
    backend = backend_of(current_app)
    prefix = {"prefix": Literal(settings_of(current_app).base_uri + "id/")}
    total = count(backend, load_query("sitemap_count"), prefix)
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

