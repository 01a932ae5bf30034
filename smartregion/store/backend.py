"""The one store interface that the loaders and the endpoint use.

Two implementations: :class:`~smartregion.store.embedded.EmbeddedBackend` (pyoxigraph on
disk, versioned) and a remote SPARQL 1.1 store. Everything above this module speaks only
these methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Identifier

from smartregion.formats import GraphFormat, ResultsFormat
from smartregion.settings import Settings
from smartregion.store.publication import Publication, StoreVersion

Bindings = Mapping[str, Identifier]
Row = dict[str, Identifier]


class StoreError(RuntimeError):
    """The store could not do what was asked (message names the store's answer)."""


class QuerySyntaxError(ValueError):
    """The query text does not parse; the message names line and column where known."""


class QueryLimitError(RuntimeError):
    """A query hit a limit (deadline, memory, result size); ``limit`` names which."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass
class QueryResult:
    """A serialized query result: its media type, the body and what kind of result it is.

    A large body is not held in memory (``in_memory`` false): it streams from a temporary
    file, and :meth:`close` (called by the web layer when the response is done, and by
    reading to the end) releases that file."""

    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    body: Iterable[bytes]
    length: int | None = None
    """Bytes of the body, when known before it is read."""
    in_memory: bool = True
    """Whether the whole body is already in memory (so it may be kept in a cache)."""
    release: Callable[[], None] | None = field(default=None, repr=False)

    @classmethod
    def of_bytes(cls, kind: str, media_type: str, data: bytes) -> QueryResult:
        """A complete result held in memory."""
        return cls(kind, media_type, [data], len(data))

    def close(self) -> None:
        """Release what the body holds (a temporary file); harmless when called twice."""
        if self.release is not None:
            self.release()


@dataclass(frozen=True)
class Readiness:
    """Whether a backend can answer now, and what an operator wants to see about it."""

    ready: bool
    details: dict[str, object]


class StagedChange(Protocol):
    """A change applied to a copy of the store that nobody serves yet.

    ``store`` holds the complete new state in the form the store keeps it (derived XSD types
    rewritten to their primitive type, canonical lexical forms), so that validation sees
    exactly what will be served. Graphs named ``{base}graph/.…`` are scratch space (never
    published: a commit drops them).
    """

    store: ox.Store

    def data_graphs(self) -> list[ox.NamedNode]:
        """The graphs holding published data in the new state (not metadata, not scratch)."""

    def previous(self, graph_uri: str) -> Iterator[ox.Triple]:
        """The content a replaced graph had before this change (nothing for a new graph)."""

    def commit(self, records: Mapping[str, Graph]) -> StoreVersion:
        """Write the load records and serve the new state as one new version."""


class StoreWriter(Protocol):
    """The one writer of a store (holding its lock or lease while it exists)."""

    def stage(self, graphs: Mapping[str, Graph]) -> AbstractContextManager[StagedChange]:
        """Apply ``graphs`` (graph IRI → new content; empty removes it) to an unserved copy;
        leaving the block without :meth:`StagedChange.commit` discards the copy."""

    def rollback(self, to: str | None = None) -> StoreVersion:
        """Serve an older version again: ``to`` (an id), or the one before the current one."""


WaitNotice = Callable[[str], None]
"""Called with a sentence naming the other writer when a writer has to wait for it."""


@runtime_checkable
class StoreBackend(Protocol):
    """What a store must offer the platform; no caller asks which backend it has."""

    settings: Settings

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Start what serving needs in this process (the embedded store's query executors),
        e.g. in a web worker right after it was forked; otherwise it starts on first use."""

    def readiness(self) -> Readiness:
        """Whether the store is open and able to answer queries (for ``/readyz``)."""

    def close(self) -> None:
        """Release connections and processes."""

    # -- versions ----------------------------------------------------------------------
    def version(self) -> StoreVersion | None:
        """The version currently served (``None`` while the store is empty)."""

    def cached_version(self) -> StoreVersion | None:
        """The served version as cheaply as the backend can know it: what a web request
        uses for its ``ETag`` (the embedded store reads one symlink; the remote store
        reuses the id it read within ``store_version_ttl``)."""

    def derived(self, version: StoreVersion, name: str) -> dict[str, Any] | None:
        """A JSON document derived from ``version`` and recorded with it
        (:meth:`record_derived`), or ``None``; every web node sees the same."""

    def record_derived(self, version: StoreVersion, name: str, data: dict[str, Any]) -> None:
        """Record a JSON document derived from ``version`` (e.g. its VoID figures) where every
        reader of the store finds it, without making a new version."""

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
        """Run a client's query under the endpoint's limits (SERVICE policy, deadline, result
        cap, fair use per ``client`` address) and serialize its result in the format fitting
        its kind. Provably cheap queries may be answered in-process."""

    def select(self, text: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a trusted SELECT with bound values; rows as rdflib terms."""

    def construct(self, text: str, bindings: Bindings | None = None) -> Graph:
        """Run a trusted CONSTRUCT/DESCRIBE with bound values into an rdflib graph."""

    def graph(self, graph_uri: str) -> Graph:
        """The content of one named graph."""

    def graph_uris(self) -> list[str]:
        """The named graphs in the served version."""

    def publish(self, publication: Publication) -> StoreVersion:
        """Replace graphs and their load records as one new version."""

    def writer(
        self, holder: str, on_wait: WaitNotice | None = None
    ) -> AbstractContextManager[StoreWriter]:
        """Become the store's only writer (waits, calling ``on_wait``, while another is)."""

    def history(self) -> list[StoreVersion]:
        """The versions that :meth:`StoreWriter.rollback` can serve again, oldest first
        (the current one included)."""

    def dump(self, target: Path, fmt: GraphFormat, graph_uri: str | None = None) -> int:
        """Write the served data (one graph, or all as quads) to a file; returns bytes."""
