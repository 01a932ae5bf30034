"""One HTTP/1.1 connection: strict parsing, limits, keep-alive, pipelining, framing.

Requests are parsed by ``httptools`` (llhttp), which already refuses what request smuggling
needs (``Content-Length`` together with ``Transfer-Encoding``, duplicate lengths, bare LF,
spaces before a colon). On top of it this module enforces the limits of
:class:`HttpLimits`, answers the client's ``Expect: 100-continue``, and handles requests
of a connection strictly one after another (pipelined requests queue up, so responses keep
their order). A request goes to the :class:`Dispatcher`, which answers it at once (the fast
lane) or later (the WSGI bridge) through :meth:`HttpConnection.send` or a streamed body.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol

import httptools

REASONS = {status.value: status.phrase for status in HTTPStatus}
_PIPELINE_DEPTH = 8  # queued requests before the connection stops reading
# Framing is the server's business: these never pass from an application to the wire.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date"})


@dataclass(frozen=True)
class HttpLimits:
    """What one request may be. ``header_timeout`` bounds the time to receive a whole request
    (slow clients must not hold a connection forever), ``keepalive_timeout`` an idle one,
    ``send_timeout`` a client that stops reading its response (it must not hold a thread)."""

    request_line: int = 8190
    header_bytes: int = 65536
    header_count: int = 100
    body_bytes: int = 1_000_000
    header_timeout: float = 10.0
    keepalive_timeout: float = 5.0
    send_timeout: float = 30.0
    """Longest wait for a client to take more of a streamed body before it is dropped."""


@dataclass
class Request:
    """A complete request as received. Header names are lower-case, values as sent."""

    method: str
    target: str
    path: str
    query: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    client: str
    keep_alive: bool = True
    started: float = field(default_factory=time.perf_counter)

    def header(self, name: str, default: str = "") -> str:
        """The first value of header ``name`` (lower-case)."""
        for key, value in self.headers:
            if key == name:
                return value
        return default


@dataclass
class Response:
    """A complete response; the server adds ``Date``, the length and ``Connection``."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


class Dispatcher(Protocol):
    """Where a connection's requests go; :meth:`dispatch` answers through ``connection``."""

    def dispatch(self, request: Request, connection: HttpConnection) -> None: ...

    def access(self, request: Request, status: int, size: int) -> None: ...


class _Reject(Exception):
    """A request refused while parsing: answered with ``status`` and closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _rejection(exc: Exception) -> _Reject:
    """The answer to a request llhttp refused."""
    if isinstance(exc, httptools.HttpParserInvalidMethodError):
        return _Reject(400, "Malformed request: not an HTTP request line.")
    if "HTTP version" in str(exc):
        return _Reject(505, "Only HTTP/1.0 and HTTP/1.1 are supported.")
    return _Reject(400, f"Malformed request: {exc}.")


_date_cache: list[object] = [0, ""]


def http_date() -> str:
    """The current time as an IMF-fixdate, formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, formatdate(now, usegmt=True)
    return str(_date_cache[1])


def _bodiless(status: int, method: str) -> bool:
    return method == "HEAD" or status in (204, 304) or 100 <= status < 200


