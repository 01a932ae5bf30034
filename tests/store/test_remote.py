"""What only the remote backend has: staged publishing, limits on a real server, credentials.

The contract shared with the embedded store is in ``test_backend_contract.py``.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from endpoint import create_app
from loaders.pipeline import load, resolve_sources
from smartregion.formats import graph_format, results_format
from smartregion.namespaces import RDFS, SCHEMA
from smartregion.store import open_backend, remote_scope
from smartregion.store import remote_update as ru
from smartregion.store.backend import StoreBackend, StoreError
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from smartregion.store.remote_connection import StoreConnection
from smartregion.uris import meta_graph_uri
from tests.conftest import make_settings
from tests.oxigraph_server import OxigraphServer
from tests.store.test_backend_contract import (
    ALPHA,
    BETA,
    META,
    alpha_graph,
    beta_graph,
    first_publication,
    numbered_graph,
)

JSON = results_format("json")
NTRIPLES = graph_format("ntriples")
assert JSON is not None and NTRIPLES is not None


@pytest.fixture
def server(oxigraph_server: OxigraphServer) -> OxigraphServer:
    oxigraph_server.clear()
    return oxigraph_server


# -- pure parts (no server) --------------------------------------------------------------------
def test_chunks_keep_blank_node_groups_together() -> None:
    g = numbered_graph(50)
    for i in range(5):  # chains s -> b1 -> b2 that must not be cut
        first, second = BNode(), BNode()
        g.add((URIRef(f"http://testserver/id/project/p{i}"), SCHEMA.address, first))
        g.add((first, SCHEMA.geo, second))
        g.add((second, SCHEMA.latitude, Literal(str(i))))
    pieces = list(ru.chunks(g, 400))
    assert len(pieces) > 3
    rebuilt = Graph()
    for piece in pieces:
        part = Graph().parse(data=piece, format="nt")
        for node in {n for t in part for n in t if isinstance(n, BNode)}:
            # every blank node arrives with all of its triples in the same piece
            assert len(list(part.triples((node, None, None)))) == 1
        rebuilt += part
    assert isomorphic(rebuilt, g)


def test_update_text_refuses_invalid_iris() -> None:
    with pytest.raises(ValueError, match="invalid IRI"):
        ru.drop_graph("http://testserver/graph/a> } ; DROP ALL ; #")


def test_record_deletion_matches_the_graph_and_its_fragments_only() -> None:
    text = ru.delete_record(META, ALPHA).decode()
    assert f"?s = <{ALPHA}>" in text and f'STRSTARTS(STR(?s), "{ALPHA}#")' in text


def test_open_backend_gives_the_remote_backend(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, store="remote", query_url="http://127.0.0.1:9/query")
    backend = open_backend(settings)
    assert isinstance(backend, RemoteBackend)
    backend.close()


# -- credentials, against a stand-in server ----------------------------------------------------
class _Recorder(BaseHTTPRequestHandler):
    """Answers every request with 401 and a body that (carelessly) repeats the credentials."""

    seen: list[dict[str, str]] = []  # noqa: RUF012 - one list per test via the fixture

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(dict(self.headers))
        body = f"denied: {self.headers.get('Authorization')}".encode()
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def stand_in() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_basic_credentials_are_sent_and_never_shown(
    tmp_path: Path, stand_in: tuple[str, list[dict[str, str]]]
) -> None:
    url, seen = stand_in
    backend = RemoteBackend(make_settings(
        tmp_path, store="remote", query_url=f"{url}/query", update_url=f"{url}/update",
        store_user="loader", store_password="S3cret-Pw"))
    with pytest.raises(StoreError) as caught:
        backend.select("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(StoreError) as caught_publish:
        backend.publish(first_publication())
    expected = "Basic " + base64.b64encode(b"loader:S3cret-Pw").decode()
    assert [h["Authorization"] for h in seen] == [expected, expected]
    assert all(h["User-Agent"].startswith("smartregion/") for h in seen)
    for message in (str(caught.value), str(caught_publish.value), repr(backend)):
        assert "S3cret-Pw" not in message
        assert base64.b64encode(b"loader:S3cret-Pw").decode() not in message
    assert "answered 401" in str(caught.value)
    backend.close()


def test_bearer_token_is_sent_and_never_shown(
    tmp_path: Path, stand_in: tuple[str, list[dict[str, str]]]
) -> None:
    url, seen = stand_in
    backend = RemoteBackend(make_settings(tmp_path, store="remote", query_url=f"{url}/query",
                                          store_token="tok-123456"))
    with pytest.raises(StoreError) as caught:
        backend.version()
    assert seen[0]["Authorization"] == "Bearer tok-123456"
    assert "tok-123456" not in str(caught.value) and "***" in str(caught.value)
    assert "tok-123456" not in repr(backend)
    backend.close()


class _SlowReader(BaseHTTPRequestHandler):
    """Pauses before it reads an upload, as a store does that ingests the previous piece."""

    def do_PUT(self) -> None:
        time.sleep(1.5)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_upload_outlasts_a_store_that_pauses_reading(tmp_path: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SlowReader)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    backend = RemoteBackend(make_settings(tmp_path, store="remote", query_url=f"{url}/query",
                                          gsp_url=f"{url}/store", store_timeout=10.0))
    backend.connection._connect_timeout = 0.5  # shorter than the pause, as 10 s is in life
    body = b"<http://example.org/s> <http://example.org/p> \"o\" .\n" * 400_000  # 20 MB
    try:  # more than the socket buffers take: the send waits for the server to read
        backend.connection.put_graph(f"{url}/g", body, "upload of g")
    finally:
        backend.close()
        httpd.shutdown()
        httpd.server_close()


def test_credentials_in_a_url_are_refused_without_showing_them(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        RemoteBackend(make_settings(tmp_path, store="remote",
                                    query_url="http://loader:S3cret-Pw@127.0.0.1:9/query"))
    assert "S3cret-Pw" not in str(caught.value)


# -- staged publishing on the real server ------------------------------------------------------
@pytest.mark.remote
@pytest.mark.parametrize(("gsp", "batch", "in_pieces"),
                         [(True, 4000, False), (True, 300, True), (False, 300, True)],
                         ids=["gsp-put", "gsp-put-and-post-pieces", "insert-data-pieces"])
def test_large_publish_is_staged_then_switched(server: OxigraphServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, gsp: bool,
                                               batch: int, in_pieces: bool) -> None:
    uploads: dict[str, list[tuple[bool, int]]] = {}
    put_graph = StoreConnection.put_graph

    def recording(self: StoreConnection, graph_uri: str, body: bytes, what: str,
                  append: bool = False) -> None:
        assert len(body) <= batch + 200  # one triple may go past the limit, no more
        uploads.setdefault(graph_uri, []).append((append, len(body)))
        put_graph(self, graph_uri, body, what, append)

    monkeypatch.setattr(StoreConnection, "put_graph", recording)
    backend = RemoteBackend(server.settings(tmp_path, gsp=gsp, store_batch_bytes=batch))
    backend.publish(first_publication())
    uploads.clear()
    # Each graph's N-Triples is about 2,900 bytes: under 4,000 but together over it.
    alpha, beta = numbered_graph(40), Graph()
    for s, p, o in numbered_graph(40):
        beta.add((s, p, Literal(f"B {o}")))
    version = backend.publish(Publication(graphs={ALPHA: alpha, BETA: beta}))
    assert backend.version() == version
    assert isomorphic(backend.graph(ALPHA), alpha) and isomorphic(backend.graph(BETA), beta)
    assert backend.graph_uris() == sorted([ALPHA, BETA, META])
    assert server.graph_names() == {ALPHA, BETA, META}  # no staging graph left behind
    assert len(uploads) == (2 if gsp else 0)
    for calls in uploads.values():  # the first piece replaces the staging graph, the rest add
        assert [append for append, _ in calls] == [False] + [True] * (len(calls) - 1)
        assert (len(calls) > 1) == in_pieces
    backend.close()


@pytest.mark.remote
def test_failed_switch_drops_the_staging_graphs(server: OxigraphServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    good = RemoteBackend(server.settings(tmp_path))
    version = good.publish(first_publication())
    # The store check before a publish would refuse this update URL before any upload
    # (tests/store/test_store_check.py); here the switch itself has to fail.
    monkeypatch.setattr(remote_scope, "check_store", lambda backend, writing: None)
    refusing = RemoteBackend(server.settings(tmp_path, store_batch_bytes=300,
                                             update_url=server.query_url))
    with pytest.raises(StoreError, match=r"publish \(switch\): .* answered 4"):
        refusing.publish(Publication(graphs={ALPHA: numbered_graph(40)}))
    assert server.graph_names() == {ALPHA, BETA, META}
    assert good.version() == version
    assert isomorphic(good.graph(ALPHA), alpha_graph())
    assert isomorphic(good.graph(BETA), beta_graph())
    good.close()
    refusing.close()


@pytest.mark.remote
def test_the_next_loader_removes_staging_graphs_a_killed_publish_left(
        server: OxigraphServer, tmp_path: Path) -> None:
    backend = RemoteBackend(server.settings(tmp_path))
    backend.publish(first_publication())
    # What a loader killed during its upload leaves: a staging graph that the union default
    # graph shows in every query.
    left = f"{backend.staging_prefix}dead0001/0"
    server.update(f'INSERT DATA {{ GRAPH <{left}> {{ <{ALPHA}#x> <{RDFS}label> "Rest" }} }}')
    ask = f"ASK {{ <{ALPHA}#x> <{RDFS}label> ?o }}"
    assert backend.ask_unscoped(ask)
    with backend.writer("next loader") as writer, writer.stage({BETA: beta_graph()}) as stage:
        stage.commit({})
    assert left not in server.graph_names()
    assert not backend.ask_unscoped(ask)
    backend.close()


@pytest.mark.remote
def test_version_is_reused_for_its_ttl_only(server: OxigraphServer, tmp_path: Path) -> None:
    writer = RemoteBackend(server.settings(tmp_path))
    cached = RemoteBackend(server.settings(tmp_path, store_version_ttl=3600))
    fresh = RemoteBackend(server.settings(tmp_path, store_version_ttl=0))
    first = writer.publish(first_publication())
    assert cached.version() == fresh.version() == first
    second = writer.publish(Publication(graphs={BETA: numbered_graph(2)}))
    assert fresh.version() == second != first
    assert cached.version() == first  # documented: a worker may serve the old id for the TTL
    for backend in (writer, cached, fresh):
        backend.close()


def test_derived_views_are_recorded_for_every_node_without_a_new_version(
        server: OxigraphServer, tmp_path: Path) -> None:
    """A derived view recorded by the writer is read by another web node from the store."""
    writer = RemoteBackend(server.settings(tmp_path))
    version = writer.publish(first_publication())
    reader = RemoteBackend(server.settings(tmp_path, store_version_ttl=0))
    assert reader.derived(version, "void-statistics") is None
    writer.record_derived(version, "void-statistics", {"": {"triples": 3}})
    assert reader.version() == version  # no new version
    assert reader.derived(version, "void-statistics") == {"": {"triples": 3}}
    second = writer.publish(first_publication())
    assert reader.derived(second, "void-statistics") is None  # made from the older version
    for backend in (writer, reader):
        backend.close()


# -- the platform unchanged on the remote store ----------------------------------------------
@pytest.mark.remote
def test_shipped_data_loads_and_serves_like_on_the_embedded_store(
    server: OxigraphServer, tmp_path: Path, loaded_backend: StoreBackend
) -> None:
    settings = server.settings(tmp_path)
    backend = RemoteBackend(settings)
    summary = load(resolve_sources([], settings), settings, backend)
    assert summary.version is not None and summary.version == backend.version()
    assert backend.graph_uris() == loaded_backend.graph_uris()
    for uri in backend.graph_uris():
        if uri != meta_graph_uri(settings.base_uri):  # load times differ, the data may not
            assert isomorphic(backend.graph(uri), loaded_backend.graph(uri)), uri
    again = load(resolve_sources([], settings), settings, backend)  # unchanged: no publish
    assert again.version == summary.version and not again.triples

    client = create_app(settings, backend).test_client()
    answer = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) "
                                                 "WHERE { ?s ?p ?o }"},
                        headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    assert answer.headers["ETag"].strip('"').startswith(summary.version.id)
    assert client.get("/sparql", query_string={"query": "ASK {}"},
                      headers={"Accept": "application/sparql-results+json",
                               "If-None-Match": answer.headers["ETag"]}).status_code in (200, 304)
    backend.close()


@pytest.mark.remote
@pytest.mark.parametrize("batch", [32_000_000, 300], ids=["one-request", "staged"])
def test_readers_never_see_a_half_published_graph(server: OxigraphServer, tmp_path: Path,
                                                  batch: int) -> None:
    writer = RemoteBackend(server.settings(tmp_path, store_batch_bytes=batch))
    reader = RemoteBackend(server.settings(tmp_path))
    small, large = numbered_graph(50), numbered_graph(400)
    writer.publish(Publication(graphs={ALPHA: small}))
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ALPHA}> {{ ?s ?p ?o }} }}"
        while not stop.is_set():
            seen.add(int(reader.select(count)[0]["n"]))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for i in range(6):
            writer.publish(Publication(graphs={ALPHA: large if i % 2 == 0 else small}))
    finally:
        stop.set()
        thread.join()
    assert seen <= {50, 400} and seen
    writer.close()
    reader.close()


@pytest.mark.remote
def test_large_answers_stream_from_the_spool_through_the_view(
        server: OxigraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer over the spool's memory part is streamed from its file, never joined."""
    from smartregion.store import remote_results

    monkeypatch.setattr(remote_results, "SPOOL_MEMORY", 1024)
    settings = server.settings(tmp_path)
    backend = RemoteBackend(settings)
    backend.publish(Publication(graphs={ALPHA: numbered_graph(200)}))
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    result = backend.query(query, results_format=JSON, graph_format=NTRIPLES)
    assert not result.in_memory and result.length is not None and result.length > 1024
    data = b"".join(result.body)
    assert len(data) == result.length
    result.close()
    app = create_app(settings, backend)
    response = app.test_client().get("/sparql", query_string={"query": query},
                                     headers={"Accept": JSON.media_type,
                                              "Accept-Encoding": "identity"})
    assert response.status_code == 200 and response.is_streamed
    assert response.get_data() == data
    response.close()
    backend.close()
