"""What the platform relies on from Virtuoso 7, shown on a real ``virtuoso-t``: what is one
transaction, that a failed or killed publish leaves nothing applied, and that only the
platform's graphs are seen.

The backend contract (``test_backend_contract.py``) runs on Virtuoso too; these are the
Virtuoso-specific findings behind its settings (see README, *Scaling out* → *Virtuoso*).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from smartregion.namespaces import RDFS
from smartregion.store import remote_update as ru
from smartregion.store.backend import StoreError
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from tests.store.test_backend_contract import (
    ALPHA,
    BETA,
    META,
    alpha_graph,
    first_publication,
    numbered_graph,
    record,
)
from tests.virtuoso_server import (
    VirtuosoServer,
    restart_virtuoso,
    start_virtuoso,
    stop_virtuoso,
)

pytestmark = [pytest.mark.remote, pytest.mark.virtuoso]

SYSTEM_GRAPH = "http://www.openlinksw.com/schemas/virtrdf#"


@pytest.fixture
def server(virtuoso_server: VirtuosoServer) -> VirtuosoServer:
    virtuoso_server.clear()
    return virtuoso_server


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[VirtuosoServer]:
    """A Virtuoso of this test alone (it gets killed)."""
    server = start_virtuoso(tmp_path / "virtuoso")
    yield server
    stop_virtuoso(server)


def one_label() -> Graph:
    g = Graph()
    g.add((URIRef(BETA + "#c"), RDFS.label, Literal("Beta")))
    return g


def count(server: VirtuosoServer, graph: str) -> int:
    response = requests.post(server.query_url, timeout=60, data={
        "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"})
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_the_operations_of_one_request_commit_one_by_one(server: VirtuosoServer) -> None:
    """Why SMARTREGION_STORE_TRANSACTION=operation: a request whose second operation fails
    keeps its first one applied."""
    with pytest.raises(requests.HTTPError):
        server.update(f"INSERT DATA {{ GRAPH <{ALPHA}> {{ <{ALPHA}#x> <{RDFS.label}> 'a' }} }} ;\n"
                      f"INSERT {{ GRAPH <{ALPHA}> {{ <{ALPHA}#y> <{RDFS.label}> ?v }} }} "
                      "WHERE { BIND(1/0 AS ?v) }")
    assert count(server, ALPHA) == 1
    server.clear()
    with pytest.raises(requests.HTTPError):  # one operation: all of it or nothing
        server.update(f"INSERT {{ GRAPH <{ALPHA}> {{ ?s <{RDFS.label}> ?v }} }} WHERE {{ "
                      "VALUES ?i { 1 2 3 0 } BIND(IRI(CONCAT('http://x/', STR(?i))) AS ?s) "
                      "BIND(10/?i AS ?v) }")
    assert count(server, ALPHA) == 0


def test_a_switch_failing_inside_the_store_leaves_nothing_applied(
        server: VirtuosoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = RemoteBackend(server.settings(tmp_path))
    version = backend.publish(first_publication())
    real = ru.switch_operation

    def failing(*args: object, **kwargs: object) -> bytes:
        # One more branch whose solution fails (division by zero) after the others matched.
        body = real(*args, **kwargs)  # type: ignore[arg-type]
        return body[:-1] + (f"  UNION {{ BIND(<{META}> AS ?ig) BIND(<{META}> AS ?is) "
                            f"BIND(<{RDFS.label}> AS ?ip) BIND(1/0 AS ?io) }}\n}}").encode()

    monkeypatch.setattr(ru, "switch_operation", failing)
    changed = Graph()
    changed.add((URIRef(ALPHA + "#n"), RDFS.label, Literal("neu")))
    with pytest.raises(StoreError, match=r"publish \(switch\).*answered 500"):
        backend.publish(Publication(graphs={ALPHA: changed, BETA: Graph()},
                                    records={ALPHA: record(ALPHA, "kaputt")}))
    assert backend.version() == version
    assert len(backend.graph(ALPHA)) == len(alpha_graph())
    assert count(server, BETA) == 1
    assert {g for g in server.graph_names() if g.startswith("http://testserver/")} == {
        ALPHA, BETA, META}  # the staging graphs were dropped
    backend.close()


def test_a_publish_killed_during_the_switch_leaves_the_old_state(
        own_server: VirtuosoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL to the store 0.3 s into the switch (which takes longer here): after the restart
    (transaction log replayed) it serves one version completely, never a mix."""
    backend = RemoteBackend(own_server.settings(tmp_path))
    old = backend.publish(Publication(graphs={ALPHA: numbered_graph(50), BETA: one_label()}))
    real_update = backend.connection.run_update
    killed = threading.Event()

    def update_and_kill(body: bytes, what: str) -> None:
        if what == "publish (switch)":
            # Kill while the store works on the switch (it takes far longer than this).
            timer = threading.Timer(0.3, lambda: (os.kill(own_server.process.pid,
                                                          signal.SIGKILL), killed.set()))
            timer.start()
        real_update(body, what)

    monkeypatch.setattr(backend.connection, "run_update", update_and_kill)
    with pytest.raises(StoreError) as caught:
        backend.publish(Publication(graphs={ALPHA: numbered_graph(60_000), BETA: Graph()}))
    assert killed.is_set(), caught.value
    own_server.process.wait(timeout=30)
    restart_virtuoso(own_server)
    after = RemoteBackend(own_server.settings(tmp_path))
    # Whole old state or (had the switch committed before the kill) whole new state.
    if after.version() == old:
        assert (count(own_server, ALPHA), count(own_server, BETA)) == (50, 1)
    else:
        assert (count(own_server, ALPHA), count(own_server, BETA)) == (60_000, 0)
    backend.close()
    after.close()


