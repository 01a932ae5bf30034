"""The operator's journey (issue 11): the README's publishing cycle, run as a person runs it.

The commands come from the README block marked ``run by test: operator-journey``, and run
verbatim as ``python -m smartregion …`` processes in one working directory that holds a copy
of ``data/`` and the Destatis file, against one store: the embedded store, and a real
``oxigraph serve`` as remote store. A real ``smartregion serve`` serves the same store
throughout; after every step the test looks at what it serves: the number of Gemeinden
(421 for Hessen, 10,751 for all of Germany), the edited project's page, the sameAs links of
the harvest, the served version. Before "after editing" steps the test edits a project file,
as the operator would. At the end, with all of Germany published, removing an organisation
that projects fund from is rejected naming the removed file and the files whose links dangle,
and the served version stays as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from smartregion.settings import PROJECT_DIR
from tests.conftest import SHARED
from tests.e2e.conftest import free_port, serving
from tests.loaders.harvest_server import (
    FAST_FETCH,
    FixtureServer,
    serve,
    wikidata_endpoint,
    write_config,
)
from tests.loaders.test_harvest_dcat import paged_catalogue
from tests.readme_commands import Command, readme_commands

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GV100AD = SHARED / "reference-data" / "GV100AD_30112025.txt"
PROJECT = "data/projects/smart-kassel.yaml"
LABEL_LINE = "  de: Smart Kassel – „Gemeinsam Zukunft für das beste Zuhause gestalten“"
HARVEST = FAST_FETCH + """
[[source]]
name = "wikidata"
kind = "sparql"
url = "@SERVER@/sparql"

[[source]]
name = "portal"
kind = "dcat"
url = "@SERVER@/catalog.ttl"
"""
COUNT_GEMEINDEN = """PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a srh:Municipality ; srh:ags ?ags }"""
COUNT_SAMEAS = """SELECT (COUNT(*) AS ?n) WHERE {
  ?m <http://www.w3.org/2002/07/owl#sameAs> ?item }"""

# What the README's block must be (by command): if it changes, the expectations below must.
EXPECTED = [
    "smartregion load",
    "smartregion load gv100ad --source GV100AD_30112025.txt",
    "smartregion harvest",
    "smartregion load projects",
    "smartregion load gv100ad --source GV100AD_30112025.txt --land all",
    "smartregion load projects",
    "smartregion rollback",
    "smartregion load",
]


@dataclass
class Operator:
    """One working directory, one store, one running server, and what the operator did."""

    workdir: Path
    environment: dict[str, str]
    url: str
    log: list[str] = field(default_factory=list)

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """``smartregion …`` as a process in the working directory (the store's settings
        come from the environment, nothing else is inherited of SMARTREGION_*)."""
        child = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
        child.update(self.environment)
        assert argv[0] == "smartregion"
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "smartregion", *argv[1:]],
                              cwd=self.workdir, env=child, capture_output=True, text=True,
                              timeout=900)
        self.log.append(f"{' '.join(argv)}: exit {done.returncode} in "
                        f"{time.monotonic() - started:.1f} s")
        return done

    def sparql_count(self, query: str) -> int:
        answer = requests.post(self.url + "sparql", data=query.encode(), timeout=60, headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json"})
        answer.raise_for_status()
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    def page(self, path: str) -> str:
        answer = requests.get(self.url + path, timeout=60, headers={"Accept": "text/html"})
        answer.raise_for_status()
        return answer.text

    def served_version(self) -> str:
        version: str = requests.get(self.url + "healthz", timeout=10).json()["version"]
        return version

    def edit_project(self, label: str) -> None:
        path = self.workdir / PROJECT
        text = path.read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if line.startswith("  de: Smart Kassel")]
        assert lines, "the project file changed: pick another line to edit"
        path.write_text(text.replace(lines[0], f"  de: {label}", 1), encoding="utf-8")


@pytest.fixture
def harvest_server() -> Iterator[FixtureServer]:
    yield from serve()


def _workdir(tmp: Path, server: FixtureServer) -> Path:
    if not GV100AD.is_file():
        pytest.skip(f"the Destatis file {GV100AD} is absent")
    workdir = tmp / "operator"
    workdir.mkdir()
    subprocess.run(["cp", "-r", str(PROJECT_DIR / "data"), str(workdir / "data")], check=True)
    (workdir / "GV100AD_30112025.txt").symlink_to(GV100AD)
    server.on("/sparql", wikidata_endpoint())
    paged_catalogue(server)
    write_config(workdir, HARVEST, server)
    return workdir


def journey(operator: Operator, start_server: ExitStack, port: int) -> None:
    """Run the README's block step by step and check the served data after each."""
    commands = readme_commands("operator-journey")
    assert [c.text for c in commands] == EXPECTED, "the README's cycle changed"
    checks = [_after_load, _after_hessen, _after_harvest, _after_edit, _after_germany,
              _after_second_edit, _after_rollback, _after_reload]
    for number, (command, check) in enumerate(zip(commands, checks, strict=True)):
        if "after editing" in command.comment:
            operator.edit_project(f"Smart Kassel – Änderung {number}")
        done = operator.run(command.argv)
        assert done.returncode == 0, f"{command.text}\n{done.stdout}\n{done.stderr}"
        if number == 0:  # the server needs a published version to start on
            log = operator.workdir / "server.log"
            start_server.enter_context(serving(operator.environment, port, log))
        check(operator, command, done)
    _broken_load_is_rejected(operator)


