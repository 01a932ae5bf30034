"""What a query without a dataset sees on a remote store, and the check that the store is set
up the way the platform needs it.

**Scope.** The platform's graphs are ``{base}graph/…`` (the hidden ones, ``{base}graph/.…``,
are the writer's: staging graphs and the write lease). A query that names no dataset must see
exactly the union of the visible ones, as on the embedded store. With
``SMARTREGION_STORE_DATASET=union`` the store's own default graph is that union (Oxigraph
``--union-default-graph``, Fuseki ``unionDefaultGraph``). With ``named`` the backend names
its graphs in each query (``default-graph-uri`` and ``named-graph-uri``, SPARQL 1.1
Protocol), for stores whose default graph holds more (Virtuoso adds its system graphs such as
``http://www.openlinksw.com/schemas/virtrdf#``). The list is read once per store version.

**Check.** A misconfigured store is refused, not served empty: :func:`check_store` runs when
a backend starts serving and before every publish, and names the setting or store option to
fix.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smartregion.namespaces import SRH
from smartregion.store import remote_update as ru
from smartregion.store.backend import StoreError
from smartregion.store.sparql_lexer import dataset_clauses

if TYPE_CHECKING:
    from smartregion.store.remote import RemoteBackend

HIDDEN = "graph/."  # under the base URI: the writer's own graphs
PROBE = "graph/.probe"  # never holds data: the target of the do-nothing update of the check


class GraphScope:
    """The graphs a query without a dataset sees, read once per version (mode ``named``)."""

    def __init__(self, backend: RemoteBackend) -> None:
        self.backend = backend
        self.named = backend.settings.store_dataset == "named"
        self.prefix = backend.settings.base_uri + "graph/"
        self.hidden = backend.settings.base_uri + HIDDEN
        self._lock = threading.Lock()
        self._cached: tuple[str | None, list[str]] | None = None

    def list_query(self) -> str:
        """SELECT ``?g`` of the graphs holding data (a store may leave out empty graphs)."""
        if self.named:  # Virtuoso answers ``GRAPH ?g { }`` with nothing
            prefix = ru.literal(self.prefix)
            return ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                    f"FILTER(STRSTARTS(STR(?g), {prefix})) }}")
        return "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"

    def visible(self, uris: Sequence[str]) -> list[str]:
        """The platform's published graphs among ``uris``, sorted."""
        return sorted({u for u in uris if u.startswith(self.prefix)
                       and not u.startswith(self.hidden)})

    def dataset(self, text: str, default: Sequence[str],
                named: Sequence[str]) -> tuple[Sequence[str], Sequence[str]]:
        """The ``default-graph-uri``/``named-graph-uri`` values to send with ``text``: what
        the caller gave, and in mode ``named`` the platform's graphs for a side it left open
        (a query with ``FROM``/``FROM NAMED`` keeps its own dataset)."""
        if not self.named or any(dataset_clauses(text)):
            return default, named
        if default and named:
            return default, named
        ours = self.graphs()
        return (default or ours), (named or ours)

    def graphs(self) -> list[str]:
        """The platform's graphs in the served version (the metadata graph always)."""
        version = self.backend.version()
        key = version.id if version else None
        with self._lock:
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
        found = self.backend.graph_uris()
        meta = self.backend.meta_graph
        graphs = found if meta in found else sorted([*found, meta])
        with self._lock:
            self._cached = (key, graphs)
        return graphs


def check_store(backend: RemoteBackend, *, writing: bool) -> None:
    """Raise :class:`StoreError` naming what to fix unless the store serves the platform's
    graphs as required (and, when ``writing``, takes updates with the given credentials)."""
    settings = backend.settings
    scope = backend.scope
    if not scope.named:
        outside = backend.ask_unscoped(
            "ASK { GRAPH ?g { ?s ?p ?o } FILTER(!STRSTARTS(STR(?g), "
            f"{ru.literal(scope.prefix)})) }}")
        if outside:
            raise StoreError(
                f"the store at {settings.query_url} holds graphs outside {scope.prefix} "
                "(e.g. a store's system graphs); with SMARTREGION_STORE_DATASET=union its "
                "default graph would serve them too: set SMARTREGION_STORE_DATASET=named")
    if writing:
        backend.connection.run_update(ru.drop_graph(settings.base_uri + PROBE),
                                      "store check (update)")
        backend.connection.probe_gsp(settings.base_uri + PROBE)
    probe = _probe(backend)
    if probe is None:
        return  # an empty store: nothing to look for yet
    graph, pattern = probe
    default = [graph] if scope.named else []
    if not backend.ask_unscoped(f"ASK {{ {pattern} }}", default):
        if scope.named:
            raise StoreError(
                f"the store at {settings.query_url} ignores the default-graph-uri parameter "
                f"(asked for {graph}): SMARTREGION_STORE_DATASET=named needs a store that "
                "follows the SPARQL 1.1 Protocol's dataset parameters")
        raise StoreError(
            f"the default graph of the store at {settings.query_url} does not include the "
            f"named graph {graph}: the platform needs the default graph to be the union of "
            "the named graphs (oxigraph serve needs --union-default-graph; Fuseki/TDB2 "
            "tdb2:unionDefaultGraph true), or set SMARTREGION_STORE_DATASET=named")


def _probe(backend: RemoteBackend) -> tuple[str, str] | None:
    """A graph and a triple pattern the store holds now: the write lease of this loader, or
    the version marker of the metadata graph."""
    lease = backend.lease
    if lease is not None:
        return lease.graph, f"{ru.iri(lease.iri)} {ru.iri(SRH.leaseExpires)} ?e"
    meta = backend.meta_graph
    if backend.ask_unscoped(f"ASK {{ GRAPH {ru.iri(meta)} {{ {ru.iri(meta)} "
                            f"{ru.iri(ru.VERSION_NUMBER)} ?n }} }}"):
        return meta, f"{ru.iri(meta)} {ru.iri(ru.VERSION_NUMBER)} ?n"
    return None
