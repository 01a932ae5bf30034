"""A page of a listing as data: CSV, JSON, JSON-LD/Turtle (a Hydra collection of the things
with what the listing says of them), schema.org ``ItemList``, and the SPARQL query that
produces exactly its rows.

All of them are made from the same records (:mod:`endpoint.listing_kinds`), so they hold the
same rows as the HTML table, in the same order, with the same filters and paging.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from endpoint.listing_kinds import ListingKind, Record, Value
from endpoint.queries import load_query, paged
from smartregion.namespaces import HYDRA
from smartregion.store.terms import bind

_WHOLE = {XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.gYear}


@dataclass(frozen=True)
class PageInfo:
    """Where a page sits: URL of the listing (filters, no page), totals and paging links."""

    kind: ListingKind
    title: str
    lang: str
    collection: str
    page: int
    pages: int
    size: int
    total: int
    params: Mapping[str, str]
    links: Mapping[str, str]
    """Absolute URLs by relation: self, first, prev, next, last, sparql, sparqlEditor."""


def query_text(kind: ListingKind, bindings: Mapping[str, Identifier], page: int, size: int,
               listing_url: str) -> str:
    """The SPARQL query that gives this page's rows: the listing's own query with the
    filter values bound (a ``VALUES`` block) and the page's ``LIMIT``/``OFFSET``, exactly as
    the listing runs it; the file's leading comments are replaced by where it comes from."""
    lines = load_query(kind.list_query).splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    text = "\n".join(lines)
    header = (f"# {listing_url}\n# Die Zeilen dieser Listenseite / the rows of this listing "
              f"page (filters bound in VALUES, page as LIMIT/OFFSET)\n")
    return header + bind(paged(text, size, (page - 1) * size), bindings)


def _json_value(value: Value | None) -> Any:
    if value is None:
        return None
    if value.iri is not None:
        return {"id": value.iri, "name": value.text}
    literal = value.literal
    if literal is not None and literal.datatype in _WHOLE and value.text.lstrip("-").isdigit():
        return int(value.text)
    return value.text


def json_body(info: PageInfo, records: Sequence[Record]) -> str:
    """``{"items": [...], "total", "page", "pages", "links", …}``: links as ``{id, name}``,
    whole numbers and years as JSON numbers."""
    items = []
    for record in records:
        item: dict[str, Any] = {"id": record.iri, "name": record.name}
        for column in info.kind.columns:
            item[column.key] = _json_value(record.values.get(column.key))
        items.append(item)
    document = {
        "listing": info.kind.name, "title": info.title, "language": info.lang,
        "filters": dict(info.params), "total": info.total, "page": info.page,
        "pages": info.pages, "pageSize": info.size, "items": items, "links": dict(info.links),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def csv_body(kind: ListingKind, records: Sequence[Record]) -> str:
    """RFC 4180 CSV: ``id``, ``name``, then each column (a linking column as its IRI and a
    ``…Label`` column with the name)."""
    header = ["id", "name"]
    for column in kind.columns:
        header += [column.key, f"{column.key}Label"] if column.link else [column.key]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for record in records:
        row = [record.iri, record.name]
        for column in kind.columns:
            value = record.values.get(column.key)
            if column.link:
                row += [value.iri or "", value.text] if value else ["", ""]
            else:
                row.append(value.text if value else "")
        writer.writerow(row)
    return out.getvalue()


def collection_graph(info: PageInfo, records: Sequence[Record]) -> Graph:
    """The page as RDF: a ``hydra:Collection`` (the listing with its filters) whose members
    are this page's things, with what the listing says of them, and its
    ``hydra:PartialCollectionView`` (this page) with first/previous/next/last."""
    graph = Graph()
    collection = URIRef(info.collection)
    joiner = "&" if "?" in info.collection else "?"

    def page_iri(number: int) -> URIRef:  # the page itself, whatever its representation
        return URIRef(f"{info.collection}{joiner}page={number}")

    view = page_iri(info.page)
    graph.add((collection, RDF.type, HYDRA.Collection))
    graph.add((collection, HYDRA.totalItems, Literal(info.total, datatype=XSD.integer)))
    graph.add((collection, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, page_iri(1)))
    graph.add((view, HYDRA.last, page_iri(info.pages)))
    if info.page > 1:
        graph.add((view, HYDRA.previous, page_iri(min(info.page - 1, info.pages))))
    if info.page < info.pages:
        graph.add((view, HYDRA.next, page_iri(info.page + 1)))
    for record in records:
        graph.add((collection, HYDRA.member, URIRef(record.iri)))
        for triple in record.triples:
            graph.add(triple)
    return graph


def item_list(info: PageInfo, records: Sequence[Record], document_url: Mapping[str, str]
              ) -> dict[str, Any]:
    """schema.org ``ItemList`` of the page (as a ``CollectionPage``): its things in order,
    each with its name and the URL of its page."""
    elements = [{"@type": "ListItem", "position": (info.page - 1) * info.size + n,
                 "name": record.name, "url": document_url.get(record.iri, record.iri),
                 "item": {"@id": record.iri}}
                for n, record in enumerate(records, start=1)]
    return {"@context": "https://schema.org", "@type": "CollectionPage",
            "@id": info.links["self"], "name": info.title, "inLanguage": info.lang,
            "mainEntity": {"@type": "ItemList", "numberOfItems": info.total,
                           "itemListElement": elements}}


def editor_url(root: str, text: str) -> str:
    """The query editor (``/sparql``) opened with ``text``."""
    return f"{root}/sparql?{urlencode({'query': text})}"
