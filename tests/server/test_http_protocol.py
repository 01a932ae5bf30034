"""HTTP/1.1 behaviour of the asyncio server on the wire (RFC 9110, RFC 9112): keep-alive,
pipelining, HEAD, response framing, ``Expect: 100-continue`` and the ``Date`` header. Every
test sends exact bytes over a raw socket and parses the answer strictly
(:mod:`tests.server.rawhttp`)."""

from __future__ import annotations

import socket

import pytest

from tests.server.conftest import Served, pattern
from tests.server.rawhttp import assert_date, request

GET = request("GET", "/one")
MARGIN = 10.0  # generous bound for "the server closed the connection"


# -- keep-alive ----------------------------------------------------------------------------
def test_http11_keeps_the_connection_open(server: Served) -> None:
    with server.connect() as conn:
        first = conn.exchange(request("GET", "/one"))
        assert conn.is_open()
        second = conn.exchange(request("GET", "/two"))
    assert (first.status, first.body) == (200, b"GET /one\n")
    assert (second.status, second.body) == (200, b"GET /two\n")
    assert "close" not in first.tokens("connection") | second.tokens("connection")


@pytest.mark.parametrize("value", ["close", "Close", "keep-alive, close", "TE, CLOSE"])
def test_http11_connection_close_is_honoured(server: Served, value: str) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/one", f"Connection: {value}"))
        assert conn.closed_within(MARGIN) == b""
    assert answer.status == 200 and answer.body == b"GET /one\n"
    assert "close" in answer.tokens("connection")


def test_http10_closes_by_default(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/one", version="HTTP/1.0"))
        assert conn.closed_within(MARGIN) == b""
    assert answer.version in ("1.0", "1.1")
    assert answer.status == 200 and answer.body == b"GET /one\n"
    assert "keep-alive" not in answer.tokens("connection")


@pytest.mark.parametrize("value", ["keep-alive", "Keep-Alive"])
def test_http10_keep_alive_when_asked(server: Served, value: str) -> None:
    with server.connect() as conn:
        first = conn.exchange(request("GET", "/one", f"Connection: {value}", version="HTTP/1.0"))
        assert conn.is_open()
        second = conn.exchange(request("GET", "/two", "Connection: keep-alive",
                                       version="HTTP/1.0"))
    assert "keep-alive" in first.tokens("connection")
    assert first.framing == "length"  # a close-delimited body could not keep the connection
    assert (first.body, second.body) == (b"GET /one\n", b"GET /two\n")


def test_http10_keep_alive_without_length_closes(server: Served) -> None:
    """HTTP/1.0 has no chunked coding: a body of unknown length ends with the connection."""
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/stream/x?sizes=400000,400000",
                                       "Connection: keep-alive", version="HTTP/1.0"))
        assert conn.closed_within(MARGIN) == b""
    assert answer.status == 200
    assert answer.body == pattern(400_000, 0) + pattern(400_000, 1)
    assert "chunked" not in answer.tokens("transfer-encoding")


# -- pipelining ----------------------------------------------------------------------------
def test_pipelined_requests_are_answered_in_order(server: Served) -> None:
    requests = [request("GET", f"/p{i}?n={i}") for i in range(5)]
    requests.insert(2, request("POST", "/posted", body=b"the body"))
    requests.insert(4, request("HEAD", "/head"))
    with server.connect() as conn:
        conn.send(b"".join(requests))
        answers = [conn.response("HEAD" if i == 4 else "GET") for i in range(len(requests))]
        assert conn.is_open()
    bodies = [a.body for a in answers]
    assert bodies == [b"GET /p0?n=0\n", b"GET /p1?n=1\n", b"POST /posted\nthe body",
                      b"GET /p2?n=2\n", b"", b"GET /p3?n=3\n", b"GET /p4?n=4\n"]
    assert answers[4].header("content-length") == str(len(b"HEAD /head\n"))


def test_many_pipelined_requests_in_one_write(server: Served) -> None:
    """More requests than the server queues at once: it must stop reading and go on later."""
    with server.connect() as conn:
        conn.send(b"".join(request("GET", f"/many/{i}") for i in range(200)))
        bodies = [conn.response().body for _ in range(200)]
    assert bodies == [f"GET /many/{i}\n".encode() for i in range(200)]


def test_pipelined_request_behind_a_slow_one_waits_its_turn(server: Served) -> None:
    with server.connect() as conn:
        conn.send(request("GET", "/sleep/0.3") + request("GET", "/after"))
        first, second = conn.response(), conn.response()
    assert (first.body, second.body) == (b"slept", b"GET /after\n")


