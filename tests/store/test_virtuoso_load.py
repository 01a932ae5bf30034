"""The platform's own loads publish on Virtuoso 7: the shipped sources, then the operator's
GV100AD file (Destatis; Hessen is published from it) as the README's operator runs them,
through the real ``smartregion`` command. The second load validates the graphs it keeps as
Virtuoso serves them back (derived XSD types, lexical forms), so it shows that form passes
the shapes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from smartregion.settings import PROJECT_DIR
from smartregion.store.remote import RemoteBackend
from tests.conftest import SHARED
from tests.virtuoso_server import VirtuosoServer

pytestmark = [pytest.mark.remote, pytest.mark.virtuoso, pytest.mark.slow]

GV100AD = SHARED / "reference-data" / "GV100AD_30112025.txt"
BASE = "http://testserver/"
HESSEN = 421  # Gemeinden in Land 06 (GV100AD of 30.11.2025; the shipped extract agrees)


def smartregion(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    child.update(environment)
    return subprocess.run([sys.executable, "-m", "smartregion", *args], cwd=PROJECT_DIR,
                          env=child, capture_output=True, text=True, timeout=1200, check=False)


def municipalities(server: VirtuosoServer) -> int:
    response = requests.post(server.query_url, timeout=60, headers={
        "Accept": "application/sparql-results+json"}, data={
        "query": "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { GRAPH <" + BASE + "graph/gv100ad> "
                 "{ ?m a <https://data.smarte-region-hessen.de/def/srh#Municipality> } }"})
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_load_then_the_operators_gv100ad_publish_on_virtuoso(
        virtuoso_server: VirtuosoServer, tmp_path: Path) -> None:
    if not GV100AD.exists():
        pytest.skip(f"{GV100AD} is not here (the operator's Destatis file)")
    virtuoso_server.clear()
    environment = virtuoso_server.environment(tmp_path, BASE)
    first = smartregion(environment, "load")
    assert first.returncode == 0, first.stderr[-1500:]
    backend = RemoteBackend(virtuoso_server.settings(tmp_path))
    loaded = backend.stored_version()
    assert loaded is not None
    assert municipalities(virtuoso_server) == HESSEN
    second = smartregion(environment, "load", "gv100ad", "--source", str(GV100AD))
    assert second.returncode == 0, second.stderr[-1500:]
    reloaded = backend.stored_version()
    assert reloaded is not None and reloaded.id != loaded.id
    assert municipalities(virtuoso_server) == HESSEN
    assert GV100AD.name in str(backend.graph(backend.meta_graph).serialize(format="nt"))
    backend.close()
