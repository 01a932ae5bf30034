"""What the document of a thing contains, as one RDF graph that every representation shares.

The graph holds: every statement about the thing with its blank-node closure, the names of
everything it links to (from the store and the vocabulary), the things linking to it (one page
per linking property, in name order), and where the statements come from: the source graphs
with their load records, tied to the document by ``prov:wasDerivedFrom``. A page that leaves
links out says so in RDF too: a ``hydra:Collection`` with ``hydra:totalItems`` and onward links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, XSD

from endpoint.ontology import Vocabulary
from endpoint.queries import load_query, paged
from smartregion.namespaces import HYDRA, PREFIXES
from smartregion.store.backend import StoreBackend

INVERSE_PAGE_SIZE = 50  # default; an app may set config["SMARTREGION_INVERSE_PAGE_SIZE"]


def compact(iri: str) -> str:
    """``prefix:local`` for an IRI in a known namespace, else the IRI itself."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and "/" not in iri[len(namespace):]:
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def expand(token: str) -> str:
    """The IRI a :func:`compact` token stands for."""
    prefix, _, local = token.partition(":")
    namespace = PREFIXES.get(prefix)
    if namespace is not None and not local.startswith("//"):
        return namespace + local
    return token


@dataclass(frozen=True)
class InverseKey:
    """How things link to the described thing: ``?s predicate thing`` or, through one of their
    blank nodes, ``?s via [ predicate thing ]``."""

    predicate: str
    via: str | None = None

    @property
    def token(self) -> str:
        """The key as it appears in ``?inverse=`` (CURIEs, space-separated)."""
        parts = [self.via, self.predicate] if self.via else [self.predicate]
        return " ".join(compact(p) for p in parts)

    @classmethod
    def parse(cls, token: str) -> InverseKey | None:
        """The key of an ``?inverse=`` value (``None`` if it cannot be one)."""
        parts = token.split()
        if len(parts) == 1:
            return cls(expand(parts[0]))
        if len(parts) == 2:
            return cls(expand(parts[1]), expand(parts[0]))
        return None


@dataclass
class InverseGroup:
    """The things linking to the described thing in one way, and which page of them is shown."""

    key: InverseKey
    total: int
    page: int = 1
    size: int = INVERSE_PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        """The position of the first item shown."""
        return (self.page - 1) * self.size

    @property
    def shown(self) -> int:
        """How many items this page shows."""
        return max(0, min(self.size, self.total - self.offset))

    @property
    def complete(self) -> bool:
        """Whether this page shows every link of the group."""
        return self.total <= self.size and self.page == 1


@dataclass
class Description:
    """The document of one thing: its graph and the inverse groups the graph pages."""

    thing: URIRef
    document: URIRef
    graph: Graph
    groups: list[InverseGroup] = field(default_factory=list)


class InverseNotFound(LookupError):
    """``?inverse=``/``page=`` name a group or page the thing does not have."""


def thing_exists(backend: StoreBackend, thing: URIRef) -> bool:
    """Whether the store says anything about ``thing``."""
    return bool(backend.select(load_query("exists"), {"thing": thing}))


def describe(
    backend: StoreBackend,
    vocabulary: Vocabulary,
    thing: URIRef,
    document: URIRef,
    meta_graph: URIRef,
    *,
    inverse: InverseKey | None = None,
    page: int = 1,
    page_size: int = INVERSE_PAGE_SIZE,
) -> Description | None:
    """The description of ``thing`` (``None`` when the store says nothing about it).

    Every inverse group shows its first page, except ``inverse``, which shows ``page``.
    Raises :class:`InverseNotFound` for an inverse group or page that does not exist.
    """
    graph = backend.construct(load_query("describe_resource"), {"thing": thing})
    if (thing, None, None) not in graph:
        return None
    groups = add_inverse_links(backend, graph, thing, document, inverse=inverse, page=page,
                               page_size=page_size)
    graph += backend.construct(
        load_query("provenance"), {"thing": thing, "meta": meta_graph, "doc": document}
    )
    graph.add((document, RDF.type, FOAF.Document))
    graph.add((document, FOAF.primaryTopic, thing))
    add_vocabulary_labels(graph, vocabulary)
    return Description(thing, document, graph, groups)


