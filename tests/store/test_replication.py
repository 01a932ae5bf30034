"""smartregion.store.replica with real rsync and real pyoxigraph stores on disk (no server)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from smartregion.store.replica import ReplicaError, replicate
from smartregion.store.versions import VersionDirectory

pytestmark = pytest.mark.skipif(shutil.which("rsync") is None,
                                reason="rsync is missing: run 'make rsync'")
EX = "http://example.org/"


def _publish(root: Path, label: str) -> str:
    """A version holding one labelled thing, published as the embedded writer does."""
    versions = VersionDirectory(root)
    with versions.writer_lock("test"):
        number, path = versions.new_version_path()
        store = ox.Store(str(path))
        store.add(ox.Quad(ox.NamedNode(EX + "thing"), ox.NamedNode(EX + "label"),
                          ox.Literal(label), ox.NamedNode(EX + "graph")))
        store.flush()
        del store
        versions.complete(number)
        versions.switch_to(number)
    return f"{number:06d}"


def _served(root: Path) -> str | None:
    """The id of the version ``root`` serves."""
    current = VersionDirectory(root).current()
    return current.id if current else None


def _label(root: Path) -> str:
    current = VersionDirectory(root).current()
    assert current is not None
    store = ox.Store.read_only(str(current.path))
    [quad] = list(store.quads_for_pattern(None, None, None, None))
    return quad.object.value


def test_a_replica_copies_the_served_version_and_its_mark(tmp_path: Path) -> None:
    source, replica = tmp_path / "a", tmp_path / "b"
    first = _publish(source, "eins")
    (source / "derived" / first).mkdir(parents=True)
    (source / "derived" / first / "void-statistics.json").write_text('{"triples": 1}')
    (source / "search" / first).mkdir(parents=True)
    (source / "search" / first / "search-meta.json").write_text('{"documents": 1}')
    done = replicate(str(source), replica)
    assert (done.version, done.switched) == (first, True)
    assert _label(replica) == "eins"
    mark = f"versions/{first}.complete"
    assert (replica / mark).read_text() == (source / mark).read_text()  # same time: same ETags
    assert (replica / "derived" / first / "void-statistics.json").read_text() == '{"triples": 1}'
    assert (replica / "search" / first / "search-meta.json").read_text() == '{"documents": 1}'
    (replica / "search" / ".lock").touch()  # the search index builder's own lock stays
    assert replicate(str(source), replica).switched is False
    second = _publish(source, "zwei")
    assert replicate(str(source), replica).version == second  # without a search index yet
    assert _label(replica) == "zwei"
    assert not (replica / "search" / second).exists()  # built on first search, not left empty
    assert [v.id for v in VersionDirectory(replica).list()] == [first, second]
    third = _publish(source, "drei")
    replicate(str(source), replica, keep=1)  # older versions go, with their views and records
    assert [v.id for v in VersionDirectory(replica).list()] == [third]
    assert not (replica / "derived" / first).exists()
    assert [p.name for p in (replica / "search").iterdir()] == [".lock"]
    assert sorted(p.name for p in (replica / ".replica" / "copied").iterdir()) == [third]


def test_a_failed_copy_leaves_the_served_version(tmp_path: Path) -> None:
    source, replica = tmp_path / "a", tmp_path / "b"
    first = _publish(source, "eins")
    replicate(str(source), replica)
    second = _publish(source, "zwei")
    shutil.rmtree(source / "versions" / second)  # e.g. pruned by the source meanwhile
    with pytest.raises(ReplicaError, match=f"rsync of {source}: version {second} failed"):
        replicate(str(source), replica)
    assert _served(replica) == first
    assert _label(replica) == "eins"
    assert not (replica / "versions" / second).exists()


def test_a_copy_that_is_not_a_store_is_not_switched_to(tmp_path: Path) -> None:
    source, replica = tmp_path / "a", tmp_path / "b"
    first = _publish(source, "eins")
    replicate(str(source), replica)
    second = _publish(source, "zwei")
    for file in (source / "versions" / second).glob("CURRENT"):
        file.write_text("MANIFEST-999999\n")  # a store that no longer opens
    with pytest.raises(ReplicaError, match=f"copy of version {second} does not open"):
        replicate(str(source), replica)
    assert _served(replica) == first
    assert not (replica / "versions" / second).exists()


def test_a_node_that_was_loaded_into_is_not_a_replica(tmp_path: Path) -> None:
    source, replica = tmp_path / "a", tmp_path / "b"
    _publish(source, "eins")
    _publish(replica, "eigene")  # the replica's own version 000001, made at another time
    _publish(source, "zwei")
    _publish(replica, "eigene zwei")
    with pytest.raises(ReplicaError, match="its own version"):
        replicate(str(source), replica)
    assert _label(replica) == "eigene zwei"
