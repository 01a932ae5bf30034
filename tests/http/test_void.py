"""VoID at ``/.well-known/void``: figures equal independent SPARQL counts on the same store
version, links back to SPARQL/DCAT/dumps, and regeneration on every publish."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from endpoint import create_app
from loaders.pipeline import load, resolve_sources
from smartregion.derived.datasets import KNOWLEDGE_GRAPH
from smartregion.namespaces import SD, VOID
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.uris import meta_graph_uri
from tests.conftest import TEST_DATA, make_settings
from tests.http.test_catalog import BASE, output_violations, source_graphs

WHOLE = URIRef(f"{BASE}dataset/{KNOWLEDGE_GRAPH}")
# Counted here independently of endpoint/queries/void_*.rq (plain SPARQL over one graph or
# over the distinct triples of all source graphs).
COUNT = """SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects)
  (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects) WHERE { %s }"""
IN_GRAPH = "GRAPH <%s> { ?s ?p ?o }"
UNION = "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <%s>) }"


def int_of(graph: Graph, subject: URIRef, prop: URIRef) -> int:
    value = graph.value(subject, prop)
    assert isinstance(value, Literal), (subject, prop)
    return int(value.toPython())


def one(backend: EmbeddedBackend, query: str) -> dict[str, int]:
    (row,) = backend.select(query)
    return {k: int(v.toPython()) for k, v in row.items()}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def void(client_module: FlaskClient) -> Graph:
    response = client_module.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return Graph().parse(data=response.data, format="turtle")


@pytest.fixture(scope="module")
def client_module(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    flask_app = create_app(loaded_settings, loaded_backend)
    flask_app.testing = True
    return flask_app.test_client()


def test_void_passes_our_output_shapes(void: Graph) -> None:
    assert output_violations(void) == []


def test_figures_equal_sparql_counts_on_the_same_version(
    void: Graph, loaded_backend: EmbeddedBackend
) -> None:
    version = loaded_backend.version()
    meta = loaded_backend.graph(meta_graph_uri(BASE))
    for graph_iri in source_graphs(loaded_backend):
        dataset = URIRef(f"{BASE}dataset/{graph_iri.rsplit('/', 1)[1]}")
        counted = one(loaded_backend, COUNT % (IN_GRAPH % graph_iri))
        assert int_of(void, dataset, VOID.triples) == counted["n"]
        assert int_of(void, dataset, VOID.distinctSubjects) == counted["subjects"]
        assert int_of(void, dataset, VOID.distinctObjects) == counted["objects"]
        assert int_of(void, dataset, VOID.properties) == counted["properties"]
        # the load record counted the same triples when it loaded them
        assert int_of(meta, URIRef(graph_iri), VOID.triples) == counted["n"]
        entities = one(loaded_backend, f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
            GRAPH <{graph_iri}> {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), "{BASE}id/")) }}""")
        assert int_of(void, dataset, VOID.entities) == entities["n"]
        for partition in void.objects(dataset, VOID.classPartition):
            cls = void.value(partition, VOID["class"])
            instances = one(loaded_backend, f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                GRAPH <{graph_iri}> {{ ?s a <{cls}> }} }}""")
            assert int_of(void, partition, VOID.entities) == instances["n"], cls
        partitions = list(void.objects(dataset, VOID.propertyPartition))
        assert len(partitions) == counted["properties"]
        for partition in partitions:
            prop = void.value(partition, VOID.property)
            triples = one(loaded_backend, f"""SELECT (COUNT(*) AS ?n) WHERE {{
                GRAPH <{graph_iri}> {{ ?s <{prop}> ?o }} }}""")
            assert int_of(void, partition, VOID.triples) == triples["n"], prop
    whole = one(loaded_backend, COUNT % ("{ %s }" % (UNION % meta_graph_uri(BASE))))
    assert int_of(void, WHOLE, VOID.triples) == whole["n"]
    assert int_of(void, WHOLE, VOID.distinctSubjects) == whole["subjects"]
    assert loaded_backend.version() == version  # every count above saw the same version


@pytest.mark.parametrize(("target", "space"), [
    ("nuts", "http://data.europa.eu/nuts/code/"),
    ("political-geocoding", "http://dcat-ap.de/def/politicalGeocoding/"),
])
def test_linksets_to_nuts_and_geocoding_equal_sparql_counts(
    void: Graph, loaded_backend: EmbeddedBackend, target: str, space: str
) -> None:
    node = URIRef(f"{BASE}.well-known/void#{target}")
    assert void.value(node, VOID.uriSpace) == Literal(space)
    linksets = [ls for ls in void.subjects(VOID.objectsTarget, node)
                if void.value(ls, VOID.subjectsTarget) != WHOLE]
    assert linksets, f"no linkset to {target}"
    for linkset in linksets:
        dataset = void.value(linkset, VOID.subjectsTarget)
        graph_iri = f"{BASE}graph/{str(dataset).rsplit('/', 1)[1]}"
        prop = void.value(linkset, VOID.linkPredicate)
        counted = one(loaded_backend, f"""SELECT (COUNT(*) AS ?n) WHERE {{
            GRAPH <{graph_iri}> {{ ?s <{prop}> ?o }} FILTER(STRSTARTS(STR(?o), "{space}")) }}""")
        assert int_of(void, linkset, VOID.triples) == counted["n"]
        assert (dataset, VOID.subset, linkset) in void


def test_void_links_back_to_sparql_catalogue_and_dumps(
    void: Graph, client_module: FlaskClient
) -> None:
    document = URIRef(BASE + ".well-known/void")
    assert (document, RDF.type, VOID.DatasetDescription) in void
    assert void.value(document, URIRef("http://xmlns.com/foaf/0.1/primaryTopic")) == WHOLE
    datasets = set(void.subjects(VOID.sparqlEndpoint, URIRef(BASE + "sparql")))
    assert WHOLE in datasets and len(datasets) > 1
    assert set(void.objects(WHOLE, VOID.subset)) >= datasets - {WHOLE}
    for dump in void.objects(WHOLE, VOID.dataDump):
        with client_module.head(str(dump).removeprefix(BASE[:-1])) as response:
            assert response.status_code == 200
    for named in void.subjects(RDF.type, SD.NamedGraph):
        assert str(void.value(named, SD.name)).startswith(BASE + "graph/")
        assert void.value(named, SD.graph) in datasets


def test_void_is_regenerated_on_each_publish(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, source_dir=TEST_DATA / "sources")
    backend = EmbeddedBackend(settings)
    try:
        client = create_app(settings, backend).test_client()
        empty = Graph().parse(data=client.get("/.well-known/void.ttl").data, format="turtle")
        assert not list(empty.subjects(VOID.sparqlEndpoint, None))
        load(resolve_sources(["administrative"], settings), settings, backend)
        first = Graph().parse(data=client.get("/.well-known/void.ttl").data, format="turtle")
        load(resolve_sources(["administrative", "organisations"], settings), settings, backend)
        second = Graph().parse(data=client.get("/.well-known/void.ttl").data, format="turtle")
        assert int_of(second, WHOLE, VOID.triples) > int_of(first, WHOLE, VOID.triples)
        organisations = URIRef(f"{BASE}dataset/organisations")
        assert (organisations, RDF.type, VOID.Dataset) in second
        assert (organisations, RDF.type, VOID.Dataset) not in first
    finally:
        backend.close()