def add_inverse_links(
    backend: StoreBackend,
    graph: Graph,
    thing: URIRef,
    document: URIRef,
    *,
    inverse: InverseKey | None = None,
    page: int = 1,
    page_size: int = INVERSE_PAGE_SIZE,
) -> list[InverseGroup]:
    """Add to ``graph`` one page of each way things in the store link to ``thing``, and say
    in RDF where a page leaves links out. Returns the groups with their counts."""
    groups = _inverse_groups(backend, thing, page_size)
    if inverse is not None:
        chosen = next((g for g in groups if g.key == inverse), None)
        if chosen is None or page < 1 or page > chosen.pages:
            raise InverseNotFound(inverse.token)
        chosen.page = page
    for group in groups:
        graph += _inverse_page(backend, thing, group)
        if not group.complete:
            _add_collection(graph, thing, document, group)
    return groups


def add_vocabulary_labels(graph: Graph, vocabulary: Vocabulary) -> None:
    """Add the vocabulary's names of every class and concept the graph links to."""
    linked = {o for o in graph.objects() if isinstance(o, URIRef)}
    for iri in sorted(linked):
        for triple in vocabulary.label_triples(iri):
            graph.add(triple)


def _inverse_groups(backend: StoreBackend, thing: URIRef, size: int) -> list[InverseGroup]:
    rows = backend.select(load_query("inverse_counts"), {"thing": thing})
    groups = []
    for row in rows:
        via = row.get("via")
        key = InverseKey(str(row["p"]), str(via) if via is not None else None)
        groups.append(InverseGroup(key, int(row["n"]), size=size))
    return sorted(groups, key=lambda g: (g.key.via or "", g.key.predicate))


def _inverse_page(backend: StoreBackend, thing: URIRef, group: InverseGroup) -> Graph:
    bindings = {"thing": thing, "p": URIRef(group.key.predicate)}
    if group.key.via is None:
        text = paged(load_query("inverse_page"), group.size, group.offset)
    else:
        bindings["via"] = URIRef(group.key.via)
        text = paged(load_query("inverse_page_via"), group.size, group.offset)
    return backend.construct(text, bindings)


def group_link(document: str, group: InverseGroup, page: int | None = None) -> str:
    """The document (IRI or path) showing ``page`` of ``group`` (all of it if it fits)."""
    query = {"inverse": group.key.token}
    if page is not None:
        query["page"] = str(page)
    return f"{document}?{urlencode(query)}"


def _add_collection(graph: Graph, thing: URIRef, document: URIRef, group: InverseGroup) -> None:
    """Say in RDF that a page shows part of a group: total, and links to the other pages."""
    collection = URIRef(group_link(str(document), group))
    view = URIRef(group_link(str(document), group, group.page))
    graph.add((collection, RDF.type, HYDRA.Collection))
    graph.add((collection, HYDRA.totalItems, Literal(group.total, datatype=XSD.integer)))
    graph.add((collection, HYDRA.view, view))
    if group.key.via is None:
        # the collection's members are exactly the ?s with (?s predicate thing)
        assertion = _assertion(collection)
        graph.add((collection, HYDRA.memberAssertion, assertion))
        graph.add((assertion, HYDRA.property, URIRef(group.key.predicate)))
        graph.add((assertion, HYDRA.object, thing))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, URIRef(group_link(str(document), group, 1))))
    graph.add((view, HYDRA.last, URIRef(group_link(str(document), group, group.pages))))
    if group.page > 1:
        graph.add((view, HYDRA.previous, URIRef(group_link(str(document), group, group.page - 1))))
    if group.page < group.pages:
        graph.add((view, HYDRA.next, URIRef(group_link(str(document), group, group.page + 1))))


def _assertion(collection: URIRef) -> URIRef:
    # An IRI rather than a blank node keeps the graph free of extra blank nodes to relabel.
    return URIRef(f"{collection}#members")