def test_pipeline_ends_at_connection_close(server: Served) -> None:
    """Requests after one that says ``Connection: close`` are never answered or run."""
    with server.connect() as conn:
        conn.send(request("GET", "/a") + request("GET", "/b", "Connection: close")
                  + request("GET", "/c"))
        first, second = conn.response(), conn.response()
        assert conn.closed_within(MARGIN) == b""
    assert (first.body, second.body) == (b"GET /a\n", b"GET /b\n")
    assert "/c" not in server.app.seen


def test_pipeline_with_a_malformed_request(server: Served) -> None:
    """Earlier requests are answered in order, then the refusal, then the close."""
    with server.connect() as conn:
        conn.send(request("GET", "/a") + request("GET", "/b") + b"BROKEN\r\n\r\n"
                  + request("GET", "/c"))
        answers = [conn.response() for _ in range(3)]
        assert conn.closed_within(MARGIN) == b""
    assert [a.status for a in answers] == [200, 200, 400]
    assert [a.body for a in answers[:2]] == [b"GET /a\n", b"GET /b\n"]
    assert "/c" not in server.app.seen


def test_request_split_into_single_bytes(server: Served) -> None:
    data = request("POST", "/bytewise", "X-A: b", body=b"abc")
    with server.connect() as conn:
        for index in range(len(data)):
            conn.send(data[index:index + 1])
        answer = conn.response()
    assert answer.body == b"POST /bytewise\nabc"


# -- HEAD ----------------------------------------------------------------------------------
def test_head_sends_headers_without_body(server: Served) -> None:
    with server.connect() as conn:
        head = conn.exchange(request("HEAD", "/resource"), method="HEAD")
        after = conn.exchange(request("GET", "/after"))
    assert head.status == 200
    assert head.header("content-length") == str(len(b"HEAD /resource\n"))
    assert head.header("content-type") == "text/plain; charset=utf-8"
    assert after.body == b"GET /after\n"  # no stray body bytes came before it


def test_head_of_a_large_streamed_body(server: Served) -> None:
    with server.connect() as conn:
        head = conn.exchange(request("HEAD", "/stream/x?sizes=2000000"), method="HEAD")
        after = conn.exchange(request("GET", "/after"))
    assert head.status == 200
    # An unknown length must not be announced as 0 (RFC 9110 section 9.3.2).
    assert head.header("content-length") in (None, "2000000")
    assert after.body == b"GET /after\n"


# -- response framing ----------------------------------------------------------------------
def test_streamed_body_is_chunked_on_http11(server: Served) -> None:
    sizes = [1_000_000, 0, 700_000, 1]  # the empty block must not end the body early
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/stream/x?sizes=" + ",".join(map(str, sizes))))
        after = conn.exchange(request("GET", "/after"))
    assert answer.framing == "chunked" and answer.complete
    assert answer.header("content-length") is None
    assert answer.body == b"".join(pattern(size, seed) for seed, size in enumerate(sizes))
    assert after.body == b"GET /after\n"


@pytest.mark.parametrize("sizes", ["5", "0", "3,0,0,4"])
def test_small_generator_body_is_framed(server: Served, sizes: str) -> None:
    """Small bodies may be buffered and sent with a length, or chunked: either is exact."""
    with server.connect() as conn:
        answer = conn.exchange(request("GET", f"/stream/x?sizes={sizes}"))
        after = conn.exchange(request("GET", "/after"))
    expected = b"".join(pattern(int(s), i) for i, s in enumerate(sizes.split(",")))
    assert answer.framing in ("length", "chunked") and answer.complete
    assert answer.body == expected
    assert after.body == b"GET /after\n"


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_for_204_and_304(server: Served, status: int) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", f"/status/{status}"))
        after = conn.exchange(request("GET", "/after"))
    assert answer.status == status
    assert answer.header("transfer-encoding") is None
    if status == 204:  # RFC 9110 section 8.6: never a Content-Length in a 204
        assert answer.header("content-length") is None
    assert after.body == b"GET /after\n"  # the app's b"oops" was not sent


@pytest.mark.parametrize("declared, actual", [(10, 5), (5, 10), (300_000, 200_000),
                                               (300_000, 600_000), (2_000_000, 1_000_000)])
