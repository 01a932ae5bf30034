"""A deliberately small and strict HTTP/1.1 client over a raw socket, for the server tests.

It sends exactly the bytes a test gives it and parses responses itself, strictly: a status
line or header line that is not CRLF-terminated, a malformed chunk, or bytes that do not
start a status line where a response should begin raise :class:`WireError`. So a server that
leaks body bytes into the next response, or frames a body wrongly, fails the test that sees it
instead of confusing a lenient client library.
"""

from __future__ import annotations

import re
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

STATUS_LINE = re.compile(rb"HTTP/(1\.[01]) (\d{3}) ([\t !-~\x80-\xff]*)")
FIELD_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 section 5.6.7: IMF-fixdate, the one form a server may generate.
IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} GMT")
_LINE_LIMIT = 1 << 20


class WireError(AssertionError):
    """The server sent bytes that are not a well-formed HTTP/1.1 response."""


class PeerClosed(Exception):
    """The connection ended (EOF or reset) before the bytes a parser needed arrived."""


@dataclass
class RawResponse:
    """One parsed response. Header names are lower-case; ``complete`` is False when the
    connection ended inside a length- or chunk-framed body."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    framing: str = "none"  # "length", "chunked", "close" or "none" (no body allowed)
    complete: bool = True
    trailers: list[tuple[str, str]] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return [value for key, value in self.headers if key == name.lower()]

    def header(self, name: str) -> str | None:
        """The values of header ``name`` joined with ", ", or None when absent."""
        found = self.values(name)
        return ", ".join(found) if found else None

    def tokens(self, name: str) -> set[str]:
        """The comma-separated tokens of a list header such as ``Connection``, lower-case."""
        return {t.strip().lower() for v in self.values(name) for t in v.split(",") if t.strip()}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class RawConnection:
    """One client connection to the server under test."""

    def __init__(self, address: tuple[str, int], *, timeout: float = 10.0,
                 rcvbuf: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # set before connecting, so the window is small from the start
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        self.buffer = bytearray()
        self.eof = False

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def abort(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), as a client that crashes would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    # -- reading ----------------------------------------------------------------------------
    def _fill(self, size: int = 65536) -> bool:
        """Receive more bytes into the buffer; False at EOF (a reset counts as EOF)."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(size)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def _line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                if not line.endswith(b"\r\n"):
                    raise WireError(f"line not terminated by CRLF: {line!r}")
                return line[:-2]
            if len(self.buffer) > _LINE_LIMIT:
                raise WireError("endless line from the server")
            if not self._fill():
                raise PeerClosed(bytes(self.buffer))

    def _exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill(max(65536, size - len(self.buffer))):
                raise PeerClosed(bytes(self.buffer))
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _fields(self) -> list[tuple[str, str]]:
        fields = []
        while line := self._line():
            name, colon, value = line.partition(b":")
            if not colon or not FIELD_NAME.fullmatch(name):
                raise WireError(f"malformed header line {line!r}")
            fields.append((name.decode("latin-1").lower(), value.strip(b" \t").decode("latin-1")))
        return fields

    def read_head(self) -> RawResponse:
        """Read one status line and header block (interim 1xx responses included)."""
        line = self._line()
        match = STATUS_LINE.fullmatch(line)
        if match is None:
            raise WireError(f"not a status line: {line!r}")
        version, status, reason = (g.decode("latin-1") for g in match.groups())
        return RawResponse(version, int(status), reason, self._fields())

    def read_body(self, response: RawResponse, method: str = "GET") -> RawResponse:
        """Read the body that follows ``response``'s head, framed as RFC 9112 section 6.3."""
        if method == "HEAD" or response.status in (204, 304) or response.status < 200:
            return response
        coding = response.tokens("transfer-encoding")
        lengths = response.values("content-length")
        if coding and lengths:
            raise WireError("response has both Transfer-Encoding and Content-Length")
        try:
            if coding:
                if coding != {"chunked"}:
                    raise WireError(f"unexpected transfer coding {coding}")
                response.framing = "chunked"
                response.body = self._chunked(response)
            elif lengths:
                if len(set(lengths)) != 1 or not lengths[0].isdigit():
                    raise WireError(f"bad Content-Length {lengths}")
                response.framing = "length"
                response.body = self._exact(int(lengths[0]))
            else:
                response.framing = "close"
                while self._fill():
                    pass
                response.body = bytes(self.buffer)
                self.buffer.clear()
        except PeerClosed as closed:
            response.complete = False
            response.body += closed.args[0]
            self.buffer.clear()
        return response

    def _chunked(self, response: RawResponse) -> bytes:
        body = bytearray()
        while True:
            size_line = self._line()
            size_text = size_line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]+", size_text):
                raise WireError(f"bad chunk size line {size_line!r}")
            size = int(size_text, 16)
            if size == 0:
                response.trailers = self._fields()
                return bytes(body)
            try:
                body += self._exact(size)
                if self._exact(2) != b"\r\n":
                    raise WireError("chunk data not followed by CRLF")
            except PeerClosed as closed:
                raise PeerClosed(bytes(body) + closed.args[0]) from None

    def response(self, method: str = "GET") -> RawResponse:
        """The next final response (interim 1xx responses are skipped)."""
        while True:
            head = self.read_head()
            if head.status >= 200:
                return self.read_body(head, method)
            if head.status == 101:
                raise WireError("unexpected 101 Switching Protocols")

    def exchange(self, data: bytes, method: str = "GET") -> RawResponse:
        """Send ``data`` and read the final response to it."""
        self.send(data)
        return self.response(method)

    def closed_within(self, seconds: float) -> bytes | None:
        """Wait up to ``seconds`` for the server to close; returns what arrived before the
        close, or None when the connection was still open at the end."""
        give_up = time.monotonic() + seconds
        timeout = self.sock.gettimeout()
        try:
            while not self.eof:
                left = give_up - time.monotonic()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
                try:
                    self._fill()
                except TimeoutError:
                    return None
        finally:
            self.sock.settimeout(timeout)
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def prefetch(self, size: int) -> int:
        """Receive until ``size`` bytes wait in the buffer (or EOF); returns how many do."""
        while len(self.buffer) < size and self._fill():
            pass
        return len(self.buffer)

    def pending(self, wait: float) -> bool:
        """Whether bytes are waiting to be parsed, or arrive within ``wait`` seconds."""
        if self.buffer:
            return True
        timeout = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            return self._fill()
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(timeout)

    def is_open(self, wait: float = 0.2) -> bool:
        """Whether the connection is still open (nothing more arrives within ``wait``)."""
        return self.closed_within(wait) is None


def assert_date(response: RawResponse) -> None:
    """One ``Date`` header, an IMF-fixdate (RFC 9110 section 6.6.1), close to now."""
    dates = response.values("date")
    assert len(dates) == 1, response.headers
    assert IMF_FIXDATE.fullmatch(dates[0]), dates[0]
    assert abs((parsedate_to_datetime(dates[0]) - datetime.now(UTC)).total_seconds()) < 300


def request(method: str = "GET", target: str = "/", *headers: str, body: bytes = b"",
            version: str = "HTTP/1.1", host: bool = True, length: bool | None = None) -> bytes:
    """Bytes of one request: ``headers`` as "Name: value" lines; Host and (for a body)
    Content-Length are added unless told otherwise."""
    lines = [f"{method} {target} {version}"]
    if host:
        lines.append("Host: testserver")
    lines.extend(headers)
    if length or (length is None and body):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*parts: bytes, trailer: str = "") -> bytes:
    """A chunked message body of ``parts`` (empty parts are skipped)."""
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p)
    return framed + b"0\r\n" + trailer.encode("latin-1") + b"\r\n"
