"""The fast lane: a callable the server asks first, on the event loop. What it answers never
reaches the WSGI application; ``None`` passes the request on. The server frames its answers
like any other, and a failing fast lane costs one request, not the server."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from smartregion.server.protocol import Request, Response
from tests.server.conftest import Serve, Served
from tests.server.rawhttp import assert_date, chunked, request

MARGIN = 10.0


def lane(req: Request) -> Response | None:
    """Answers ``/lane/...``; everything else goes on to the application."""
    if not req.path.startswith("/lane/"):
        return None
    what = req.path.removeprefix("/lane/")
    if what == "fail":
        raise RuntimeError("the fast lane fails (expected in this test)")
    if what == "no-content":
        return Response(204, [("X-Lane", "yes")], b"must not be sent")
    if what == "framing":  # framing headers of its own must not make a second framing
        return Response(200, [("Content-Length", "999"), ("Transfer-Encoding", "chunked"),
                              ("Date", "Tue, 15 Nov 1994 08:12:31 GMT"),
                              ("Connection", "keep-alive")], b"abc")
    payload = {"method": req.method, "target": req.target, "path": req.path,
               "query": req.query, "version": req.version, "headers": req.headers,
               "body": req.body.decode("latin-1"), "client": req.client}
    return Response(200, [("Content-Type", "application/json"), ("X-Lane", "yes")],
                    json.dumps(payload).encode())


@pytest.fixture
def fast(serve: Serve) -> Served:
    return serve(fast_lane=lane)


def test_fast_lane_answers_without_the_app(fast: Served) -> None:
    with fast.connect() as conn:
        answer = conn.exchange(request("GET", "/lane/echo?x=%20y", "X-Mixed-Case: Value"))
    seen = json.loads(answer.body)
    assert seen["method"] == "GET"
    assert seen["target"] == "/lane/echo?x=%20y"
    assert seen["path"] == "/lane/echo" and seen["query"] == "x=%20y"
    assert seen["version"] == "1.1"
    assert ["x-mixed-case", "Value"] in seen["headers"]
    assert ["host", "testserver"] in seen["headers"]
    assert seen["body"] == "" and seen["client"] == "127.0.0.1"
    assert fast.app.seen == []


def test_fast_lane_response_is_framed_by_the_server(fast: Served) -> None:
    with fast.connect() as conn:
        answer = conn.exchange(request("GET", "/lane/echo"))
        assert conn.is_open()
        closing = conn.exchange(request("GET", "/lane/echo", "Connection: close"))
        assert conn.closed_within(MARGIN) == b""
    assert answer.header("content-length") == str(len(answer.body))
    assert answer.header("x-lane") == "yes"
    assert_date(answer)
    assert "close" in closing.tokens("connection")


def test_fast_lane_framing_headers_are_replaced(fast: Served) -> None:
    with fast.connect() as conn:
        answer = conn.exchange(request("GET", "/lane/framing"))
        after = conn.exchange(request("GET", "/lane/echo"))
    assert answer.values("content-length") == ["3"] and answer.body == b"abc"
    assert answer.header("transfer-encoding") is None
    assert_date(answer)
    assert after.status == 200


def test_fast_lane_on_http10_keep_alive(fast: Served) -> None:
    with fast.connect() as conn:
        answer = conn.exchange(request("GET", "/lane/echo", "Connection: keep-alive",
                                       version="HTTP/1.0"))
        assert "keep-alive" in answer.tokens("connection")
        assert json.loads(answer.body)["version"] == "1.0"
        assert conn.exchange(request("GET", "/lane/echo", version="HTTP/1.0")).status == 200
        assert conn.closed_within(MARGIN) == b""


def test_fast_lane_gets_the_decoded_body(fast: Served) -> None:
    with fast.connect() as conn:
        plain = conn.exchange(request("POST", "/lane/echo", body=b"plain body"))
        coded = conn.exchange(request("POST", "/lane/echo", "Transfer-Encoding: chunked")
                              + chunked(b"chunked ", b"body"))
    assert json.loads(plain.body)["body"] == "plain body"
    assert json.loads(coded.body)["body"] == "chunked body"


def test_none_passes_the_request_to_the_app(fast: Served) -> None:
    with fast.connect() as conn:
        answer = conn.exchange(request("GET", "/other?q=1"))
    assert answer.body == b"GET /other?q=1\n"
    assert fast.app.seen == ["/other"]


def test_failing_fast_lane_gives_500_and_the_server_goes_on(fast: Served) -> None:
    with fast.connect() as conn:
        failed = conn.exchange(request("GET", "/lane/fail"))
        if "close" not in failed.tokens("connection"):
            assert conn.exchange(request("GET", "/lane/echo")).status == 200
    assert failed.status == 500 and len(failed.body) < 1024
    assert_date(failed)
    assert fast.app.seen == []
    with fast.connect() as conn:
        assert conn.exchange(request("GET", "/lane/echo")).status == 200
    fast.healthy()


def test_fast_lane_head_and_204(fast: Served) -> None:
    with fast.connect() as conn:
        head = conn.exchange(request("HEAD", "/lane/echo"), method="HEAD")
        empty = conn.exchange(request("GET", "/lane/no-content"))
        after = conn.exchange(request("GET", "/lane/echo"))
    assert head.status == 200 and int(head.header("content-length") or 0) > 0
    assert empty.status == 204 and empty.header("content-length") is None
    assert empty.header("x-lane") == "yes"
    assert json.loads(after.body)["method"] == "GET"  # no stray body bytes before it


def test_pipelined_fast_answer_waits_for_the_slower_app(fast: Served) -> None:
    """The fast lane answers at once, but never ahead of an earlier request's response."""
    with fast.connect() as conn:
        conn.send(request("GET", "/sleep/0.3") + request("GET", "/lane/echo")
                  + request("GET", "/after"))
        bodies = [conn.response().body for _ in range(3)]
    assert bodies[0] == b"slept"
    assert json.loads(bodies[1])["path"] == "/lane/echo"
    assert bodies[2] == b"GET /after\n"


def test_fast_lane_answers_while_every_app_thread_is_blocked(serve: Serve) -> None:
    fast = serve(fast_lane=lane, threads=4)
    conns = [fast.connect() for _ in range(5)]
    try:
        for conn in conns:
            conn.send(request("GET", "/block"))
        give_up = time.monotonic() + MARGIN
        while fast.app.inside < 4 and time.monotonic() < give_up:
            time.sleep(0.01)
        assert fast.app.inside == 4  # the fifth waits for a thread
        with fast.connect() as quick:
            assert quick.exchange(request("GET", "/lane/echo")).status == 200
        assert not fast.app.left.is_set()
        fast.app.release.set()
        assert [conn.response().body for conn in conns] == [b"released"] * 5
    finally:
        fast.app.release.set()
        for conn in conns:
            conn.close()


def test_parallel_clients_on_both_lanes(fast: Served) -> None:
    def client(index: int) -> list[str]:
        with fast.connect() as conn:
            paths = []
            for n in range(20):
                target = f"/lane/{index}/{n}" if n % 2 else f"/app/{index}/{n}"
                answer = conn.exchange(request("GET", target))
                paths.append(json.loads(answer.body)["path"] if n % 2
                             else answer.body.decode().split()[1])
            return paths

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(client, range(20)))
    for index, paths in enumerate(results):
        assert paths == [f"/lane/{index}/{n}" if n % 2 else f"/app/{index}/{n}"
                         for n in range(20)]
    assert len(fast.app.seen) == 200
