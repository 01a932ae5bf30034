"""Versioned publishing of the embedded store: atomic switch, failure, SIGKILL, rollback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from smartregion.store.versions import VersionDirectory, VersionError
from tests.conftest import make_settings

G = "http://testserver/graph/demo"


def graph_of(n: int, label: str = "x") -> Graph:
    g = Graph()
    for i in range(n):
        g.add((URIRef(f"http://testserver/id/project/p{i}"), URIRef("http://example.org/p"),
               Literal(f"{label}{i}")))
    return g


def count(backend: EmbeddedBackend) -> int:
    rows = backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(rows[0]["n"])


def test_first_publish_creates_version_one(backend: EmbeddedBackend) -> None:
    assert backend.version() is None
    version = backend.publish(Publication(graphs={G: graph_of(3)}))
    assert version.id == "000001"
    assert backend.version() == version
    assert count(backend) == 3


def test_publish_replaces_graph_and_keeps_others(backend: EmbeddedBackend) -> None:
    other = "http://testserver/graph/other"
    backend.publish(Publication(graphs={G: graph_of(3), other: graph_of(2, "o")}))
    backend.publish(Publication(graphs={G: graph_of(1, "new")}))
    assert len(backend.graph(G)) == 1
    assert len(backend.graph(other)) == 2
    assert backend.version().id == "000002"  # type: ignore[union-attr]


def test_records_replace_previous_record_of_same_graph(backend: EmbeddedBackend) -> None:
    meta = "http://testserver/graph/meta"
    def record(value: str) -> Graph:
        g = Graph()
        g.add((URIRef(G), URIRef("http://example.org/v"), Literal(value)))
        g.add((URIRef(G + "#load"), URIRef("http://example.org/v"), Literal(value)))
        return g
    backend.publish(Publication(graphs={G: graph_of(1)}, records={G: record("a")}))
    backend.publish(Publication(graphs={G: graph_of(1)}, records={G: record("b")}))
    values = {str(o) for o in backend.graph(meta).objects()}
    assert values == {"b"}


def test_failed_publish_leaves_current_untouched(backend: EmbeddedBackend) -> None:
    first = backend.publish(Publication(graphs={G: graph_of(5)}))

    class Boom(Graph):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield (URIRef("http://testserver/a"), URIRef("http://example.org/p"), Literal(1))
            raise RuntimeError("disk on fire")

        def __len__(self) -> int:
            return 2

    with pytest.raises(RuntimeError, match="disk on fire"):
        backend.publish(Publication(graphs={G: Boom()}))
    assert backend.version() == first
    assert count(backend) == 5
    leftovers = [p.name for p in backend.versions.versions_dir.iterdir()]
    assert sorted(leftovers) == ["000001", "000001.complete"]


def test_version_ids_are_never_reused_after_rollback(backend: EmbeddedBackend) -> None:
    backend.publish(Publication(graphs={G: graph_of(1)}))
    backend.publish(Publication(graphs={G: graph_of(2)}))
    with backend.versions.writer_lock():
        backend.versions.rollback()
    assert backend.version().id == "000001"  # type: ignore[union-attr]
    assert count(backend) == 1
    third = backend.publish(Publication(graphs={G: graph_of(3)}))
    assert third.id == "000003"


def test_rollback_to_named_version_and_errors(backend: EmbeddedBackend) -> None:
    with pytest.raises(VersionError, match="no older version"):
        backend.versions.rollback()
    for n in (1, 2, 3):
        backend.publish(Publication(graphs={G: graph_of(n)}))
    backend.versions.rollback("1")
    assert count(backend) == 1
    with pytest.raises(VersionError, match="no version '9'"):
        backend.versions.rollback("9")


def test_prune_keeps_configured_number(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, keep_versions=2)
    backend = EmbeddedBackend(settings)
    for n in range(1, 5):
        backend.publish(Publication(graphs={G: graph_of(n)}))
    assert [v.id for v in backend.versions.list()] == ["000003", "000004"]
    assert count(backend) == 4


def test_reader_follows_pointer(backend: EmbeddedBackend, settings: Settings) -> None:
    backend.publish(Publication(graphs={G: graph_of(1)}))
    other_process_view = EmbeddedBackend(settings)
    assert count(other_process_view) == 1
    backend.publish(Publication(graphs={G: graph_of(4)}))
    assert count(other_process_view) == 4


PUBLISHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from rdflib import Graph, Literal, URIRef
    from smartregion.settings import load_settings
    from smartregion.store.embedded import EmbeddedBackend
    from smartregion.store.publication import Publication

    settings = load_settings(environ={}, data_dir=Path(sys.argv[1]), base_uri="http://testserver/")
    g = Graph()
    for i in range(int(sys.argv[2])):
        g.add((URIRef(f"http://testserver/id/project/k{i}"), URIRef("http://example.org/p"),
               Literal(i)))
    print("ready", flush=True)
    EmbeddedBackend(settings).publish(Publication(graphs={"http://testserver/graph/demo": g}))
    print("done", flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5, 1.0])
def test_sigkill_during_publish_keeps_previous_version(
    backend: EmbeddedBackend, settings: Settings, delay: float
) -> None:
    first = backend.publish(Publication(graphs={G: graph_of(7)}))
    process = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(settings.data_dir), "60000"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    current = backend.version()
    # Either the kill came first (old version served) or the publish finished completely.
    if current == first:
        assert count(backend) == 7
    else:
        assert count(EmbeddedBackend(settings)) == 60000  # the demo graph was replaced
    # The store stays loadable: the next publish cleans up and succeeds.
    after = backend.publish(Publication(graphs={G: graph_of(2)}))
    assert backend.version() == after
    assert count(backend) == 2
    leftovers = [
        p for p in backend.versions.versions_dir.iterdir()
        if p.is_dir() and not p.with_name(p.name + ".complete").exists()
    ]
    assert leftovers == []


def test_version_directory_without_versions(tmp_path: Path) -> None:
    directory = VersionDirectory(tmp_path / "nothing")
    assert directory.current() is None
    assert directory.list() == []
