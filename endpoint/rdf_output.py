"""Serialization of a document graph: stable bytes in every RDF format the platform offers.

Turtle, RDF/XML and N-Triples are written by pyoxigraph's native serializers; JSON-LD is
compacted with the published context (``/context.jsonld``) by rdflib's JSON-LD processor,
because pyoxigraph writes JSON-LD without a context. Blank nodes are relabelled canonically
and triples are written sorted, so the same graph always gives byte-identical output — the
strong ``ETag`` of a document relies on that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from smartregion.formats import GraphFormat
from smartregion.namespaces import PREFIXES
from smartregion.store.terms import to_triple

Triple = tuple[Node, Node, Node]


def _sort_key(triple: Triple) -> tuple[str, str, str]:
    subject, predicate, obj = triple
    # IRIs before blank nodes, so the described thing's block comes first in Turtle.
    return (
        ("1" if isinstance(subject, BNode) else "0") + str(subject),
        str(predicate),
        obj.n3() if isinstance(obj, URIRef | Literal | BNode) else str(obj),
    )


def stable_triples(graph: Graph) -> list[Triple]:
    """The triples of ``graph`` with canonical blank-node labels, in a fixed order."""
    has_bnodes = any(
        isinstance(s, BNode) or isinstance(o, BNode) for s, _, o in graph
    )
    source = to_canonical_graph(graph) if has_bnodes else graph
    return sorted(source, key=_sort_key)


_CLEAN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$|^$")


def used_prefixes(triples: Iterable[Triple]) -> dict[str, str]:
    """The prefixes of :data:`PREFIXES` that IRIs in ``triples`` start with.

    A prefix is left out when some IRI would need escapes in its local name (``a\\/b``):
    such IRIs read better written in full.
    """
    namespaces = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
    used: dict[str, str] = {}
    spoiled: set[str] = set()
    for triple in triples:
        for term in triple:
            if not isinstance(term, URIRef):
                continue
            text = str(term)
            for prefix, namespace in namespaces:
                if text.startswith(namespace):
                    if _CLEAN_LOCAL.match(text[len(namespace):]):
                        used[prefix] = namespace
                    else:
                        spoiled.add(prefix)
                    break
    return {p: ns for p, ns in sorted(used.items()) if p not in spoiled}


def serialize(
    graph: Graph, fmt: GraphFormat, *, context: dict[str, Any], context_url: str
) -> bytes:
    """``graph`` in ``fmt`` (a triple format), stable byte for byte.

    ``context`` is the JSON-LD context document (``{"@context": …}``) used to compact JSON-LD
    output; the output refers to it by ``context_url`` instead of repeating it.
    """
    if fmt.quads:
        raise ValueError(f"{fmt.name} is a quad format; documents are graphs")
    triples = stable_triples(graph)
    if fmt.name == "jsonld":
        return _jsonld(triples, context, context_url)
    oxi = [to_triple(triple) for triple in triples]
    prefixes = used_prefixes(triples) if fmt.name in ("turtle", "rdfxml") else None
    body = ox.serialize(oxi, format=fmt.oxigraph, prefixes=prefixes)
    assert body is not None  # no output file given, so the bytes are returned
    return body


def _jsonld(triples: list[Triple], context: dict[str, Any], context_url: str) -> bytes:
    ordered = Graph()
    for triple in triples:
        ordered.add(triple)
    text = ordered.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    document = json.loads(text)
    if isinstance(document, dict):
        document["@context"] = context_url
        nodes = document.get("@graph")
        if isinstance(nodes, list):
            document["@graph"] = sorted(nodes, key=_node_key)
    else:  # a bare list of nodes (rdflib does this for an empty graph)
        document = {"@context": context_url, "@graph": document}
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _node_key(node: object) -> tuple[str, str]:
    identifier = str(node.get("id") or node.get("@id") or "") if isinstance(node, dict) else ""
    return ("1" if identifier.startswith("_:") else "0", identifier)
