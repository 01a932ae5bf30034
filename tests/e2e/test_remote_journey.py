"""The scale-out journey as an operator runs it: a remote store (a real ``oxigraph serve``),
``smartregion load`` publishing to it, ``smartregion serve`` (granian) reading from it.

The writer derives the version's views (VoID figures recorded in the store's metadata
graph), the web node serves them without counting, and the commands that need a local
version history refuse clearly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from smartregion.settings import PROJECT_DIR
from tests.e2e.conftest import free_port, serving
from tests.oxigraph_server import OxigraphServer, start_oxigraph, stop_oxigraph

pytestmark = [pytest.mark.e2e, pytest.mark.remote]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = start_oxigraph(tmp_path_factory.mktemp("remote-journey") / "oxigraph")
    yield server
    stop_oxigraph(server)


def _command(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    child.update(environment)
    return subprocess.run([sys.executable, "-m", "smartregion", *args], cwd=PROJECT_DIR,
                          env=child, capture_output=True, text=True, timeout=300, check=False)


def test_load_then_serve_from_a_remote_store(store: OxigraphServer, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    environment = {
        "SMARTREGION_STORE": "remote", "SMARTREGION_BASE_URI": url,
        "SMARTREGION_QUERY_URL": store.query_url, "SMARTREGION_UPDATE_URL": store.update_url,
        "SMARTREGION_GSP_URL": store.gsp_url, "SMARTREGION_DATA_DIR": str(tmp_path / "node"),
        "SMARTREGION_METRICS_DIR": str(tmp_path / "metrics"), "SMARTREGION_PORT": str(port),
        "SMARTREGION_ACCESS_LOG": "",
    }
    loaded = _command(environment, "load")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert "preparing derived views" in loaded.stderr
    recorded = requests.post(  # the VoID figures are in the store, where every node finds them
        store.query_url, timeout=30, data=(
            f"ASK {{ GRAPH <{url}graph/meta> {{ <{url}graph/meta#derived-void-statistics> "
            "?p ?o } }").encode(),
        headers={"Content-Type": "application/sparql-query",
                 "Accept": "application/sparql-results+json"})
    assert recorded.json()["boolean"] is True
    listed = _command(environment, "versions")  # the remote store's history of loads
    assert listed.returncode == 0 and listed.stdout.startswith("* "), listed.stderr
    refused = _command(environment, "rollback")  # the first load replaced nothing
    assert refused.returncode == 1 and "Error:" in refused.stderr
    with serving(environment, port, tmp_path / "server.log"):
        ready = requests.get(url + "readyz", timeout=10).json()
        assert ready["status"] == "ready" and ready["store"] == "remote"
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        get = requests.get(url + "sparql", params={"query": count}, timeout=30,
                           headers={"Accept": "application/sparql-results+json"})
        post = requests.post(url + "sparql", data={"query": count}, timeout=30,
                             headers={"Accept": "application/sparql-results+json"})
        assert get.status_code == post.status_code == 200
        assert get.json() == post.json()
        void = requests.get(url + ".well-known/void.ttl", timeout=30)
        assert void.status_code == 200 and "void:triples" in void.text
        page = requests.get(url + "doc/district/06411", headers={"Accept": "text/html"},
                            timeout=30)
        assert page.status_code == 200 and "Darmstadt" in page.text
