"""Term conversion between rdflib and pyoxigraph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from smartregion.store.terms import to_quad, to_rdflib

S, P = URIRef("http://example.org/s"), URIRef("http://example.org/p")


@pytest.mark.parametrize(
    "obj",
    [URIRef("http://example.org/o"), BNode("b1"), Literal("Gießen", lang="de"),
     Literal("2021", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")), Literal("x")],
)
def test_round_trip(obj: object) -> None:
    quad = to_quad((S, P, obj), ox.NamedNode("http://example.org/g"))  # type: ignore[arg-type]
    assert quad.graph_name == ox.NamedNode("http://example.org/g")
    assert to_rdflib(quad.object) == obj


def test_default_graph() -> None:
    assert to_quad((S, P, Literal(1))).graph_name == ox.DefaultGraph()


@pytest.mark.parametrize("triple", [(Literal("s"), P, S), (S, BNode(), S)])
def test_not_an_rdf_triple(triple: tuple[object, object, object]) -> None:
    with pytest.raises(TypeError, match="not an RDF triple"):
        to_quad(triple)  # type: ignore[arg-type]
