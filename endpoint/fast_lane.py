"""The SPARQL fast lane: ``GET /sparql`` answered on the server's event loop, without Flask.

A lookup costs pyoxigraph well under 100 µs; Flask and a thread hand-off would cost more
than that. So the asyncio server (:mod:`smartregion.server`) first offers every request to
:class:`FastLane`, which answers two cases at once:

* the result is in the per-version result cache (a version never changes, so it is correct);
* the query is provably cheap (:func:`smartregion.store.client_query.run_cheap_query`):
  it runs in-process with hard bounds on work, rows and bytes.

Everything else — POST, dataset parameters, conditional requests, errors, the query UI,
queries that need an executor — returns ``None`` and goes to the Flask view
(:mod:`endpoint.sparql`), which makes the same decisions with the same helpers (request
parsing, format choice, cache keys, validators); a test checks that both answer a request
byte for byte alike, headers included. On the remote store only cached results are answered
here, and only while the store's version is known without asking it (nothing on the event
loop may wait for the network).
"""

from __future__ import annotations

import binascii
import os
import re
from typing import Any

import pyoxigraph as ox
from flask import Flask
from flask import Request as FlaskRequest
from werkzeug.datastructures import MultiDict
from werkzeug.utils import get_content_type

from endpoint import backend_of, settings_of
from endpoint.caching import entity_tag
from endpoint.errors import Problem
from endpoint.http import CORS_HEADERS, MIN_BYTES, choose_encoding, compressible, encode
from endpoint.negotiation import GRAPH_OFFERS, RESULTS_OFFERS
from endpoint.result_cache import CachedResult, ResultCache
from endpoint.sparql import result_cache, served_version
from endpoint.sparql_protocol import choose_formats, prefers_html, read_parameters
from smartregion.server.protocol import Request, Response
from smartregion.store.client_query import run_cheap_query
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.limits import query_form
from smartregion.store.publication import StoreVersion
from smartregion.store.remote import RemoteBackend

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONDITIONAL = frozenset({"if-none-match", "if-modified-since", "if-match",
                          "if-unmodified-since", "if-range"})


class FastLane:
    """Answers cheap ``GET``/``HEAD /sparql`` requests for ``app``; ``None`` passes one on."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.settings = settings_of(app)
        self.backend = backend_of(app)
        embedded = self.backend if isinstance(self.backend, EmbeddedBackend) else None
        self.embedded = embedded
        self.pointer = embedded.versions.pointer if embedded is not None else None
        self._served_memo: tuple[str, tuple[StoreVersion | None, ox.Store]] | None = None

    def __call__(self, request: Request) -> Response | None:
        if (request.path != "/sparql" or not request.query
                or request.method not in ("GET", "HEAD")
                or any(name in _CONDITIONAL for name, _ in request.headers)):
            return None
        parameters = query_parameters(request.query)
        if parameters is None:
            return None
        wsgi = FlaskRequest(_environ(request))
        try:
            parsed = read_parameters(request.method, parameters)
            if parsed is None or parsed.default_graphs or parsed.named_graphs:
                return None
            form = query_form(parsed.query)
            offers = GRAPH_OFFERS if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_OFFERS
            if not parsed.formats and prefers_html(wsgi, offers):
                return None
            results_fmt, graph_fmt = choose_formats(wsgi, form, parsed.formats)
        except Problem:
            return None  # the view answers with the problem document
        media_type = graph_fmt.media_type if offers is GRAPH_OFFERS else results_fmt.media_type
        served = self._served()
        if served is None:
            return None
        version, store = served
        parts = (parsed.query, "", "")
        key = (version.id if version else "", media_type, *parts)
        cache = result_cache(self.app)
        entry = cache.get(key) if cache is not None else None
        if entry is None:
            if self.embedded is None or store is None:
                return None  # a remote store is asked by the view
            result = run_cheap_query(self.embedded, parsed.query, results_format=results_fmt,
                                     graph_format=graph_fmt, store=store)
            if result is None:
                return None  # the query needs an executor
            entry = CachedResult(result.media_type, b"".join(result.body))
            if cache is not None:
                cache.put(key, entry)
        return _response(wsgi, entry, cache, key, version, parts)

    def _served(self) -> tuple[StoreVersion | None, ox.Store | None] | None:
        """The served version and (embedded store) a read-only store of it, remembered per
        ``current`` link target: one ``readlink`` a request. ``None`` while a publish moves
        the link, or while a remote store's version is not known without asking it."""
        if isinstance(self.backend, RemoteBackend):
            known, version = self.backend.remembered_version()
            return (version, None) if known else None
        if self.embedded is None or self.pointer is None:
            return None
        try:
            target = os.readlink(self.pointer)
        except FileNotFoundError:
            return None
        if self._served_memo is not None and self._served_memo[0] == target:
            return self._served_memo[1]
        version = served_version(self.app, self.embedded)
        store = self.embedded.reader()
        if os.readlink(self.pointer) != target:
            return None  # a publish happened meanwhile: let the view answer this one
        self._served_memo = (target, (version, store))
        return version, store


