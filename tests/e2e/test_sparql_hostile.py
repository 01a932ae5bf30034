"""Hostile queries against a real ``smartregion serve`` (deadline 2 s): runaway queries are
stopped with 503 while simple queries go on, huge results hit the cap, SERVICE never
connects unless allowed, oversized and malformed requests are refused, and the server stays
healthy. Also: a publish while serving fails no request."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from loaders.pipeline import load, resolve_sources
from smartregion.settings import load_settings
from smartregion.store.embedded import EmbeddedBackend
from tests.e2e.conftest import QUERY_TIMEOUT, LiveServer

pytestmark = pytest.mark.e2e

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
PROPERTY_PATH = ("SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:x:p>|!<urn:x:p>)* ?b . "
                 "?c (<urn:x:p>|!<urn:x:p>)* ?d }")
SIMPLE = ("SELECT ?s WHERE { ?s a <https://data.smarte-region-hessen.de/def/srh#Municipality> }"
          " LIMIT 1")
PROBLEM = "application/sparql-results+json, application/problem+json;q=0.1"


def ask(server: LiveServer, query: str, **params: str) -> tuple[requests.Response, float, float]:
    started = time.monotonic()
    response = requests.get(server.sparql, params={"query": query, **params},
                            headers={"Accept": PROBLEM}, timeout=60)
    return response, started, time.monotonic()


@pytest.fixture(scope="module", autouse=True)
def warm(live_server: LiveServer) -> None:
    """Wait until every worker's executors answer at once (they start with the workers, which
    on a busy machine takes a while): timings below are then those of running queries."""
    give_up = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=6) as pool:
        while time.monotonic() < give_up:
            started = time.monotonic()
            answers = list(pool.map(lambda _: ask(live_server, SIMPLE)[0], range(6)))
            if all(a.status_code == 200 for a in answers) and time.monotonic() - started < 0.5:
                return


def assert_healthy(server: LiveServer) -> None:
    assert requests.get(server.url + "healthz", timeout=10).status_code == 200
    response, _, _ = ask(server, SIMPLE)
    assert response.status_code == 200 and response.json()["results"]["bindings"]


@pytest.mark.parametrize("query", [CARTESIAN, PROPERTY_PATH], ids=["cartesian", "path"])
def test_runaway_query_is_stopped_while_simple_one_answers(
    live_server: LiveServer, query: str
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        hostile = pool.submit(ask, live_server, query)
        time.sleep(0.3)  # the hostile query is running now
        simple, _, simple_done = ask(live_server, SIMPLE)
        stopped, started, done = hostile.result()
    assert simple.status_code == 200
    assert simple_done < done  # answered while the hostile query was still running
    assert stopped.status_code == 503, stopped.text
    assert int(stopped.headers["Retry-After"]) >= 1
    problem = stopped.json()
    assert problem["limit"] == "deadline"
    assert "deadline of 2 s" in problem["detail"]
    assert done - started < QUERY_TIMEOUT + 2
    assert_healthy(live_server)


def test_client_may_lower_the_deadline(live_server: LiveServer) -> None:
    stopped, started, done = ask(live_server, CARTESIAN, timeout="0.5")
    assert stopped.status_code == 503 and "0.5 s" in stopped.json()["detail"]
    assert done - started < 0.5 + 2
    raised, _, _ = ask(live_server, CARTESIAN, timeout="3600")  # never raised above 2 s
    assert raised.status_code == 503 and "deadline of 2 s" in raised.json()["detail"]


def test_huge_result_hits_the_cap(live_server: LiveServer) -> None:
    response, _, _ = ask(live_server, "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f }")
    assert response.status_code == 422
    problem = response.json()
    assert problem["limit"] == "result-size" and problem["result_limit"] == 100000
    assert "more than 100000 rows" in problem["detail"] and "LIMIT" in problem["detail"]
    assert_healthy(live_server)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 that records whether anyone connects."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(1.0)
    yield server
    server.close()


def test_service_is_refused_and_never_connects(
    live_server: LiveServer, listener: socket.socket
) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    for query in (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
                  f"PREFIX x: <{url[:-6]}> SELECT * {{ service #c\n x:sparql {{ }} }}"):
        response = requests.post(live_server.sparql, data={"query": query},
                                 headers={"Accept": PROBLEM}, timeout=30)
        assert response.status_code == 400
        assert f"SERVICE <{url}> is refused" in response.json()["detail"]
    with pytest.raises(TimeoutError):
        listener.accept()  # nobody connected


class _StandIn(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint stand-in that answers every query with one fixed binding."""

    answer = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
        {"x": {"type": "literal", "value": "from the allowed endpoint"}}]}}).encode()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_allow_listed_service_is_called(live_server: LiveServer) -> None:
    stand_in = http.server.ThreadingHTTPServer(
        ("127.0.0.1", live_server.allowed_service_port), _StandIn)
    thread = threading.Thread(target=stand_in.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{live_server.allowed_service_port}/sparql"
        response, _, _ = ask(live_server, f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }}")
        assert response.status_code == 200, response.text
        values = [b["x"]["value"] for b in response.json()["results"]["bindings"]]
        assert values == ["from the allowed endpoint"]
    finally:
        stand_in.shutdown()
        stand_in.server_close()


def test_ten_megabyte_requests_are_refused(live_server: LiveServer) -> None:
    garbage = b"\x00\xffSELECT {{{" * (1024 * 1024)
    response = requests.post(live_server.sparql, data=garbage, timeout=60, headers={
        "Content-Type": "application/sparql-query", "Accept": PROBLEM})
    assert response.status_code == 413
    form = requests.post(live_server.sparql, data={"query": "x" * 10_000_000}, timeout=60,
                         headers={"Accept": PROBLEM})
    assert form.status_code == 413
    url = live_server.sparql + "?query=" + "x" * 10_000_000
    with pytest.raises(requests.RequestException):
        long_url = requests.get(url, timeout=60)
        # granian refuses the header block (431) before the app sees it
        assert long_url.status_code in (400, 414, 431)
        raise requests.RequestException("refused")
    host, port = live_server.url[7:-1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        try:
            raw.sendall(b"\x16\x03\x01 not http at all\r\n" + b"\x00" * 10_000_000)
            raw.recv(4096)
        except OSError:
            pass  # the server may close the connection before reading it all
    assert_healthy(live_server)


def test_publish_while_serving_fails_no_request(live_server: LiveServer) -> None:
    before = requests.get(live_server.url + "healthz", timeout=10).json()["version"]
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            response, _, _ = ask(live_server, SIMPLE)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        settings = load_settings(environ=live_server.environment)
        backend = EmbeddedBackend(settings)
        try:
            load(resolve_sources([], settings), settings, backend, force=True)
        finally:
            backend.close()
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    after = requests.get(live_server.url + "healthz", timeout=10).json()["version"]
    assert after != before
    assert failures == []
