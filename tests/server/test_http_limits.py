"""Limits, malformed input, request smuggling and timeouts: whatever a client sends, the
server answers with a short ``text/plain`` error and ``Connection: close``, closes, and goes
on serving everybody else."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from smartregion.server.protocol import HttpLimits
from tests.server.conftest import LIMITS, Serve, Served
from tests.server.rawhttp import RawConnection, RawResponse, chunked, request

MARGIN = 10.0


def refused(server: Served, data: bytes, *statuses: int) -> None:
    """``data`` is answered with one of ``statuses``, a short text/plain body and
    ``Connection: close``; the server then closes, and still serves a new connection."""
    with server.connect() as conn:
        conn.send(data)
        answer = conn.response()
        rest = conn.closed_within(MARGIN)
    assert answer.status in statuses, (answer.status, answer.body)
    assert (answer.header("content-type") or "").startswith("text/plain")
    assert 0 < len(answer.body) < 1024 and answer.complete
    assert "close" in answer.tokens("connection")
    assert rest == b"", "the connection was not closed after the refusal"
    assert server.app.seen == [], "a refused request reached the application"
    server.healthy()


# -- size limits ---------------------------------------------------------------------------
def test_request_line_too_long(server: Served) -> None:
    refused(server, request("GET", "/" + "a" * LIMITS.request_line), 414)


def test_request_line_within_the_limit(server: Served) -> None:
    target = "/" + "a" * (LIMITS.request_line - 20)
    with server.connect() as conn:
        assert conn.exchange(request("GET", target)).status == 200


def test_one_huge_header(server: Served) -> None:
    refused(server, request("GET", "/", "X-Big: " + "a" * LIMITS.header_bytes), 431)


def test_header_block_too_large(server: Served) -> None:
    lines = [f"X-H{i}: {'b' * 200}" for i in range(LIMITS.header_bytes // 200 + 2)]
    assert sum(len(line) for line in lines) > LIMITS.header_bytes
    refused(server, request("GET", "/", *lines), 431)


def test_too_many_headers(server: Served) -> None:
    lines = [f"X-H{i}: v" for i in range(LIMITS.header_count)]  # plus Host: one too many
    refused(server, request("GET", "/", *lines), 431)


def test_header_count_at_the_limit(server: Served) -> None:
    lines = [f"X-H{i}: v" for i in range(LIMITS.header_count - 1)]  # plus Host
    with server.connect() as conn:
        assert conn.exchange(request("GET", "/", *lines)).status == 200


def test_content_length_over_the_limit_is_refused_before_the_body(server: Served) -> None:
    """No body is sent: the 413 must come from the header alone."""
    refused(server, request("POST", "/", f"Content-Length: {LIMITS.body_bytes + 1}"), 413)


def test_body_at_the_limit(server: Served) -> None:
    body = b"x" * LIMITS.body_bytes
    with server.connect() as conn:
        answer = conn.exchange(request("POST", "/upload", body=body))
    assert answer.status == 200 and answer.body == b"POST /upload\n" + body


def test_chunked_body_growing_over_the_limit(server: Served) -> None:
    body = chunked(*[b"y" * 4000] * 3)
    refused(server, request("POST", "/", "Transfer-Encoding: chunked") + body, 413)


def test_trailer_section_counts_against_the_limits(server: Served) -> None:
    trailer = "".join(f"X-T{i}: {'t' * 300}\r\n" for i in range(20))
    body = chunked(b"abc", trailer=trailer)
    refused(server, request("POST", "/", "Transfer-Encoding: chunked") + body, 400, 413, 431)


# -- malformed requests --------------------------------------------------------------------
BAD_REQUESTS = {
    "garbage": b"\x00\x01 nonsense\r\n\r\n",
    "extra-word": b"GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n",
    "unknown-protocol": b"GET / FOO/1.1\r\nHost: t\r\n\r\n",
    "lower-case-version": b"GET / http/1.1\r\nHost: t\r\n\r\n",
    "bad-method-token": b"G(T / HTTP/1.1\r\nHost: t\r\n\r\n",
    "no-target": b"GET  HTTP/1.1\r\nHost: t\r\n\r\n",
    "control-char-in-target": b"GET /a\x01b HTTP/1.1\r\nHost: t\r\n\r\n",
    "header-without-colon": b"GET / HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n",
    "space-before-colon": b"GET / HTTP/1.1\r\nHost : t\r\n\r\n",
    "space-in-name": b"GET / HTTP/1.1\r\nHost: t\r\nX Y: z\r\n\r\n",
    "nul-in-value": b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n",
    "cl-letters": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
    "cl-negative": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    "cl-plus": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc",
    "cl-two-values": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                     b"Content-Length: 4\r\n\r\nabcd",
    "cl-list": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd",
    "cl-and-te": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "bad-chunk-size": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nabc\r\n0\r\n\r\n",
    "chunk-without-crlf": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"3\r\nabcX0\r\n\r\n",
    "te-not-last-chunked": b"POST / HTTP/1.1\r\nHost: t\r\n"
                           b"Transfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("data", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_malformed_request_is_refused(server: Served, data: bytes) -> None:
    refused(server, data, 400)


def test_transfer_encoding_on_http10_never_keeps_the_connection(server: Served) -> None:
    """RFC 9112 section 6.1: such framing is faulty; refuse, or answer and close."""
    with server.connect() as conn:
        answer = conn.exchange(b"POST / HTTP/1.0\r\nConnection: keep-alive\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        assert conn.closed_within(MARGIN) == b""
    assert answer.status in (200, 400)
    assert "close" in answer.tokens("connection") or "keep-alive" not in answer.tokens(
        "connection")


def test_huge_content_length(server: Served) -> None:
    refused(server, request("POST", "/", "Content-Length: 99999999999999999999999"), 400, 413)


@pytest.mark.parametrize("coding", ["gzip", "gzip, chunked", "identity", "xchunked"])
def test_unknown_transfer_coding(server: Served, coding: str) -> None:
    refused(server, request("POST", "/", f"Transfer-Encoding: {coding}") + chunked(b"abc"),
            400, 501)


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/3.0"])
def test_unsupported_version(server: Served, version: str) -> None:
    refused(server, request("GET", "/", version=version), 505)


def test_http3_without_minor(server: Served) -> None:
    refused(server, request("GET", "/", version="HTTP/3"), 400, 505)


def test_http09_request_line(server: Served) -> None:
    """An HTTP/0.9 request line (no version) is refused, as malformed or as unsupported."""
    refused(server, b"GET /\r\n\r\n", 400, 505)


def test_target_must_be_origin_form(server: Served) -> None:
    refused(server, request("GET", "relative/path"), 400)


@pytest.mark.parametrize("value", [b"a\rb", b"a\x7fb"])
def test_dangerous_bytes_in_header_values(server: Served, value: bytes) -> None:
    """RFC 9110 section 5.5: reject, or at least never pass CR/NUL/DEL on to the app."""
    data = b"GET /environ HTTP/1.1\r\nHost: t\r\nX-A: " + value + b"\r\n\r\n"
    with server.connect() as conn:
        answer = conn.exchange(data)
    if answer.status != 400:
        assert answer.status == 200
        seen = json.loads(answer.body)["HTTP_X_A"]
        assert "\r" not in seen and "\x00" not in seen


def test_obsolete_line_folding(server: Served) -> None:
    """RFC 9112 section 5.2: reject with 400, or unfold into a space."""
    data = b"GET /environ HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n"
    with server.connect() as conn:
        answer = conn.exchange(data)
    assert answer.status in (200, 400)
    if answer.status == 200:
        assert json.loads(answer.body)["HTTP_X_A"] in ("one two", "one  two")


def test_bare_lf_line_endings(server: Served) -> None:
    """Refused, or accepted with the same meaning as CRLF."""
    with server.connect() as conn:
        answer = conn.exchange(b"POST /environ HTTP/1.1\nHost: t\nContent-Length: 3\n\nabc")
    assert answer.status in (200, 400)
    if answer.status == 200:
        seen = json.loads(answer.body)
        assert (seen["HTTP_HOST"], seen["body"]) == ("t", "abc")


def test_missing_host_on_http11(server: Served) -> None:
    """RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host."""
    refused(server, request("GET", "/", host=False), 400)


def test_two_host_headers(server: Served) -> None:
    refused(server, request("GET", "/", "Host: other"), 400)


# -- request smuggling ---------------------------------------------------------------------
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
DESYNC = {
    "cl-te": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te-cl": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
             b"Content-Length: 40\r\n\r\n0\r\n\r\n",
    "te-space-colon": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                      b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "te-tab-value": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                    b"Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
    "te-twice": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                b"Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    "te-folded": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding:\r\n"
                 b" chunked\r\n\r\n0\r\n\r\n",
    "cl-lf-in-header": b"POST / HTTP/1.1\r\nHost: t\r\nX-A: a\nContent-Length: 0\r\n"
                       b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    "chunk-size-overflow": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"10000000000000005\r\n0\r\n\r\n",
    "chunk-ext-lf": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5;a\nb\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("data", DESYNC.values(), ids=DESYNC.keys())
def test_no_request_smuggling(server: Served, data: bytes) -> None:
    """Content-Length and chunked framing never disagree: the request hidden in a body is
    never handed to the application."""
    with server.connect() as conn:
        conn.send(data + SMUGGLED)
        answers: list[RawResponse] = []
        while conn.pending(1.0) and len(answers) < 5:
            answers.append(conn.response())
    assert "/smuggled" not in server.app.seen
    assert all(b"/smuggled" not in a.body for a in answers)
    server.healthy()


# -- timeouts ------------------------------------------------------------------------------
SHORT = HttpLimits(request_line=1024, header_bytes=4096, header_count=30, body_bytes=10_000,
                   header_timeout=0.5, keepalive_timeout=1.0)


@pytest.fixture
def quick(serve: Serve) -> Served:
    return serve(limits=SHORT)


def test_stalled_header_block_is_closed(quick: Served) -> None:
    with quick.connect() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Half: ")
        rest = conn.closed_within(MARGIN)
    assert rest is not None, "the server kept a stalled request open"
    assert rest == b"" or rest.startswith(b"HTTP/1.1 408 ")


def test_stalled_body_is_closed(quick: Served) -> None:
    with quick.connect() as conn:
        conn.send(request("POST", "/", "Content-Length: 100") + b"only ten..")
        rest = conn.closed_within(MARGIN)
    assert rest is not None, "the server kept a stalled body open"
    assert rest == b"" or rest.startswith(b"HTTP/1.1 408 ")
    assert quick.app.seen == []


def test_idle_keepalive_connection_is_closed(quick: Served) -> None:
    with quick.connect() as conn:
        assert conn.exchange(request("GET", "/once")).status == 200
        assert conn.closed_within(MARGIN) == b""


def test_keepalive_timer_restarts_with_each_request(quick: Served) -> None:
    """Three requests 0.6 s apart (1.8 s in all) on a connection with a 1 s idle limit."""
    with quick.connect() as conn:
        for index in range(3):
            assert conn.exchange(request("GET", f"/r{index}")).body == f"GET /r{index}\n".encode()
            assert conn.closed_within(0.6) is None


def test_request_then_garbage_in_one_packet(quick: Served) -> None:
    """The request is answered, the garbage refused, and the connection does not linger."""
    with quick.connect() as conn:
        conn.send(request("GET", "/a") + b"\x00")
        first = conn.response()
        rest = conn.closed_within(MARGIN)
    assert first.body == b"GET /a\n"
    assert rest is not None and (rest == b"" or rest.startswith(b"HTTP/1.1 400 "))


def test_slow_app_outlives_the_timeouts(quick: Served) -> None:
    """Timeouts are for clients: an answer that takes longer is still delivered."""
    with quick.connect() as conn:
        assert conn.exchange(request("GET", "/sleep/1.5")).body == b"slept"
        assert conn.exchange(request("GET", "/after")).body == b"GET /after\n"


def test_slow_reader_outlives_the_timeouts(quick: Served) -> None:
    with quick.connect(rcvbuf=64 * 1024) as conn:
        conn.send(request("GET", "/big/20"))
        head = conn.read_head()
        conn.prefetch(1024 * 1024)
        time.sleep(1.5)  # reads nothing for longer than both timeouts
        answer = conn.read_body(head)
    assert answer.complete and len(answer.body) == 20 * 1024 * 1024


def test_clients_that_never_read_do_not_hold_the_app_threads(serve: Serve) -> None:
    """Clients that ask for a large body and then read nothing must not keep every
    application thread waiting for good: past ``send_timeout`` they are dropped, and others
    are answered within a generous margin."""
    served = serve(limits=replace(SHORT, send_timeout=1.0), threads=2)
    stuck = [served.connect(rcvbuf=64 * 1024) for _ in range(2)]
    try:
        for conn in stuck:
            conn.send(request("GET", "/big/50"))
        with served.connect(timeout=MARGIN) as conn:
            answer = conn.exchange(request("GET", "/meanwhile"))
        assert answer.body == b"GET /meanwhile\n"
    finally:
        for conn in stuck:
            conn.close()


def test_connection_without_any_request_is_closed(quick: Served) -> None:
    with quick.connect() as conn:
        assert conn.closed_within(MARGIN) is not None


@pytest.fixture
def patient(serve: Serve) -> Served:
    """Stalled requests stay open for 4 s here: long enough to serve others meanwhile."""
    return serve(limits=replace(SHORT, header_timeout=4.0))


@pytest.fixture
def slowloris(patient: Served) -> Iterator[list[RawConnection]]:
    conns = [patient.connect() for _ in range(50)]
    yield conns
    for conn in conns:
        conn.close()


def test_slowloris_does_not_starve_others(patient: Served,
                                          slowloris: list[RawConnection]) -> None:
    for index, conn in enumerate(slowloris):  # half headers, half bodies, all stalled
        conn.send(request("POST", "/", "Content-Length: 50") + b"x" if index % 2
                  else b"GET / HTTP/1.1\r\nHost: t\r\nX-A: ")
    patient.healthy()
    with patient.connect() as conn:
        answer = conn.exchange(request("POST", "/posted", body=b"payload"))
    assert answer.body == b"POST /posted\npayload"
    assert slowloris[0].is_open(0.05) and slowloris[1].is_open(0.05)  # still stalling
    assert all(conn.closed_within(MARGIN) is not None for conn in slowloris)
    patient.healthy()
