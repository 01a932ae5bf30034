"""/def/…: the ontology, concept schemes and concepts dereference with negotiation; HTML
documents every class, property and concept; RDF in all formats equals the vocabulary files;
/context.jsonld is the published context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt"}
SCHEME_BASE = "https://data.smarte-region-hessen.de/def/scheme/"


def parse(body: bytes, ext: str) -> Graph:
    if ext == "jsonld":
        document = json.loads(body)
        document["@context"] = json.loads(
            (ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]
        return Graph().parse(data=json.dumps(document), format="json-ld")
    return Graph().parse(data=body, format=FORMATS[ext])


def ontology_file() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "smartregion.ttl", format="turtle")


def schemes_file() -> Graph:
    graph = Graph()
    for path in sorted((ONTOLOGY_DIR / "schemes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def scheme_names() -> list[str]:
    return sorted(str(s)[len(SCHEME_BASE):] for s in schemes_file().subjects(
        RDF.type, SKOS.ConceptScheme))


def test_def_leads_to_the_ontology(client: FlaskClient) -> None:
    response = client.get("/def")
    assert response.status_code == 303
    assert response.headers["Location"] == "/def/srh"


def test_ontology_rdf_is_the_ontology_file_in_every_format(client: FlaskClient) -> None:
    expected = ontology_file()
    schemes = {URIRef(SCHEME_BASE + name) for name in scheme_names()}
    graphs = [parse(client.get(f"/def/srh.{ext}").data, ext) for ext in FORMATS]
    for served in graphs:
        # the document adds only the names of the schemes the ontology links to
        added = Graph()
        for triple in served:
            if triple[0] in schemes and triple not in expected:
                added.add(triple)
        assert added and {p for _, p, _ in added} <= {SKOS.prefLabel, DCTERMS.title}
        assert isomorphic(served - added, expected)
    assert all(isomorphic(graphs[0], other) for other in graphs[1:])


def test_ontology_html_documents_every_class_and_property(client: FlaskClient) -> None:
    html = client.get("/def/srh", headers={"Accept": "text/html"}).get_data(as_text=True)
    ontology = ontology_file()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in ontology.subjects(RDF.type, kind):
            anchor = str(term).rsplit("#", 1)[-1]
            assert f'id="{anchor}"' in html, term
    assert ">Gemeinde <span" in html or ">Gemeinde<" in html  # German label first
    assert 'lang="en">/ municipality' in html  # English alongside


@pytest.mark.parametrize("scheme", scheme_names())
def test_every_scheme_in_every_format(client: FlaskClient, scheme: str) -> None:
    source = schemes_file()
    iri = URIRef(SCHEME_BASE + scheme)
    concepts = set(source.subjects(SKOS.inScheme, iri))
    assert concepts
    graphs = [parse(client.get(f"/def/scheme/{scheme}.{ext}").data, ext) for ext in FORMATS]
    for graph in graphs:
        assert set(graph.subjects(SKOS.inScheme, iri)) == concepts
        assert (iri, RDF.type, SKOS.ConceptScheme) in graph
    assert all(isomorphic(graphs[0], other) for other in graphs[1:])
    html = client.get(f"/def/scheme/{scheme}?lang=en").get_data(as_text=True)
    for concept in concepts:
        assert f'href="/def/scheme/{scheme}/{str(concept).rsplit("/", 1)[-1]}?lang=en"' in html


def test_every_concept_dereferences(client: FlaskClient) -> None:
    source = schemes_file()
    for concept in source.subjects(RDF.type, SKOS.Concept):
        path = "/def/scheme/" + str(concept)[len(SCHEME_BASE):]
        html = client.get(path, headers={"Accept": "text/html"})
        assert html.status_code == 200, path
        graphs = [parse(client.get(f"{path}.{ext}").data, ext) for ext in FORMATS]
        assert (concept, RDF.type, SKOS.Concept) in graphs[0]
        assert all(isomorphic(graphs[0], other) for other in graphs[1:]), path


@pytest.mark.parametrize("path", ["/def/other", "/def/scheme/no-such-scheme",
                                  "/def/scheme/project-status/no-such-concept",
                                  "/def/scheme/field-of-action/running"])  # wrong scheme
def test_unknown_vocabulary_is_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_context_is_the_published_file(client: FlaskClient) -> None:
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.data == (ONTOLOGY_DIR / "context.jsonld").read_bytes()
    assert client.get("/context.jsonld",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_vocabulary_documents_are_conditional(client: FlaskClient) -> None:
    first = client.get("/def/scheme/project-status.ttl")
    again = client.get("/def/scheme/project-status.ttl",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    by_date = client.get("/def/srh", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
