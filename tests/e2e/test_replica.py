"""Embedded replicas: node B follows node A's data directory with ``smartregion replicate``.

Both nodes are real ``smartregion serve`` processes on embedded stores. A publishes with
``smartregion load`` (a modified copy of the shipped data the second time); B copies the
version with rsync (local path) and switches to it; a replication killed halfway through its
copy leaves B serving the old version whole, and the next round finishes the copy.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from smartregion.settings import PROJECT_DIR
from tests.e2e.conftest import free_port, serving
from tests.e2e.nodes import data_copy, relabel, served_version, smartregion
from tests.readme_commands import readme_commands

pytestmark = pytest.mark.e2e
PATHS = ["doc/project/smart-kassel", "projects", "catalog", ".well-known/void",
         "doc/district/06411"]


@dataclass(frozen=True)
class Node:
    """A serving node: base URL and settings."""

    url: str
    environment: dict[str, str]

    @property
    def data_dir(self) -> Path:
        return Path(self.environment["SMARTREGION_DATA_DIR"])

    def get(self, path: str, **headers: str) -> requests.Response:
        response = requests.get(self.url + path, timeout=30, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response

    def etags(self) -> dict[str, str]:
        return {p: self.get(p, Accept="text/html").headers["ETag"] for p in PATHS}


def _node(folder: Path, name: str, base: str, data: Path) -> Node:
    port = free_port()
    return Node(f"http://127.0.0.1:{port}/", {
        "SMARTREGION_DATA_DIR": str(folder / name / "store"),
        "SMARTREGION_SOURCE_DIR": str(data),
        "SMARTREGION_BASE_URI": base,
        "SMARTREGION_PORT": str(port),
        "SMARTREGION_WORKERS": "1",
        "SMARTREGION_QUERY_EXECUTORS": "1",
        "SMARTREGION_ACCESS_LOG": "",
        "SMARTREGION_METRICS_DIR": str(folder / name / "metrics"),
    })


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node, Path]]:
    if shutil.which("rsync") is None:
        pytest.skip("rsync is missing: run 'make rsync'")
    folder = tmp_path_factory.mktemp("replica")
    data = data_copy(folder)
    base = "http://data.test/"  # one public base for both nodes, as behind a load balancer
    a, b = _node(folder, "a", base, data), _node(folder, "b", base, data)
    loaded = smartregion(a.environment, "load")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    with ExitStack() as stack:
        stack.enter_context(serving(a.environment, int(a.environment["SMARTREGION_PORT"]),
                                    folder / "a.log"))
        started = time.monotonic()
        copied = smartregion(b.environment, "replicate", "--from", str(a.data_dir))
        print(f"\nfirst replicate (whole store): {time.monotonic() - started:.2f} s, "
              f"{copied.stdout.strip()}")
        assert copied.returncode == 0, copied.stderr
        stack.enter_context(serving(b.environment, int(b.environment["SMARTREGION_PORT"]),
                                    folder / "b.log"))
        yield a, b, data


def test_a_replica_serves_the_same_version_with_the_same_etags(
        nodes: tuple[Node, Node, Path]) -> None:
    a, b, _data = nodes
    assert served_version(a.url) == served_version(b.url) == "000001"
    assert a.etags() == b.etags()
    assert a.get("doc/project/smart-kassel", Accept="text/turtle").text == \
        b.get("doc/project/smart-kassel", Accept="text/turtle").text
    again = smartregion(b.environment, "replicate", "--from", str(a.data_dir))
    assert again.returncode == 0 and again.stdout.startswith("already serving version 000001")


def test_a_replica_searches_with_the_copied_index(nodes: tuple[Node, Node, Path]) -> None:
    a, b, _data = nodes
    hits = [node.get("search.json?q=Mobilität").json() for node in (b, a)]
    for found in hits:
        del found["links"]  # the node's own address
    assert hits[0]["total"] > 0 and hits[0] == hits[1]
    # tantivy names its segments at random: the same meta.json means B copied A's index
    # rather than building its own.
    index = Path("search") / "000001" / "meta.json"
    assert (b.data_dir / index).read_bytes() == (a.data_dir / index).read_bytes()


def test_an_interrupted_replication_leaves_the_old_version_served_whole(
        nodes: tuple[Node, Node, Path]) -> None:
    a, b, data = nodes
    before = served_version(b.url)
    old_etags = b.etags()
    relabel(data, "Smart Kassel – Replikationstest")
    loaded = smartregion(a.environment, "load")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    new = served_version(a.url)
    assert new != before
    # A slow copy (rsync capped at 64 KiB/s), killed once part of the version has arrived.
    child = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    child.update(b.environment)
    slow = subprocess.Popen(
        [sys.executable, "-m", "smartregion", "replicate", "--from", str(a.data_dir),
         "--bwlimit", "64"], cwd=PROJECT_DIR, env=child, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    incoming = b.data_dir / ".replica" / new
    give_up = time.monotonic() + 60
    while not (incoming.is_dir() and any(p.stat().st_size for p in incoming.rglob("*")
                                         if p.is_file())):
        assert slow.poll() is None, "the slow copy ended before it was interrupted"
        assert time.monotonic() < give_up, "the copy did not start"
        time.sleep(0.05)
    os.killpg(slow.pid, signal.SIGKILL)  # the command and its rsync
    slow.wait()
    assert served_version(b.url) == before
    assert b.etags() == old_etags
    page = b.get("doc/project/smart-kassel", Accept="text/html").text
    assert "Replikationstest" not in page and "Smart Kassel" in page
    assert not (b.data_dir / "versions" / new).exists()
    # The next round resumes the copy and switches; the node follows without a restart.
    started = time.monotonic()
    done = smartregion(b.environment, "replicate", "--from", str(a.data_dir))
    print(f"\nreplicate after an interruption: {time.monotonic() - started:.2f} s")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"switched to version {new}")
    assert served_version(b.url) == new
    assert "Replikationstest" in b.get("doc/project/smart-kassel", Accept="text/html").text
    assert a.etags() == b.etags() != old_etags


def test_a_replica_follows_a_publish_in_a_loop(nodes: tuple[Node, Node, Path]) -> None:
    a, b, data = nodes
    relabel(data, "Smart Kassel – Schleifentest")
    loaded = smartregion(a.environment, "load")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    new = served_version(a.url)
    child = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    child.update(b.environment)
    [command] = readme_commands("replica")  # the README's loop, with A's path, every 0.5 s
    argv = command.argv
    assert argv[:2] == ["smartregion", "replicate"] and "--from" in argv and "--every" in argv
    argv[argv.index("--from") + 1] = str(a.data_dir)
    argv[argv.index("--every") + 1] = "0.5"
    published = time.monotonic()
    loop = subprocess.Popen(
        [sys.executable, "-m", "smartregion", *argv[1:]], cwd=PROJECT_DIR, env=child,
        start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        give_up = time.monotonic() + 60
        while served_version(b.url) != new:
            assert loop.poll() is None, "the replicate loop ended"
            assert time.monotonic() < give_up, "the replica did not follow"
            time.sleep(0.1)
        print(f"\nreplica serves the new version {time.monotonic() - published:.2f} s after "
              "the loop started")
    finally:
        os.killpg(loop.pid, signal.SIGTERM)
        loop.wait(timeout=20)
    assert a.etags() == b.etags()
    assert "Schleifentest" in b.get("doc/project/smart-kassel", Accept="text/html").text
    kept = sorted(p.name for p in (b.data_dir / "versions").glob("*.complete"))
    assert kept and kept[-1] == f"{new}.complete"


def test_a_replica_refuses_a_source_without_versions(tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    done = smartregion({"SMARTREGION_DATA_DIR": str(tmp_path / "b")}, "replicate",
                       "--from", str(empty))
    assert done.returncode == 1
    assert f"{empty}" in done.stderr and "no version" in done.stderr
    assert not (tmp_path / "b" / "current").exists()


def test_the_shipped_systemd_units_verify(tmp_path: Path) -> None:
    """deploy/systemd's timer and service pass ``systemd-analyze verify`` (the service with
    this checkout's command in place of /opt/smartregion), and the command line it runs is
    one ``smartregion replicate`` accepts."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is missing")
    shipped = PROJECT_DIR / "deploy" / "systemd"
    command = str(Path(sys.executable).with_name("smartregion"))
    service = (shipped / "smartregion-replicate.service").read_text()
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    argv = exec_start.removeprefix("ExecStart=").split()
    assert argv[0] == "/opt/smartregion/.venv/bin/smartregion" and argv[1] == "replicate"
    (tmp_path / "smartregion-replicate.service").write_text(
        service.replace(argv[0], command).replace("EnvironmentFile=", "EnvironmentFile=-"))
    shutil.copy(shipped / "smartregion-replicate.timer", tmp_path)
    verified = subprocess.run([analyze, "verify", *map(str, sorted(tmp_path.iterdir()))],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
    empty = tmp_path / "source"
    empty.mkdir()
    source = argv.index("--from") + 1
    done = smartregion({"SMARTREGION_DATA_DIR": str(tmp_path / "b")}, *argv[1:source],
                       str(empty), *argv[source + 1:])
    assert done.returncode == 1 and "serves no version yet" in done.stderr, done.stderr
