"""The HTTP side of the remote backend: one store's URLs, connection pools, credentials and
timeouts, and the requests it takes (SPARQL 1.1 Protocol queries, SPARQL Update, the Graph
Store Protocol), with errors that name the request and never show a secret.

:class:`~smartregion.store.remote.RemoteBackend` builds the platform's store interface on
one :class:`StoreConnection`; the publishing and checking modules (``remote_publish``,
``remote_scope``, ``remote_writer``) send their requests through it too.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence

import pyoxigraph as ox
import requests
from rdflib import URIRef

from smartregion.formats import graph_format
from smartregion.settings import Settings
from smartregion.store import remote_http as http
from smartregion.store import remote_update as ru
from smartregion.store.backend import QuerySyntaxError, StoreError
from smartregion.store.sparql_lexer import parser_error
from smartregion.store.terms import bind


class StoreConnection:
    """The requests one remote store takes, over two ``requests`` sessions (reads, writes)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.query_url = http.checked_url(settings.query_url, "SMARTREGION_QUERY_URL")
        self.update_url = http.checked_url(settings.update_url, "SMARTREGION_UPDATE_URL")
        self.gsp_url = http.checked_url(settings.gsp_url, "SMARTREGION_GSP_URL")
        self._connect_timeout = min(10.0, settings.store_timeout)
        self._secrets = [s for s in (settings.store_password, settings.store_token) if s]
        if settings.store_user and settings.store_password:
            # A store echoing the Authorization header must not leak it into our messages.
            pair = f"{settings.store_user}:{settings.store_password}".encode()
            self._secrets.append(base64.b64encode(pair).decode("ascii"))
        self._reads = http.read_session(settings)
        self._writes = http.write_session(settings)

    def __repr__(self) -> str:
        return f"query_url={self.query_url!r}, update_url={self.update_url!r}"

    # -- writing ---------------------------------------------------------------------------
    def run_update(self, body: bytes, what: str) -> None:
        """Send one SPARQL Update request (``what`` names it in errors)."""
        self._write("POST", self.update_url, what, body, "application/sparql-update")

    @property
    def has_gsp(self) -> bool:
        """Whether a Graph Store Protocol URL is set (uploads go through it)."""
        return bool(self.gsp_url)

    def put_graph(self, graph_uri: str, body: bytes, what: str, append: bool = False) -> None:
        """Upload N-Triples ``body`` as graph ``graph_uri`` by GSP: ``PUT`` replaces the
        graph, ``append`` adds to it (``POST``)."""
        self._write("POST" if append else "PUT", self.gsp_url, what, body,
                    "application/n-triples", params={"graph": graph_uri})

    def delete_graphs(self, graph_uris: list[str]) -> None:
        """Remove graphs: GSP ``DELETE`` when a GSP URL is set, else one update of drops."""
        if not self.gsp_url:
            self.run_update(ru.request(ru.drop_graph(g) for g in graph_uris), "cleanup")
            return
        for graph_uri in graph_uris:
            try:
                response = self._writes.delete(self.gsp_url, params={"graph": graph_uri},
                                               timeout=self._timeouts())
            except requests.RequestException as exc:
                raise StoreError(self.redact(f"cleanup: cannot reach the store: {exc}")
                                 ) from None
            response.close()

    def _write(self, method: str, url: str, what: str, body: bytes, content_type: str,
               params: dict[str, str] | None = None) -> None:
        try:
            # urllib3 sends the body under the *connect* timeout: a store that ingests a
            # large piece while it reads it may pause reading longer than that, so a write
            # waits the store timeout for the connection and the body too.
            timeout = (self.settings.store_timeout, self.settings.store_timeout)
            response = self._writes.request(method, url, params=params, data=body,
                                            headers={"Content-Type": content_type},
                                            timeout=timeout)
        except requests.Timeout:
            raise StoreError(
                f"{what}: the store at {url} did not answer within "
                f"{self.settings.store_timeout:g} s; the outcome is unknown "
                "(compare the version id before and after)") from None
        except requests.RequestException as exc:
            raise StoreError(self.redact(f"{what}: cannot reach the store: {exc}")) from None
        with response:
            if not response.ok:
                raise StoreError(self.answer(what, url, response))

    def probe_gsp(self, graph_uri: str) -> None:
        """A GSP ``DELETE`` of a graph that holds nothing (when a GSP URL is set): checks
        the credentials there before a publish relies on them."""
        if not self.gsp_url:
            return
        try:
            response = self._writes.delete(self.gsp_url, params={"graph": graph_uri},
                                           timeout=self._timeouts())
        except requests.RequestException as exc:
            raise StoreError(self.redact(f"store check (GSP): cannot reach the store: {exc}")
                             ) from None
        with response:
            if not response.ok and response.status_code != 404:
                raise StoreError(self.answer("store check (GSP)", self.gsp_url, response))

    # -- queries -------------------------------------------------------------------------
    def _timeouts(self, read: float | None = None) -> tuple[float, float]:
        return (self._connect_timeout, read if read is not None else self.settings.store_timeout)

    def send_query(self, text: str, accept: str, default_graph_uris: Sequence[str],
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
                                       or self.redact(http.excerpt(response)))
        if not response.ok:
            with response:
                raise StoreError(self.answer("query", self.query_url, response))
        return response

    def _post_query(self, form: list[tuple[str, str]], accept: str, read_timeout: float,
                    stream: bool) -> requests.Response:
        try:
            return self._reads.post(
                self.query_url, data=form, headers={"Accept": accept},
                timeout=self._timeouts(read_timeout), stream=stream)
        except requests.ConnectTimeout:
            raise StoreError(f"cannot reach the store at {self.query_url} "
                             f"within {self._connect_timeout:g} s") from None
        except requests.Timeout:
            raise
        except requests.RequestException as exc:
            raise StoreError(self.redact(f"cannot reach the store: {exc}")) from None

    def internal_query(self, text: str, accept: str, default_graph_uris: Sequence[str] = (),
                        named_graph_uris: Sequence[str] = ()) -> requests.Response:
        try:
            response = self.send_query(text, accept, default_graph_uris, named_graph_uris,
                                        self.settings.store_timeout, False)
        except requests.Timeout:
            raise StoreError(f"the store did not answer an internal query within "
                             f"{self.settings.store_timeout:g} s") from None
        reason = http.incomplete(response)
        if reason:
            raise StoreError(f"the store answered an internal query incompletely ({reason}); "
                             "raise its own query timeout or result row limit")
        return response

    def graph_quads(self, graph_uri: str) -> Iterator[ox.Quad]:
        """The triples of one graph, streamed (as quads in the default graph)."""
        if not self.gsp_url:
            query = "CONSTRUCT { ?s ?p ?o } WHERE {\n#VALUES\nGRAPH ?g { ?s ?p ?o } }"
            response = self.send_query(bind(query, {"g": URIRef(graph_uri)}), http.GRAPH_ACCEPT,
                                        (), (), self.settings.store_timeout, stream=True)
        else:
            try:
                response = self._reads.get(self.gsp_url, params={"graph": graph_uri},
                                           headers={"Accept": http.GRAPH_ACCEPT},
                                           timeout=self._timeouts(), stream=True)
            except requests.RequestException as exc:
                raise StoreError(self.redact(f"cannot read graph {graph_uri}: {exc}")) from None
            if response.status_code == 404:
                response.close()
                return
            if not response.ok:
                with response:
                    raise StoreError(self.answer(f"read of {graph_uri}", self.gsp_url, response))
        with response:
            yield from self.triples(response)

    def triples(self, response: requests.Response) -> Iterator[ox.Quad]:
        fmt = graph_format(http.media_type(response))
        if fmt is None or fmt.quads:
            raise StoreError(f"unexpected RDF type {http.media_type(response)!r} from the store")
        reader = io.BufferedReader(http.StreamReader(response), http.CHUNK_BYTES)
        try:
            yield from ox.parse(reader, format=fmt.oxigraph)
        except SyntaxError as exc:
            raise StoreError(f"the store's answer does not parse: {exc}") from None

    def answer(self, what: str, url: str, response: requests.Response) -> str:
        text = (f"{what}: the store at {url} answered {response.status_code} "
                f"{response.reason}: {http.excerpt(response)}")
        if response.status_code in (401, 403):
            who = ("SMARTREGION_STORE_USER/SMARTREGION_STORE_PASSWORD" if self.settings.store_user
                   else "SMARTREGION_STORE_TOKEN" if self.settings.store_token
                   else "no credentials (SMARTREGION_STORE_USER/_PASSWORD or _TOKEN)")
            scheme = (f" (HTTP {self.settings.store_auth} authentication, "
                      "SMARTREGION_STORE_AUTH)" if self.settings.store_user else "")
            text = f"{who}{scheme} rejected by the store ({response.status_code}); {text}"
        return self.redact(text)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        """Close the HTTP connection pools."""
        self._reads.close()
        self._writes.close()
