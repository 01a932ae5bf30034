"""EmbeddedBackend: pyoxigraph on disk, read-only readers, versioned atomic publishing."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from smartregion.formats import GraphFormat, ResultsFormat
from smartregion.settings import Settings
from smartregion.store.backend import (
    Bindings,
    QueryResult,
    QuerySyntaxError,
    Readiness,
    Row,
    StoreError,
    WaitNotice,
)
from smartregion.store.embedded_writer import EmbeddedWriter
from smartregion.store.publication import Publication, StoreVersion
from smartregion.store.terms import bind, to_rdflib
from smartregion.store.versions import VersionDirectory

log = logging.getLogger(__name__)


class EmbeddedBackend:
    """The platform's default store: an Oxigraph database per version under ``data_dir``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.versions = VersionDirectory(settings.data_dir)
        self._lock = threading.Lock()
        self._reader: tuple[int, ox.Store] | None = None
        self._memo: tuple[str, StoreVersion | None] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start this process's query executors now (not on the first query)."""
        from smartregion.store.client_query import query_pool

        query_pool(self)

    def readiness(self) -> Readiness:
        """Ready when a version is published, opens, and executors of this process are up
        (idle or busy: a node under load stays ready)."""
        from smartregion.store.client_query import started_pool

        version = self.cached_version()
        details: dict[str, object] = {"store": "embedded",
                                      "version": version.id if version else None}
        try:
            self.reader()
            details["store_open"] = True
        except OSError as exc:
            details["store_open"] = False
            details["error"] = str(exc)
        pool = started_pool(self)
        details["executors_up"] = pool.running_count() if pool else 0
        details["executors_idle"] = pool.ready_count() if pool else 0
        ready = bool(version and details["store_open"] and details["executors_up"])
        return Readiness(ready, details)

    # -- versions --------------------------------------------------------------------------
    def version(self) -> StoreVersion | None:
        info = self.versions.current()
        return info.as_store_version() if info else None

    def cached_version(self) -> StoreVersion | None:
        """The served version for one ``readlink`` (remembered per ``current`` target)."""
        try:
            target = os.readlink(self.versions.pointer)
        except FileNotFoundError:
            return None
        memo = self._memo
        if memo is not None and memo[0] == target:
            return memo[1]
        version = self.version()
        if os.readlink(self.versions.pointer) == target:  # no publish in between
            self._memo = (target, version)
        return version

    def derived(self, version: StoreVersion, name: str) -> dict[str, Any] | None:
        """The JSON document ``name`` recorded for ``version`` beside the versions."""
        try:
            found: dict[str, Any] = json.loads(
                (self._derived_dir(version) / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found

    def record_derived(self, version: StoreVersion, name: str, data: dict[str, Any]) -> None:
        """Write ``data`` atomically under ``{data_dir}/derived/{version}/``; folders of
        versions no longer kept are removed."""
        folder = self._derived_dir(version)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.json.{os.getpid()}"
        partial.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(partial, folder / f"{name}.json")
        kept = {v.id for v in self.versions.list()}
        for other in folder.parent.iterdir():
            if other.is_dir() and other.name not in kept:
                shutil.rmtree(other, ignore_errors=True)

    def _derived_dir(self, version: StoreVersion) -> Path:
        return self.settings.data_dir / "derived" / version.id

    def reader(self) -> ox.Store:
        """A read-only store of the current version, reopened when the pointer moved."""
        info = self.versions.current()
        with self._lock:
            if info is None:
                self._reader = None
                return ox.Store()  # an empty in-memory store answers every query with nothing
            if self._reader is None or self._reader[0] != info.number:
                self._reader = (info.number, ox.Store.read_only(str(info.path)))
            return self._reader[1]

    def query(
        self,
        text: str,
        *,
        results_format: ResultsFormat,
        graph_format: GraphFormat,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
        client: str = "-",
    ) -> QueryResult:
        """Run a client's query in-process when provably cheap
        (:mod:`smartregion.store.bounded_query`), else in an executor process of this
        worker's pool.

        :mod:`smartregion.store.client_query` applies the SERVICE policy and the deadline;
        the pool (:mod:`smartregion.store.executor`) the memory cap, the result limit and
        fair use. Trusted internal queries
        (:meth:`select`, :meth:`construct`) run in-process on :meth:`reader`: they are fixed,
        bounded ``.rq`` files, and skipping the hop keeps page rendering fast.
        """
        from smartregion.store.client_query import run_client_query

        return run_client_query(
            self, text, results_format=results_format, graph_format=graph_format,
            default_graph_uris=tuple(default_graph_uris),
            named_graph_uris=tuple(named_graph_uris), timeout=timeout, client=client,
        )

    def select(self, text: str, bindings: Bindings | None = None) -> list[Row]:
        result = self._run(bind(text, bindings))
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        return [
            {name: to_rdflib(solution[name]) for name in names if solution[name] is not None}
            for solution in result
        ]

    def construct(self, text: str, bindings: Bindings | None = None) -> Graph:
        result = self._run(bind(text, bindings))
        if not isinstance(result, ox.QueryTriples):
            raise StoreError("construct() needs a CONSTRUCT or DESCRIBE query")
        graph = Graph()
        for triple in result:
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate),
                       to_rdflib(triple.object)))
        return graph

    def graph(self, graph_uri: str) -> Graph:
        graph = Graph()
        for quad in self.reader().quads_for_pattern(None, None, None, ox.NamedNode(graph_uri)):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    def graph_uris(self) -> list[str]:
        return sorted(g.value for g in self.reader().named_graphs() if isinstance(g, ox.NamedNode))

    def dump(self, target: Path, fmt: GraphFormat, graph_uri: str | None = None) -> int:
        store = self.reader()
        if graph_uri is None:
            if not fmt.quads:
                raise StoreError(f"dumping all graphs needs a quad format, not {fmt.name}")
            store.dump(str(target), format=fmt.oxigraph)
        else:
            store.dump(str(target), format=fmt.oxigraph, from_graph=ox.NamedNode(graph_uri))
        return target.stat().st_size

    def _run(
        self,
        text: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        store = self.reader()
        try:
            if default_graph_uris or named_graph_uris:
                return store.query(
                    text,
                    default_graph=[ox.NamedNode(u) for u in default_graph_uris] or None,
                    named_graphs=[ox.NamedNode(u) for u in named_graph_uris] or None,
                )
            return store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, holder: str, on_wait: WaitNotice | None = None) -> Iterator[EmbeddedWriter]:
        """Hold the writer lock of the data directory (waiting, with a notice, while another
        process holds it) and hand out the writer."""
        with self.versions.writer_lock(holder, on_wait):
            yield EmbeddedWriter(self.settings, self.versions)

    def publish(self, publication: Publication) -> StoreVersion:
        """Copy the current version, apply the publication, then switch atomically.

        Nothing is validated here; the load pipeline stages, validates and commits itself.
        """
        with self.writer("publish") as writer, writer.stage(publication.graphs) as staged:
            return staged.commit(publication.records)

    def history(self) -> list[StoreVersion]:
        """The complete versions on disk, oldest first."""
        return [v.as_store_version() for v in self.versions.list()]

    def close(self) -> None:
        from smartregion.store.client_query import close_pool

        close_pool(self)
        with self._lock:
            self._reader = None
        gc.collect()

