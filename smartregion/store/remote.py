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

import base64
import contextlib
import io
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

from smartregion.formats import GraphFormat, ResultsFormat, graph_format, results_format
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
from smartregion.store.remote_results import deadline_error, relay
from smartregion.store.remote_writer import RemoteWriter, WriteLease, hold_lease, remote_history
from smartregion.store.sparql_lexer import check_services, parser_error, query_form
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
        self._query_url = http.checked_url(settings.query_url, "SMARTREGION_QUERY_URL")
        self._update_url = http.checked_url(settings.update_url, "SMARTREGION_UPDATE_URL")
        self._gsp_url = http.checked_url(settings.gsp_url, "SMARTREGION_GSP_URL")
        self._meta = meta_graph_uri(settings.base_uri)
        self.meta_graph = self._meta
        self.staging_prefix = settings.base_uri + STAGING
        self._connect_timeout = min(10.0, settings.store_timeout)
        self._secrets = [s for s in (settings.store_password, settings.store_token) if s]
        if settings.store_user and settings.store_password:
            # A store echoing the Authorization header must not leak it into our messages.
            pair = f"{settings.store_user}:{settings.store_password}".encode()
            self._secrets.append(base64.b64encode(pair).decode("ascii"))
        self._reads = http.read_session(settings)
        self._writes = http.write_session(settings)
        self._lock = threading.Lock()
        self._version: tuple[float, StoreVersion | None] | None = None
        self.lease: WriteLease | None = None  # held by this loader while it writes
        self.scope = remote_scope.GraphScope(self)

    def __repr__(self) -> str:
        return f"RemoteBackend(query_url={self._query_url!r}, update_url={self._update_url!r})"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Check that the store serves the platform's graphs as required (connections are
        opened on demand); raises :class:`StoreError` naming what to fix."""
        remote_scope.check_store(self, writing=False)

    def readiness(self) -> Readiness:
        """Ready when the store answers the version query."""
        details: dict[str, object] = {"store": "remote", "query_url": self._query_url}
        try:
            version = self.cached_version()
        except (StoreError, QuerySyntaxError) as exc:
            details["error"] = self._redact(str(exc))
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
        if not self._update_url:
            raise StoreError("recording derived views needs SMARTREGION_UPDATE_URL")
        document = json.dumps(data, sort_keys=True)
        self._update(ru.replace_derived(self._meta, name, version.id, document), "derived view")

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
            response = self._send_query(text, accept, default, named, budget, stream=True,
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
        response = self._internal_query(text, http.RESULTS_ACCEPT, default_graph_uris, ())
        return bool(_parsed_results(response, "ask"))

    def _select(self, text: str, *, scoped: bool) -> list[Row]:
        default, named = self.scope.dataset(text, (), ()) if scoped else ((), ())
        response = self._internal_query(text, http.RESULTS_ACCEPT, default, named)
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
        response = self._internal_query(text, http.GRAPH_ACCEPT, default, named)
        return _to_graph(self._triples(response))

    def graph(self, graph_uri: str) -> Graph:
        """One named graph: GSP GET when a GSP URL is set, else a CONSTRUCT."""
        return _to_graph(self._graph_quads(graph_uri))

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
                for q in self._graph_quads(uri)
            )
            ox.serialize(quads, target, format=fmt.oxigraph)
        elif fmt.quads:
            node = ox.NamedNode(graph_uri)
            ox.serialize((ox.Quad(q.subject, q.predicate, q.object, node)
                          for q in self._graph_quads(graph_uri)), target, format=fmt.oxigraph)
        else:
            ox.serialize((q.triple for q in self._graph_quads(graph_uri)), target,
                         format=fmt.oxigraph)
        return target.stat().st_size

    def graph_quads(self, graph_uri: str) -> Iterator[ox.Quad]:
        """The triples of one graph as pyoxigraph quads in the default graph, streamed."""
        return self._graph_quads(graph_uri)

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

    def run_update(self, body: bytes, what: str) -> None:
        """Send one SPARQL Update request (``what`` names it in errors)."""
        self._update(body, what)

    def publish(self, publication: Publication) -> StoreVersion:
        """Replace graphs, their load records and the version marker as one new version, in
        the way the store's transactions allow (:mod:`smartregion.store.remote_publish`),
        after checking the store (:func:`~smartregion.store.remote_scope.check_store`)."""
        if not self._update_url:
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

    @property
    def has_gsp(self) -> bool:
        """Whether a Graph Store Protocol URL is set (uploads go through it)."""
        return bool(self._gsp_url)

    def put_graph(self, graph_uri: str, body: bytes, what: str, append: bool = False) -> None:
        """Upload N-Triples ``body`` as graph ``graph_uri`` by GSP: ``PUT`` replaces the
        graph, ``append`` adds to it (``POST``)."""
        self._write("POST" if append else "PUT", self._gsp_url, what, body,
                    "application/n-triples", params={"graph": graph_uri})

    def delete_graphs(self, graph_uris: list[str]) -> None:
        """Remove graphs: GSP ``DELETE`` when a GSP URL is set, else one update of drops."""
        if not self._gsp_url:
            self._update(ru.request(ru.drop_graph(g) for g in graph_uris), "cleanup")
            return
        for graph_uri in graph_uris:
            try:
                response = self._writes.delete(self._gsp_url, params={"graph": graph_uri},
                                               timeout=self._timeouts())
            except requests.RequestException as exc:
                raise StoreError(self._redact(f"cleanup: cannot reach the store: {exc}")
                                 ) from None
            response.close()

    def _update(self, body: bytes, what: str) -> None:
        self._write("POST", self._update_url, what, body, "application/sparql-update")

    def _write(self, method: str, url: str, what: str, body: bytes, content_type: str,
               params: dict[str, str] | None = None) -> None:
        try:
            response = self._writes.request(method, url, params=params, data=body,
                                            headers={"Content-Type": content_type},
                                            timeout=self._timeouts())
        except requests.Timeout:
            raise StoreError(
                f"{what}: the store at {url} did not answer within "
                f"{self.settings.store_timeout:g} s; the outcome is unknown "
                "(compare the version id before and after)") from None
        except requests.RequestException as exc:
            raise StoreError(self._redact(f"{what}: cannot reach the store: {exc}")) from None
        with response:
            if not response.ok:
                raise StoreError(self._answer(what, url, response))

    def probe_gsp(self, graph_uri: str) -> None:
        """A GSP ``DELETE`` of a graph that holds nothing (when a GSP URL is set): checks
        the credentials there before a publish relies on them."""
        if not self._gsp_url:
            return
        try:
            response = self._writes.delete(self._gsp_url, params={"graph": graph_uri},
                                           timeout=self._timeouts())
        except requests.RequestException as exc:
            raise StoreError(self._redact(f"store check (GSP): cannot reach the store: {exc}")
                             ) from None
        with response:
            if not response.ok and response.status_code != 404:
                raise StoreError(self._answer("store check (GSP)", self._gsp_url, response))

    # -- HTTP helpers --------------------------------------------------------------------
    def _timeouts(self, read: float | None = None) -> tuple[float, float]:
        return (self._connect_timeout, read if read is not None else self.settings.store_timeout)

    def _send_query(self, text: str, accept: str, default_graph_uris: Sequence[str],
                    named_graph_uris: Sequence[str], read_timeout: float,
                    stream: bool, store_timeout: float | None = None) -> requests.Response:
        form = [("query", text)]
        form += [("default-graph-uri", u) for u in default_graph_uris]
        form += [("named-graph-uri", u) for u in named_graph_uris]
        if store_timeout is not None and self.settings.store_query_timeout_param:
            # The store's own limit in ms (Virtuoso's anytime queries): its work ends too.
            form.append((self.settings.store_query_timeout_param,
                         str(max(1, round(store_timeout * 1000)))))
        response = self._post_query(form, accept, read_timeout, stream)
        if response.status_code == 400:
            with response:
                # The parser's own position where the store names none (Virtuoso).
                raise QuerySyntaxError(parser_error(text)
                                       or self._redact(http.excerpt(response)))
        if not response.ok:
            with response:
                raise StoreError(self._answer("query", self._query_url, response))
        return response

    def _post_query(self, form: list[tuple[str, str]], accept: str, read_timeout: float,
                    stream: bool) -> requests.Response:
        try:
            return self._reads.post(
                self._query_url, data=form, headers={"Accept": accept},
                timeout=self._timeouts(read_timeout), stream=stream)
        except requests.ConnectTimeout:
            raise StoreError(f"cannot reach the store at {self._query_url} "
                             f"within {self._connect_timeout:g} s") from None
        except requests.Timeout:
            raise
        except requests.RequestException as exc:
            raise StoreError(self._redact(f"cannot reach the store: {exc}")) from None

    def _internal_query(self, text: str, accept: str, default_graph_uris: Sequence[str] = (),
                        named_graph_uris: Sequence[str] = ()) -> requests.Response:
        try:
            response = self._send_query(text, accept, default_graph_uris, named_graph_uris,
                                        self.settings.store_timeout, False)
        except requests.Timeout:
            raise StoreError(f"the store did not answer an internal query within "
                             f"{self.settings.store_timeout:g} s") from None
        reason = http.incomplete(response)
        if reason:
            raise StoreError(f"the store answered an internal query incompletely ({reason}); "
                             "raise its own query timeout or result row limit")
        return response

    def _graph_quads(self, graph_uri: str) -> Iterator[ox.Quad]:
        """The triples of one graph, streamed (as quads in the default graph)."""
        if not self._gsp_url:
            query = "CONSTRUCT { ?s ?p ?o } WHERE {\n#VALUES\nGRAPH ?g { ?s ?p ?o } }"
            response = self._send_query(bind(query, {"g": URIRef(graph_uri)}), http.GRAPH_ACCEPT,
                                        (), (), self.settings.store_timeout, stream=True)
        else:
            try:
                response = self._reads.get(self._gsp_url, params={"graph": graph_uri},
                                           headers={"Accept": http.GRAPH_ACCEPT},
                                           timeout=self._timeouts(), stream=True)
            except requests.RequestException as exc:
                raise StoreError(self._redact(f"cannot read graph {graph_uri}: {exc}")) from None
            if response.status_code == 404:
                response.close()
                return
            if not response.ok:
                with response:
                    raise StoreError(self._answer(f"read of {graph_uri}", self._gsp_url, response))
        with response:
            yield from self._triples(response)

    def _triples(self, response: requests.Response) -> Iterator[ox.Quad]:
        fmt = graph_format(http.media_type(response))
        if fmt is None or fmt.quads:
            raise StoreError(f"unexpected RDF type {http.media_type(response)!r} from the store")
        reader = io.BufferedReader(http.StreamReader(response), http.CHUNK_BYTES)
        try:
            yield from ox.parse(reader, format=fmt.oxigraph)
        except SyntaxError as exc:
            raise StoreError(f"the store's answer does not parse: {exc}") from None

    def _answer(self, what: str, url: str, response: requests.Response) -> str:
        text = (f"{what}: the store at {url} answered {response.status_code} "
                f"{response.reason}: {http.excerpt(response)}")
        if response.status_code in (401, 403):
            who = ("SMARTREGION_STORE_USER/SMARTREGION_STORE_PASSWORD" if self.settings.store_user
                   else "SMARTREGION_STORE_TOKEN" if self.settings.store_token
                   else "no credentials (SMARTREGION_STORE_USER/_PASSWORD or _TOKEN)")
            scheme = (f" (HTTP {self.settings.store_auth} authentication, "
                      "SMARTREGION_STORE_AUTH)" if self.settings.store_user else "")
            text = f"{who}{scheme} rejected by the store ({response.status_code}); {text}"
        return self._redact(text)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        """Close the HTTP connection pools."""
        self._reads.close()
        self._writes.close()


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
