"""The search index is part of the store version: `smartregion load` builds it, a rollback
serves the old version's index again, and a failed or killed build never leaves a half index
where readers look."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from endpoint import create_app
from smartregion.cli import main
from smartregion.derived.search import search
from smartregion.derived.search_index import SearchIndexes, Thing, build
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store import open_backend
from tests.conftest import TEST_DATA, cli_env, make_settings

PROJECT = "data/projects/di-a-mobil-fulda.yaml"
OLD_NAME = "de: Di@-Mobil in Stadt und Landkreis Fulda"
NEW_NAME = "de: Di@-Mobil Rollbacktest in Stadt und Landkreis Fulda"


def _hits(client: FlaskClient, q: str) -> list[str]:
    response = client.get("/search.json", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


@pytest.mark.slow
def test_rollback_serves_the_old_index(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "data", sources)
    settings = make_settings(tmp_path, source_dir=sources)
    runner = CliRunner()
    result = runner.invoke(main, ["load"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    first = {p.name for p in (settings.data_dir / "search").iterdir() if p.is_dir()}
    assert len(first) == 1  # the writer built the index of the version it published

    client = create_app(settings).test_client()
    project = settings.base_uri + "id/project/di-a-mobil-fulda"
    assert project in _hits(client, "Fulda")
    assert _hits(client, "Rollbacktest") == []

    path = sources / PROJECT.removeprefix("data/")
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_NAME, NEW_NAME),
                    encoding="utf-8")
    result = runner.invoke(main, ["load"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert _hits(client, "Rollbacktest") == [project]  # the reader follows the new version

    result = runner.invoke(main, ["rollback"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert _hits(client, "Rollbacktest") == []  # the old version, and its index
    assert project in _hits(client, "Fulda")
    kept = {p.name for p in (settings.data_dir / "search").iterdir() if p.is_dir()}
    assert first < kept  # the old version's index served again, not rebuilt under a new name


def _loaded(tmp_path: Path) -> Settings:
    sources = tmp_path / "sources"
    shutil.copytree(TEST_DATA / "sources", sources)
    settings = make_settings(tmp_path, source_dir=sources)
    result = CliRunner().invoke(main, ["load"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    return settings


def _answers(settings: Settings, q: str) -> list[str]:
    backend = open_backend(settings)
    try:
        version = backend.version()
        assert version is not None
        index, meta = SearchIndexes(settings, backend).open(version)
        return [hit.iri for hit in search(index, meta, q, {}, 0, 100).hits]
    finally:
        backend.close()


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def failing() -> Iterator[Thing]:
        yield Thing("http://testserver/id/project/a", "project", names={"de": ["Ein Projekt"]})
        raise OSError("disk full (simulated by the test)")

    target = tmp_path / "search" / "000009"
    with pytest.raises(OSError, match="disk full"):
        build(target, failing(), {}, "000009")
    assert not target.exists()
    assert list((tmp_path / "search").iterdir()) == []


KILLED_BUILD = """
import sys, time
from pathlib import Path
from smartregion.derived.search_index import Thing, build

def endless():
    n = 0
    while True:
        n += 1
        time.sleep(0.01)
        yield Thing(f"http://testserver/id/project/p{n}", "project", names={"de": [f"P {n}"]})

build(Path(sys.argv[1]), endless(), {}, "killed")
"""


def test_a_killed_build_leaves_the_served_index_whole(tmp_path: Path) -> None:
    settings = _loaded(tmp_path)
    served = _answers(settings, "Projekt")
    root = settings.data_dir / "search"
    (current,) = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    target = root / "999999"
    process = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(target)],
                               cwd=PROJECT_DIR, env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)})
    try:
        deadline = time.monotonic() + 60
        while not list(root.glob(".build-*/*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(root.glob(".build-*/*")), "the build never started"
        time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not target.exists()  # nothing half-built where a reader would look
    assert _answers(settings, "Projekt") == served  # the served index answers as before

    shutil.rmtree(current)  # the next build (e.g. a worker's, lazily) cleans up after the kill
    assert _answers(settings, "Projekt") == served
    assert not list(root.glob(".build-*"))