@pytest.mark.parametrize(("limits", "code", "limit", "cleaned_up"), [
    # With a 1 s limit the removal of the staging graph is stopped too (the next loader's
    # sweep removes it: test_remote.py).
    # Each case sets the other limit far away, so only the one under test can stop the switch.
    ({"query_timeout": 1, "after_image": 2_000_000_000}, "SR171", "MaxQueryExecutionTime",
     False),
    ({"query_timeout": 600, "after_image": 3_000_000}, "SR325", "TransactionAfterImageLimit",
     True),
], ids=["time", "after-image"])
def test_a_switch_larger_than_the_store_allows_names_the_limit(
        tmp_path: Path, limits: dict[str, int], code: str, limit: str,
        cleaned_up: bool) -> None:
    """``MaxQueryExecutionTime`` and ``TransactionAfterImageLimit`` bound the switch too: past
    either Virtuoso rolls the operation back, and the message names the limit to raise."""
    server = start_virtuoso(tmp_path / "virtuoso", **limits)
    try:
        # Uploads in pieces of 500 kB stay under both limits; the switch of all at once not.
        # The loader waits out a switch that only the after-image limit stops; with a 1 s
        # limit it keeps the tests' 30 s (the removal of the staging graph times out too).
        backend = RemoteBackend(server.settings(
            tmp_path, store_batch_bytes=500_000,
            store_timeout=600.0 if code == "SR325" else 30.0))
        old = backend.publish(Publication(graphs={ALPHA: numbered_graph(50)}))
        with pytest.raises(StoreError, match=code) as caught:
            backend.publish(Publication(graphs={ALPHA: numbered_graph(200_000)}))
        assert limit in str(caught.value) and "Nothing was published" in str(caught.value)
        assert backend.version() == old
        assert count(server, ALPHA) == 50
        if cleaned_up:
            assert all("/.staging/" not in g for g in server.graph_names())
        backend.close()
    finally:
        stop_virtuoso(server)


def test_only_the_platform_graphs_are_seen(server: VirtuosoServer, tmp_path: Path) -> None:
    assert SYSTEM_GRAPH in server.graph_names()
    backend = RemoteBackend(server.settings(tmp_path))
    backend.publish(first_publication())
    assert backend.graph_uris() == sorted([ALPHA, BETA, META])
    rows = backend.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert sorted(str(r["g"]) for r in rows) == sorted([ALPHA, BETA, META])
    total = backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    in_graphs = sum(count(server, g) for g in (ALPHA, BETA, META))
    assert int(total[0]["n"]) == in_graphs
    backend.close()
