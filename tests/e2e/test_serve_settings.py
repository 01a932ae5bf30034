"""``smartregion serve`` applies the HTTP timeouts of the settings, and logs every request.

A second real server runs on the live server's store with short timeouts; raw sockets show
that a stalled request gets 408 and an idle keep-alive connection is closed.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer, free_port, serving

pytestmark = pytest.mark.e2e
MARGIN = 4.0
"""Generous for the 1 s timeouts set here, and shorter than the defaults (10 s and 5 s), so
the tests fail if the settings did not reach the server."""


@pytest.fixture(scope="module")
def hurried(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[int, Path]]:
    """(port, log) of a server with 1 s request and keep-alive timeouts."""
    port = free_port()
    log = tmp_path_factory.mktemp("hurried") / "server.log"
    environment = {**live_server.environment, "SMARTREGION_PORT": str(port),
                   "SMARTREGION_WORKERS": "1", "SMARTREGION_REQUEST_TIMEOUT": "1",
                   "SMARTREGION_KEEPALIVE_TIMEOUT": "1"}
    with serving(environment, port, log):
        yield port, log


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    started, data = time.monotonic(), b""
    sock.settimeout(MARGIN)
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - started


def test_a_stalled_request_gets_408(hurried: tuple[int, Path]) -> None:
    with socket.create_connection(("127.0.0.1", hurried[0])) as sock:
        sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\nAccept: ")
        data, waited = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert waited < MARGIN


def test_an_idle_connection_is_closed(hurried: tuple[int, Path]) -> None:
    with socket.create_connection(("127.0.0.1", hurried[0])) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data, waited = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200 ") and b"Connection: close" not in data
    assert waited < MARGIN  # closed by the server after the keep-alive timeout


def test_requests_are_in_the_access_log(hurried: tuple[int, Path]) -> None:
    with socket.create_connection(("127.0.0.1", hurried[0])) as sock:
        sock.sendall(b"GET /healthz?probe=access-log HTTP/1.1\r\nHost: x\r\n"
                     b"User-Agent: e2e\r\nConnection: close\r\n\r\n")
        _read_until_closed(sock)
    give_up = time.monotonic() + 10  # the log is flushed about once a second
    while time.monotonic() < give_up:
        lines = [line for line in hurried[1].read_text().splitlines() if "access-log" in line]
        if lines:
            assert '"GET /healthz?probe=access-log HTTP/1.1" 200' in lines[0]
            assert '"e2e"' in lines[0]
            return
        time.sleep(0.2)
    pytest.fail("the request never reached the access log")
