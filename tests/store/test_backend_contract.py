"""The store contract: the same assertions for the embedded store and a real remote store.

Every test runs three times: on an :class:`EmbeddedBackend` in a temporary directory, on a
:class:`RemoteBackend` talking to a real ``oxigraph serve`` process (marker ``remote``) and on
one talking to a real Virtuoso 7 (markers ``remote`` and ``virtuoso``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from smartregion.formats import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    GraphFormat,
    ResultsFormat,
    graph_format,
    results_format,
)
from smartregion.namespaces import DCTERMS, PROV, RDFS, SCHEMA, XSD
from smartregion.store.backend import (
    QueryLimitError,
    QueryResult,
    QuerySyntaxError,
    StoreBackend,
    StoreError,
)
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from smartregion.store.sparql_lexer import ServiceRefused
from smartregion.store.terms import to_rdflib
from smartregion.uris import graph_uri, meta_graph_uri
from tests.conftest import TEST_BASE, make_settings
from tests.oxigraph_server import OxigraphServer
from tests.virtuoso_server import VirtuosoServer

ALPHA = graph_uri(TEST_BASE, "alpha")
ALPHABET = graph_uri(TEST_BASE, "alphabet")  # starts like ALPHA, but is not ALPHA's record
BETA = graph_uri(TEST_BASE, "beta")
META = meta_graph_uri(TEST_BASE)
EX = "http://testserver/id/project/"
MULTILINE = 'Zeile 1\nZeile 2 "zitiert" \\ Tab\tEnde'
JSON = results_format("json")
TURTLE = graph_format("turtle")
assert JSON is not None and TURTLE is not None

Breaker = Callable[[Publication], None]


def thing(key: str) -> URIRef:
    return URIRef(EX + key)


def alpha_graph() -> Graph:
    """Terms that must survive any store: languages, datatypes, escapes, blank node chains."""
    g = Graph()
    a, b = thing("a"), thing("b")
    g.add((a, RDFS.label, Literal("Sensorbasierte Müllabfuhr", lang="de")))
    g.add((a, RDFS.label, Literal("Sensor-based waste collection", lang="en")))
    g.add((b, RDFS.label, Literal(MULTILINE)))
    g.add((a, SCHEMA.startDate, Literal("2021-03-01", datatype=XSD.date)))
    g.add((a, SCHEMA.position, Literal(3, datatype=XSD.integer)))
    address, geo = BNode(), BNode()
    g.add((a, SCHEMA.address, address))
    g.add((address, SCHEMA.postalCode, Literal("34117")))
    g.add((address, SCHEMA.geo, geo))
    g.add((geo, SCHEMA.latitude, Literal("51.3127", datatype=XSD.decimal)))
    return g


def beta_graph() -> Graph:
    g = Graph()
    g.add((thing("c"), RDFS.label, Literal("Digitale Bürgerbeteiligung", lang="de")))
    return g


def record(graph: str, title: str) -> Graph:
    """A load record with both kinds of subject: ``<g>`` and ``<g#load>``."""
    g = Graph()
    g.add((URIRef(graph), DCTERMS.title, Literal(title, lang="de")))
    g.add((URIRef(graph), PROV.wasGeneratedBy, URIRef(graph + "#load")))
    g.add((URIRef(graph + "#load"), PROV.endedAtTime,
           Literal("2024-05-01T10:00:00+00:00", datatype=XSD.dateTime)))
    return g


def numbered_graph(n: int) -> Graph:
    g = Graph()
    for i in range(n):
        g.add((thing(f"p{i}"), RDFS.label, Literal(f"Projekt {i}")))
    return g


def first_publication() -> Publication:
    return Publication(
        graphs={ALPHA: alpha_graph(), BETA: beta_graph()},
        records={ALPHA: record(ALPHA, "Alpha 1"), BETA: record(BETA, "Beta 1")},
    )


