"""Running the Flask (any PEP 3333) application for requests the fast lane leaves alone.

The application runs in a thread of a pool, since views block (on query executors, the
store, files). A body of up to :data:`_BUFFER` bytes is collected in the thread and handed
to the event loop in one piece, with its exact ``Content-Length``; a longer one is streamed
in pieces of that size, each written only when the connection accepts more (flow control),
so a slow reader never makes the server buffer a whole dump. A client that goes away ends
the stream and closes the application's iterable.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes

from smartregion.server.protocol import HttpConnection, Request, Response

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_BUFFER = 256 * 1024
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class _Gone(Exception):
    """The client closed the connection while its response was being sent."""


def build_environ(request: Request, server: tuple[str, int]) -> dict[str, Any]:
    """The WSGI environ of ``request`` (PEP 3333: native strings, latin-1)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
        "QUERY_STRING": request.query,
        "RAW_URI": request.target,
        "REQUEST_URI": request.target,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{request.version}",
        "REMOTE_ADDR": request.client,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        if "_" in name:
            # X_Forwarded_For would become the same variable as X-Forwarded-For: a client
            # could spoof what a proxy says. Such names are dropped (as gunicorn does).
            continue
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "content-length":
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    if request.body or request.header("content-length"):
        environ["CONTENT_LENGTH"] = str(len(request.body))  # chunked bodies arrive whole
    return environ


class WsgiBridge:
    """Runs ``app`` in ``pool`` for requests of connections served by ``loop``."""

    def __init__(self, app: WsgiApp, pool: Executor, loop: asyncio.AbstractEventLoop,
                 server: tuple[str, int]) -> None:
        self.app = app
        self.pool = pool
        self.loop = loop
        self.server = server

    def run(self, request: Request, connection: HttpConnection) -> None:
        """Answer ``request`` through the application (returns at once)."""
        self.pool.submit(self._call, request, connection)

    # -- in a pool thread ------------------------------------------------------------------
    def _call(self, request: Request, connection: HttpConnection) -> None:
        started: list[Any] = []
        pending: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: _ExcInfo | None = None) -> Callable[[bytes], None]:
            if exc_info is not None:
                if started and started[0] is True:  # headers already on the wire
                    raise exc_info[1].with_traceback(exc_info[2])
            elif started:
                raise AssertionError("start_response was called twice")
            started[:] = [status, headers]
            return pending.append

        try:
            result = self.app(build_environ(request, self.server), start_response)
        except Exception:  # the application failed before answering: a plain 500
            log.exception("application error on %s %s", request.method, request.target)
            self._later(connection.send, request, Response(
                500, [("Content-Type", "text/plain; charset=utf-8")],
                b"Internal Server Error\n"))
            return
        try:
            self._respond(request, connection, result, started, pending)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _respond(self, request: Request, connection: HttpConnection, result: Iterable[bytes],
                 started: list[Any], pending: list[bytes]) -> None:
        body = bytearray(b"".join(pending))
        iterator = iter(result) if request.method != "HEAD" else iter(())
        streaming = False
        head: tuple[int, list[tuple[str, str]], int | None] | None = None
        sent = 0
        overflow = False
        try:
            for chunk in iterator:
                body += chunk
                if len(body) >= _BUFFER:
                    if head is None:
                        head = _head(started)
                        streaming = True
                        self._await(self._start_stream(request, connection, head))
                    if head[2] is not None and sent + len(body) > head[2]:
                        # More than the application declared: never break the framing.
                        del body[head[2] - sent:]
                        overflow = True
                    sent += len(body)
                    self._await(self._stream(connection, bytes(body), _chunked(request, head)))
                    body.clear()
                    if overflow:
                        break
        except _Gone:
            self._later(connection.finished, request, 499, sent, keep_alive=False)
            return
        except Exception:  # mid-body failure: the client must not take it for complete
            log.exception("application error while sending %s %s", request.method,
                          request.target)
            if not streaming:
                self._later(connection.send, request, Response(
                    500, [("Content-Type", "text/plain; charset=utf-8")],
                    b"Internal Server Error\n"))
            else:
                self._later(connection.finished, request, 500, sent, keep_alive=False)
            return
        if not started:
            log.error("application returned without calling start_response: %s", request.target)
            self._later(connection.send, request, Response(500, [], b""))
            return
        if not streaming:
            status, headers, length = _head(started)
            if request.method == "HEAD":
                self._later(self._send_head_only, request, connection, status, headers, length)
            else:
                self._later(connection.send, request, Response(status, headers, bytes(body)))
            return
        assert head is not None
        if head[2] is not None and sent + len(body) > head[2]:
            del body[head[2] - sent:]
            overflow = True
        try:
            sent += len(body)
            self._await(self._stream(connection, bytes(body), _chunked(request, head),
                                     last=True))
        except _Gone:
            self._later(connection.finished, request, 499, sent, keep_alive=False)
            return
        complete = (head[2] is None or head[2] == sent) and not overflow
        self._later(connection.finished, request, head[0], sent, keep_alive=complete)

    def _later(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.loop.call_soon_threadsafe(lambda: function(*args, **kwargs))

    def _await(self, coroutine: Any) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    # -- on the event loop ------------------------------------------------------------------
    @staticmethod
    def _send_head_only(request: Request, connection: HttpConnection, status: int,
                        headers: list[tuple[str, str]], length: int | None) -> None:
        data, _, keep_alive = connection.head(request, status, headers, length)
        connection.write(data)
        connection.finished(request, status, 0, keep_alive=keep_alive)

    @staticmethod
    async def _start_stream(request: Request, connection: HttpConnection,
                            head: tuple[int, list[tuple[str, str]], int | None]) -> None:
        if connection.closed:
            raise _Gone
        data, chunked, _ = connection.head(request, head[0], head[1], head[2])
        if head[2] is None and not chunked:
            request.keep_alive = False  # HTTP/1.0: the body ends with the connection
        connection.write(data)

    @staticmethod
    async def _stream(connection: HttpConnection, data: bytes, chunked: bool,
                      last: bool = False) -> None:
        await connection.drain()
        if connection.closed:
            raise _Gone
        if chunked:
            framed = (b"%x\r\n" % len(data) + data + b"\r\n") if data else b""
            connection.write(framed + (b"0\r\n\r\n" if last else b""))
        else:
            connection.write(data)


def _head(started: list[Any]) -> tuple[int, list[tuple[str, str]], int | None]:
    status_line, headers = started
    status = int(str(status_line).split(" ", 1)[0])
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), None)
    return status, list(headers), length


def _chunked(request: Request, head: tuple[int, list[tuple[str, str]], int | None]) -> bool:
    """Whether a streamed body goes in chunks (HTTP/1.1 without a length)."""
    return head[2] is None and request.version == "1.1"
