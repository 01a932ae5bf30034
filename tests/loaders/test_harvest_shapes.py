"""``shapes/harvest.ttl``: what the remote loaders publish is checked before publishing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, XSD

from loaders.validation import validate
from loaders.wikidata import GEO
from smartregion.namespaces import SRH
from tests.conftest import make_settings

THING = URIRef("http://testserver/id/municipality/06411000")
DATASET = URIRef("https://opendata.example.org/dataset/x")


def violations(graph: Graph, tmp_path: Path) -> list[str]:
    report = validate(graph, make_settings(tmp_path))
    return [f"{v.shape} {v.path} {v.message_en}" for v in report.violations]


@pytest.mark.parametrize("target,ok", [
    ("http://www.wikidata.org/entity/Q2973", True),
    ("https://www.wikidata.org/wiki/Q2973", False),
    ("https://www.wikidata.org/entity/Q2973", False),
    ("http://www.wikidata.org/entity/P439", False),
    ("http://d-nb.info/gnd/4011077-2", True),  # links elsewhere are not this shape's business
])
def test_same_as_into_wikidata_must_be_an_item_iri(tmp_path: Path, target: str, ok: bool) -> None:
    graph = Graph()
    graph.add((THING, OWL.sameAs, URIRef(target)))
    found = violations(graph, tmp_path)
    assert (not found) == ok, found
    if not ok:
        assert "http://www.wikidata.org/entity/Q" in found[0]


@pytest.mark.parametrize("wkt,datatype,ok", [
    ("POINT(8.65 49.866666666)", GEO.wktLiteral, True),
    ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(8.65 49.87)", GEO.wktLiteral, True),
    ("POINT(8.65 49.87)", XSD.string, False),
    ("POINT 8.65 49.87", GEO.wktLiteral, False),
    ("POINT(200.5 49.87)", GEO.wktLiteral, False),
    ("POINT(8.65 -91)", GEO.wktLiteral, False),
    ("POINT(8,65 49,87)", GEO.wktLiteral, False),
])
def test_geometry_wkt(tmp_path: Path, wkt: str, datatype: URIRef, ok: bool) -> None:
    graph = Graph()
    geometry = URIRef(str(THING) + "#geometry")
    graph.add((THING, GEO.hasGeometry, geometry))
    graph.add((geometry, GEO.asWKT, Literal(wkt, datatype=datatype)))
    found = violations(graph, tmp_path)
    assert (not found) == ok, found


def test_a_linked_dataset_needs_a_title_and_iri_links(tmp_path: Path) -> None:
    graph = Graph()
    graph.add((THING, SRH.openDataset, DATASET))
    graph.add((DATASET, RDF.type, DCAT.Dataset))
    graph.add((DATASET, DCAT.landingPage, Literal("https://opendata.example.org/x")))
    found = violations(graph, tmp_path)
    assert any("dct:title" in v or str(DCTERMS.title) in v for v in found), found
    assert any("landingPage" in v for v in found), found
    graph.add((DATASET, DCTERMS.title, Literal("X", lang="de")))
    graph.set((DATASET, DCAT.landingPage, URIRef("https://opendata.example.org/x")))
    assert violations(graph, tmp_path) == []


def test_a_linked_thing_must_be_a_dataset(tmp_path: Path) -> None:
    graph = Graph()
    graph.add((THING, SRH.openDataset, Literal("not a dataset")))
    assert violations(graph, tmp_path)