@pytest.fixture(params=["embedded", pytest.param("remote", marks=pytest.mark.remote),
                        pytest.param("virtuoso", marks=[pytest.mark.remote,
                                                        pytest.mark.virtuoso])])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., StoreBackend]]:
    """Makes backends of one kind on one empty store (settings overrides as arguments)."""
    created: list[StoreBackend] = []
    server: OxigraphServer | VirtuosoServer | None = None
    if request.param == "remote":
        server = request.getfixturevalue("oxigraph_server")
        server.clear()
    elif request.param == "virtuoso":
        server = request.getfixturevalue("virtuoso_server")
        server.clear()

    def make(**overrides: object) -> StoreBackend:
        backend: StoreBackend
        if server is None:
            backend = EmbeddedBackend(make_settings(tmp_path, **overrides))
        else:
            backend = RemoteBackend(server.settings(tmp_path, **overrides))
        created.append(backend)
        return backend

    yield make
    for backend in created:
        backend.close()


@pytest.fixture
def store(make_store: Callable[..., StoreBackend]) -> StoreBackend:
    """An empty store of each kind."""
    return make_store()


@pytest.fixture
def breaker(store: StoreBackend, request: pytest.FixtureRequest, tmp_path: Path) -> Breaker:
    """Publishes in a way that fails inside the store (the failure differs by kind)."""
    if isinstance(store, RemoteBackend):
        kind = request.node.callspec.params["make_store"]
        server: OxigraphServer | VirtuosoServer = request.getfixturevalue(
            "virtuoso_server" if kind == "virtuoso" else "oxigraph_server")
        # A store that refuses the update: the query endpoint does not take updates (nor
        # anonymous ones, on Virtuoso).
        refusing = RemoteBackend(server.settings(tmp_path, update_url=server.query_url,
                                                 store_password="pw-not-to-be-shown",
                                                 store_user="loader"))

        def fail(publication: Publication) -> None:
            with pytest.raises(StoreError) as caught:
                refusing.publish(publication)
            message = str(caught.value)
            assert "answered 4" in message or "answered 5" in message
            assert server.query_url in message
            assert "pw-not-to-be-shown" not in message
            refusing.close()
        return fail

    def fail_embedded(publication: Publication) -> None:
        # A literal in subject position passes rdflib but breaks the write half-way through.
        publication.graphs[BETA].add((Literal("not a subject"), RDFS.label, Literal("x")))
        with pytest.raises((TypeError, ValueError)):
            store.publish(publication)
    return fail_embedded


@pytest.fixture
def published(store: StoreBackend) -> StoreBackend:
    store.publish(first_publication())
    return store


def body(result: QueryResult) -> bytes:
    return b"".join(result.body)


# -- version and publish ---------------------------------------------------------------------
def test_empty_store_has_no_version_and_no_graphs(store: StoreBackend) -> None:
    assert store.version() is None
    assert store.graph_uris() == []
    assert store.select("SELECT ?s WHERE { ?s ?p ?o }") == []


def test_publish_serves_graphs_and_a_new_version(store: StoreBackend) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    version = store.publish(first_publication())
    assert store.version() == version
    assert before - timedelta(seconds=1) <= version.created <= datetime.now(UTC)
    assert store.graph_uris() == sorted([ALPHA, BETA, META])
    assert isomorphic(store.graph(ALPHA), alpha_graph())
    assert isomorphic(store.graph(BETA), beta_graph())


def test_publish_replaces_a_graph_and_keeps_the_others(published: StoreBackend) -> None:
    first = published.version()
    assert first is not None
    changed = Graph()
    changed.add((thing("a"), RDFS.label, Literal("Neu", lang="de")))
    second = published.publish(Publication(graphs={ALPHA: changed}))
    assert second.id != first.id
    assert published.version() == second
    assert isomorphic(published.graph(ALPHA), changed)
    assert isomorphic(published.graph(BETA), beta_graph())


def test_publish_replaces_records_by_subject(published: StoreBackend) -> None:
    published.publish(Publication(graphs={ALPHABET: beta_graph()},
                                  records={ALPHABET: record(ALPHABET, "Alphabet")}))
    published.publish(Publication(graphs={ALPHA: alpha_graph()},
                                  records={ALPHA: record(ALPHA, "Alpha 2")}))
    meta = published.graph(META)
    titles = {str(s): str(o) for s, o in meta.subject_objects(DCTERMS.title)}
    assert titles == {ALPHA: "Alpha 2", BETA: "Beta 1", ALPHABET: "Alphabet"}
    assert len(list(meta.objects(URIRef(ALPHA + "#load"), PROV.endedAtTime))) == 1
    assert len(list(meta.objects(URIRef(ALPHABET + "#load"), PROV.endedAtTime))) == 1


