"""Fixtures of the HTTP server tests: a WSGI application with one route per behaviour under
test, and the real asyncio server (:func:`serve_in_thread`) on a free port of 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from smartregion.server.protocol import HttpLimits, Request, Response
from smartregion.server.standalone import serve_in_thread
from tests.server.rawhttp import RawConnection

# Small limits, so tests can cross them with small requests. The timeouts are long, well
# beyond the tests' 10 s wait for a close: a close seen within it is never the idle timer's
# (the timeout tests start their own server with short ones).
LIMITS = HttpLimits(request_line=1024, header_bytes=4096, header_count=30, body_bytes=10_000,
                    header_timeout=30.0, keepalive_timeout=30.0)
BLOCK = 64 * 1024
StartResponse = Callable[..., Callable[[bytes], None]]
FastLane = Callable[[Request], Response | None]


def pattern(size: int, seed: int = 0) -> bytes:
    """``size`` deterministic bytes that differ with ``seed`` (so misplaced bytes show)."""
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest() * (BLOCK // 32)
    return (block * (size // BLOCK + 1))[:size]


def big_blocks(megabytes: int) -> Iterator[bytes]:
    """The blocks of the large test body: 64 KiB each, each different."""
    for index in range(megabytes * 1024 * 1024 // BLOCK):
        yield pattern(BLOCK, index)


class TrackedBody:
    """A streamed body that counts what it produced and notes when the server closes it."""

    def __init__(self, app: TestApp, blocks: Iterable[bytes]) -> None:
        self.app = app
        self.blocks = iter(blocks)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        block = next(self.blocks)
        self.app.produced += len(block)
        return block

    def close(self) -> None:
        self.app.closed.set()


class TestApp:
    """A PEP 3333 application; the first path segment picks the behaviour."""

    __test__ = False  # not a test class despite its name

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget what earlier tests did (the module's server is shared)."""
        self.seen: list[str] = []
        self.produced = 0
        self.closed = threading.Event()
        self.entered = threading.Event()  # a /block or /sleep request is running
        self.inside = 0  # how many /block requests are waiting
        self._lock = threading.Lock()
        self.release = threading.Event()
        self.left = threading.Event()  # ... and has finished

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ["PATH_INFO"]
        self.seen.append(path)
        query: str = environ.get("QUERY_STRING", "")
        route, _, rest = path[1:].partition("/")
        handler = getattr(self, "route_" + route.replace("-", "_"), self.route_echo)
        result: Iterable[bytes] = handler(environ, start_response, rest, query)
        return result

    # -- plain answers ----------------------------------------------------------------------
    def route_echo(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                   query: str) -> Iterable[bytes]:
        body = environ["wsgi.input"].read()
        line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
        text = (line + ("?" + query if query else "") + "\n").encode("latin-1") + body
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                                  ("Content-Length", str(len(text)))])
        return [text]

    def route_environ(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                      query: str) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        seen: dict[str, Any] = {k: v for k, v in environ.items() if isinstance(v, str)}
        errors = environ.get("wsgi.errors")
        seen.update({
            "body": stream.read().decode("latin-1"),
            "wsgi.version": list(environ["wsgi.version"]),
            "wsgi.multithread": environ["wsgi.multithread"],
            "wsgi.multiprocess": environ["wsgi.multiprocess"],
            "wsgi.run_once": environ["wsgi.run_once"],
            "wsgi.input_terminated": environ.get("wsgi.input_terminated", False),
            "errors_usable": all(hasattr(errors, m) for m in ("write", "writelines", "flush")),
        })
        text = json.dumps(seen).encode("ascii")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [text]

    def route_read(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                   query: str) -> Iterable[bytes]:
        """Reads the input in pieces; asking for more than there is must not block."""
        stream = environ["wsgi.input"]
        parts = {"read3": stream.read(3), "readline": stream.readline(),
                 "read1000": stream.read(1000), "after": stream.read(), "again": stream.read(5)}
        text = json.dumps({k: v.decode("latin-1") for k, v in parts.items()}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [text]

    def route_stream(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                     query: str) -> Iterable[bytes]:
        """A generator body without Content-Length: ``?sizes=1000,0,5`` yields those sizes."""
        sizes = [int(s) for s in query.split("=", 1)[1].split(",")]
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (pattern(size, seed) for seed, size in enumerate(sizes))

    def route_status(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                     query: str) -> Iterable[bytes]:
        """A misbehaving app: ``/status/204`` still returns a body."""
        start_response(f"{rest} Test", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"oops"]

    def route_length(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                     query: str) -> Iterable[bytes]:
        """``/length/<declared>/<actual>``: a Content-Length that may lie."""
        declared, actual = (int(x) for x in rest.split("/"))
        start_response("200 OK", [("Content-Length", str(declared))])
        body = pattern(actual, 7)
        return (body[i:i + BLOCK] for i in range(0, actual, BLOCK))

    def route_headers(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                      query: str) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1; Path=/"),
                                  ("Set-Cookie", "b=2; Path=/"), ("X-Test", "yes"),
                                  ("Date", "Tue, 15 Nov 1994 08:12:31 GMT"),
                                  ("Content-Length", "2")])
        return [b"ok"]

    def route_write(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                    query: str) -> Iterable[bytes]:
        """The legacy ``write()`` callable of PEP 3333, then an iterable."""
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"hello ")
        return [b"world"]

    def route_file_wrapper(self, environ: dict[str, Any], start_response: StartResponse,
                           rest: str, query: str) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        wrapper = environ.get("wsgi.file_wrapper")
        data = io.BytesIO(pattern(300_000, 3))
        if wrapper is None:
            return iter(lambda: data.read(8192), b"")
        wrapped: Iterable[bytes] = wrapper(data, 8192)
        return wrapped

    # -- failures ---------------------------------------------------------------------------
    def route_raise(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                    query: str) -> Iterable[bytes]:
        """``/raise/before``: before start_response; ``/raise/first``: on the first body
        block; ``/raise/mid``: after 1 MiB of a streamed body."""
        if rest == "before":
            raise RuntimeError("failing before start_response (expected in this test)")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def body() -> Iterator[bytes]:
            if rest == "mid":
                yield from big_blocks(1)
            raise RuntimeError("failing in the body (expected in this test)")
        return body()

    def route_start_twice(self, environ: dict[str, Any], start_response: StartResponse,
                          rest: str, query: str) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        if rest == "caught":
            try:
                start_response("201 Created", [("Content-Type", "text/plain")])
            except Exception as exc:
                return [f"second call raised {type(exc).__name__}".encode()]
            return [b"second call accepted"]
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"second call accepted"]

    def route_exc_info(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                       query: str) -> Iterable[bytes]:
        """PEP 3333's error pattern: headers replaced before any body was sent."""
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")],
                           sys.exc_info())
        return [b"replaced"]

    def route_no_start(self, environ: dict[str, Any], start_response: StartResponse,
                       rest: str, query: str) -> Iterable[bytes]:
        return [b"never called start_response"]

    # -- slow and large ---------------------------------------------------------------------
    def route_block(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                    query: str) -> Iterable[bytes]:
        """Blocks its thread until the test sets ``release`` (at most 30 s)."""
        with self._lock:
            self.inside += 1
        self.entered.set()
        released = self.release.wait(30)
        self.left.set()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"released" if released else b"gave up"]

    def route_sleep(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                    query: str) -> Iterable[bytes]:
        self.entered.set()
        time.sleep(float(rest or "1"))
        self.left.set()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"slept"]

    def route_big(self, environ: dict[str, Any], start_response: StartResponse, rest: str,
                  query: str) -> Iterable[bytes]:
        """``/big/<MiB>``: a streamed body without Content-Length, tracked."""
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return TrackedBody(self, big_blocks(int(rest)))


