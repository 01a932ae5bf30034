"""HTTP for the remote loaders: one polite, bounded, conditional fetcher over ``requests``.

Every remote loader fetches through a :class:`WebClient`, which

* names itself with a descriptive User-Agent (``smartregion/<version> (+<base uri>)``), so
  an operator of a source can see who asks and where to complain;
* bounds every request: connect/read timeout, a deadline for the whole body, a size cap on
  the (decompressed) body;
* retries connection errors, timeouts, HTTP 5xx and 429 with exponential backoff, honouring
  ``Retry-After`` up to a limit (a server asking for longer is not waited for);
* keeps a minimum interval between two requests to the same host (all sources of one run
  share the client, so two sources on one host are paced together);
* sends ``If-None-Match`` / ``If-Modified-Since`` when given the validators of the previous
  load; a ``304 Not Modified`` then comes back as a result without body.

Failures raise :class:`RemoteError` (a :class:`~loaders.source.SourceError` with exit code 2)
whose location is the URL and whose message says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from loaders.source import SourceError
from smartregion import __version__

# Statuses that say "try again later" rather than "this request is wrong".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 64 * 1024


def user_agent(base_uri: str) -> str:
    """The User-Agent of every remote request: product, version and where we publish.

    >>> user_agent("https://data.example.org/").endswith(" (+https://data.example.org/)")
    True
    """
    return f"smartregion/{__version__} (+{base_uri})"


class RemoteError(SourceError):
    """A remote source could not be fetched or read; ``location`` is the URL."""

    def __init__(self, url: str, rule: str, message: str) -> None:
        super().__init__(url, rule, message, exit_code=2)


@dataclass(frozen=True)
class FetchPolicy:
    """How patiently and politely one source is fetched (seconds, bytes)."""

    timeout: float = 30.0
    """Connect timeout and the longest silence while reading the answer."""
    deadline: float = 300.0
    """Longest time for one whole answer, body included (a slow drip is cut off)."""
    retries: int = 3
    """Further attempts after a connection error, timeout, HTTP 5xx or 429."""
    backoff: float = 2.0
    """Wait before the first retry; doubles with each further retry."""
    max_wait: float = 120.0
    """Longest ``Retry-After`` honoured; a server asking for more is not waited for."""
    min_interval: float = 1.0
    """Least time between the starts of two requests to the same host."""
    max_bytes: int = 50_000_000
    """Largest answer body accepted (after decompression)."""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str) -> FetchPolicy:
        """A policy from configuration values (unknown keys and bad values name ``where``)."""
        known = {f.name: f for f in fields(cls)}
        converted: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise SourceError(where, "config", f"unknown fetch setting {key!r}", 2)
            kind = int if key in ("retries", "max_bytes") else float
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SourceError(where, "config", f"{key} must be a number, not {value!r}", 2)
            if value < 0 or (kind is int and value != int(value)):
                raise SourceError(
                    where, "config", f"{key} must be a non-negative {kind.__name__}", 2
                )
            converted[key] = kind(value)
        policy = cls(**converted)
        if policy.timeout <= 0 or policy.deadline <= 0 or policy.max_bytes <= 0:
            raise SourceError(where, "config", "timeout, deadline and max_bytes must be > 0", 2)
        return policy

    def merged(self, values: Mapping[str, Any], where: str) -> FetchPolicy:
        """This policy with some values overridden from configuration."""
        base = {f.name: getattr(self, f.name) for f in fields(self)}
        base.update(values)
        return FetchPolicy.from_mapping(base, where)


@dataclass(frozen=True)
class Validators:
    """What a server said identifies the version it sent: ``ETag`` and ``Last-Modified``."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request headers that ask "only if changed since"."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True)
class FetchResult:
    """One answer: where it came from, its status, body and validators."""

    url: str
    """The URL asked for (the record and the next conditional request use this one)."""
    final_url: str
    """The URL that answered, after redirects (relative IRIs in the body resolve to it)."""
    status: int
    body: bytes
    media_type: str
    etag: str | None
    last_modified: str | None
    retrieved: datetime

    @property
    def not_modified(self) -> bool:
        """Whether the server answered ``304 Not Modified`` (no body)."""
        return self.status == 304

    @property
    def validators(self) -> Validators:
        """The validators to send with the next request for the same URL."""
        return Validators(self.etag, self.last_modified)


Sleep = Callable[[float], None]
Clock = Callable[[], float]


