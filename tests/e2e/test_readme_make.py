"""The README's first commands: ``make serve`` serves the shipped data; ``make test`` is CI.

``make serve`` runs as the README shows it (with the store, port and base URI pointed at a
temporary directory through the settings' environment variables) until the server answers;
``make test`` is what ``.ci/run`` runs, so every CI run runs it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from smartregion.settings import PROJECT_DIR
from tests.e2e.conftest import free_port, wait_until_responds
from tests.readme_commands import readme_commands

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_readme_make_commands_work(tmp_path: Path) -> None:
    for command in readme_commands("make"):
        if command.argv == ["make", "test"]:
            ci = (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
            assert "make test" in ci, ".ci/run no longer runs 'make test'"
        elif command.argv == ["make", "serve"]:
            _make_serve(tmp_path)
        else:
            pytest.fail(f"README.md:{command.line}: no test runs {command.text!r} yet")


PREFIXES = """PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def _select(root: str, query: str) -> list[dict[str, str]]:
    answer = requests.post(root + "sparql", data={"query": PREFIXES + query}, timeout=60,
                           headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    return [{k: v["value"] for k, v in row.items()}
            for row in answer.json()["results"]["bindings"]]


def _all_of_hessen(root: str) -> None:
    """What a first visitor finds (issue 13): all 421 Gemeinden and 26 Kreise of Hessen, every
    Kreis page listing its Gemeinden and its projects, concepts with names in SPARQL."""
    count = "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a srh:%s }"
    assert _select(root, count % "Municipality")[0]["n"] == "421"
    assert _select(root, count % "District")[0]["n"] == "26"
    named = _select(root, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a skos:Concept ; "
                          "skos:prefLabel ?l FILTER(lang(?l) = 'de') }")
    assert int(named[0]["n"]) > 50  # every scheme's concepts, with German names
    members = _select(root, """SELECT ?kreis ?m WHERE {
        ?kreis a srh:District . ?m a srh:Municipality ; schema:containedInPlace ?kreis }""")
    by_kreis: dict[str, set[str]] = {}
    for row in members:
        by_kreis.setdefault(row["kreis"], set()).add(row["m"].rsplit("/", 1)[1])
    assert len(by_kreis) == 26 and sum(len(m) for m in by_kreis.values()) == 421
    for kreis, gemeinden in by_kreis.items():
        key = kreis.rsplit("/", 1)[1]
        page = requests.get(f"{root}doc/district/{key}", timeout=30,
                            headers={"Accept": "text/html"}).text
        listed = set(re.findall(r'href="/doc/municipality/(\d{8})"', page))
        assert gemeinden <= listed, f"Kreis {key}: {sorted(gemeinden - listed)} not listed"
        projects = requests.get(f"{root}projects?district={key}", timeout=30,
                                headers={"Accept": "application/json"}).json()
        for item in projects["items"]:
            assert item["id"].split("/id/", 1)[1] in page, f"Kreis {key}: {item['@id']}"


def _make_serve(tmp: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    environment.update({
        "SMARTREGION_DATA_DIR": str(tmp / "store"), "SMARTREGION_PORT": str(port),
        "SMARTREGION_BASE_URI": f"http://127.0.0.1:{port}/", "SMARTREGION_WORKERS": "1",
        "SMARTREGION_QUERY_EXECUTORS": "1",
    })
    log = tmp / "make-serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(["make", "serve"], cwd=PROJECT_DIR, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/healthz", process, log, timeout=300)
        page = requests.get(f"http://127.0.0.1:{port}/doc/project/smart-kassel", timeout=30,
                            headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Smart Kassel" in page.text
        _all_of_hessen(f"http://127.0.0.1:{port}/")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