@dataclass
class Served:
    """A running server: its address and the test application it serves."""

    address: tuple[str, int]
    app: TestApp

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    def connect(self, **options: Any) -> RawConnection:
        return RawConnection(self.address, **options)

    def healthy(self) -> None:
        """A fresh connection still gets a correct answer."""
        with self.connect() as conn:
            answer = conn.exchange(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer.status == 200 and answer.body == b"GET /health\n"


Serve = Callable[..., Served]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start servers for one test: ``serve(limits=..., fast_lane=..., wsgi=...)`` serves the
    test app unless another WSGI application is given."""
    with ExitStack() as stack:
        def start(*, limits: HttpLimits = LIMITS, threads: int = 4,
                  fast_lane: FastLane | None = None, wsgi: Any = None) -> Served:
            served_app = TestApp()
            address = stack.enter_context(serve_in_thread(
                wsgi or served_app, limits=limits, threads=threads, fast_lane=fast_lane))
            stack.callback(served_app.release.set)  # runs first: never leave a thread blocked
            return Served(address, served_app)
        yield start


@pytest.fixture(scope="module")
def shared_server() -> Iterator[Served]:
    app = TestApp()
    with serve_in_thread(app, limits=LIMITS, threads=4) as address:
        try:
            yield Served(address, app)
        finally:
            app.release.set()


@pytest.fixture
def server(shared_server: Served) -> Iterator[Served]:
    """The module's server with :data:`LIMITS`, its app's records cleared for this test."""
    shared_server.app.reset()
    yield shared_server
    shared_server.app.release.set()