def test_app_content_length_that_lies_never_breaks_framing(
    server: Served, declared: int, actual: int
) -> None:
    """Whatever the app declares, each response is exactly framed: the client never reads
    bytes of one response as the start of the next."""
    with server.connect() as conn:
        conn.send(request("GET", f"/length/{declared}/{actual}") + request("GET", "/next"))
        answer = conn.response()
        if answer.complete and answer.framing != "close":
            assert answer.body == pattern(actual, 7)[:len(answer.body)]
            leftover = conn.closed_within(0.5)
            if leftover is None:  # still open: the next bytes are the next response
                assert conn.response().body == b"GET /next\n"
            else:
                assert leftover == b""
        else:  # cut short: the server closed instead of sending a complete-looking body
            assert conn.closed_within(MARGIN) == b""
            assert not answer.complete


def test_app_headers_pass_through(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/headers"))
    assert answer.values("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]  # never joined
    assert answer.header("x-test") == "yes"
    assert_date(answer)  # the app's own Date does not make two


def test_write_callable(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/write"))
    assert answer.body == b"hello world"


def test_file_wrapper_or_plain_iterable(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/file-wrapper"))
    assert answer.body == pattern(300_000, 3)


def test_half_closed_client_still_gets_its_answer(server: Served) -> None:
    """``printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc``: the client shuts its sending side
    right after the request. Repeated, since whether the end of input is seen before the
    answer is ready varies from run to run."""
    for index in range(20):
        with server.connect() as conn:
            conn.send(request("GET", f"/half/{index}", "Connection: close"))
            conn.sock.shutdown(socket.SHUT_WR)
            answer = conn.response()
        assert answer.body == f"GET /half/{index}\n".encode()


def test_upgrade_is_not_granted(server: Served) -> None:
    with server.connect() as conn:
        answer = conn.exchange(request("GET", "/up", "Connection: Upgrade, HTTP2-Settings",
                                       "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"))
    assert answer.status == 200 and answer.body == b"GET /up\n"


# -- Expect: 100-continue ------------------------------------------------------------------
def test_100_continue_before_the_body(server: Served) -> None:
    with server.connect() as conn:
        conn.send(request("POST", "/upload", "Expect: 100-continue", "Content-Length: 5"))
        interim = conn.read_head()
        assert interim.status == 100 and interim.version == "1.1"
        conn.send(b"hello")
        final = conn.response()
        after = conn.exchange(request("GET", "/after"))
    assert final.status == 200 and final.body == b"POST /upload\nhello"
    assert after.body == b"GET /after\n"


def test_100_continue_when_the_body_comes_at_once(server: Served) -> None:
    """A client may send the body without waiting; a 100 may come or not, but only before
    the final response, and never mixed into the next one."""
    with server.connect() as conn:
        conn.send(request("POST", "/upload", "Expect: 100-continue", body=b"hello")
                  + request("GET", "/after"))
        first, second = conn.response(), conn.response()
    assert first.body == b"POST /upload\nhello" and second.body == b"GET /after\n"


def test_expect_with_too_large_body_is_refused_without_100(server: Served) -> None:
    with server.connect() as conn:
        conn.send(request("POST", "/upload", "Expect: 100-continue", "Content-Length: 10001"))
        answer = conn.read_head()
        conn.read_body(answer)
        assert conn.closed_within(MARGIN) == b""
    assert answer.status in (413, 417)
    assert "close" in answer.tokens("connection")
    server.healthy()


def test_expect_is_ignored_on_http10(server: Served) -> None:
    """RFC 9110 section 10.1.1: no 100 (Continue) to an HTTP/1.0 client."""
    with server.connect() as conn:
        conn.send(request("POST", "/upload", "Expect: 100-continue", body=b"hello",
                          version="HTTP/1.0"))
        answer = conn.read_head()
        conn.read_body(answer)
    assert answer.status == 200 and answer.body == b"POST /upload\nhello"


# -- Date ----------------------------------------------------------------------------------
@pytest.mark.parametrize("data, method", [
    (request("GET", "/plain"), "GET"),
    (request("HEAD", "/plain"), "HEAD"),
    (request("GET", "/stream/x?sizes=1000000"), "GET"),
    (request("GET", "/status/204"), "GET"),
    (request("GET", "/status/304"), "GET"),
    (request("GET", "/status/404"), "GET"),
    (request("GET", "/raise/before"), "GET"),
    (b"GET /\x00 HTTP/1.1\r\n\r\n", "GET"),
    (request("POST", "/big", "Content-Length: 99999"), "GET"),
], ids=["200", "head", "chunked", "204", "304", "404", "500", "400", "413"])
def test_every_response_has_a_date(server: Served, data: bytes, method: str) -> None:
    with server.connect() as conn:
        answer = conn.exchange(data, method=method)
    assert_date(answer)