class WebClient:
    """A ``requests.Session`` with timeouts, retries, pacing, size cap and validators.

    ``sleep`` and ``clock`` are injectable so that tests can see the waits asked for without
    measuring time.
    """

    def __init__(
        self,
        agent: str,
        policy: FetchPolicy | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = agent
        # Proxies from the environment are honoured (requests' default); credentials in
        # ~/.netrc are not: no remote source of ours needs them.
        self.session.trust_env = True
        self._sleep = sleep
        self._clock = clock
        self._last_start: dict[str, float] = {}
        self.requests_sent = 0

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def get(
        self,
        url: str,
        *,
        accept: str,
        validators: Validators | None = None,
        params: Mapping[str, str] | None = None,
        policy: FetchPolicy | None = None,
    ) -> FetchResult:
        """GET ``url``; a ``304`` comes back as a result with ``not_modified`` set.

        Raises :class:`RemoteError` naming the URL and the reason once the retries are spent,
        or at once for answers that a retry cannot fix (4xx, too large, too slow).
        """
        policy = policy or self.policy
        shown = _shown_url(url, params)
        headers = {"Accept": accept}
        if validators:
            headers.update(validators.headers())
        attempt = 0
        while True:
            self._pace(url, policy)
            wait_hint: float | None = None
            try:
                response = self.session.get(
                    url, params=params, headers=headers, stream=True,
                    timeout=(policy.timeout, policy.timeout),
                )
            except requests.Timeout:
                rule, reason = "timeout", f"no answer within {policy.timeout:g} s"
            except requests.ConnectionError as exc:
                rule, reason = "connection", f"cannot connect: {_root_cause(exc)}"
            except requests.RequestException as exc:  # invalid URL, too many redirects, …
                raise RemoteError(shown, "request", str(exc)) from exc
            else:
                with response:
                    if response.status_code in RETRY_STATUSES:
                        rule, reason = "http-status", _status_text(response)
                        wait_hint = retry_after(response.headers.get("Retry-After"))
                    elif response.status_code == 304 and validators:
                        return _result(shown, response, b"")
                    elif 200 <= response.status_code < 300 and response.status_code != 204:
                        try:
                            return _result(shown, response, self._read(response, shown, policy))
                        except (requests.ConnectionError, requests.Timeout) as exc:
                            # requests turns a read timeout mid-body into ConnectionError
                            rule, reason = "timeout", f"answer broke off: {_root_cause(exc)}"
                    else:
                        raise RemoteError(shown, "http-status", _status_text(response))
            if attempt >= policy.retries:
                tries = "attempt" if attempt == 0 else "attempts"
                raise RemoteError(shown, rule, f"{reason} (gave up after {attempt + 1} {tries})")
            if wait_hint is not None and wait_hint > policy.max_wait:
                raise RemoteError(
                    shown, "retry-after",
                    f"{reason}; the server asks to retry after {wait_hint:g} s, longer than "
                    f"the {policy.max_wait:g} s allowed",
                )
            delay = wait_hint if wait_hint is not None else policy.backoff * 2**attempt
            self._sleep(delay)
            attempt += 1

    def _pace(self, url: str, policy: FetchPolicy) -> None:
        """Wait until ``min_interval`` has passed since the last request to the same host."""
        host = urlsplit(url).netloc.lower()
        last = self._last_start.get(host)
        if last is not None:
            wait = last + policy.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_start[host] = self._clock()
        self.requests_sent += 1

    def _read(self, response: requests.Response, url: str, policy: FetchPolicy) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise RemoteError(
                url, "too-large",
                f"the answer declares {int(declared)} bytes, more than the {policy.max_bytes} "
                "allowed (fetch setting max_bytes)",
            )
        started = self._clock()
        chunks = []
        size = 0
        for chunk in _chunks(response):
            size += len(chunk)
            if size > policy.max_bytes:
                raise RemoteError(
                    url, "too-large",
                    f"the answer is larger than the {policy.max_bytes} bytes allowed "
                    "(fetch setting max_bytes)",
                )
            if self._clock() - started > policy.deadline:
                raise RemoteError(
                    url, "deadline",
                    f"the answer took longer than {policy.deadline:g} s (fetch setting deadline)",
                )
            chunks.append(chunk)
        return b"".join(chunks)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    >>> retry_after("7")
    7.0
    >>> retry_after("Thu, 01 Jan 1970 00:00:00 GMT")
    0.0
    >>> retry_after("soon") is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _chunks(response: requests.Response) -> Iterator[bytes]:
    # decode_content: a gzip answer is decompressed, so the size cap bounds what we hold
    yield from response.iter_content(CHUNK_BYTES)


def _result(url: str, response: requests.Response, body: bytes) -> FetchResult:
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return FetchResult(
        url=url, final_url=response.url, status=response.status_code, body=body,
        media_type=media_type, etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        retrieved=datetime.now(UTC).replace(microsecond=0),
    )


def _status_text(response: requests.Response) -> str:
    text = f"HTTP {response.status_code} {response.reason or ''}".strip()
    try:
        excerpt = next(response.iter_content(300), b"").decode("utf-8", "replace").strip()
    except requests.RequestException:
        excerpt = ""
    if excerpt:
        text += ": " + " ".join(excerpt.split())[:200]
    return text


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, without the wrapper noise."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    # urllib3 prefixes "HTTPConnection(host=…, port=…): " — the URL is named anyway
    if text.startswith(("HTTPConnection(", "HTTPSConnection(")) and "): " in text:
        text = text.split("): ", 1)[1]
    return text


def _shown_url(url: str, params: Mapping[str, str] | None) -> str:
    if not params:
        return url
    prepared = requests.Request("GET", url, params=params).prepare()
    return prepared.url or url
