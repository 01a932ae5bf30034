"""Conversion between pyoxigraph and rdflib terms, and safe binding of values in SPARQL."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Node


def to_rdflib(term: object) -> Identifier:
    """An rdflib term for a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph term for an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def to_triple(triple: tuple[Node, Node, Node]) -> ox.Triple:
    """A pyoxigraph triple for an rdflib triple.

    Raises ``TypeError`` for a triple RDF does not allow (a literal subject or a
    non-IRI predicate), which rdflib graphs can hold.
    """
    if not all(isinstance(term, Identifier) for term in triple):
        raise TypeError(f"not an RDF triple: {triple!r}")
    s, p, o = (to_oxigraph(term) for term in triple if isinstance(term, Identifier))
    if isinstance(s, ox.Literal) or not isinstance(p, ox.NamedNode):
        raise TypeError(f"not an RDF triple: {triple!r}")
    return ox.Triple(s, p, o)


def to_quad(
    triple: tuple[Node, Node, Node], graph: ox.NamedNode | ox.DefaultGraph | None = None
) -> ox.Quad:
    """A pyoxigraph quad for an rdflib triple (in ``graph``, or the default graph)."""
    converted = to_triple(triple)
    return ox.Quad(converted.subject, converted.predicate, converted.object,
                   graph if graph is not None else ox.DefaultGraph())


def values_block(bindings: Mapping[str, Identifier]) -> str:
    """A ``VALUES`` clause binding each variable to an escaped term (works on any store).

    >>> from rdflib import URIRef
    >>> values_block({"s": URIRef("http://example.org/a")})
    'VALUES (?s) { (<http://example.org/a>) }'
    """
    if not bindings:
        return ""
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(term.n3() for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def bind(text: str, bindings: Mapping[str, Identifier] | None) -> str:
    """Put the bound values into a query that has a ``#VALUES`` marker line.

    Values are rendered by rdflib's escaping N3 writer, never by string formatting of input.
    """
    if not bindings:
        return text.replace("#VALUES", "")
    if "#VALUES" not in text:
        raise ValueError("query has no #VALUES marker to bind values at")
    for term in bindings.values():
        if isinstance(term, URIRef) and any(c in str(term) for c in '<>"{}|^`\\ \n'):
            raise ValueError(f"invalid IRI {str(term)!r}")
    return text.replace("#VALUES", values_block(bindings))
