"""``/sparql``: the SPARQL 1.1 Protocol endpoint, its service description and query UI.

Request parsing and format choice are in :mod:`endpoint.sparql_protocol`, the service
description in :mod:`endpoint.service_description`. Queries run through the backend
(:meth:`~smartregion.store.backend.StoreBackend.query`; the embedded store uses its executor
pool). Every answer carries ``ETag``/``Last-Modified`` from the store version and the request,
so a repeated request is answered ``304`` without running anything, and results up to 2 MiB
are kept per version in a :class:`~endpoint.result_cache.ResultCache`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from endpoint import backend_of, settings_of
from endpoint.caching import entity_tag
from endpoint.errors import Problem
from endpoint.http import MIN_BYTES, add_vary, choose_encoding, compressible, encode
from endpoint.i18n import current_language
from endpoint.negotiation import GRAPH_OFFERS, RESULTS_OFFERS, NotAcceptable, negotiate
from endpoint.observability import RESULT_CACHE, note_version
from endpoint.result_cache import CachedResult, ResultCache
from endpoint.service_description import serialize_description
from endpoint.sparql_errors import query_problem
from endpoint.sparql_protocol import SparqlRequest, choose_formats, parse_request, prefers_html
from smartregion.formats import graph_format
from smartregion.namespaces import PREFIXES
from smartregion.store.backend import QueryResult
from smartregion.store.publication import StoreVersion
from smartregion.store.sparql_lexer import query_form

bp = Blueprint("sparql", __name__)

EXAMPLES_DIR = Path(__file__).parent / "queries" / "examples"
VENDOR_DIR = Path(__file__).parent / "static" / "vendor" / "yasgui"
_CACHE_KEY = "smartregion.result_cache"
PUBLIC_BASE = "https://data.smarte-region-hessen.de/"  # the base the example files are written for

TEXT: dict[str, dict[str, str]] = {
    "title": {"de": "SPARQL-Abfrage", "en": "SPARQL query"},
    "intro": {
        "de": "Fragen Sie alle Daten der Plattform mit SPARQL 1.1 ab. Der Endpunkt folgt dem "
              "SPARQL-1.1-Protokoll und ist von jedem Client aus nutzbar (curl, SPARQLWrapper, "
              "rdflib, Comunica, andere Triplestores per SERVICE).",
        "en": "Query all of the platform's data with SPARQL 1.1. The endpoint follows the "
              "SPARQL 1.1 Protocol and works with any client (curl, SPARQLWrapper, rdflib, "
              "Comunica, other triple stores via SERVICE).",
    },
    "examples": {"de": "Beispielabfragen", "en": "Example queries"},
    "limits": {
        "de": "Grenzen: höchstens {timeout} s je Abfrage, höchstens {rows} Zeilen je Ergebnis "
              "(größere Ergebnisse werden abgelehnt, nie gekürzt). Der Standardgraph ist die "
              "Vereinigung aller benannten Graphen.",
        "en": "Limits: at most {timeout} s per query, at most {rows} rows per result (larger "
              "results are refused, never cut short). The default graph is the union of all "
              "named graphs.",
    },
    "describe": {"de": "Dienstbeschreibung", "en": "Service description"},
    "query_label": {"de": "Abfrage", "en": "Query"},
    "format_label": {"de": "Ergebnisformat", "en": "Result format"},
    "run": {"de": "Abfrage ausführen", "en": "Run query"},
    "no_script": {
        "de": "Der komfortable Editor (YASGUI) braucht JavaScript; dieses Formular geht immer.",
        "en": "The comfortable editor (YASGUI) needs JavaScript; this form always works.",
    },
}


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    app: Flask = state.app  # type: ignore[assignment]  # a Flask app registers blueprints
    settings = settings_of(app)
    # werkzeug caps form fields at 500 kB by default; a form POST may be as big as a body.
    app.config.setdefault("MAX_FORM_MEMORY_SIZE", settings.max_request_bytes)
    if settings.result_cache_mb > 0:
        app.extensions[_CACHE_KEY] = ResultCache(settings.result_cache_mb * 1024 * 1024)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> ResponseReturnValue:
    """Answer a SPARQL query, or describe the service (UI for browsers) when there is none.

    GET and POST (form or direct body) differ only in where the query is read from
    (:func:`~endpoint.sparql_protocol.parse_request`); both are answered by
    :func:`answer`."""
    parsed = parse_request(request, settings_of(current_app))
    if parsed is None:
        return _no_query()
    return answer(parsed)


def answer(parsed: SparqlRequest) -> Response:
    """The one SPARQL response path: negotiation, ``304``, the per-version result cache,
    the backend's query (in-process when provably cheap, else an executor or the remote
    store), headers and compression."""
    form = query_form(parsed.query)
    offers = GRAPH_OFFERS if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_OFFERS
    if request.method == "GET" and not parsed.formats and prefers_html(request, offers):
        return _ui_page(parsed.query)
    results_fmt, graph_fmt = choose_formats(request, form, parsed.formats)
    media_type = graph_fmt.media_type if offers is GRAPH_OFFERS else results_fmt.media_type
    backend = backend_of(current_app)
    version = backend.cached_version()
    note_version(version.id if version else None)
    _check_graphs(parsed, version)
    parts = (parsed.query, "\x1f".join(parsed.default_graphs), "\x1f".join(parsed.named_graphs))
    unchanged = _not_modified(version, media_type, parts)
    if unchanged is not None:
        return unchanged
    cache = result_cache(current_app)
    key = (version.id if version else "", media_type, *parts)
    cached = cache.get(key) if cache is not None else None
    if cache is not None:
        RESULT_CACHE.labels("hit" if cached is not None else "miss").inc()
    if cached is None:
        try:
            result = backend.query(
                parsed.query, results_format=results_fmt, graph_format=graph_fmt,
                default_graph_uris=parsed.default_graphs, named_graph_uris=parsed.named_graphs,
                timeout=parsed.timeout, client=request.remote_addr or "-",
            )
        except Exception as exc:  # mapped to the right status, or re-raised as it is
            problem = query_problem(exc, parsed.query)
            if problem is exc:
                raise
            raise problem from exc
        cached = _cacheable(result, cache, key)
        if cached is None:
            return _finish(_streamed(result), version, parts)
    return _finish(_from_cache(cached, cache, key), version, parts)


# -- responses --------------------------------------------------------------------------------
def _finish(response: Response, version: StoreVersion | None, parts: tuple[str, ...]) -> Response:
    response.set_etag(entity_tag(version, response.mimetype or "", *parts),
                      weak="Content-Encoding" in response.headers)
    if version is not None:
        response.headers["Last-Modified"] = version.last_modified
    response.headers["Cache-Control"] = "public, no-cache"
    add_vary(response, "Accept")
    if "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers:
        return response
    conditional: Response = response.make_conditional(request)  # type: ignore[assignment]
    return conditional


def _not_modified(
    version: StoreVersion | None, media_type: str, parts: tuple[str, ...]
) -> Response | None:
    """``304`` before running anything when the client has the current representation."""
    if "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers:
        return None
    probe = Response(status=200, mimetype=media_type)
    probe = _finish(probe, version, parts)
    if probe.status_code != 304:
        return None
    _, weak = probe.get_etag()
    if choose_encoding(request) and compressible(media_type) and not weak:
        etag, _ = probe.get_etag()
        probe.set_etag(etag or "", weak=True)
        add_vary(probe, "Accept-Encoding")
    return probe


def _cacheable(
    result: QueryResult, cache: ResultCache | None, key: tuple[str, ...]
) -> CachedResult | None:
    if not result.in_memory:
        return None
    data = b"".join(result.body)
    entry = CachedResult(result.media_type, data)
    if cache is not None:
        cache.put(key, entry)
    return entry


def _from_cache(entry: CachedResult, cache: ResultCache | None, key: tuple[str, ...]) -> Response:
    response = Response(entry.body, mimetype=entry.media_type)
    if compressible(entry.media_type):
        add_vary(response, "Accept-Encoding")
        encoding = choose_encoding(request) if len(entry.body) >= MIN_BYTES else None
        if encoding is not None and request.method != "HEAD":
            before = entry.size
            response.set_data(entry.variant(encoding, encode))
            response.headers["Content-Encoding"] = encoding
            if cache is not None and entry.size != before:
                cache.grow(key, before, entry)
    return response


def _streamed(result: QueryResult) -> Response:
    """A large result streamed from where the backend keeps it (never joined in memory)."""
    response = Response(iter(result.body), mimetype=result.media_type, direct_passthrough=True)
    if result.length is not None:
        response.content_length = result.length
    response.call_on_close(result.close)
    return response


def result_cache(app: Flask) -> ResultCache | None:
    """The app's per-version result cache (``None`` when switched off)."""
    cache: ResultCache | None = app.extensions.get(_CACHE_KEY)
    return cache


