"""The writer of the embedded store: stage a change in a new version, then switch to it.

A stage copies the served version with ``Store.backup`` (hard links, cheap) into a staging
directory, applies the new graphs to the copy and hands the copy out, still unserved, so that
the caller validates the data exactly as the store keeps it. :meth:`EmbeddedStage.commit`
writes the load records and checkpoints the copy (``Store.backup`` again) into the version's
own directory, marks it complete and swaps the ``current`` pointer. The served directory is
one that no process ever opened for writing: the staging store may still flush or compact
until its handle is gone, and RocksDB deletes files it no longer needs, under the feet of a
reader opening that directory (seen: "No such file ... .sst" on a publish under traffic).
Leaving the block without a commit (a failed validation, an exception, SIGKILL) leaves
``current`` as it was; the staging copy is deleted either way (after SIGKILL, by the next
writer).
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from smartregion.settings import Settings
from smartregion.store.publication import StoreVersion
from smartregion.store.terms import to_quad
from smartregion.store.versions import VersionDirectory, VersionError, VersionInfo
from smartregion.uris import meta_graph_uri

log = logging.getLogger(__name__)

OPTIMIZE_AFTER = 50_000  # triples written by one publish


def hidden_graph_prefix(base_uri: str) -> str:
    """Graphs under this prefix are scratch space of a writer, never published."""
    return base_uri + "graph/."


class EmbeddedStage:
    """A new version on disk with a change applied, not served until :meth:`commit`."""

    def __init__(self, settings: Settings, versions: VersionDirectory, number: int,
                 path: Path, store: ox.Store, previous: ox.Store | None,
                 replaced: set[str]) -> None:
        self.settings = settings
        self.versions = versions
        self.number = number
        self.path = path  # the version's directory, written once by the checkpoint
        self.store = store
        self._previous = previous
        self._replaced = replaced
        self.committed: StoreVersion | None = None
        self.written = 0  # triples the stage wrote (decides whether to compact)

    def data_graphs(self) -> list[ox.NamedNode]:
        meta = meta_graph_uri(self.settings.base_uri)
        hidden = hidden_graph_prefix(self.settings.base_uri)
        return sorted(
            (g for g in self.store.named_graphs()
             if isinstance(g, ox.NamedNode) and g.value != meta
             and not g.value.startswith(hidden)),
            key=lambda g: g.value,
        )

    def previous(self, graph_uri: str) -> Iterator[ox.Triple]:
        if self._previous is None or graph_uri not in self._replaced:
            return
        for quad in self._previous.quads_for_pattern(None, None, None, ox.NamedNode(graph_uri)):
            yield quad.triple

    def commit(self, records: Mapping[str, Graph]) -> StoreVersion:
        if self.committed is not None:
            raise VersionError("this change is already published")
        hidden = hidden_graph_prefix(self.settings.base_uri)
        for graph in list(self.store.named_graphs()):
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(hidden):
                self.store.remove_graph(graph)
        write_records(self.store, meta_graph_uri(self.settings.base_uri), records)
        self.store.flush()
        if self.written >= OPTIMIZE_AFTER:
            # Compaction rewrites every file of the copy (the hard links to the previous
            # version are lost), so it is worth its time only after large changes.
            self.store.optimize()
        self.store.backup(str(self.path))
        info = self.versions.complete(self.number)
        self.versions.switch_to(self.number)
        self.committed = info.as_store_version()
        pruned = self.versions.prune(self.settings.keep_versions)
        if pruned:
            log.info("pruned versions %s", ", ".join(pruned))
        return self.committed


class EmbeddedWriter:
    """The single writer of one embedded store (holds the version directory's lock)."""

    def __init__(self, settings: Settings, versions: VersionDirectory) -> None:
        self.settings = settings
        self.versions = versions

    @contextlib.contextmanager
    def stage(self, graphs: Mapping[str, Graph]) -> Iterator[EmbeddedStage]:
        current = self.versions.current()
        number, path = self.versions.new_version_path()
        staging = path.with_name(path.name + ".staging")
        store: ox.Store | None = None
        previous: ox.Store | None = None
        stage: EmbeddedStage | None = None
        try:
            store, previous = _copy(current, staging)
            for graph_uri, graph in graphs.items():
                node = ox.NamedNode(graph_uri)
                if store.contains_named_graph(node):
                    store.remove_graph(node)
                if len(graph):
                    store.bulk_extend(to_quad(t, node) for t in graph)
            stage = EmbeddedStage(self.settings, self.versions, number, path, store,
                                  previous, set(graphs))
            stage.written = sum(len(g) for g in graphs.values())
            yield stage
        finally:
            committed = stage is not None and stage.committed is not None
            del stage, store, previous
            gc.collect()  # close the RocksDB handles before the directory goes
            self.versions.discard(staging)
            if not committed:
                self.versions.discard(path)

    def rollback(self, to: str | None = None) -> StoreVersion:
        return self.versions.rollback(to).as_store_version()


def _copy(current: VersionInfo | None, path: Path) -> tuple[ox.Store, ox.Store | None]:
    """A writable copy of the served version at ``path`` and the served version (read-only)."""
    if current is None:
        return ox.Store(str(path)), None
    previous = ox.Store.read_only(str(current.path))
    previous.backup(str(path))
    return ox.Store(str(path)), previous


def write_records(store: ox.Store, meta_graph: str, records: Mapping[str, Graph]) -> None:
    """Replace the load records (subject ``<key>`` and ``<key#…>``) in the metadata graph."""
    meta = ox.NamedNode(meta_graph)
    for key, record in records.items():
        stale = [q for q in store.quads_for_pattern(None, None, None, meta)
                 if _belongs_to(q.subject, key)]
        for quad in stale:
            store.remove(quad)
        store.bulk_extend(to_quad(t, meta) for t in record)


def _belongs_to(subject: object, key: str) -> bool:
    """Whether a metadata subject is part of the record ``key`` (a graph IRI, usually)."""
    if not isinstance(subject, ox.NamedNode):
        return False
    return subject.value == key or subject.value.startswith(key + "#")
