"""The one store interface that the loaders and the endpoint use.

Two implementations: :class:`~smartregion.store.embedded.EmbeddedBackend` (pyoxigraph on
disk, versioned) and a remote SPARQL 1.1 store. Everything above this module speaks only
these methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from rdflib import Graph
from rdflib.term import Identifier

from smartregion.formats import GraphFormat, ResultsFormat
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
    """A serialized query result: its media type, the body and what kind of result it is."""

    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    body: Iterable[bytes]
    truncated: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class StoreBackend(Protocol):
    """What a store must offer the platform."""

    def version(self) -> StoreVersion | None:
        """The version currently served (``None`` while the store is empty)."""

    def query(
        self,
        text: str,
        *,
        results_format: ResultsFormat,
        graph_format: GraphFormat,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a client's query and serialize its result in the format fitting its kind."""

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

    def dump(self, target: Path, fmt: GraphFormat, graph_uri: str | None = None) -> int:
        """Write the served data (one graph, or all as quads) to a file; returns bytes."""

    def close(self) -> None:
        """Release connections and processes."""
