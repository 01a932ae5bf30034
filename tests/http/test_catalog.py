"""The DCAT-AP.de catalogue: negotiation, content, paging, validators, our output shapes.

Runs over the session store loaded with the shipped data through the real pipeline. The
official DCAT-AP/DCAT-AP.de shapes are checked in tests/conformance (they need ../shared).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from endpoint import create_app
from smartregion.derived.datasets import KNOWLEDGE_GRAPH, Source, resolve_entries
from smartregion.namespaces import DCAT, DCATDE, DCTERMS, GEOCODING, HYDRA, SRH, XSD
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.uris import meta_graph_uri

BASE = "http://testserver/"
CATALOG = URIRef(BASE + "catalog")
OUTPUT_SHAPES = PROJECT_DIR / "shapes" / "dcat-output.ttl"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}


def parse(response_data: bytes, media_type: str) -> Graph:
    """An rdflib graph of a response body."""
    return Graph().parse(data=response_data, format=RDF_TYPES[media_type])


def source_graphs(backend: EmbeddedBackend) -> list[str]:
    """The source graphs that hold triples (what the catalogue must list)."""
    meta = meta_graph_uri(BASE)
    return [g for g in backend.graph_uris() if g != meta]


def output_violations(graph: Graph) -> list[str]:
    """Violations of ``shapes/dcat-output.ttl``, one readable line each."""
    _conforms, results, _text = validate(
        graph, shacl_graph=Graph().parse(OUTPUT_SHAPES), inference="none", advanced=True,
        allow_warnings=True,
    )
    return [
        f"{results.value(r, SH.focusNode)} {results.value(r, SH.resultPath)}: "
        f"{results.value(r, SH.resultMessage)}"
        for r in results.subjects(RDF.type, SH.ValidationResult)
        if results.value(r, SH.resultSeverity) == SH.Violation
    ]


@pytest.fixture(scope="module")
def paged_app(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> Flask:
    """An app over the session store whose catalogue pages hold 3 datasets."""
    flask_app = create_app(loaded_settings.replace(catalog_page_size=3), loaded_backend)
    flask_app.testing = True
    return flask_app


def all_pages(client: FlaskClient, first: str = "/catalog.ttl") -> Iterator[tuple[str, Graph]]:
    """Follow ``hydra:next`` from ``first`` like a harvester; yields (url, graph)."""
    url: str | None = BASE + first.lstrip("/")
    seen: set[str] = set()
    while url:
        assert url not in seen, f"paging loops at {url}"
        seen.add(url)
        response = client.get(url.removeprefix(BASE.rstrip("/")))
        assert response.status_code == 200, (url, response.data[:300])
        graph = parse(response.data, response.mimetype)
        yield url, graph
        pages = list(graph.subjects(RDF.type, HYDRA.PagedCollection))
        assert len(pages) == 1
        following = graph.value(pages[0], HYDRA.next)
        url = str(following) if following else None


# -- negotiation ---------------------------------------------------------------------------
@pytest.mark.parametrize(("accept", "expected"), [
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/n-triples", "application/n-triples"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/turtle"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.9", "text/turtle"),
])
def test_catalog_negotiates_by_accept(client: FlaskClient, accept: str, expected: str) -> None:
    response = client.get("/catalog", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected
    assert response.headers["Vary"].startswith("Accept")
    assert response.headers["Content-Location"].startswith("http://localhost/catalog.")


@pytest.mark.parametrize(("path", "expected"), [
    ("/catalog.ttl", "text/turtle"), ("/catalog.jsonld", "application/ld+json"),
    ("/catalog.rdf", "application/rdf+xml"), ("/catalog.nt", "application/n-triples"),
    ("/catalog.html", "text/html"), ("/catalog?format=rdf", "application/rdf+xml"),
    ("/dataset/organisations.ttl", "text/turtle"), ("/dataset/organisations.rdf",
                                                    "application/rdf+xml"),
    ("/.well-known/void.jsonld", "application/ld+json"), ("/.well-known/void.ttl", "text/turtle"),
])
def test_extensions_and_format_parameter(client: FlaskClient, path: str, expected: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == expected


def test_nothing_acceptable_is_406_with_the_variants(client: FlaskClient) -> None:
    response = client.get("/catalog", headers={"Accept": "application/pdf"})
    assert response.status_code == 406
    assert b"text/turtle" in response.data


def test_every_rdf_variant_carries_the_same_graph(client: FlaskClient) -> None:
    graphs = [parse(client.get("/catalog", headers={"Accept": t}).data, t) for t in RDF_TYPES]
    for other in graphs[1:]:
        assert isomorphic(graphs[0], other)


def test_jsonld_inlines_its_context_and_keeps_absolute_ids(client: FlaskClient) -> None:
    document = client.get("/catalog.jsonld").get_json()
    assert isinstance(document["@context"], dict)  # never a remote context
    assert all(node["@id"].startswith(("http://", "https://")) for node in document["@graph"])


def test_head_answers_like_get(client: FlaskClient) -> None:
    head = client.head("/catalog.ttl")
    assert head.status_code == 200
    assert head.headers["ETag"] == client.get("/catalog.ttl").headers["ETag"]


def test_etag_gives_304(client: FlaskClient) -> None:
    first = client.get("/catalog.ttl")
    again = client.get("/catalog.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert first.headers["Last-Modified"]


# -- content -------------------------------------------------------------------------------
def test_one_dataset_per_source_graph_plus_the_knowledge_graph(
    client: FlaskClient, loaded_backend: EmbeddedBackend
) -> None:
    graph = parse(client.get("/catalog.ttl").data, "text/turtle")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    names = {g.rsplit("/", 1)[1] for g in source_graphs(loaded_backend)}
    assert datasets == {URIRef(f"{BASE}dataset/{n}") for n in [*names, KNOWLEDGE_GRAPH]}
    assert set(graph.objects(CATALOG, DCAT.dataset)) == datasets
    whole = URIRef(f"{BASE}dataset/{KNOWLEDGE_GRAPH}")
    assert set(graph.objects(whole, DCTERMS.hasPart)) == datasets - {whole}


def test_data_service_serves_every_dataset_and_links_the_service_description(
    client: FlaskClient,
) -> None:
    graph = parse(client.get("/catalog.ttl").data, "text/turtle")
    service = URIRef(BASE + "catalog#sparql-service")  # the saved-query APIs are services too
    assert service in set(graph.objects(CATALOG, DCAT.service))
    assert (service, RDF.type, DCAT.DataService) in graph
    assert graph.value(service, DCAT.endpointURL) == URIRef(BASE + "sparql")
    assert graph.value(service, DCAT.endpointDescription) == URIRef(BASE + "sparql")
    assert set(graph.objects(service, DCAT.servesDataset)) == set(
        graph.subjects(RDF.type, DCAT.Dataset))
    description = client.get("/sparql", headers={"Accept": "text/turtle"})
    if description.status_code == 200:  # the SPARQL blueprint links back to VoID and DCAT
        links = {str(o) for o in parse(description.data, "text/turtle").objects()}
        assert {BASE + "catalog", BASE + ".well-known/void"} <= links


def test_dates_come_from_the_load_records(
    client: FlaskClient, loaded_backend: EmbeddedBackend
) -> None:
    graph = parse(client.get("/catalog.ttl").data, "text/turtle")
    meta = loaded_backend.graph(meta_graph_uri(BASE))
    for graph_iri in source_graphs(loaded_backend):
        dataset = URIRef(f"{BASE}dataset/{graph_iri.rsplit('/', 1)[1]}")
        for prop in (DCTERMS.issued, DCTERMS.modified):
            recorded = meta.value(URIRef(graph_iri), prop)
            assert graph.value(dataset, prop).toPython() == recorded.toPython()


def test_licences_and_attribution_on_every_distribution(client: FlaskClient) -> None:
    graph = parse(client.get("/catalog.ttl").data, "text/turtle")
    licences = {}
    for dist in graph.subjects(RDF.type, DCAT.Distribution):
        licence = graph.value(dist, DCTERMS.license)
        assert str(licence).startswith("http://dcat-ap.de/def/licenses/"), dist
        assert graph.value(dist, DCATDE.licenseAttributionByText), dist
        licences[str(dist).split("#")[0].rsplit("/", 1)[1]] = str(licence)
    assert licences["administrative"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert licences["organisations"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"


def test_hessen_geocoding_on_every_dataset(client: FlaskClient) -> None:
    graph = parse(client.get("/catalog.ttl").data, "text/turtle")
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        assert graph.value(dataset, DCTERMS.spatial) == GEOCODING["stateKey/06"]
        assert graph.value(dataset, DCATDE.politicalGeocodingLevelURI) == GEOCODING[
            "Level/state"]


def test_catalogue_and_dataset_documents_pass_our_output_shapes(client: FlaskClient) -> None:
    assert output_violations(parse(client.get("/catalog.ttl").data, "text/turtle")) == []
    assert output_violations(
        parse(client.get("/dataset/organisations.ttl").data, "text/turtle")) == []


def test_our_output_shapes_catch_broken_output(client: FlaskClient) -> None:
    # The shapes' targets select only the platform's own documents; make sure they do fire.
    graph = parse(client.get("/catalog.ttl").data, "text/turtle")
    dataset = URIRef(f"{BASE}dataset/organisations")
    distribution = URIRef(f"{BASE}dataset/organisations#dump-ttl")
    graph.remove((dataset, DCTERMS.title, Literal(
        "Organisations around the Smart Region Hesse", lang="en")))
    graph.remove((distribution, DCTERMS.license, None))
    graph.remove((distribution, DCAT.byteSize, None))
    problems = "\n".join(output_violations(graph))
    assert f"{dataset} {DCTERMS.title}" in problems
    assert f"{distribution} {DCTERMS.license}" in problems
    assert f"{distribution} {DCAT.byteSize}" in problems
    void = Graph().parse(data=client.get("/.well-known/void.ttl").data, format="turtle")
    void.remove((dataset, URIRef("http://rdfs.org/ns/void#triples"), None))
    assert f"{dataset} http://rdfs.org/ns/void#triples" in "\n".join(output_violations(void))


def test_unknown_dataset_is_404(client: FlaskClient) -> None:
    response = client.get("/dataset/no-such-source", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# -- paging --------------------------------------------------------------------------------
@pytest.mark.parametrize("first", ["/catalog.ttl", "/catalog.rdf", "/catalog.jsonld"])
def test_paging_reaches_every_dataset_once_and_each_page_is_complete(
    paged_app: Flask, loaded_backend: EmbeddedBackend, first: str
) -> None:
    client = paged_app.test_client()
    expected = len(source_graphs(loaded_backend)) + 1
    seen: list[URIRef] = []
    pages = list(all_pages(client, first))
    assert len(pages) == -(-expected // 3)
    for number, (url, graph) in enumerate(pages, start=1):
        (node,) = graph.subjects(RDF.type, HYDRA.PagedCollection)
        assert node == URIRef(url if "page=" in url else url + "?page=1")
        assert (node, RDF.type, HYDRA.PartialCollectionView) in graph
        assert graph.value(node, HYDRA.totalItems) == Literal(expected, datatype=XSD.integer)
        assert graph.value(node, HYDRA.itemsPerPage) == Literal(3, datatype=XSD.integer)
        assert graph.value(node, HYDRA.firstPage) == graph.value(node, HYDRA.first)
        assert graph.value(node, HYDRA.lastPage) == URIRef(pages[-1][0])
        assert str(node).endswith(f"page={number}")
        assert url.startswith(BASE + first.lstrip("/"))
        assert (number == len(pages)) == (graph.value(node, HYDRA.nextPage) is None)
        datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
        assert 1 <= len(datasets) <= 3
        seen += datasets
        assert output_violations(graph) == [], url  # complete on its own
    assert len(seen) == len(set(seen)) == expected


def test_page_numbers_are_checked(paged_app: Flask) -> None:
    client = paged_app.test_client()
    assert client.get("/catalog.ttl?page=0").status_code == 400
    assert client.get("/catalog.ttl?page=x").status_code == 400
    assert client.get("/catalog.ttl?page=99").status_code == 404
    last = client.get("/catalog.ttl?page=99", headers={"Accept": "text/plain"})
    assert b"last page" in last.data


def test_modified_since_filters_like_ckanext_dcat(client: FlaskClient) -> None:
    future = parse(client.get("/catalog.ttl?modified_since=2999-01-01").data, "text/turtle")
    assert not list(future.subjects(RDF.type, DCAT.Dataset))
    past = parse(client.get("/catalog.ttl?modified_since=2000-01-01T00:00:00Z").data,
                 "text/turtle")
    assert list(past.subjects(RDF.type, DCAT.Dataset))
    (page,) = past.subjects(RDF.type, HYDRA.PagedCollection)
    assert "modified_since=2000-01-01T00" in str(page)
    assert client.get("/catalog.ttl?modified_since=yesterday").status_code == 400


# -- HTML ----------------------------------------------------------------------------------
def test_html_catalogue_in_both_languages(client: FlaskClient) -> None:
    german = client.get("/catalog?lang=de", headers={"Accept": "text/html"})
    english = client.get("/catalog?lang=en", headers={"Accept": "text/html"})
    assert german.status_code == english.status_code == 200
    assert "Datenkatalog" in german.get_data(as_text=True)
    assert "Data catalogue" in english.get_data(as_text=True)
    assert german.headers["ETag"] != english.headers["ETag"]
    assert "/dump/organisations.nt.gz" in german.get_data(as_text=True)


@pytest.mark.parametrize(("path", "needle"), [
    ("/dataset/organisations.html?lang=en", "Triples"),
    ("/.well-known/void.html?lang=de", "Statistik der Datensätze (VoID)"),
    ("/.well-known/void?lang=en", "Links to external data"),
])
def test_html_dataset_and_void_pages(client: FlaskClient, path: str, needle: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert needle in response.get_data(as_text=True)


def test_html_escapes_data(client: FlaskClient) -> None:
    page = client.get("/dataset/organisations.html").get_data(as_text=True)
    assert "<script>" not in page.split("<body", 1)[1].replace(
        '<script type="application/ld+json">', "")


# -- resolution rules (pure: load records → entries) ----------------------------------------
def _source(name: str, *triples: tuple[URIRef, URIRef, object]) -> Source:
    record = Graph()
    graph = URIRef(f"{BASE}graph/{name}")
    record.add((graph, SRH.sourceName, Literal(name)))
    for s, p, o in triples:
        record.add((s, p, o))  # type: ignore[arg-type]
    return Source(name, str(graph), record)


def test_record_licence_wins_and_unlicensed_sources_are_left_out(
    loaded_settings: Settings,
) -> None:
    graph = URIRef(f"{BASE}graph/gv100ad")
    by = URIRef("https://www.govdata.de/dl-de/by-2-0")  # a spelling loaders may record
    entries = resolve_entries(loaded_settings, [
        _source("gv100ad", (graph, DCTERMS.license, by),
                (graph, SRH.attribution, Literal("Quelle: Destatis", lang="de"))),
        _source("unlicensed-harvest"),
    ])
    names = [e.name for e in entries]
    assert names == [KNOWLEDGE_GRAPH, "gv100ad"]
    gv100ad = entries[1]
    assert str(gv100ad.licence) == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert gv100ad.attribution == "Quelle: Destatis"
    assert "Quelle: Destatis" in (entries[0].attribution or "")


def test_record_spatial_gives_the_municipality_level(loaded_settings: Settings) -> None:
    graph = URIRef(f"{BASE}graph/darmstadt-portal")
    darmstadt = GEOCODING["municipalityKey/06411000"]
    (_, entry) = resolve_entries(loaded_settings, [_source(
        "darmstadt-portal", (graph, DCTERMS.license, URIRef(
            "http://dcat-ap.de/def/licenses/dl-zero-de/2.0")),
        (graph, DCTERMS.spatial, darmstadt))])
    assert set(entry.facts.objects(entry.iri, DCTERMS.spatial)) == {darmstadt}
    assert set(entry.facts.objects(entry.iri, DCATDE.politicalGeocodingLevelURI)) == {
        GEOCODING["Level/municipality"]}


def test_metadata_file_resolves_against_the_base(tmp_path: Path) -> None:
    from smartregion.derived.datasets import catalog_metadata

    meta = catalog_metadata("https://example.org/lod/")
    assert (URIRef("https://example.org/lod/catalog"), RDF.type, DCAT.Catalog) in meta
