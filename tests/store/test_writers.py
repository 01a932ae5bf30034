"""Two writers never interleave (issue 11): the embedded store's lock, the remote store's lease,
and rollback of a remote store from the loader's undo log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from smartregion.settings import Settings
from smartregion.store.backend import StoreError
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from smartregion.store.remote_writer import WriteLease
from smartregion.store.versions import VersionError
from tests.conftest import make_settings
from tests.oxigraph_server import OxigraphServer

A = "http://testserver/graph/a"
B = "http://testserver/graph/b"
META = "http://testserver/graph/meta"

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from smartregion.settings import load_settings
    from smartregion.store.embedded import EmbeddedBackend
    settings = load_settings(environ={}, data_dir=Path(sys.argv[1]))
    backend = EmbeddedBackend(settings)
    with backend.writer("smartregion load projects"):
        Path(sys.argv[2]).write_text("holding")
        # hold until the test says so (a second writer is seen waiting), at most argv[3] s
        deadline = time.monotonic() + float(sys.argv[3])
        while not Path(sys.argv[4]).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        Path(sys.argv[2]).write_text("released")
    """)


def graph_of(n: int, label: str = "x") -> Graph:
    g = Graph()
    for i in range(n):
        g.add((URIRef(f"http://testserver/id/project/p{i}"), URIRef("http://example.org/p"),
               Literal(f"{label}{i}")))
    return g


def _hold(settings: Settings, tmp: Path, seconds: float) -> tuple[subprocess.Popen[bytes], Path]:
    marker = tmp / "holder-state"
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.data_dir),
                                str(marker), str(seconds), str(marker.with_name("release"))])
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text() == "holding"):
        assert process.poll() is None and time.monotonic() < deadline, "holder did not start"
        time.sleep(0.02)
    return process, marker


