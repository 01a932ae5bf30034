"""Searching the index of a store version (:mod:`smartregion.derived.search_index`): ranked
hits (BM25) with highlighted snippets and facet counts.

The query text is never handed to a query parser: it is split into words, and each word
becomes a fixed set of term and fuzzy term queries, so characters of tantivy's query syntax
(``" : ( * ~``) are just separators and no input can make a malformed query.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import tantivy

from smartregion.derived.search_index import FACETS, SCHEMA, word_query, words

SNIPPET_CHARS = 240


class BadSearch(ValueError):
    """A search that cannot be run (no words; an unknown facet value's form)."""


@dataclass(frozen=True)
class Hit:
    """One thing found: IRI, kind, score, names and descriptions by language, snippet HTML
    (escaped text, matches in ``<mark>``) and its facet values."""

    iri: str
    kind: str
    score: float
    names: dict[str, list[str]]
    snippet: str
    facets: dict[str, list[str]]


@dataclass(frozen=True)
class FacetValue:
    """A facet value among the hits: key, names by language, how many hits have it."""

    key: str
    names: Mapping[str, str]
    count: int


@dataclass
class Results:
    """One page of a search: hits in rank order, the total, facet counts over all hits."""

    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


def build_query(text: str, filters: Mapping[str, str]) -> tantivy.Query:
    """Every word must match (in some form); every facet filter must hold.

    Raises :class:`BadSearch` when the text has no word.
    """
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    found = words(text)
    if not found:
        raise BadSearch("the search text has no word (letters or digits) to look for")
    for word in found:  # a word no analysis keeps (longer than any indexed term) finds nothing
        query = word_query(word)
        clauses.append((tantivy.Occur.Must, query if query is not None
                        else tantivy.Query.empty_query()))
    for facet, value in filters.items():
        if facet not in FACETS:
            raise BadSearch(f"there is no facet {facet!r}")
        clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, facet, value)))
    return tantivy.Query.boolean_query(clauses)


def search(index: tantivy.Index, meta: Mapping[str, Any], text: str,
           filters: Mapping[str, str], offset: int, limit: int) -> Results:
    """The hits ``offset`` … ``offset + limit`` of ``text`` with ``filters``, and the facet
    counts of all hits (facet values named from the index's metadata)."""
    query = build_query(text, filters)
    searcher = index.searcher()
    found = searcher.search(query, limit, count=True, offset=offset)
    snippets = tantivy.SnippetGenerator.create(searcher, query, SCHEMA, "body")
    snippets.set_max_num_chars(SNIPPET_CHARS)
    linked = tantivy.SnippetGenerator.create(searcher, query, SCHEMA, "context")
    linked.set_max_num_chars(SNIPPET_CHARS // 2)
    hits = []
    for score, address in found.hits:
        doc = searcher.doc(address)
        display = json.loads(bytes(doc.get_first("display") or b"{}"))
        hits.append(Hit(
            str(doc.get_first("iri")), str(doc.get_first("kind")), float(score),
            display.get("names", {}), _snippet(snippets.snippet_from_doc(doc),
                                               linked.snippet_from_doc(doc), display),
            {f: [str(v) for v in doc.get_all(f)] for f in FACETS if f != "kind"}))
    total = int(getattr(found, "count", 0) or 0)  # (the stubs lack it; count=True sets it)
    return Results(total, hits, _facets(searcher, query, meta) if total else {})


def _snippet(snippet: tantivy.Snippet, linked: tantivy.Snippet,
             display: Mapping[str, Any]) -> str:
    """The description's best fragment, HTML-escaped, matches in ``<mark>``; without a match
    in a description, the start of the first description and the matching names of linked
    things (field of action, place, Kreis …) after "→"."""
    if snippet.fragment() and snippet.highlighted():
        return _marked(snippet)
    body = display.get("body", {})
    first = next((t for lang in ("de", "en", "") for t in body.get(lang, [])), "")
    if len(first) > SNIPPET_CHARS:
        first = first[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    text = html.escape(first)
    if linked.fragment() and linked.highlighted():
        text = (text + " → " if text else "→ ") + _marked(linked)
    return text


def _marked(snippet: tantivy.Snippet) -> str:
    """The fragment, HTML-escaped, its matches in ``<mark>`` (tantivy gives byte ranges)."""
    data = snippet.fragment().encode("utf-8")
    parts, last = [], 0
    for span in sorted(snippet.highlighted(), key=lambda r: r.start):
        parts.append(html.escape(data[last:span.start].decode("utf-8", "replace")))
        parts.append("<mark>" + html.escape(data[span.start:span.end].decode(
            "utf-8", "replace")) + "</mark>")
        last = span.end
    parts.append(html.escape(data[last:].decode("utf-8", "replace")))
    return "".join(parts)


def _facets(searcher: tantivy.Searcher, query: tantivy.Query,
            meta: Mapping[str, Any]) -> dict[str, list[FacetValue]]:
    """Per facet, its values among all hits with counts, most frequent first."""
    request = {facet: {"terms": {"field": facet, "size": 200}} for facet in FACETS}
    answer = searcher.aggregate(query, request)
    names: Mapping[str, Mapping[str, str]] = meta.get("facets", {})
    result: dict[str, list[FacetValue]] = {}
    for facet in FACETS:
        buckets = answer.get(facet, {}).get("buckets", [])
        result[facet] = [FacetValue(str(b["key"]), names.get(f"{facet}/{b['key']}", {}),
                                    int(b["doc_count"])) for b in buckets]
    return result
