"""A real HTTP server on 127.0.0.1 for the harvest tests, answering with fixture responses.

Routes map a path to a handler ``(request) -> Reply``; every request is recorded with its
method, path, query and headers, so tests can check what the loaders sent (User-Agent,
conditional headers, VALUES batches). Fixture bodies may contain ``@SERVER@``, replaced with
the server's own ``http://127.0.0.1:<port>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from loaders.pipeline import load, resolve_sources
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import TEST_DATA, make_settings

FIXTURES = TEST_DATA / "harvest"


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class Reply:
    """What a handler answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False


Handler = Callable[[Request], Reply]


class FixtureServer:
    """A threaded HTTP server with a route table and a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request("GET", parts.path, parse_qs(parts.query),
                                  {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                handler = server.routes.get(parts.path)
                reply = handler(request) if handler else Reply(404, b"not found")
                if reply.delay and server.stopping.wait(reply.delay):
                    return
                # the client may have given up (a timeout test): then there is no one to answer
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(reply.body), 4096):
                        piece = reply.body[start:start + 4096]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if reply.status != 304:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status != 304:
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FixtureServer:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release slow handlers."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def fixture(self, name: str) -> bytes:
        """A fixture file's bytes with ``@SERVER@`` replaced by this server's address."""
        return (FIXTURES / name).read_bytes().replace(b"@SERVER@", self.url.encode())

    def on(self, path: str, handler: Handler) -> None:
        """Answer requests for ``path`` with ``handler``."""
        self.routes[path] = handler

    def seen(self, path: str) -> list[Request]:
        """The requests for ``path`` so far."""
        return [r for r in self.requests if r.path == path]


def serve() -> Iterator[FixtureServer]:
    """Generator body for a fixture: a started server, stopped afterwards."""
    server = FixtureServer().start()
    try:
        yield server
    finally:
        server.stop()


def etag_of(body: bytes) -> str:
    """A strong ETag for a body."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def conditional(body: bytes, media_type: str) -> Handler:
    """A handler serving ``body`` with an ETag and Last-Modified, answering 304 on a match."""
    tag = etag_of(body)
    modified = "Wed, 01 Oct 2025 08:30:00 GMT"

    def handle(request: Request) -> Reply:
        if request.headers.get("if-none-match") == tag:
            return Reply(304, headers={"ETag": tag, "Last-Modified": modified})
        return Reply(200, body, {"Content-Type": media_type, "ETag": tag,
                                 "Last-Modified": modified})

    return handle


def sequence(*replies: Reply) -> Handler:
    """A handler answering with the given replies in turn (the last one repeats)."""
    queue = list(replies)

    def handle(request: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handle


def wikidata_endpoint(results: Path | bytes = FIXTURES / "wikidata-results.json") -> Handler:
    """A SPARQL endpoint answering the Wikidata loader's query from a results file.

    Like the real service, it answers only the rows of the AGS bound in the query's VALUES,
    with an ETag per distinct answer and 304 for a matching If-None-Match.
    """
    document = json.loads(results.read_bytes() if isinstance(results, Path) else results)

    def handle(request: Request) -> Reply:
        query = request.query.get("query", [""])[0]
        values = query.split("VALUES ?ags {", 1)[1].split("}", 1)[0] if "VALUES" in query else ""
        asked = {token.strip('"') for token in values.split()}
        rows = [b for b in document["results"]["bindings"] if b["ags"]["value"] in asked]
        body = json.dumps({"head": document["head"], "results": {"bindings": rows}}).encode()
        tag = etag_of(body)
        if request.headers.get("if-none-match") == tag:
            return Reply(304, headers={"ETag": tag})
        return Reply(200, body, {"Content-Type": "application/sparql-results+json;charset=utf-8",
                                 "ETag": tag})

    return handle


def published_store(tmp: Path, **overrides: object) -> tuple[Settings, EmbeddedBackend]:
    """A store under ``tmp`` with the fixture municipalities published (real pipeline)."""
    settings = make_settings(tmp, source_dir=FIXTURES / "sources", **overrides)
    backend = EmbeddedBackend(settings)
    load(resolve_sources([], settings), settings, backend)
    return settings, backend


def write_config(tmp: Path, text: str, server: FixtureServer) -> Path:
    """A harvest configuration file; ``@SERVER@`` becomes the server's address."""
    path = tmp / "harvest.toml"
    path.write_text(text.replace("@SERVER@", server.url), encoding="utf-8")
    return path


# Fast and deterministic fetching for tests: tiny backoff, no pacing, short timeouts.
FAST_FETCH = """
[fetch]
timeout = 2
retries = 2
backoff = 0.01
min_interval = 0
"""