# -- embedded ---------------------------------------------------------------------------------
def test_a_second_writer_says_who_writes_and_waits(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    process, marker = _hold(settings, tmp_path, 120.0)
    notices: list[str] = []

    def waiting(notice: str) -> None:
        notices.append(notice)
        (tmp_path / "release").touch()  # let the first writer finish now that we wait

    backend = EmbeddedBackend(settings)
    try:
        with backend.writer("second", on_wait=waiting) as writer:
            assert marker.read_text() == "released"  # it got in only after the first left
            with writer.stage({A: graph_of(2)}) as staged:
                staged.commit({})
    finally:
        backend.close()
        process.wait(timeout=30)
    assert len(notices) == 1
    assert f"process {process.pid}" in notices[0]
    assert "smartregion load projects" in notices[0] and "waiting" in notices[0]


def test_a_killed_writer_blocks_nobody(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    process, _ = _hold(settings, tmp_path, 60.0)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    backend = EmbeddedBackend(settings)
    try:
        assert backend.publish(Publication({A: graph_of(1)})).id == "000001"
    finally:
        backend.close()


def test_load_command_waits_for_a_running_writer(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, source_dir=Path(__file__).parent.parent / "data"
                             / "sources")
    process, marker = _hold(settings, tmp_path, 120.0)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    environment.update({"SMARTREGION_DATA_DIR": str(settings.data_dir),
                        "SMARTREGION_SOURCE_DIR": str(settings.source_dir),
                        "SMARTREGION_BASE_URI": settings.base_uri})
    load = subprocess.Popen([sys.executable, "-m", "smartregion", "load"], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert load.stderr is not None
    said = []
    for line in load.stderr:  # the load says who writes before it waits ...
        said.append(line)
        if "another writer is running" in line:
            (tmp_path / "release").touch()  # ... and then the holder lets it in
            break
    rest, errors = load.communicate(timeout=300)
    process.wait(timeout=30)
    stderr = "".join(said) + errors
    assert load.returncode == 0, stderr
    assert "another writer is running" in stderr
    assert "smartregion load projects" in stderr
    assert "published version 000001" in rest
    assert marker.read_text() == "released"


# -- remote -----------------------------------------------------------------------------------
@pytest.fixture
def remote(oxigraph_server: OxigraphServer, tmp_path: Path) -> OxigraphServer:
    oxigraph_server.clear()
    return oxigraph_server


@pytest.mark.remote
def test_two_remote_writers_never_overlap(remote: OxigraphServer, tmp_path: Path) -> None:
    inside = 0
    most = 0
    count = threading.Lock()
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        nonlocal inside, most
        backend = RemoteBackend(remote.settings(tmp_path / name, store_lease=30.0))
        try:
            for _ in range(3):
                with backend.writer(name):
                    with count:
                        inside += 1
                        most = max(most, inside)
                    time.sleep(0.05)
                    with count:
                        inside -= 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            backend.close()

    threads = [threading.Thread(target=writer, args=(f"loader-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert most == 1
    assert remote.graph_names() <= {"http://testserver/graph/.writer"}  # every lease released


@pytest.mark.remote
def test_a_remote_writer_names_the_holder_and_takes_over_an_expired_lease(
        remote: OxigraphServer, tmp_path: Path) -> None:
    crashed = RemoteBackend(remote.settings(tmp_path / "crashed", store_lease=1.5))
    lease = WriteLease(crashed, "smartregion load gv100ad")
    lease.acquire(None)
    lease._stop.set()  # the loader dies: nobody renews or removes its lease
    notices: list[str] = []
    second = RemoteBackend(remote.settings(tmp_path / "second"))
    try:
        with second.writer("smartregion harvest", on_wait=notices.append):
            assert second.lease is not None
            second.lease.check()
    finally:
        second.close()
        crashed.close()
    assert notices and "smartregion load gv100ad" in notices[0], notices


@pytest.mark.remote
def test_a_lost_lease_publishes_nothing(remote: OxigraphServer, tmp_path: Path) -> None:
    backend = RemoteBackend(remote.settings(tmp_path))
    try:
        with backend.writer("test") as writer, writer.stage({A: graph_of(2)}) as staged:
            remote.update("DROP GRAPH <http://testserver/graph/.writer>")
            with pytest.raises(StoreError, match="lease"):
                staged.commit({})
        assert backend.version() is None
    finally:
        backend.close()


@pytest.mark.remote
def test_remote_rollback_publishes_what_the_last_load_replaced(
        remote: OxigraphServer, tmp_path: Path) -> None:
    settings = remote.settings(tmp_path)
    backend = RemoteBackend(settings)

    def record(value: str) -> Graph:
        g = Graph()
        g.add((URIRef(A), URIRef("http://example.org/title"), Literal(value)))
        return g

    try:
        with backend.writer("test") as writer:
            with writer.stage({A: graph_of(3)}) as staged:
                first = staged.commit({A: record("first")})
            with writer.stage({A: graph_of(1, "new"), B: graph_of(2)}) as staged:
                second = staged.commit({A: record("second")})
            assert [v.id for v in backend.history()] == [first.id, second.id]
            back = writer.rollback()
        assert back.id not in (first.id, second.id)
        assert len(backend.graph(A)) == 3 and B not in backend.graph_uris()
        titles = {str(o) for o in backend.graph(META).objects(URIRef(A))}
        assert titles == {"first"}
        assert [v.id for v in backend.history()] == [back.id]
        with backend.writer("test") as writer, pytest.raises(VersionError, match="no older"):
            writer.rollback()  # the first load replaced nothing
        other = RemoteBackend(remote.settings(tmp_path / "other-host"))
        with other.writer("test") as writer, writer.stage({B: graph_of(1)}) as staged:
            staged.commit({})
        backend._version = None  # what web workers remember for a second
        with backend.writer("test") as writer, pytest.raises(VersionError, match="loader host"):
            writer.rollback()  # this host did not publish what the store serves now
        with other.writer("test") as writer:
            writer.rollback()  # the host that did can
        other.close()
        assert B not in backend.graph_uris()
    finally:
        backend.close()