def test_publishing_an_empty_graph_removes_it(published: StoreBackend) -> None:
    published.publish(Publication(graphs={BETA: Graph()}))
    assert BETA not in published.graph_uris()
    assert len(published.graph(BETA)) == 0
    assert isomorphic(published.graph(ALPHA), alpha_graph())


def test_failed_publish_leaves_the_previous_state(published: StoreBackend,
                                                  breaker: Breaker) -> None:
    version = published.version()
    replacement = Graph()
    replacement.add((thing("x"), RDFS.label, Literal("halb geladen")))
    broken = Publication(graphs={ALPHA: replacement, BETA: Graph()},
                         records={ALPHA: record(ALPHA, "kaputt")})
    breaker(broken)
    assert published.version() == version
    assert isomorphic(published.graph(ALPHA), alpha_graph())
    assert isomorphic(published.graph(BETA), beta_graph())
    assert published.graph_uris() == sorted([ALPHA, BETA, META])
    titles = {str(o) for o in published.graph(META).objects(URIRef(ALPHA), DCTERMS.title)}
    assert titles == {"Alpha 1"}


# -- client queries ----------------------------------------------------------------------------
LABELS = f"SELECT ?label WHERE {{ ?s <{RDFS.label}> ?label }} ORDER BY ?label"


@pytest.mark.parametrize("fmt", RESULTS_FORMATS, ids=lambda f: f.name)
def test_select_in_each_results_format(published: StoreBackend, fmt: ResultsFormat) -> None:
    result = published.query(LABELS, results_format=fmt, graph_format=TURTLE)
    assert (result.kind, result.media_type, result.in_memory) == (
        "solutions", fmt.media_type, True)
    data = body(result)
    expected = sorted(
        str(o) for g in (alpha_graph(), beta_graph()) for o in g.objects(None, RDFS.label))
    if fmt.name == "csv":  # pyoxigraph does not read CSV results; it is lossy anyway
        lines = data.decode().splitlines()
        assert lines[0] == "label" and "Sensorbasierte Müllabfuhr" in lines
        return
    parsed = ox.parse_query_results(data, format=fmt.oxigraph)
    assert isinstance(parsed, ox.QuerySolutions)
    assert sorted(str(to_rdflib(row["label"])) for row in parsed) == expected


def test_ask(published: StoreBackend) -> None:
    result = published.query("ASK { ?s ?p 'Digitale Bürgerbeteiligung'@de }",
                             results_format=JSON, graph_format=TURTLE)
    assert (result.kind, result.media_type) == ("boolean", JSON.media_type)
    assert bool(ox.parse_query_results(body(result), format=JSON.oxigraph)) is True


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.name)
def test_construct_in_each_graph_format(published: StoreBackend, fmt: GraphFormat) -> None:
    result = published.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ALPHA}> {{ ?s ?p ?o }} }}",
                             results_format=JSON, graph_format=fmt)
    assert (result.kind, result.media_type) == ("graph", fmt.media_type)
    parsed = Graph()
    for quad in ox.parse(body(result), format=fmt.oxigraph):
        parsed.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    assert isomorphic(parsed, alpha_graph())


def test_queries_see_the_union_of_named_graphs(published: StoreBackend) -> None:
    rows = published.select(f"SELECT ?s WHERE {{ ?s <{RDFS.label}> ?l }}")
    assert {r["s"] for r in rows} == {thing("a"), thing("b"), thing("c")}


def test_dataset_clauses_are_passed_on(published: StoreBackend) -> None:
    only_beta = published.query("SELECT ?s WHERE { ?s ?p ?o }", results_format=JSON,
                                graph_format=TURTLE, default_graph_uris=[BETA])
    rows = list(ox.parse_query_results(body(only_beta), format=JSON.oxigraph))
    assert {to_rdflib(r["s"]) for r in rows} == {thing("c")}
    named = published.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                            results_format=JSON, graph_format=TURTLE, named_graph_uris=[ALPHA])
    rows = list(ox.parse_query_results(body(named), format=JSON.oxigraph))
    assert [str(to_rdflib(r["g"])) for r in rows] == [ALPHA]


