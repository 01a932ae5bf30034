"""The WSGI side of the server (PEP 3333): the environ an application sees, ``wsgi.input``,
``start_response`` and the iterable's ``close()``, application errors, and a real Flask
application behind the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from flask import Flask
from flask import request as flask_request

from tests.server.conftest import Serve, Served, pattern
from tests.server.rawhttp import RawConnection, chunked, request

MARGIN = 10.0


def environ_of(conn: RawConnection, data: bytes) -> dict[str, Any]:
    answer = conn.exchange(data)
    assert answer.status == 200, answer.body
    assert answer.header("content-type") == "application/json", answer.body
    seen: dict[str, Any] = json.loads(answer.body)
    return seen


# -- environ -------------------------------------------------------------------------------
def test_environ_of_a_post(server: Served) -> None:
    data = request("POST", "/environ/stra%C3%9Fe/a%20b?q=%C3%9F&x=a+b&y=%2F",
                   "X-Tag: a", "X-Custom-Thing: v", "X-Tag: b", "Content-Type: text/plain",
                   "User-Agent: raw-test", body=b"hi")
    with server.connect() as conn:
        env = environ_of(conn, data)
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    # PEP 3333: decoded bytes, carried as latin-1 characters
    assert env["PATH_INFO"] == "/environ/stra\u00c3\u009fe/a b"
    assert env["QUERY_STRING"] == "q=%C3%9F&x=a+b&y=%2F"  # raw, never decoded
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_NAME"] and env["SERVER_PORT"].isdigit()
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["HTTP_HOST"] == "testserver"
    assert env["HTTP_USER_AGENT"] == "raw-test"
    assert env["HTTP_X_TAG"] == "a, b"
    assert env["HTTP_X_CUSTOM_THING"] == "v"
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert env["body"] == "hi"
    assert env["wsgi.version"] == [1, 0]
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is True
    assert isinstance(env["wsgi.multiprocess"], bool)
    assert env["wsgi.run_once"] is False
    assert env["errors_usable"] is True


def test_environ_of_a_plain_get(server: Served) -> None:
    with server.connect() as conn:
        env = environ_of(conn, request("GET", "/environ", version="HTTP/1.0"))
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert env["QUERY_STRING"] == ""  # present, and empty
    assert env.get("CONTENT_LENGTH", "") in ("", "0")
    assert env["body"] == ""


def test_encoded_slash_is_decoded_in_path_info(server: Served) -> None:
    with server.connect() as conn:
        env = environ_of(conn, request("GET", "/environ/a%2Fb%3Fc"))
    assert env["PATH_INFO"] == "/environ/a/b?c"


def test_raw_utf8_in_the_target(server: Served) -> None:
    """Not allowed on the wire (RFC 3986), but if accepted it arrives as latin-1."""
    with server.connect() as conn:
        answer = conn.exchange(b"GET /environ/stra\xc3\x9fe HTTP/1.1\r\nHost: t\r\n\r\n")
    assert answer.status in (200, 400)
    if answer.status == 200:
        assert json.loads(answer.body)["PATH_INFO"] == "/environ/stra\u00c3\u009fe"


def test_absolute_form_target(server: Served) -> None:
    """RFC 9112 section 3.2.2: a server MUST accept the absolute form."""
    with server.connect() as conn:
        env = environ_of(conn, request("GET", "http://testserver/environ/x?y=1"))
    assert (env["PATH_INFO"], env["QUERY_STRING"]) == ("/environ/x", "y=1")


def test_header_values_arrive_as_latin1(server: Served) -> None:
    data = b"GET /environ HTTP/1.1\r\nHost: t\r\nX-Name: Stra\xc3\x9fe\r\n\r\n"
    with server.connect() as conn:
        env = environ_of(conn, data)
    assert env["HTTP_X_NAME"] == "Stra\u00c3\u009fe"


def test_underscore_header_cannot_spoof_a_dash_header(server: Served) -> None:
    """``X_Forwarded_For`` and ``X-Forwarded-For`` share one CGI name: a client must not
    be able to pass the first off as the second (which a proxy vouches for)."""
    data = request("GET", "/environ", "X_Forwarded_For: 6.6.6.6", "X-Forwarded-For: 10.0.0.1")
    with server.connect() as conn:
        answer = conn.exchange(data)
    if answer.status != 400:
        assert json.loads(answer.body)["HTTP_X_FORWARDED_FOR"] == "10.0.0.1"


# -- wsgi.input ----------------------------------------------------------------------------
def test_chunked_request_body(server: Served) -> None:
    body = chunked(b"hello ", b"chunked ", b"world")
    with server.connect() as conn:
        env = environ_of(conn, request("POST", "/environ", "Transfer-Encoding: chunked",
                                       "Content-Type: text/plain") + body)
    assert env["body"] == "hello chunked world"
    # Frameworks read no body without a length unless the input is marked as terminated.
    assert env.get("CONTENT_LENGTH") == "19" or env["wsgi.input_terminated"] is True


def test_chunk_extensions_and_trailers(server: Served) -> None:
    body = b"5;name=value\r\nhello\r\n1;x\r\n!\r\n0\r\nX-Checksum: 1\r\n\r\n"
    with server.connect() as conn:
        env = environ_of(conn, request("POST", "/environ", "Transfer-Encoding: Chunked") + body)
        after = conn.exchange(request("GET", "/after"))
    assert env["body"] == "hello!"
    assert after.body == b"GET /after\n"


def test_reading_the_input_in_pieces(server: Served) -> None:
    """Reading past the end returns what there is, then empty bytes, and never blocks."""
    with server.connect() as conn:
        answer = conn.exchange(request("POST", "/read", body=b"abc\ndef ghi"))
    assert json.loads(answer.body) == {"read3": "abc", "readline": "\n", "read1000": "def ghi",
                                       "after": "", "again": ""}


def test_binary_body_is_passed_unchanged(server: Served) -> None:
    body = bytes(range(256)) * 30
    with server.connect() as conn:
        answer = conn.exchange(request("POST", "/upload", body=body))
    assert answer.body == b"POST /upload\n" + body


# -- start_response, close() ---------------------------------------------------------------
def test_iterable_is_closed_after_the_response(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/big/1"))
    assert answer.complete and len(answer.body) == 1024 * 1024
    assert server.app.closed.wait(MARGIN)


def test_start_response_twice_is_an_error(server: Served) -> None:
    with server.connect() as conn:
        caught = conn.exchange(request("GET", "/start-twice/caught"))
        uncaught = conn.exchange(request("GET", "/start-twice"))
    assert caught.body.startswith(b"second call raised ")
    assert uncaught.status == 500
    server.healthy()


def test_start_response_with_exc_info_replaces_the_headers(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/exc-info"))
    assert (answer.status, answer.body) == (503, b"replaced")


# -- application errors --------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/raise/before", "/raise/first", "/no-start"])
def test_app_failing_before_the_body_gives_500(server: Served, target: str) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", target))
        if answer.status == 500 and "close" not in answer.tokens("connection"):
            assert conn.exchange(request("GET", "/after")).body == b"GET /after\n"
    assert answer.status == 500
    assert len(answer.body) < 1024
    server.healthy()


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
def test_app_failing_mid_stream_never_looks_complete(server: Served, version: str) -> None:
    with server.connect() as conn:
        conn.send(request("GET", "/raise/mid", version=version))
        answer = conn.response()
        assert conn.closed_within(MARGIN) == b""
    if answer.status == 200:
        # chunked: no last chunk; HTTP/1.0 is close-delimited and cannot show the cut, so
        # what matters there is only that the stream did end.
        assert not answer.complete or answer.framing == "close"
        assert len(answer.body) <= 1024 * 1024
    else:
        assert answer.status == 500
    server.healthy()


# -- a real framework ----------------------------------------------------------------------
def flask_app() -> Flask:
    app = Flask("bridge_test")

    @app.post("/data")
    def data() -> bytes:
        return flask_request.get_data()

    @app.post("/form")
    def form() -> dict[str, Any]:
        return flask_request.form.to_dict(flat=False)

    @app.get("/info/<path:rest>")
    def info(rest: str) -> dict[str, Any]:
        return {"rest": rest, "url": flask_request.url, "host": flask_request.host,
                "args": flask_request.args.to_dict(flat=False),
                "remote": flask_request.remote_addr}

    return app


@pytest.fixture
def flask_server(serve: Serve) -> Served:
    return serve(wsgi=flask_app())


def test_flask_sees_the_request(flask_server: Served) -> None:
    answer = requests.get(flask_server.url + "/info/stra%C3%9Fe", params={"q": "ä b"},
                          timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {
        "rest": "straße", "host": f"127.0.0.1:{flask_server.address[1]}",
        "url": f"{flask_server.url}/info/straße?q=ä+b", "args": {"q": ["ä b"]},
        "remote": "127.0.0.1"}


def test_flask_reads_a_chunked_body(flask_server: Served) -> None:
    parts = [b"first ", b"second ", b"third"]
    answer = requests.post(flask_server.url + "/data", data=iter(parts), timeout=10)
    assert answer.request.headers.get("Transfer-Encoding") == "chunked"
    assert answer.content == b"first second third"


def test_flask_reads_a_form(flask_server: Served) -> None:
    answer = requests.post(flask_server.url + "/form", data={"a": ["1", "2"], "ü": "ß"},
                           timeout=10)
    assert answer.json() == {"a": ["1", "2"], "ü": ["ß"]}


def test_requests_session_with_keep_alive(server: Served) -> None:
    with requests.Session() as session:
        answers = [session.get(f"{server.url}/s/{i}", timeout=10) for i in range(5)]
        streamed = session.get(f"{server.url}/stream/x?sizes=1000000,5", timeout=10)
    assert [a.text for a in answers] == [f"GET /s/{i}\n" for i in range(5)]
    assert streamed.content == pattern(1_000_000, 0) + pattern(5, 1)
