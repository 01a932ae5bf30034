"""The README's Oxigraph server set-up, run as shown: ``oxigraph serve`` with its options,
and the platform's remote store on the settings lines of the same block."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from smartregion.settings import load_settings
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from tests.oxigraph_server import free_port, oxigraph_binary
from tests.readme_commands import readme_commands, readme_settings

pytestmark = pytest.mark.remote


def test_the_readme_oxigraph_setup_serves_the_platform(tmp_path: Path) -> None:
    [command] = readme_commands("oxigraph-serve")
    argv = command.argv
    assert argv[:2] == ["oxigraph", "serve"]
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the `oxigraph` command is missing (pip install oxigraph)")
    address = argv[argv.index("--bind") + 1]
    port = free_port()
    argv[argv.index("--location") + 1] = str(tmp_path / "oxigraph")
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    process = subprocess.Popen([binary, *argv[1:]], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{port}/query")
        values = {k.removeprefix("SMARTREGION_").lower(): v.replace(address, f"127.0.0.1:{port}")
                  for k, v in readme_settings("oxigraph-serve").items()}
        assert values["store"] == "remote"
        settings = load_settings(environ={}, data_dir=tmp_path / "loader",
                                 base_uri="http://testserver/", **values)
        backend = RemoteBackend(settings)
        graph = Graph()
        graph.add((URIRef("http://testserver/id/project/p"),
                   URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("p")))
        version = backend.publish(Publication({"http://testserver/graph/projects": graph}))
        # --union-default-graph: a query without dataset clause sees the named graph
        rows = backend.select("SELECT ?s WHERE { ?s ?p \"p\" }")
        assert [str(r["s"]) for r in rows] == ["http://testserver/id/project/p"]
        assert backend.version() == version
        backend.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"oxigraph serve did not answer at {url}")