def _check_graphs(parsed: SparqlRequest, version: StoreVersion | None) -> None:
    wanted = (*parsed.default_graphs, *parsed.named_graphs)
    if not wanted:
        return
    known = _graph_uris(version)
    unknown = [g for g in wanted if g not in known]
    if unknown:
        raise Problem(400, "Unknown graph",
                      f"No published graph is named {unknown[0]}. Published graphs: "
                      f"{', '.join(sorted(known)) or 'none'}.", graphs=sorted(known))


def _graph_uris(version: StoreVersion | None) -> frozenset[str]:
    """The published graphs of ``version`` (asked once per version and worker)."""
    memo: dict[str, frozenset[str]] = current_app.extensions.setdefault("smartregion.sd", {})
    key = f"graphs:{version.id if version else ''}"
    if key not in memo:
        memo.clear()  # only the served version is of interest
        memo[key] = frozenset(backend_of(current_app).graph_uris())
    return memo[key]


# -- no query: service description or UI -----------------------------------------------------
def _no_query() -> ResponseReturnValue:
    explicit = request.args.get("format")
    if not explicit and prefers_html(request, GRAPH_OFFERS):
        return _ui_page(None)
    try:
        chosen = negotiate(request, GRAPH_OFFERS, explicit=explicit)
    except NotAcceptable as exc:
        types = [o.media_type for o in GRAPH_OFFERS]
        raise Problem(406, "Not Acceptable",
                      f"The service description cannot be sent as {exc.asked!r}. Supported: "
                      f"{', '.join(types)}, and text/html.", variants=types) from exc
    fmt = graph_format(chosen.media_type)
    assert fmt is not None
    settings = settings_of(current_app)
    version = backend_of(current_app).cached_version()
    body = serialize_description(settings, sorted(_graph_uris(version)), fmt)
    response = Response(body, mimetype=fmt.media_type)
    return _finish(response, version, ("service-description",))


