"""Cross-cutting HTTP behaviour of every response: CORS and compression.

CORS: the data are public, so any origin may read every response (no credentials, so
``*`` is safe). Preflight requests (a POST of ``application/sparql-query`` from a web page
needs one) are answered for every route.

Compression: bodies of textual types from ``MIN_BYTES`` on (and streamed bodies of unknown
length) are sent with ``br`` (when the ``brotli`` package is installed) or ``gzip``,
whichever the client prefers. A compressed representation gets a weak ``ETag`` (it is the
same content, differently encoded), which still answers ``If-None-Match`` with ``304``.
Views that cache their encoded bodies call :func:`encode` themselves and set
``Content-Encoding``; this hook then leaves the response alone.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator

from flask import Flask, Request, Response, current_app, request

from endpoint.errors import Problem
from endpoint.observability import ROUTE_KEY, UNMATCHED

try:  # optional: br is offered only when the brotli package is installed
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - depends on the installation
    brotli = None

MIN_BYTES = 1024
ENCODINGS: tuple[str, ...] = ("br", "gzip") if brotli is not None else ("gzip",)
_BROTLI_QUALITY = 4  # fast; the level that pays off for responses made per request
_GZIP_LEVEL = 5
_EXPOSED = ("ETag, Last-Modified, Link, Location, Content-Location, Content-Profile, "
            "Retry-After, Vary, X-Total-Count")
CORS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", _EXPOSED))
"""What every response but a preflight's says about CORS."""


_ENCODING_CHOICES: dict[str, str | None] = {}


def choose_encoding(req: Request) -> str | None:
    """The content coding to use for ``req`` (``None``: send the body as it is).

    Answers are remembered per ``Accept-Encoding`` value (clients send a handful)."""
    header = req.headers.get("Accept-Encoding", "")
    if header in _ENCODING_CHOICES:
        return _ENCODING_CHOICES[header]
    accepted = req.accept_encodings
    best = accepted.best_match(ENCODINGS) if accepted else None
    choice = best if best in ENCODINGS and accepted[best] > 0 else None
    if len(_ENCODING_CHOICES) < 512:
        _ENCODING_CHOICES[header] = choice
    return choice


def compressible(mimetype: str | None) -> bool:
    """Whether a media type is text-like enough to gain from compression."""
    if not mimetype:
        return False
    if mimetype.startswith("text/"):
        return True
    return mimetype.endswith(("json", "xml", "+json", "+xml")) or mimetype in (
        "application/n-triples", "application/n-quads", "application/trig",
        "application/javascript", "image/svg+xml",
    )


def encode(data: bytes, encoding: str) -> bytes:
    """``data`` compressed with ``br`` or ``gzip``."""
    if encoding == "br" and brotli is not None:
        compressed: bytes = brotli.compress(data, quality=_BROTLI_QUALITY)
        return compressed
    return gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)


def _encode_stream(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    if encoding == "br" and brotli is not None:
        compressor = brotli.Compressor(quality=_BROTLI_QUALITY)
        for chunk in chunks:
            if out := compressor.process(chunk):
                yield out
        yield compressor.finish()
        return
    deflate = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        if out := deflate.compress(chunk):
            yield out
    yield deflate.flush()


def _as_bytes(chunks: Iterable[str] | Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else chunk


def add_vary(response: Response, header: str) -> None:
    """Add ``header`` to ``Vary`` once (plain string work: this runs on every response)."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = header
    elif header.lower() not in (v.strip().lower() for v in current.split(",")):
        response.headers["Vary"] = f"{current}, {header}"


def weaken_etag(response: Response) -> None:
    """Turn a strong ETag into a weak one (the body is encoded)."""
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def _compress(response: Response) -> None:
    if (
        response.status_code not in (200, 203)
        or "Content-Encoding" in response.headers
        or request.method == "HEAD"
        or not compressible(response.mimetype)
    ):
        return
    add_vary(response, "Accept-Encoding")
    length = response.content_length
    if response.is_streamed and length is None:
        encoding = choose_encoding(request)
        if encoding is None:
            return
        response.response = _encode_stream(_as_bytes(response.response), encoding)
    else:
        if length is not None and length < MIN_BYTES:
            return
        encoding = choose_encoding(request)
        if encoding is None:
            return
        if response.is_streamed:  # a file or generator of known length: stream it encoded
            response.response = _encode_stream(_as_bytes(response.response), encoding)
            response.headers.pop("Content-Length", None)
        else:
            response.set_data(encode(response.get_data(), encoding))
    response.direct_passthrough = False
    response.headers["Content-Encoding"] = encoding
    weaken_etag(response)


def _cors(response: Response) -> None:
    for name, value in CORS_HEADERS:
        response.headers[name] = value
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers")
        response.headers["Access-Control-Allow-Headers"] = (
            asked or "Accept, Accept-Profile, Content-Type, If-None-Match, If-Modified-Since"
        )
        response.headers["Access-Control-Max-Age"] = "86400"


def _check_target() -> None:
    """414 for a request target longer than ``max_url_bytes`` (granian answers 431 only
    when the whole header block is over ``max_header_bytes``); notes the URL rule for the
    metrics."""
    environ = request.environ
    rule = request.url_rule
    environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED
    limit = current_app.config["SMARTREGION_SETTINGS"].max_url_bytes
    size = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) + 1
    if size > limit:
        raise Problem(414, "URI Too Long",
                      f"The request target has {size} bytes; at most {limit} are accepted. "
                      "Send long SPARQL queries with POST.")


def _absolute_references(response: Response) -> None:
    """``Content-Location`` and ``Link`` targets as absolute URLs of the host the client
    asked (behind a trusted proxy: its ``X-Forwarded-Proto``/``-Host``), so a header read
    out of context, e.g. from a cache, still names the public ``https://`` address."""
    location = response.headers.get("Content-Location")
    link = response.headers.get("Link")
    if not (location and location.startswith("/")) and not (link and "</" in link):
        return
    root = request.host_url.rstrip("/")
    if location and location.startswith("/"):
        response.headers["Content-Location"] = root + location
    if link and "</" in link:
        response.headers["Link"] = link.replace("</", f"<{root}/")


def register(app: Flask) -> None:
    """Install the target-length check and the CORS, reference and compression hooks."""
    app.before_request(_check_target)

    @app.after_request
    def _after(response: Response) -> Response:
        _cors(response)
        _absolute_references(response)
        _compress(response)
        return response
