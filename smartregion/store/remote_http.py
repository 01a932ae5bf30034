"""HTTP plumbing of the remote backend: sessions, retries, streamed reading, error text.

Nothing here knows SPARQL; :mod:`smartregion.store.remote` builds on it.
"""

from __future__ import annotations

import io
import itertools
import os
import time
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from smartregion import __version__
from smartregion.formats import GraphFormat, ResultsFormat
from smartregion.settings import Settings
from smartregion.store.backend import StoreError

USER_AGENT = (f"smartregion/{__version__} (Smarte Region Hessen LOD platform) "
              f"python-requests/{requests.__version__}")
RESULTS_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "text/tab-separated-values;q=0.8"
)
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
_FALLBACKS = (("application/sparql-results+json", 0.9), ("application/sparql-results+xml", 0.8),
              ("text/tab-separated-values", 0.7), ("application/n-triples", 0.9),
              ("text/turtle", 0.8), ("application/rdf+xml", 0.7))


def client_accept(results: ResultsFormat, graph: GraphFormat, form: str | None = None) -> str:
    """``Accept`` for a client's query of the given form (``SELECT``… or ``None``).

    Only the types that fit the form are offered when it is known: a lenient store would
    otherwise answer a SELECT in Turtle or a CONSTRUCT as result bindings (Virtuoso does).
    The client's own format comes first, so the store's bytes can be relayed unchanged, then
    formats pyoxigraph can read back and re-serialize. CSV and TSV are never asked for first
    (pyoxigraph cannot read CSV to count rows; Virtuoso writes a TSV header that is not
    SPARQL's), nor JSON-LD (Virtuoso writes literals as bare JSON numbers, which changes their
    datatype), nor quad formats (not every store writes a CONSTRUCT result as quads); those
    are re-serialized from what the store sent.
    """
    first = []
    if results.name not in ("csv", "tsv") and form in (None, "SELECT", "ASK"):
        first.append(results.media_type)
    if not graph.quads and graph.name != "jsonld" and form in (None, "CONSTRUCT", "DESCRIBE"):
        first.append(graph.media_type)
    fallbacks = [(media, q) for media, q in _FALLBACKS if media not in first
                 and (form is None or (media in _RESULT_TYPES) == (form in ("SELECT", "ASK")))]
    return ", ".join([*first, *(f"{media};q={q}" for media, q in fallbacks)])


_RESULT_TYPES = frozenset({"application/sparql-results+json", "application/sparql-results+xml",
                           "text/tab-separated-values"})
CHUNK_BYTES = 1 << 16


class DeadlinePassed(Exception):
    """Raised inside a streamed read when the query's time is up."""


class ReadRetry(Retry):
    """Retry idempotent reads after connection errors, never after a read timeout: retrying
    a slow query would multiply its deadline."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def read_session(settings: Settings) -> requests.Session:
    """A session for queries and graph reads: safe to repeat after a connection error."""
    retry = ReadRetry(total=3, connect=3, read=2, status=0, other=0, backoff_factor=0.2,
                      allowed_methods=frozenset({"GET", "POST"}))
    return _session(settings, retry)


def write_session(settings: Settings) -> requests.Session:
    """A session for updates: retried only when no connection was made (nothing was sent)."""
    retry = Retry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.2)
    return _session(settings, retry)


def _session(settings: Settings, retry: Retry) -> requests.Session:
    session = requests.Session()
    # The environment is read once here instead of on every request (requests would spend
    # about 0.4 ms per request on it), and ~/.netrc can never add credentials of its own.
    session.trust_env = False
    session.proxies = requests.utils.get_environ_proxies(settings.query_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    if settings.store_user and settings.store_auth == "digest":
        session.auth = HTTPDigestAuth(settings.store_user, settings.store_password)
    elif settings.store_user:
        session.auth = (settings.store_user, settings.store_password)
    elif settings.store_token:
        session.headers["Authorization"] = f"Bearer {settings.store_token}"
    return session


class StreamReader(io.RawIOBase):
    """A file-like view of a streamed response for pyoxigraph's parsers.

    It copies what it reads into ``spool`` (if given) and, with a ``deadline_at``, shortens
    the socket timeout to the time left before each read and raises :class:`DeadlinePassed`
    once it is up — the deadline covers the whole answer, not each read.
    """

    def __init__(self, response: requests.Response, spool: IO[bytes] | None = None,
                 deadline_at: float | None = None) -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_content(CHUNK_BYTES)
        self._spool = spool
        self._deadline_at = deadline_at
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            chunk = self._next()
            if not chunk:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def drain(self) -> None:
        """Read what the parser left (trailing white space), so the spool holds every byte."""
        while self._next():
            pass

    def _next(self) -> bytes:
        if self._deadline_at is not None:
            left = self._deadline_at - time.monotonic()
            if left <= 0:
                raise DeadlinePassed
            _set_socket_timeout(self._response, left)
        try:
            chunk: bytes = next(self._chunks, b"")
        except requests.RequestException as exc:
            if self._deadline_at is not None and timed_out(exc):
                raise DeadlinePassed from None
            raise StoreError(f"the store's answer broke off ({type(exc).__name__})") from None
        if chunk and self._spool is not None:
            self._spool.write(chunk)
        return chunk


def _set_socket_timeout(response: requests.Response, seconds: float) -> None:
    """Shorten the read timeout of the open connection (urllib3 sets it anew per request)."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def timed_out(exc: BaseException) -> bool:
    """Whether a requests/urllib3 error (or one it wraps) is a timeout."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.Timeout | ReadTimeoutError | TimeoutError):
            return True
        if any(isinstance(a, ReadTimeoutError | TimeoutError) for a in seen.args):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def incomplete(response: requests.Response) -> str | None:
    """Why the store marks a successful answer as incomplete, if it does: Virtuoso answers
    200 with a partial result after its ``timeout``/``MaxQueryExecutionTime`` ("anytime
    query") and says so only in ``X-SQL-State``/``X-SQL-Message``."""
    state = response.headers.get("X-SQL-State")
    if not state:
        return None
    message = " ".join(response.headers.get("X-SQL-Message", "").split())[:200]
    return f"{state}: {message}" if message else state


def media_type(response: requests.Response) -> str:
    """The response's media type without parameters, lower case."""
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def excerpt(response: requests.Response, limit: int = 300) -> str:
    """The start of an error answer, on one line (``(empty)`` when there is none)."""
    try:
        head = b"".join(itertools.islice(response.iter_content(256), 4))
    except requests.RequestException:
        head = b""
    text = " ".join(head.decode("utf-8", "replace").split())
    return (text[:limit] + "…" if len(text) > limit else text) or "(empty)"


def checked_url(url: str, name: str) -> str:
    """``url`` if it is a usable http(s) endpoint URL without credentials in it."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"{name} must be an http(s) URL")
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and error messages; they have their own settings.
        raise StoreError(f"{name} must not contain credentials; use SMARTREGION_STORE_USER/"
                         "SMARTREGION_STORE_PASSWORD or SMARTREGION_STORE_TOKEN")
    return url