class HttpConnection(asyncio.Protocol):
    """The server side of one TCP connection."""

    def __init__(self, dispatcher: Dispatcher, limits: HttpLimits,
                 on_close: Callable[[HttpConnection], None] | None = None) -> None:
        self.dispatcher = dispatcher
        self.limits = limits
        self._on_close = on_close
        self.transport: asyncio.Transport | None = None
        self.client = "-"
        self._parser = httptools.HttpRequestParser(self)
        self._queue: deque[Request] = deque()
        self._busy = False
        self._closing = False
        self._timer: asyncio.TimerHandle | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._in_message = False
        self._eof = False
        self._reject: _Reject | None = None
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._header_bytes = 0
        self._body = bytearray()

    # -- connection events -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        peer = transport.get_extra_info("peername")
        self.client = str(peer[0]) if isinstance(peer, tuple) else "-"
        self._arm(self.limits.keepalive_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._cancel_timer()
        self._writable.set()  # a streaming body waiting to write gives up at once
        if self._on_close is not None:
            self._on_close(self)

    def eof_received(self) -> bool:
        """The client sent all it will send (``shutdown(SHUT_WR)``): answer what came, then
        close; keeping the transport open for writing is what returning True means."""
        self._eof = True
        if self._in_message:
            self._refuse(_Reject(400, "The connection ended inside a request."))
        elif self.idle:
            self.close()
        return True

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    @property
    def closed(self) -> bool:
        """Whether the connection is gone (or going): stop sending."""
        return self._closing or self.transport is None or self.transport.is_closing()

    @property
    def idle(self) -> bool:
        """No request in progress or queued (graceful shutdown closes idle connections)."""
        return not self._busy and not self._queue and not self._in_message

    def data_received(self, data: bytes) -> None:
        if self._closing or self._reject is not None:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No protocol upgrades (h2c, WebSocket): the request was complete; answer it in
            # HTTP/1.1 and close, since what follows on the wire is not HTTP/1.1.
            if self._queue:
                self._queue[-1].keep_alive = False
            if self.transport is not None:
                self.transport.pause_reading()
        except Exception as exc:  # llhttp's errors and ours: one of a few statuses, then close
            cause = exc.__context__
            self._refuse(cause if isinstance(cause, _Reject) else _rejection(exc))
        if len(self._queue) >= _PIPELINE_DEPTH and self.transport is not None:
            self.transport.pause_reading()
        self._next()

    # -- httptools callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._in_message = True
        self._url, self._headers, self._header_bytes = b"", [], 0
        self._body = bytearray()
        if not self._busy:
            self._arm(self.limits.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self.limits.request_line:
            raise _Reject(414, f"The request target is longer than "
                               f"{self.limits.request_line} bytes; send long queries by POST.")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if len(self._headers) >= self.limits.header_count:
            raise _Reject(431, f"More than {self.limits.header_count} header fields.")
        if self._header_bytes > self.limits.header_bytes:
            raise _Reject(431, f"The header fields are longer than "
                               f"{self.limits.header_bytes} bytes.")
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        version = self._parser.get_http_version()
        if version not in ("1.1", "1.0"):
            raise _Reject(505, "Only HTTP/1.0 and HTTP/1.1 are supported.")
        hosts = [v for k, v in self._headers if k == "host"]
        if len(hosts) > 1 or (version == "1.1" and not hosts):
            raise _Reject(400, "An HTTP/1.1 request needs exactly one Host header.")
        coding = next((v for k, v in self._headers if k == "transfer-encoding"), None)
        if coding is not None and coding.strip().lower() != "chunked":
            raise _Reject(501, f"Transfer-Encoding {coding!r} is not supported (only chunked).")
        length = next((v for k, v in self._headers if k == "content-length"), None)
        if length is not None and int(length) > self.limits.body_bytes:
            raise _Reject(413, f"The request body is larger than {self.limits.body_bytes} "
                               f"bytes.")
        expect = next((v for k, v in self._headers if k == "expect"), None)
        if expect is not None:
            if expect.lower() != "100-continue":
                raise _Reject(417, f"Expectation {expect!r} is not supported.")
            if version == "1.1" and self.transport is not None and not self._busy:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body += body
        if len(self._body) > self.limits.body_bytes:
            raise _Reject(413, f"The request body is larger than {self.limits.body_bytes} "
                               f"bytes.")

    def on_message_complete(self) -> None:
        self._in_message = False
        target = self._url.decode("latin-1")
        path, _, query = target.partition("?")
        if not path.startswith("/") and path != "*":  # absolute form (RFC 9112 §3.2.2)
            url = httptools.parse_url(self._url)
            path = (url.path or b"/").decode("latin-1")
            query = (url.query or b"").decode("latin-1")
        version = self._parser.get_http_version()
        keep_alive = self._parser.should_keep_alive()
        if version == "1.0" and any(k == "transfer-encoding" for k, _ in self._headers):
            keep_alive = False  # RFC 9112 §6.1: the framing cannot be trusted afterwards
        self._queue.append(Request(
            method=self._parser.get_method().decode("ascii"), target=target, path=path,
            query=query, version=version, headers=self._headers, body=bytes(self._body),
            client=self.client, keep_alive=keep_alive))
        self._body = bytearray()
        if not self._busy:
            self._cancel_timer()

    # -- requests, one at a time -----------------------------------------------------------
    def _next(self) -> None:
        if self._busy or self._closing:
            return
        if not self._queue:
            if self._reject is not None:
                self._send_reject()
            elif self._eof:
                self.close()
            elif not self._in_message:
                self._arm(self.limits.keepalive_timeout)
            return
        request = self._queue.popleft()
        self._busy = True
        self._cancel_timer()
        if self.transport is not None and len(self._queue) < _PIPELINE_DEPTH \
                and self._reject is None:
            self.transport.resume_reading()
        self.dispatcher.dispatch(request, self)

    def finished(self, request: Request, status: int, size: int, *, keep_alive: bool) -> None:
        """The response to ``request`` is sent (or given up): log it, go on or close."""
        self.dispatcher.access(request, status, size)
        self._busy = False
        if not keep_alive or not request.keep_alive:
            self.close()
            return
        if self._in_message:  # part of the next request is already here
            self._arm(self.limits.header_timeout)
        self._next()

    # -- sending -----------------------------------------------------------------------------
    def head(self, request: Request, status: int, headers: list[tuple[str, str]],
             length: int | None) -> tuple[bytes, bool, bool]:
        """The status line and header block for a response to ``request``; returns it, whether
        the body goes chunked, and whether the connection stays open afterwards."""
        keep_alive = request.keep_alive and not self._closing
        chunked = False
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\nDate: {http_date()}\r\n"]
        for name, value in headers:
            lowered = name.lower()
            if lowered in _FRAMING:
                if lowered == "connection" and "close" in value.lower():
                    keep_alive = False
                continue
            lines.append(f"{name}: {value}\r\n")
        if not (100 <= status < 200 or status in (204, 304)) and not (
                request.method == "HEAD" and length is None):  # RFC 9110 §9.3.2: may omit
            if length is not None:
                lines.append(f"Content-Length: {length}\r\n")
            elif request.version == "1.1":
                chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                keep_alive = False  # HTTP/1.0 without a length: the close ends the body
        if not keep_alive:
            lines.append("Connection: close\r\n")
        elif request.version == "1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1"), chunked, keep_alive

    def send(self, request: Request, response: Response) -> None:
        """Send a complete response and go on with the next request."""
        bodiless = _bodiless(response.status, request.method)
        data, _, keep_alive = self.head(request, response.status, response.headers,
                                        len(response.body))
        self.write(data if bodiless else data + response.body)
        self.finished(request, response.status, 0 if bodiless else len(response.body),
                      keep_alive=keep_alive)

    def write(self, data: bytes) -> None:
        """Write raw bytes (a streamed body) if the connection is still open."""
        if self.transport is not None and not self._closing:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the transport wants more data (flow control for streamed bodies); a
        client that takes nothing for ``send_timeout`` seconds is dropped."""
        if self._writable.is_set():
            return
        try:
            await asyncio.wait_for(self._writable.wait(), self.limits.send_timeout)
        except TimeoutError:
            if self.transport is not None:
                self.transport.abort()
            self._closing = True

    def close(self) -> None:
        """Close after what is written has been sent."""
        self._closing = True
        self._cancel_timer()
        if self.transport is not None:
            self.transport.close()

    def _refuse(self, exc: _Reject) -> None:
        """Refuse the request being received; earlier (pipelined) requests are answered
        first, then the refusal is sent and the connection closed."""
        self._reject = exc
        self._in_message = False
        self._cancel_timer()
        if self.transport is not None:
            self.transport.pause_reading()
        if not self._busy and not self._queue:
            self._send_reject()

    def _send_reject(self) -> None:
        assert self._reject is not None
        status, message = self._reject.status, str(self._reject)
        title = REASONS.get(status, "Error")
        accept = next((v for k, v in self._headers if k == "accept"), "")
        if "json" in accept:  # an API client: RFC 9457, like the application's own errors
            media_type = "application/problem+json"
            body = json.dumps({"type": "about:blank", "title": title, "status": status,
                               "detail": message}).encode()
        else:
            media_type = "text/plain; charset=utf-8"
            body = (message + "\n").encode("utf-8", "replace")
        self.write(
            f"HTTP/1.1 {status} {title}\r\nDate: {http_date()}\r\n"
            f"Content-Type: {media_type}\r\nContent-Length: {len(body)}\r\n"
            "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n".encode("latin-1")
            + body)
        self.close()

    # -- timers ------------------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._cancel_timer()
        if self.transport is not None and not self._closing:
            self._timer = self.loop.call_later(seconds, self._timed_out)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self._busy:
            return
        if self._in_message:  # a request started but did not arrive in time
            self._refuse(_Reject(408, "The request did not arrive in time."))
        else:
            self.close()