def _response(wsgi: FlaskRequest, entry: CachedResult, cache: ResultCache | None,
              key: tuple[str, ...], version: StoreVersion | None,
              parts: tuple[str, ...]) -> Response:
    """The same response the view's ``_from_cache`` + ``_finish`` + CORS hook give."""
    headers = [("Content-Type", get_content_type(entry.media_type, "utf-8")), *CORS_HEADERS,
               ("Cache-Control", "public, no-cache")]
    body = entry.body
    vary = "Accept"
    encoded = False
    if compressible(entry.media_type):
        vary = "Accept-Encoding, Accept"
        encoding = choose_encoding(wsgi) if len(entry.body) >= MIN_BYTES else None
        if encoding is not None and wsgi.method != "HEAD":
            before = entry.size
            body = entry.variant(encoding, encode)
            headers.append(("Content-Encoding", encoding))
            encoded = True
            if cache is not None and entry.size != before:
                cache.grow(key, before, entry)
    tag = entity_tag(version, entry.media_type, *parts)
    headers.append(("ETag", f'W/"{tag}"' if encoded else f'"{tag}"'))
    if version is not None:
        headers.append(("Last-Modified", version.last_modified))
    headers.append(("Vary", vary))
    return Response(200, headers, body)


def query_parameters(query: str) -> MultiDict[str, str] | None:
    """The decoded parameters of a URL query string, as werkzeug's ``request.args`` gives
    them, or ``None`` for what only werkzeug should decode (non-ASCII, invalid UTF-8).

    werkzeug decodes percent escapes in Python, one at a time (about 10 µs for a typical
    query); ``binascii.a2b_qp`` decodes ``=XX`` in C, so escapes are rewritten to that form.
    That is exact for what reaches here: printable ASCII (llhttp refuses spaces and
    controls in a request target) whose every ``%`` starts a valid escape."""
    if not query.isascii() or _BAD_ESCAPE.search(query):
        return None
    parameters: MultiDict[str, str] = MultiDict()
    try:
        for pair in query.split("&"):
            if not pair:
                continue
            name, _, value = pair.partition("=")
            parameters.add(_unquote(name), _unquote(value))
    except UnicodeDecodeError:
        return None
    return parameters


def _unquote(text: str) -> str:
    if "%" not in text:
        return text.replace("+", " ")
    data = text.replace("+", " ").replace("=", "=3D").replace("%", "=").encode("ascii")
    return binascii.a2b_qp(data).decode("utf-8")


def _environ(request: Request) -> dict[str, Any]:
    """A minimal WSGI environ: what request parsing and negotiation read."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method, "QUERY_STRING": request.query,
        "PATH_INFO": request.path, "SCRIPT_NAME": "", "SERVER_NAME": "localhost",
        "SERVER_PORT": "80", "wsgi.url_scheme": "http", "REMOTE_ADDR": request.client,
    }
    for name, value in request.headers:
        if "_" not in name:
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]}, {value}" if key in environ else value
    return environ