def test_syntax_error_names_the_position(published: StoreBackend) -> None:
    with pytest.raises(QuerySyntaxError, match="1:"):
        published.query("SELECT WHERE { ?s ?p }", results_format=JSON, graph_format=TURTLE)


# -- trusted internal queries ------------------------------------------------------------------
def test_select_with_bound_values(published: StoreBackend) -> None:
    rows = published.select(
        f"SELECT ?label WHERE {{\n#VALUES\n?s <{RDFS.label}> ?label }}",
        {"s": thing("a")})
    assert {r["label"] for r in rows} == {Literal("Sensorbasierte Müllabfuhr", lang="de"),
                                          Literal("Sensor-based waste collection", lang="en")}
    quoted = published.select("SELECT ?s WHERE {\n#VALUES\n?s ?p ?label }",
                              {"label": Literal(MULTILINE)})
    assert [r["s"] for r in quoted] == [thing("b")]


def test_construct_with_bound_values(published: StoreBackend) -> None:
    graph = published.construct(
        "CONSTRUCT { ?s ?p ?o } WHERE {\n#VALUES\n?s ?p ?o }", {"s": thing("b")})
    assert set(graph) == {(thing("b"), RDFS.label, Literal(MULTILINE))}


# -- dumps -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ntriples", "turtle", "rdfxml"])
def test_dump_one_graph(published: StoreBackend, tmp_path: Path, name: str) -> None:
    fmt = graph_format(name)
    assert fmt is not None
    target = tmp_path / f"alpha.{fmt.extension}"
    size = published.dump(target, fmt, ALPHA)
    assert size == target.stat().st_size > 0
    assert isomorphic(Graph().parse(target, format=fmt.rdflib), alpha_graph())


def test_dump_all_graphs_as_quads(published: StoreBackend, tmp_path: Path) -> None:
    fmt = graph_format("nquads")
    assert fmt is not None
    target = tmp_path / "all.nq"
    published.dump(target, fmt)
    by_graph: dict[str, Graph] = {}
    for quad in ox.parse(path=target, format=fmt.oxigraph):
        assert isinstance(quad.graph_name, ox.NamedNode)
        g = by_graph.setdefault(quad.graph_name.value, Graph())
        g.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    assert set(by_graph) == {ALPHA, BETA, META}
    assert isomorphic(by_graph[ALPHA], alpha_graph())
    assert isomorphic(by_graph[BETA], beta_graph())
    with pytest.raises(StoreError, match="quad format"):
        published.dump(tmp_path / "all.ttl", TURTLE)


# -- the endpoint's limits -------------------------------------------------------------------
def test_result_cap_is_an_error_not_a_silent_cut(
    make_store: Callable[..., StoreBackend]
) -> None:
    make_store().publish(Publication(graphs={ALPHA: numbered_graph(6)}))
    capped = make_store(result_limit=5)
    fits = capped.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5",
                        results_format=JSON, graph_format=TURTLE)
    assert len(list(ox.parse_query_results(body(fits), format=JSON.oxigraph))) == 5
    for text in ("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
                 "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"):
        with pytest.raises(QueryLimitError) as caught:
            body(capped.query(text, results_format=JSON, graph_format=TURTLE))
        assert caught.value.limit == "result-size"


def test_deadline_holds_although_the_store_would_allow_more(
    make_store: Callable[..., StoreBackend]
) -> None:
    make_store().publish(Publication(graphs={ALPHA: numbered_graph(300)}))
    hurried = make_store(query_timeout=0.5)
    body(hurried.query("ASK {}", results_format=JSON, graph_format=TURTLE))  # executors started
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    with pytest.raises(QueryLimitError) as caught:
        body(hurried.query(slow, results_format=JSON, graph_format=TURTLE, timeout=60))
    assert caught.value.limit == "deadline"
    assert time.monotonic() - started < 0.5 + 2  # the issue: answered within deadline + 2 s
    quick = hurried.query("ASK { ?s ?p ?o }", results_format=JSON, graph_format=TURTLE)
    assert quick.kind == "boolean"


def test_service_is_refused_before_anything_is_fetched(store: StoreBackend) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        with pytest.raises(ServiceRefused, match="refused"):
            store.query(f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
                        results_format=JSON, graph_format=TURTLE)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
