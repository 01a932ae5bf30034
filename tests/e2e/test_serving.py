"""``smartregion serve`` (granian) through raw sockets: the limits that matter, keep-alive,
slow clients and the structured access log.

Most checks use the session's live server; a second real server on the same store runs with
a 1 s request timeout to show that the setting reaches granian.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tests.e2e.conftest import LiveServer, free_port, serving

pytestmark = pytest.mark.e2e
MARGIN = 5.0
"""Generous for the 1 s timeout set below, and shorter than the default (10 s), so the
tests fail if the setting did not reach the server."""


def _port(server: LiveServer) -> int:
    return int(server.url.rstrip("/").rsplit(":", 1)[1])


def _exchange(port: int, data: bytes, timeout: float = MARGIN) -> bytes:
    """Send ``data`` and read until the server closes (or ``timeout`` passes)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(data)
        sock.settimeout(timeout)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


SIX_KB_QUERY = (
    "PREFIX schema: <https://schema.org/>\n"
    "SELECT ?s ?name WHERE {\n  ?s ?p ?name .\n"
    + "".join(f'  FILTER(?name != "padding value number {i:04d} of a long query")\n'
              for i in range(96))
    + "} LIMIT 3\n"
)


def test_a_6_kb_get_query_is_answered(live_server: LiveServer) -> None:
    assert 6000 <= len(SIX_KB_QUERY.encode()) < 7000
    response = requests.get(live_server.sparql, params={"query": SIX_KB_QUERY},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 3


def test_a_request_target_over_the_limit_gets_414(live_server: LiveServer) -> None:
    target = "/sparql?query=" + quote("ASK {}" + " " * 20_000)
    response = _exchange(_port(live_server), f"GET {target} HTTP/1.1\r\nHost: x\r\n"
                         "Accept: application/json\r\nConnection: close\r\n\r\n".encode())
    assert _status(response) == 414, response[:300]
    assert b"POST" in response  # the problem says what to do instead


def test_a_header_block_over_the_limit_gets_431(live_server: LiveServer) -> None:
    # granian's buffer grows in steps and is checked between reads, so a block up to about
    # twice max_header_bytes (64 KiB) may still be read: far over it is refused for sure.
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    assert _status(_exchange(_port(live_server), big)) == 431


def test_too_many_header_fields_get_431(live_server: LiveServer) -> None:
    fields = b"".join(b"X-Field-%d: v\r\n" % i for i in range(150))
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"Connection: close\r\n\r\n"
    assert _status(_exchange(_port(live_server), request)) == 431


def test_a_body_over_the_limit_gets_413(live_server: LiveServer) -> None:
    body = b"query=" + b"%20" * 400_000  # 1.2 MB, the limit is 1 MB
    response = requests.post(live_server.sparql, data=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    assert response.status_code == 413


def test_keep_alive_serves_several_requests_on_one_connection(live_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(live_server))) as sock:
        sock.settimeout(MARGIN)
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 ")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            rest = head.split(b"\r\n\r\n", 1)[1]
            while len(rest) < length:
                rest += sock.recv(65536)


def test_slow_clients_do_not_starve_others(live_server: LiveServer) -> None:
    """Half-sent requests on many connections hold no worker thread: others are answered."""
    stalled = []
    try:
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", _port(live_server)))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            stalled.append(sock)
        for _ in range(5):
            assert requests.get(live_server.url + "healthz", timeout=5).status_code == 200
    finally:
        for sock in stalled:
            sock.close()


@pytest.fixture(scope="module")
def hurried(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[int, Path]]:
    """(port, access log) of a server with a 1 s request timeout."""
    port = free_port()
    folder = tmp_path_factory.mktemp("hurried")
    environment = {**live_server.environment, "SMARTREGION_PORT": str(port),
                   "SMARTREGION_WORKERS": "1", "SMARTREGION_REQUEST_TIMEOUT": "1",
                   "SMARTREGION_ACCESS_LOG": str(folder / "access.log"),
                   "SMARTREGION_METRICS_DIR": str(folder / "metrics")}
    with serving(environment, port, folder / "server.log"):
        yield port, folder / "access.log"


def test_a_stalled_request_is_dropped_after_the_request_timeout(
        hurried: tuple[int, Path]) -> None:
    started = time.monotonic()
    response = _exchange(hurried[0], b"GET /sparql HTTP/1.1\r\nHost: x\r\nAccept: ")
    assert time.monotonic() - started < MARGIN - 1  # closed by the server, not our timeout
    assert _status(response) in (0, 408)


def test_an_idle_connection_is_closed_after_the_request_timeout(
        hurried: tuple[int, Path]) -> None:
    started = time.monotonic()
    response = _exchange(hurried[0], b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 200 ")
    assert time.monotonic() - started < MARGIN - 1


def test_requests_are_in_the_structured_access_log(hurried: tuple[int, Path]) -> None:
    _exchange(hurried[0], b"GET /healthz?probe=access-log HTTP/1.1\r\nHost: x\r\n"
              b"User-Agent: e2e\r\nConnection: close\r\n\r\n")
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        if hurried[1].exists():
            entries = [json.loads(line) for line in hurried[1].read_text().splitlines()]
            found = [e for e in entries if e["path"] == "/healthz?probe=access-log"]
            if found:
                entry = found[0]
                assert (entry["method"], entry["status"], entry["route"]) == (
                    "GET", 200, "/healthz")
                assert entry["user_agent"] == "e2e" and entry["client"] == "127.0.0.1"
                assert entry["seconds"] >= 0 and entry["bytes"] > 0
                return
        time.sleep(0.2)
    pytest.fail("the request never reached the access log")
