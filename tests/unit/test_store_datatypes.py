"""Every datatype the platform names comes back from the store as it went in (issue 11).

Stores keep derived XSD types in their primitive form: pyoxigraph (like Virtuoso) stores
``"35"^^xsd:nonNegativeInteger`` as ``"35"^^xsd:integer``, and a shape demanding
``sh:datatype xsd:nonNegativeInteger`` then fails on every value read back from the store. So
the JSON-LD context, the ontology's ranges and the input shapes may only name datatypes that
survive a round trip through pyoxigraph. A new datatype in any of them without a sample here
fails the test, so whoever adds it has to check it.

The output shapes (``shapes/*-output.ttl``) are left out on purpose: they check the DCAT/VoID
documents the endpoint writes with rdflib, which never pass through the store (DCAT-AP asks for
``dcat:byteSize`` as ``xsd:nonNegativeInteger`` there).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

from loaders.validation import input_shape_files
from smartregion.namespaces import RDFS, SH
from smartregion.settings import PROJECT_DIR

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
GEO = "http://www.opengis.net/ont/geosparql#"

# One valid lexical form per datatype, already in canonical form.
SAMPLES: dict[str, str] = {
    XSD + "string": "Darmstadt",
    XSD + "boolean": "true",
    XSD + "integer": "35",
    XSD + "decimal": "1.5",
    XSD + "date": "2021-04-01",
    XSD + "dateTime": "2025-11-30T10:00:00Z",
    XSD + "gYear": "2021",
    XSD + "gYearMonth": "2021-04",
    XSD + "anyURI": "https://example.org/x",
    XSD + "hexBinary": "AB12",
    RDF + "langString": "",  # language-tagged strings carry no datatype of their own
    GEO + "wktLiteral": "POINT(8.65 49.87)",
}

ONTOLOGY = PROJECT_DIR / "ontology"
SHAPES = PROJECT_DIR / "shapes"


def _context_datatypes(path: Path) -> set[str]:
    context = json.loads(path.read_text(encoding="utf-8"))["@context"]
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    found = set()
    for definition in context.values():
        kind = definition.get("@type") if isinstance(definition, dict) else None
        if not isinstance(kind, str) or kind.startswith("@"):
            continue
        prefix, _, local = kind.partition(":")
        found.add(prefixes[prefix] + local if prefix in prefixes else kind)
    return found


def _named_datatypes() -> dict[str, set[str]]:
    """Datatype IRI → where it is named (context, ontology ranges, input shapes)."""
    named: dict[str, set[str]] = {}
    for datatype in _context_datatypes(ONTOLOGY / "context.jsonld"):
        named.setdefault(datatype, set()).add("ontology/context.jsonld")
    ontology = Graph()
    for path in sorted(ONTOLOGY.rglob("*.ttl")):
        ontology.parse(path, format="turtle")
    for value in ontology.objects(None, RDFS.range):
        if isinstance(value, URIRef) and str(value).startswith(XSD):
            named.setdefault(str(value), set()).add("ontology rdfs:range")
    for path in input_shape_files(SHAPES):
        shapes = Graph().parse(path, format="turtle")
        for value in shapes.objects(None, SH.datatype):
            named.setdefault(str(value), set()).add(f"shapes/{path.name}")
    return named


NAMED = _named_datatypes()


def test_the_platform_names_datatypes_at_all() -> None:
    """The scan finds the datatypes we know are used (guards the scan itself)."""
    assert XSD + "integer" in NAMED and XSD + "date" in NAMED and XSD + "decimal" in NAMED


@pytest.mark.parametrize("datatype", sorted(NAMED), ids=lambda d: d.rsplit("#", 1)[-1])
def test_datatype_survives_the_store(datatype: str, tmp_path: Path) -> None:
    """Written into an on-disk pyoxigraph store and read back, the datatype is unchanged."""
    assert datatype in SAMPLES, (
        f"{datatype} (named in {', '.join(sorted(NAMED[datatype]))}) has no sample in "
        "tests/unit/test_store_datatypes.py: add one and check that the store keeps it"
    )
    if datatype == RDF + "langString":
        literal = ox.Literal("Darmstadt", language="de")
    else:
        literal = ox.Literal(SAMPLES[datatype], datatype=ox.NamedNode(datatype))
    store = ox.Store(str(tmp_path / "store"))
    subject, predicate = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    store.add(ox.Quad(subject, predicate, literal, ox.NamedNode("http://example.org/g")))
    stored = next(iter(store.quads_for_pattern(subject, predicate, None, None))).object
    assert isinstance(stored, ox.Literal)
    assert stored.datatype == literal.datatype, (
        f"{datatype} (named in {', '.join(sorted(NAMED[datatype]))}) comes back from the "
        f"store as {stored.datatype}: use the datatype the store keeps (e.g. xsd:integer "
        "with sh:minInclusive 0 instead of xsd:nonNegativeInteger)"
    )
    assert stored.value == literal.value


def test_derived_types_are_rewritten(tmp_path: Path) -> None:
    """The trap this guards against is real: a derived type does not survive."""
    store = ox.Store(str(tmp_path / "store"))
    literal = ox.Literal("35", datatype=ox.NamedNode(XSD + "nonNegativeInteger"))
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                      literal, ox.DefaultGraph()))
    stored = next(iter(store)).object
    assert isinstance(stored, ox.Literal)
    assert stored.datatype == ox.NamedNode(XSD + "integer")