def _after_load(op: Operator, command: Command, done: subprocess.CompletedProcess[str]) -> None:
    assert "published version" in done.stdout
    assert "gv100ad:" in done.stdout, done.stdout  # the shipped Hessen extract
    assert op.sparql_count(COUNT_GEMEINDEN) == 421


def _after_hessen(op: Operator, command: Command, done: subprocess.CompletedProcess[str]) -> None:
    assert op.sparql_count(COUNT_GEMEINDEN) == 421


def _after_harvest(op: Operator, command: Command,
                   done: subprocess.CompletedProcess[str]) -> None:
    assert "wikidata:" in done.stdout and "portal:" in done.stdout, done.stdout
    assert op.sparql_count(COUNT_SAMEAS) > 0
    assert op.sparql_count(COUNT_GEMEINDEN) == 421


def _after_edit(op: Operator, command: Command, done: subprocess.CompletedProcess[str]) -> None:
    # only the edited project and what it reaches (its fundings, roles …), not the store
    scope = re.search(r"validated (\d+) entities the change can affect \(incremental\)",
                      done.stdout)
    assert scope and 1 <= int(scope.group(1)) <= 50, done.stdout
    assert "Änderung 3" in op.page("doc/project/smart-kassel")


def _after_germany(op: Operator, command: Command,
                   done: subprocess.CompletedProcess[str]) -> None:
    assert op.sparql_count(COUNT_GEMEINDEN) == 10_751
    assert "Änderung 3" in op.page("doc/project/smart-kassel")
    assert op.sparql_count(COUNT_SAMEAS) > 0  # the harvest's links survive the reload


def _after_second_edit(op: Operator, command: Command,
                       done: subprocess.CompletedProcess[str]) -> None:
    assert "the change can affect" in done.stdout, done.stdout
    page = op.page("doc/project/smart-kassel")
    assert "Änderung 5" in page and "Änderung 3" not in page
    assert op.sparql_count(COUNT_GEMEINDEN) == 10_751


def _after_rollback(op: Operator, command: Command,
                    done: subprocess.CompletedProcess[str]) -> None:
    assert "now serving version" in done.stdout
    page = op.page("doc/project/smart-kassel")
    assert "Änderung 3" in page and "Änderung 5" not in page
    assert op.sparql_count(COUNT_GEMEINDEN) == 10_751


def _after_reload(op: Operator, command: Command, done: subprocess.CompletedProcess[str]) -> None:
    assert "projects:" in done.stdout and "published version" in done.stdout, done.stdout
    assert "Änderung 5" in op.page("doc/project/smart-kassel")
    assert op.sparql_count(COUNT_GEMEINDEN) == 10_751


def _broken_load_is_rejected(op: Operator) -> None:
    """Removing an organisation that projects link to, with all of Germany published."""
    before = op.served_version()
    removed = op.workdir / "data" / "organisations" / "bmwsb.yaml"
    kept = removed.read_bytes()
    removed.unlink()
    try:
        done = op.run(["smartregion", "load", "organisations"])
    finally:
        removed.write_bytes(kept)
    assert done.returncode == 1, done.stdout + done.stderr
    err = done.stderr
    assert "(no file)" not in err
    assert "data/organisations/bmwsb.yaml:" in err, err  # the file that removed it
    assert "data/projects/" in err, err  # the files whose links now dangle
    assert "nothing was published" in err
    assert op.served_version() == before
    assert "Bundesministerium" in op.page("doc/organisation/bmwsb")


def test_operator_journey_on_the_embedded_store(tmp_path: Path,
                                                harvest_server: FixtureServer) -> None:
    workdir = _workdir(tmp_path, harvest_server)
    port = free_port()
    operator = Operator(workdir, {
        "SMARTREGION_DATA_DIR": str(workdir / "var" / "store"),
        "SMARTREGION_SOURCE_DIR": str(workdir / "data"),
        "SMARTREGION_BASE_URI": f"http://127.0.0.1:{port}/",
        "SMARTREGION_PORT": str(port),
        "SMARTREGION_WORKERS": "1",
        "SMARTREGION_QUERY_EXECUTORS": "1",
        "SMARTREGION_HARVEST_CONFIG": str(workdir / "harvest.toml"),
    }, f"http://127.0.0.1:{port}/")
    with ExitStack() as stack:
        journey(operator, stack, port)
    print("\n".join(operator.log))


@pytest.mark.remote
def test_operator_journey_on_a_remote_store(tmp_path: Path,
                                            harvest_server: FixtureServer) -> None:
    from tests.oxigraph_server import start_oxigraph, stop_oxigraph

    workdir = _workdir(tmp_path, harvest_server)
    port = free_port()
    store = start_oxigraph(tmp_path / "oxigraph")
    try:
        operator = Operator(workdir, {
            "SMARTREGION_STORE": "remote",
            "SMARTREGION_QUERY_URL": store.query_url,
            "SMARTREGION_UPDATE_URL": store.update_url,
            "SMARTREGION_GSP_URL": store.gsp_url,
            "SMARTREGION_STORE_VERSION_TTL": "0",
            "SMARTREGION_DATA_DIR": str(workdir / "var" / "store"),
            "SMARTREGION_SOURCE_DIR": str(workdir / "data"),
            "SMARTREGION_BASE_URI": f"http://127.0.0.1:{port}/",
            "SMARTREGION_PORT": str(port),
            "SMARTREGION_WORKERS": "1",
            "SMARTREGION_HARVEST_CONFIG": str(workdir / "harvest.toml"),
        }, f"http://127.0.0.1:{port}/")
        with ExitStack() as stack:
            journey(operator, stack, port)
        print("\n".join(operator.log))
    finally:
        stop_oxigraph(store)
