"""SPARQL 1.1 Update text for publishing to a remote store (pure functions, no I/O).

A publish replaces whole named graphs and the load records about them in the metadata graph,
and moves the store's version marker on, all in **one** update request where the data fits
(``store_batch_bytes``): stores that run one request as one transaction (Oxigraph, Jena
Fuseki/TDB2, GraphDB) then switch atomically. Larger publishes are uploaded into staging
graphs first and switched in by one final request of ``MOVE`` operations (see
:mod:`smartregion.store.remote`).

Triples are written by pyoxigraph's N-Triples serializer, whose output is valid inside
``INSERT DATA`` (IRIs, escaped literals, blank node labels); nothing is formatted by hand
from data values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal
from rdflib.term import Identifier, Node

from smartregion.namespaces import DCTERMS, RDF, SRH, XSD
from smartregion.store.terms import to_oxigraph

# The version marker: ``<{meta}> srh:storeVersion n ; srh:storeVersionToken "…" ;
# dct:modified t`` in the metadata graph, rewritten by every publish in the same request.
VERSION_NUMBER = SRH.storeVersion
VERSION_TOKEN = SRH.storeVersionToken
VERSION_MODIFIED = DCTERMS.modified

_BAD_IRI_CHARS = frozenset('<>"{}|^`\\ \t\r\n')


def iri(value: str) -> str:
    """``<value>`` for an IRI the platform itself minted (refuses characters SPARQL forbids)."""
    if not value or any(c in _BAD_IRI_CHARS for c in value):
        raise ValueError(f"invalid IRI {value!r}")
    return f"<{value}>"


def literal(value: str) -> str:
    """A plain string literal in SPARQL syntax (quotes and escapes done by rdflib)."""
    return Literal(value).n3()


def ntriples(triples: Iterable[tuple[Node, Node, Node]], label: str = "") -> bytes:
    """N-Triples of rdflib triples, blank node labels prefixed with ``label``.

    One update request must not use the same blank node label in two operations (Oxigraph
    refuses it, and the SPARQL grammar scopes labels to one pattern), hence the prefix.
    """
    def term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if label and isinstance(node, BNode):
            return ox.BlankNode(f"{label}{node}")
        if not isinstance(node, Identifier):
            raise TypeError(f"cannot publish {node!r} (not an RDF term)")
        return to_oxigraph(node)

    body = ox.serialize(
        (ox.Triple(term(s), term(p), term(o)) for s, p, o in triples),  # type: ignore[arg-type]
        format=ox.RdfFormat.N_TRIPLES,
    )
    return body or b""


_BLANK = re.compile(rb"(?:^|\s)_:", re.M)


def insert_data(graph_iri: str, body: bytes) -> bytes:
    """``INSERT DATA { GRAPH <g> { … } }`` around N-Triples ``body``.

    With blank nodes it is ``INSERT { GRAPH <g> { … } } WHERE {}`` instead: the same triples
    (one solution, so each label is one new node), and Virtuoso 7 refuses blank nodes in
    ``INSERT DATA`` ("not allowed in a constant clause").
    """
    graph = iri(graph_iri).encode()
    if _BLANK.search(body):
        return b"INSERT { GRAPH " + graph + b" {\n" + body + b"} } WHERE {}"
    return b"INSERT DATA { GRAPH " + graph + b" {\n" + body + b"} }"


def drop_graph(graph_iri: str) -> bytes:
    """``DROP SILENT GRAPH <g>`` (no error when the graph does not exist)."""
    return f"DROP SILENT GRAPH {iri(graph_iri)}".encode()


def move_graph(source: str, target: str) -> bytes:
    """``MOVE <source> TO <target>``: replaces target; fails if source is missing (no SILENT,
    so a vanished staging graph aborts the whole request instead of emptying the target)."""
    return f"MOVE {iri(source)} TO {iri(target)}".encode()


def delete_record(meta_iri: str, graph_iri: str) -> bytes:
    """Remove the load record of ``graph_iri``: subjects ``<g>`` and ``<g#…>`` in the meta graph.

    The same rule as :class:`~smartregion.store.publication.Publication` and the embedded store.
    """
    meta, subject = iri(meta_iri), iri(graph_iri)
    prefix = Literal(graph_iri + "#").n3()
    return (
        f"DELETE {{ GRAPH {meta} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {meta} {{ ?s ?p ?o "
        f"FILTER(?s = {subject} || (isIRI(?s) && STRSTARTS(STR(?s), {prefix}))) }} }}"
    ).encode()


def bump_version(meta_iri: str, token: str, modified: datetime) -> bytes:
    """Replace the version marker: number + 1 (computed by the store), new token and time."""
    meta = iri(meta_iri)
    number, token_p, modified_p = iri(VERSION_NUMBER), iri(VERSION_TOKEN), iri(VERSION_MODIFIED)
    token_lit = Literal(token).n3()
    time_lit = Literal(modified.isoformat(), datatype=XSD.dateTime).n3()
    return (
        f"DELETE {{ GRAPH {meta} {{ {meta} ?p ?o }} }}\n"
        f"INSERT {{ GRAPH {meta} {{ {meta} {number} ?new ; {token_p} {token_lit} ; "
        f"{modified_p} {time_lit} }} }}\n"
        f"WHERE {{\n"
        # COALESCE outside the subquery: Virtuoso 7 cannot compile it inside an aggregate
        # projection (SQ156 "Bad dfe in sqlo_place_exp").
        f"  {{ SELECT (MAX(?n) AS ?max) WHERE {{\n"
        f"      OPTIONAL {{ GRAPH {meta} {{ {meta} {number} ?n }} }} }} }}\n"
        f"  BIND(COALESCE(?max + 1, 1) AS ?new)\n"
        f"  OPTIONAL {{ GRAPH {meta} {{ {meta} ?p ?o "
        f"FILTER(?p IN ({number}, {token_p}, {modified_p})) }} }}\n"
        f"}}"
    ).encode()


DERIVED_FOR = SRH.derivedForVersion
"""A derived-view record (``<{meta}#derived-{name}>``) names the version it was made from."""


def derived_subject(meta_iri: str, name: str) -> str:
    """The IRI of the record of derived view ``name`` in the metadata graph."""
    if not name.replace("-", "").isalnum():
        raise ValueError(f"invalid derived view name {name!r}")
    return f"{meta_iri}#derived-{name}"


def replace_derived(meta_iri: str, name: str, version_id: str, document: str) -> bytes:
    """Replace the record of derived view ``name``: its version and JSON document."""
    meta, subject = iri(meta_iri), iri(derived_subject(meta_iri, name))
    version_lit = Literal(version_id).n3()
    json_lit = Literal(document, datatype=RDF.JSON).n3()
    return (
        f"DELETE WHERE {{ GRAPH {meta} {{ {subject} ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH {meta} {{ {subject} {iri(DERIVED_FOR)} {version_lit} ; "
        f"{iri(RDF.value)} {json_lit} }} }}"
    ).encode()


def derived_query(meta_iri: str, name: str) -> str:
    """SELECT of the record of derived view ``name`` (``?version ?document``)."""
    meta, subject = iri(meta_iri), iri(derived_subject(meta_iri, name))
    return (f"SELECT ?version ?document WHERE {{ GRAPH {meta} {{ {subject} "
            f"{iri(DERIVED_FOR)} ?version ; {iri(RDF.value)} ?document }} }}")


def version_query(meta_iri: str) -> str:
    """SELECT of the version marker (``?n ?token ?modified``)."""
    meta = iri(meta_iri)
    return (
        f"SELECT ?n ?token ?modified WHERE {{ GRAPH {meta} {{ {meta} "
        f"{iri(VERSION_NUMBER)} ?n ; {iri(VERSION_TOKEN)} ?token ; "
        f"{iri(VERSION_MODIFIED)} ?modified }} }} ORDER BY DESC(?n) LIMIT 1"
    )


def request(operations: Iterable[bytes]) -> bytes:
    """One update request of several operations, in order (``;`` separated)."""
    return b" ;\n".join(operations)


CHUNK_TRIPLES = 2000
"""Most triples in one uploaded piece: Virtuoso 7's SPARQL parser gives up ("memory
exhausted") at about 5000 triples in one ``INSERT DATA``, whatever their size."""


def chunks(graph: Graph, max_bytes: int,
           max_triples: int | None = CHUNK_TRIPLES) -> Iterator[bytes]:
    """N-Triples of ``graph`` in pieces of about ``max_bytes`` and at most ``max_triples``
    triples (unless one blank node group is larger; ``None``: no limit), each usable on its
    own.

    Triples linked through blank nodes stay in one piece: a blank node label means one node
    only within one request, so splitting such a group would break it into several nodes.
    """
    parent: dict[BNode, BNode] = {}

    def root(node: BNode) -> BNode:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving keeps the trees flat
            node = parent[node]
        return node

    for s, _, o in graph:
        if isinstance(s, BNode) and isinstance(o, BNode):
            a, b = root(s), root(o)
            if a != b:
                parent[a] = b
    groups: dict[BNode | None, list[tuple[Node, Node, Node]]] = {}
    for s, p, o in graph:
        node = s if isinstance(s, BNode) else o if isinstance(o, BNode) else None
        groups.setdefault(root(node) if node is not None else None, []).append((s, p, o))

    pending: list[tuple[Node, Node, Node]] = []
    size = 0
    for key, triples in groups.items():
        # Triples without blank nodes may be split anywhere; a blank node group may not.
        units = [[t] for t in triples] if key is None else [triples]
        for unit in units:
            estimate = sum(len(str(x)) + 4 for t in unit for x in t)  # close enough to N-Triples
            if pending and (size + estimate > max_bytes or (
                    max_triples is not None and len(pending) + len(unit) > max_triples)):
                yield ntriples(pending)
                pending, size = [], 0
            pending.extend(unit)
            size += estimate
    if pending:
        yield ntriples(pending)


def switch_operation(meta_iri: str, moves: dict[str, str | None], staged_records: str | None,
                     record_keys: Iterable[str], token: str, modified: datetime) -> bytes:
    """One ``DELETE``/``INSERT`` operation that publishes staged content: for a store that
    runs only a single update *operation* as one transaction (Virtuoso commits each operation
    of a request on its own).

    ``moves`` maps each replaced graph to the staging graph holding its new content (``None``:
    the graph is removed); ``staged_records`` is the staging graph of the new load records,
    which replace the records of ``record_keys``. The version marker is bumped in the same
    operation. The WHERE part is a UNION: solutions that bind the ``?d…`` variables are
    deleted, those that bind the ``?i…`` variables inserted.
    """
    meta = iri(meta_iri)
    number, token_p, modified_p = iri(VERSION_NUMBER), iri(VERSION_TOKEN), iri(VERSION_MODIFIED)
    keys = sorted(record_keys)
    conditions = [f"?ds = {iri(k)} || (isIRI(?ds) && STRSTARTS(STR(?ds), {literal(k + '#')}))"
                  for k in keys]
    conditions.append(f"(?ds = {meta} && ?dp IN ({number}, {token_p}, {modified_p}))")
    branches = []
    if moves:
        targets = " ".join(iri(g) for g in sorted(moves))
        branches.append(f"{{ VALUES ?dg {{ {targets} }} GRAPH ?dg {{ ?ds ?dp ?do }} }}")
    branches.append(f"{{ GRAPH {meta} {{ ?ds ?dp ?do }} BIND({meta} AS ?dg) "
                    f"FILTER({' || '.join(f'({c})' for c in conditions)}) }}")
    pairs = " ".join(f"({iri(source)} {iri(g)})" for g, source in sorted(moves.items())
                     if source is not None)
    if pairs:
        branches.append(f"{{ VALUES (?sg ?ig) {{ {pairs} }} GRAPH ?sg {{ ?is ?ip ?io }} }}")
    if staged_records is not None:
        branches.append(f"{{ GRAPH {iri(staged_records)} {{ ?is ?ip ?io }} BIND({meta} AS ?ig) }}")
    branches.append(
        f"{{ {{ SELECT (MAX(?n) AS ?max) WHERE {{ OPTIONAL {{ GRAPH {meta} {{ {meta} {number} ?n "
        f"}} }} }} }} BIND(COALESCE(?max + 1, 1) AS ?io) BIND({meta} AS ?ig) "
        f"BIND({meta} AS ?is) BIND({number} AS ?ip) }}")
    time_lit = Literal(modified.isoformat(), datatype=XSD.dateTime).n3()
    branches.append(
        f"{{ VALUES (?ip ?io) {{ ({token_p} {literal(token)}) ({modified_p} {time_lit}) }} "
        f"BIND({meta} AS ?ig) BIND({meta} AS ?is) }}")
    return (
        "DELETE { GRAPH ?dg { ?ds ?dp ?do } }\n"
        "INSERT { GRAPH ?ig { ?is ?ip ?io } }\n"
        "WHERE {\n  " + "\n  UNION ".join(branches) + "\n}"
    ).encode()
