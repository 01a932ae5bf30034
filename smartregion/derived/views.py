"""The derived views of the served version: catalogue datasets, dumps and VoID figures.

:class:`DerivedViews` is what readers (the web tier) use; :func:`prepare_version` is what the
writer calls after a publish. Everything is derived from one store version at a time: work
done while the served version changed is done again on the new one, so the figures, sizes
and checksums a harvester reads always belong to the data it downloads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from smartregion.derived.datasets import Entry, published_sources, resolve_entries
from smartregion.derived.dumps import ATTEMPTS, DUMP_FORMATS, DumpFile, DumpFormat, DumpStore
from smartregion.derived.dumps import VersionChanged as VersionChanged
from smartregion.derived.search_index import SearchIndexes
from smartregion.derived.void_statistics import NAME as STATISTICS
from smartregion.derived.void_statistics import compute_statistics
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend, StoreError
from smartregion.store.publication import StoreVersion

log = logging.getLogger(__name__)
T = TypeVar("T")


class Republished(RuntimeError):
    """The data were republished several times while a view was being derived."""


@dataclass(frozen=True)
class Snapshot:
    """The catalogue datasets of one served store version."""

    version: StoreVersion | None
    entries: list[Entry]

    def entry(self, name: str) -> Entry | None:
        """The dataset called ``name``, if it is in the catalogue."""
        return next((e for e in self.entries if e.name == name), None)


class DerivedViews:
    """The views derived from the served version, each made once per version and kept.

    - datasets (:class:`Snapshot`): read from the load records, per process;
    - VoID figures: recorded with the version by the writer
      (:meth:`~smartregion.store.backend.StoreBackend.record_derived`, so every web node
      reads the same figures); counted here only if the writer did not (e.g. data published
      by an older release), and then recorded where the backend allows it;
    - dumps: files under ``{data_dir}/dumps`` of the node that serves them, made from the
      version in one pass (by the writer on its node, lazily on first request elsewhere).
    """

    def __init__(self, settings: Settings, backend: StoreBackend) -> None:
        self.settings = settings
        self.backend = backend
        self.dumps = DumpStore(settings, backend)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._statistics: tuple[str, dict[str, Any]] | None = None

    def snapshot(self) -> Snapshot:
        """The served version's datasets (read again when the version changed)."""
        for _attempt in range(ATTEMPTS):
            version = self.backend.cached_version()
            with self._lock:
                cached = self._snapshot
            if cached is not None and _same(cached.version, version):
                return cached
            sources = published_sources(self.backend, self.settings) if version else []
            if not _same(self.backend.version(), version):
                continue  # a publish happened while the records were read
            snapshot = Snapshot(version, resolve_entries(self.settings, sources))
            with self._lock:
                self._snapshot = snapshot
            return snapshot
        raise Republished("the served version changed during every attempt")

    def consistent(self, work: Callable[[Snapshot], T]) -> T:
        """``work`` on the served version, repeated if a publish switched it meanwhile."""
        for _attempt in range(ATTEMPTS):
            try:
                return work(self.snapshot())
            except VersionChanged:
                continue
        raise Republished("the served version changed during every attempt")

    def dump(self, snapshot: Snapshot, name: str, fmt: DumpFormat) -> DumpFile:
        """The dump file of a dataset in the snapshot's version."""
        if snapshot.version is None:
            raise VersionChanged("the store is empty")
        datasets = {entry.name: entry.graphs for entry in snapshot.entries}
        return self.dumps.get(snapshot.version, datasets, name, fmt)

    def statistics(self, snapshot: Snapshot) -> dict[str, Any]:
        """The VoID figures of the snapshot's version."""
        version = snapshot.version
        if version is None:
            return {}
        with self._lock:
            if self._statistics is not None and self._statistics[0] == version.id:
                return self._statistics[1]
        stats = self.backend.derived(version, STATISTICS)
        if stats is None:
            stats = self._count(version)
        with self._lock:
            self._statistics = (version.id, stats)
        return stats

    def _count(self, version: StoreVersion) -> dict[str, Any]:
        stats = compute_statistics(self.backend, self.settings)
        if not _same(self.backend.version(), version):
            raise VersionChanged(f"version {version.id} is no longer served")
        try:
            self.backend.record_derived(version, STATISTICS, stats)
        except (StoreError, OSError) as exc:  # a read-only node: keep them in memory
            log.warning("VoID figures of %s not recorded: %s", version.id, exc)
        return stats


def _same(a: StoreVersion | None, b: StoreVersion | None) -> bool:
    return (a.id if a else None) == (b.id if b else None)


def prepare_version(settings: Settings, backend: StoreBackend) -> StoreVersion | None:
    """Derive every view of the served version once, right after a publish or rollback.

    The writer calls this after ``load``, ``load gv100ad``, ``harvest`` and ``rollback``:
    the VoID figures are counted and recorded with the version (every web node reads them
    from the store), and this node's dump files are written, so no web worker counts or
    dumps anything on a first request; the search index of the version is built too.
    Returns the version prepared (``None``: empty store).
    """
    views = DerivedViews(settings, backend)

    def work(snapshot: Snapshot) -> StoreVersion | None:
        if snapshot.version is None:
            return None
        if backend.derived(snapshot.version, STATISTICS) is None:  # (a rollback may find them)
            stats = compute_statistics(backend, settings)
            if not _same(backend.version(), snapshot.version):
                raise VersionChanged(f"version {snapshot.version.id} is no longer served")
            backend.record_derived(snapshot.version, STATISTICS, stats)
        for entry in snapshot.entries:
            for fmt in DUMP_FORMATS:
                views.dump(snapshot, entry.name, fmt)
        SearchIndexes(settings, backend).ensure(snapshot.version)
        return snapshot.version

    return views.consistent(work)
