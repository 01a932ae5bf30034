"""RemoteBackend: any SPARQL 1.1 store, reached with ``requests`` over standard protocols only.

- **Queries** go to ``SMARTREGION_QUERY_URL`` as SPARQL 1.1 Protocol "query via URL-encoded
  POST" (the form every store takes; Virtuoso 7 does not answer "POST directly"), with
  ``default-graph-uri``/``named-graph-uri`` and, if set, the store's own timeout parameter
  (``SMARTREGION_STORE_QUERY_TIMEOUT_PARAM``) in the form.
- **Publishing** uses SPARQL 1.1 Update at ``SMARTREGION_UPDATE_URL`` and, when
  ``SMARTREGION_GSP_URL`` is set, the Graph Store HTTP Protocol for large uploads and graph reads
  (see :mod:`smartregion.store.remote_update` for what one publish sends).
- **The union default graph**: queries without a dataset clause see the union of the
  platform's named graphs, as on the embedded store: the store's default graph
  (``SMARTREGION_STORE_DATASET=union``) or the graphs named in each query (``named``); see
  :mod:`smartregion.store.remote_scope`, which also checks the store at start and before
  every publish.

The endpoint's limits hold here as on the embedded store:

- *deadline*: one query may take ``min(client timeout, query_timeout)`` seconds, measured from
  sending it to the last byte read; past it the connection is dropped and
  :class:`~smartregion.store.executor.QueryStopped` ``"deadline"`` raised. Set the store's
  own query timeout to the same value (``oxigraph serve --timeout-s``, Fuseki
  ``arq:queryTimeout``, Virtuoso ``MaxQueryExecutionTime``) so that its work ends too.
- *result cap*: the store's answer is parsed (pyoxigraph, streaming) while it arrives and rows
  or triples are counted; one past ``result_limit`` stops reading and raises
  :class:`~smartregion.store.executor.ResultTooLarge` before any byte reaches the client, so a
  capped result is never passed off as complete (:mod:`smartregion.store.remote_results`).
  An answer the store itself marks as incomplete (Virtuoso's anytime queries: ``X-SQL-State``
  on a 200 answer) is a deadline error, never a result.
- *SERVICE*: :func:`~smartregion.store.sparql_lexer.check_services` applies the allow-list before
  the store is asked (the remote store would otherwise fetch any URL itself, from its own
  network); a query with an allowed SERVICE gets ``service_timeout`` as its deadline.

Credentials (``SMARTREGION_STORE_USER``/``_PASSWORD`` or ``_TOKEN``) go only into request
headers; they never appear in ``repr()``, log lines or exception messages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import requests
from rdflib import Graph, Literal, URIRef

from smartregion.formats import GraphFormat, ResultsFormat, results_format
from smartregion.settings import Settings
from smartregion.store import remote_http as http
from smartregion.store import remote_publish, remote_scope
from smartregion.store import remote_update as ru
from smartregion.store.backend import (
    Bindings,
    QueryResult,
    QuerySyntaxError,
    Readiness,
    Row,
    StoreError,
    WaitNotice,
)
from smartregion.store.publication import Publication, StoreVersion
from smartregion.store.remote_connection import StoreConnection
from smartregion.store.remote_results import deadline_error, relay
from smartregion.store.remote_writer import RemoteWriter, WriteLease, hold_lease, remote_history
from smartregion.store.sparql_lexer import check_services, query_form
from smartregion.store.terms import bind, to_rdflib
from smartregion.uris import meta_graph_uri

log = logging.getLogger(__name__)

STAGING = "graph/.staging/"  # under the base URI; never listed, dumped or validated


class RemoteBackend:
    """The platform's store interface over a remote SPARQL 1.1 store (scale-out)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.query_url:
            raise StoreError("the remote store needs SMARTREGION_QUERY_URL")
        self.settings = settings
        self.connection = StoreConnection(settings)
        self._meta = meta_graph_uri(settings.base_uri)
        self.meta_graph = self._meta
        self.staging_prefix = settings.base_uri + STAGING
        self._lock = threading.Lock()
        self._version: tuple[float, StoreVersion | None] | None = None
        self.lease: WriteLease | None = None  # held by this loader while it writes
        self.scope = remote_scope.GraphScope(self)

    def __repr__(self) -> str:
        return f"RemoteBackend({self.connection!r})"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Check that the store serves the platform's graphs as required (connections are
        opened on demand); raises :class:`StoreError` naming what to fix."""
        remote_scope.check_store(self, writing=False)

    def readiness(self) -> Readiness:
        """Ready when the store answers the version query."""
        details: dict[str, object] = {"store": "remote", "query_url": self.connection.query_url}
        try:
            version = self.cached_version()
        except (StoreError, QuerySyntaxError) as exc:
            details["error"] = self.connection.redact(str(exc))
            return Readiness(False, details)
        details["version"] = version.id if version else None
        return Readiness(version is not None, details)

    # -- versions ------------------------------------------------------------------------
    def cached_version(self) -> StoreVersion | None:
        """The version, read again at most every ``store_version_ttl`` seconds."""
        return self.version()

    def derived(self, version: StoreVersion, name: str) -> dict[str, Any] | None:
        """The JSON record of derived view ``name`` in the metadata graph, if it was made
        from ``version``."""
        rows = self.select(ru.derived_query(self._meta, name))
        if not rows or str(rows[0].get("version")) != version.id:
            return None
        try:
            found: dict[str, Any] = json.loads(str(rows[0]["document"]))
        except (KeyError, ValueError):
            return None
        return found

    def record_derived(self, version: StoreVersion, name: str, data: dict[str, Any]) -> None:
        """Replace the record of derived view ``name`` in the metadata graph (one update;
        the version marker is not touched, so no new version appears)."""
        if not self.connection.update_url:
            raise StoreError("recording derived views needs SMARTREGION_UPDATE_URL")
        document = json.dumps(data, sort_keys=True)
        self.connection.run_update(ru.replace_derived(self._meta, name, version.id, document),
                                   "derived view")

    # -- reading -------------------------------------------------------------------------
    def version(self) -> StoreVersion | None:
        """The version marker of the metadata graph, reused for ``store_version_ttl`` s."""
        with self._lock:
            cached = self._version
        if cached is not None and time.monotonic() - cached[0] < self.settings.store_version_ttl:
            return cached[1]
        rows = self.select_unscoped(ru.version_query(self._meta))
        version = _version_from(rows[0]) if rows else None
        with self._lock:
            self._version = (time.monotonic(), version)
        return version

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
        """Run a client's query on the store under the endpoint's SERVICE policy, deadline and
        result cap (raising the same errors as the embedded store's executors). Fair use is
        the store's business here (``client`` is not counted)."""
        budget = self.settings.query_timeout if timeout is None else min(
            timeout, self.settings.query_timeout)
        # Refuses (ServiceRefused) before the store is asked; an allowed SERVICE call gets the
        # SERVICE timeout for the whole query, as on the embedded store.
        if check_services(text, self.settings.service_allowlist):
            budget = min(budget, self.settings.service_timeout)
        budget = max(budget, 0.001)
        deadline_at = time.monotonic() + budget
        accept = http.client_accept(results_format, graph_format, query_form(text))
        default, named = self.scope.dataset(text, default_graph_uris, named_graph_uris)
        try:
            response = self.connection.send_query(text, accept, default, named, budget, stream=True,
                                        store_timeout=budget)
        except requests.Timeout:
            raise deadline_error(budget) from None
        if http.incomplete(response):
            response.close()
            raise deadline_error(budget)
        try:
            return relay(response, results_format, graph_format, deadline_at=deadline_at,
                         budget=budget, limit=self.settings.result_limit)
        finally:
            response.close()

    def select(self, text: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a trusted SELECT with bound values; rows as rdflib terms."""
        return self._select(bind(text, bindings), scoped=True)

    def select_unscoped(self, text: str) -> list[Row]:
        """A SELECT of the backend's own that names its graphs (the hidden ones too), sent
        without a dataset."""
        return self._select(text, scoped=False)

    def ask_unscoped(self, text: str, default_graph_uris: Sequence[str] = ()) -> bool:
        """An ASK of the backend's own, with exactly the given default graphs."""
        response = self.connection.internal_query(text, http.RESULTS_ACCEPT, default_graph_uris, ())
        return bool(_parsed_results(response, "ask"))

    def _select(self, text: str, *, scoped: bool) -> list[Row]:
        default, named = self.scope.dataset(text, (), ()) if scoped else ((), ())
        response = self.connection.internal_query(text, http.RESULTS_ACCEPT, default, named)
        parsed = _parsed_results(response, "select")
        if not isinstance(parsed, ox.QuerySolutions):
            raise StoreError("select() needs a SELECT query")
        names = [v.value for v in parsed.variables]
        return [
            {name: to_rdflib(solution[name]) for name in names if solution[name] is not None}
            for solution in parsed
        ]

    def construct(self, text: str, bindings: Bindings | None = None) -> Graph:
        """Run a trusted CONSTRUCT/DESCRIBE with bound values into an rdflib graph."""
        text = bind(text, bindings)
        default, named = self.scope.dataset(text, (), ())
        response = self.connection.internal_query(text, http.GRAPH_ACCEPT, default, named)
        return _to_graph(self.connection.triples(response))

    def graph(self, graph_uri: str) -> Graph:
        """One named graph: GSP GET when a GSP URL is set, else a CONSTRUCT."""
        return _to_graph(self.connection.graph_quads(graph_uri))

    def graph_uris(self) -> list[str]:
        """The named graphs with data, without the writer's own graphs (``{base}graph/.…``:
        staging graphs of a running publish, the write lease)."""
        rows = self.select_unscoped(self.scope.list_query())
        return self.scope.visible([str(r["g"]) for r in rows if isinstance(r.get("g"), URIRef)])

    def dump(self, target: Path, fmt: GraphFormat, graph_uri: str | None = None) -> int:
        """Write one graph (GSP GET or CONSTRUCT) or all graphs as quads, streaming."""
        if graph_uri is None:
            if not fmt.quads:
                raise StoreError(f"dumping all graphs needs a quad format, not {fmt.name}")
            quads: Iterator[ox.Quad] = (
                ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(uri))
                for uri in self.graph_uris()
                for q in self.connection.graph_quads(uri)
            )
            ox.serialize(quads, target, format=fmt.oxigraph)
        elif fmt.quads:
            node = ox.NamedNode(graph_uri)
            ox.serialize((ox.Quad(q.subject, q.predicate, q.object, node)
                          for q in self.connection.graph_quads(graph_uri)), target,
                         format=fmt.oxigraph)
        else:
            ox.serialize((q.triple for q in self.connection.graph_quads(graph_uri)), target,
                         format=fmt.oxigraph)
        return target.stat().st_size

    def graph_quads(self, graph_uri: str) -> Iterator[ox.Quad]:
        """The triples of one graph as pyoxigraph quads in the default graph, streamed."""
        return self.connection.graph_quads(graph_uri)

    def stored_version(self) -> StoreVersion | None:
        """The version marker as the store has it now (never the remembered one)."""
        rows = self.select_unscoped(ru.version_query(self._meta))
        return _version_from(rows[0]) if rows else None

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, holder: str, on_wait: WaitNotice | None = None) -> Iterator[RemoteWriter]:
        """Hold the write lease recorded in the store (see :mod:`remote_writer`)."""
        with hold_lease(self, holder, on_wait):
            yield RemoteWriter(self)

    def history(self) -> list[StoreVersion]:
        """The versions the undo log of this loader host can go back to, and the current one."""
        return remote_history(self)

    def publish(self, publication: Publication) -> StoreVersion:
        """Replace graphs, their load records and the version marker as one new version, in
        the way the store's transactions allow (:mod:`smartregion.store.remote_publish`),
        after checking the store (:func:`~smartregion.store.remote_scope.check_store`)."""
        if not self.connection.update_url:
            raise StoreError("publishing needs SMARTREGION_UPDATE_URL (the store is read-only)")
        remote_scope.check_store(self, writing=True)
        try:
            return remote_publish.publish(self, publication)
        finally:
            self.forget_version()

    def forget_version(self) -> None:
        """Read the version marker anew on the next :meth:`version`."""
        with self._lock:
            self._version = None

    def close(self) -> None:
        """Close the HTTP connection pools."""
        self.connection.close()


def _to_graph(quads: Iterator[ox.Quad]) -> Graph:
    graph = Graph()
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def _version_from(row: Row) -> StoreVersion:
    number, token, modified = row.get("n"), row.get("token"), row.get("modified")
    if not isinstance(number, Literal) or not isinstance(modified, Literal) or token is None:
        raise StoreError("the version marker in the metadata graph is incomplete")
    moment = modified.toPython()
    if not isinstance(moment, datetime):
        raise StoreError(f"the version marker has no valid time: {modified!r}")
    return StoreVersion(f"{int(number):06d}-{token}", moment)


def _parsed_results(response: requests.Response, what: str
                    ) -> ox.QuerySolutions | ox.QueryBoolean:
    """The SPARQL results the store answered to an internal ``what`` query."""
    fmt = results_format(http.media_type(response))
    if fmt is None:
        raise StoreError(f"{what}: unexpected result type {http.media_type(response)!r}")
    try:
        return ox.parse_query_results(response.content, format=fmt.oxigraph)
    except SyntaxError as exc:
        raise StoreError(f"the store's answer does not parse: {exc}") from None
