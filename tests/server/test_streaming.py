"""Large responses with flow control, clients that go away mid-response, and many clients
at once."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.server.conftest import Served, big_blocks
from tests.server.rawhttp import request

MARGIN = 10.0
MIB = 1024 * 1024
# What may be produced ahead of what the client has read: the kernel's socket buffers
# (a few MiB on loopback after autotuning) plus the server's own bounded buffers.
AHEAD = 16 * MIB


def steady_production(served: Served) -> int:
    """Wait until the app's producer stops (blocked by flow control), at most 10 s."""
    last, same, give_up = -1, 0, time.monotonic() + 10
    while same < 5 and time.monotonic() < give_up:
        time.sleep(0.1)
        now = served.app.produced
        same, last = (same + 1, now) if now == last else (0, now)
    return last


def test_large_response_is_streamed_with_flow_control(server: Served) -> None:
    """50 MiB read by a client that pauses: the server never runs far ahead of it, and every
    byte arrives in order."""
    expected = hashlib.sha256()
    for block in big_blocks(50):
        expected.update(block)
    with server.connect(rcvbuf=64 * 1024, timeout=60) as conn:
        conn.send(request("GET", "/big/50"))
        head = conn.read_head()
        assert head.status == 200
        for consumed in (0, 5 * MIB, 20 * MIB):
            conn.prefetch(consumed)
            ahead = steady_production(server) - consumed
            assert ahead <= AHEAD, f"{ahead / MIB:.1f} MiB produced ahead of the client"
        answer = conn.read_body(head)
        after = conn.exchange(request("GET", "/after"))
    assert answer.complete and len(answer.body) == 50 * MIB
    assert hashlib.sha256(answer.body).hexdigest() == expected.hexdigest()
    assert after.body == b"GET /after\n"
    assert server.app.closed.wait(MARGIN)


@pytest.mark.parametrize("how", ["reset", "close"])
def test_client_leaving_mid_response(server: Served, how: str) -> None:
    """The server stops producing, closes the app's iterable (PEP 3333) and goes on."""
    with server.connect(rcvbuf=64 * 1024) as conn:
        conn.send(request("GET", "/big/50"))
        assert conn.read_head().status == 200
        conn.prefetch(MIB)
        if how == "reset":
            conn.abort()
        else:
            conn.close()
    assert server.app.closed.wait(MARGIN), "the app's iterable was never closed"
    stopped_at = steady_production(server)
    assert stopped_at < 50 * MIB
    server.healthy()


def test_client_leaving_before_the_app_answers(server: Served) -> None:
    with server.connect() as conn:
        conn.send(request("GET", "/sleep/0.3"))
        assert server.app.entered.wait(MARGIN)
    assert server.app.left.wait(MARGIN)
    server.healthy()


def test_client_leaving_with_pipelined_requests_queued(server: Served) -> None:
    with server.connect() as conn:
        conn.send(request("GET", "/sleep/0.2") + request("GET", "/big/5") * 3)
        assert server.app.entered.wait(MARGIN)
        conn.abort()
    assert server.app.left.wait(MARGIN)
    server.healthy()


def keepalive_client(served: Served, index: int) -> list[bytes]:
    """20 requests on one connection; odd clients pipeline them all at once."""
    with served.connect() as conn:
        targets = [f"/c/{index}/{n}" for n in range(20)]
        if index % 2:
            conn.send(b"".join(request("GET", t) for t in targets))
            return [conn.response().body for _ in targets]
        return [conn.exchange(request("POST", t, body=b"x" * n)).body
                for n, t in enumerate(targets)]


def expected_bodies(index: int) -> list[bytes]:
    if index % 2:
        return [f"GET /c/{index}/{n}\n".encode() for n in range(20)]
    return [f"POST /c/{index}/{n}\n".encode() + b"x" * n for n in range(20)]


def test_parallel_keepalive_clients(server: Served) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: keepalive_client(server, i), range(20)))
    for index, bodies in enumerate(results):
        assert bodies == expected_bodies(index)
    assert len(server.app.seen) == 400


def test_blocked_app_thread_does_not_block_other_requests(server: Served) -> None:
    with server.connect() as slow, server.connect() as other:
        slow.send(request("GET", "/block"))
        assert server.app.entered.wait(MARGIN)
        assert other.exchange(request("GET", "/meanwhile")).body == b"GET /meanwhile\n"
        assert not server.app.left.is_set()
        server.app.release.set()
        assert slow.response().body == b"released"