def _examples() -> list[dict[str, str]]:
    """The example queries, with things and graphs under the configured base URI (the
    files use the public one; vocabulary IRIs under /def/ are the same everywhere)."""
    examples: list[dict[str, str]] | None = current_app.extensions.get("smartregion.examples")
    if examples is None:
        base = settings_of(current_app).base_uri
        examples = [_example(path) for path in sorted(EXAMPLES_DIR.glob("*.rq"))]
        for example in examples:
            for kind in ("id/", "graph/"):
                example["query"] = example["query"].replace(PUBLIC_BASE + kind, base + kind)
        current_app.extensions["smartregion.examples"] = examples
    return examples


def _example(path: Path) -> dict[str, str]:
    """An example query file: leading ``# de: …`` and ``# en: …`` lines name it."""
    titles: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and (m := re.match(r"#\s*(de|en):\s*(.+)", lines[0])):
        titles[m.group(1)] = m.group(2).strip()
        lines.pop(0)
    return {"name": path.stem, "de": titles.get("de", path.stem),
            "en": titles.get("en", titles.get("de", path.stem)),
            "query": "\n".join(lines).strip() + "\n"}


def _ui_page(query: str | None) -> Response:
    settings = settings_of(current_app)
    lang = current_language()
    strings = {key: value[lang] for key, value in TEXT.items()}
    strings["limits"] = strings["limits"].format(
        timeout=f"{settings.query_timeout:g}", rows=f"{settings.result_limit:,}".replace(
            ",", "." if lang == "de" else ","))
    examples = [{"name": e["name"], "title": e[lang], "query": e["query"]} for e in _examples()]
    context: dict[str, Any] = {
        "s": strings, "examples": examples, "query": query or "",
        "initial": query or (examples[0]["query"] if examples else ""),
        "endpoint": url_for("sparql.sparql"),
        "yasgui": (VENDOR_DIR / "yasgui.min.js").is_file(),
        "result_offers": RESULTS_OFFERS, "lang": lang,
        "config": {"endpoint": url_for("sparql.sparql"), "query": query or "",
                   "examples": {e["name"]: e["query"] for e in examples},
                   "prefixes": PREFIXES, "tabName": strings["query_label"]},
    }
    response = Response(render_template("sparql.html", **context), mimetype="text/html")
    add_vary(response, "Accept")
    add_vary(response, "Accept-Language")
    return response
