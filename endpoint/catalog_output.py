"""Output of the catalogue blueprint: stable RDF bytes and the model of the HTML page.

RDF: Turtle, RDF/XML and N-Triples are written by pyoxigraph from sorted triples (so equal
graphs give equal bytes, as the strong ``ETag`` needs). JSON-LD carries its ``@context``
inline and keeps absolute ``@id`` values: harvesters have failed on remote contexts that
became unreachable and on relative identifiers (see shared/conformance notes, §4).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from flask import current_app
from rdflib import Graph, Literal, URIRef

from endpoint import settings_of
from endpoint.i18n import current_language, localized, translate
from endpoint.negotiation import HTML, TRIPLE_OFFERS, Offer
from endpoint.rdf_output import stable_triples, used_prefixes
from smartregion.derived.datasets import Entry, metadata_for
from smartregion.derived.dumps import DUMP_FORMATS, DumpFile, DumpFormat
from smartregion.formats import graph_format
from smartregion.namespaces import DCAT, DCTERMS
from smartregion.store.terms import to_triple

if TYPE_CHECKING:
    from endpoint.dcat import Paging
    from smartregion.derived.views import Snapshot

OFFERS: tuple[Offer, ...] = (*TRIPLE_OFFERS, HTML)  # Turtle first: what */* gets
FORMAT_LABELS = {"turtle": "Turtle", "jsonld": "JSON-LD", "rdfxml": "RDF/XML",
                 "ntriples": "N-Triples"}
LICENCES = {  # labels of the DCAT-AP.de licences the platform uses
    "http://dcat-ap.de/def/licenses/cc-by/4.0": (
        "Creative Commons Namensnennung 4.0 International (CC BY 4.0)",
        "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": (
        "Datenlizenz Deutschland – Namensnennung – Version 2.0",
        "Data licence Germany – attribution – version 2.0"),
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": (
        "Datenlizenz Deutschland – Zero – Version 2.0",
        "Data licence Germany – Zero – version 2.0"),
    "http://dcat-ap.de/def/licenses/cc-zero": (
        "Creative Commons CC0 1.0 (gemeinfrei)", "Creative Commons CC0 1.0 (public domain)"),
}
TEXT = {  # the page's own strings (the site-wide ones come from endpoint.i18n)
    "catalog": ("Datenkatalog", "Data catalogue"),
    "void": ("Statistik der Datensätze (VoID)", "Dataset statistics (VoID)"),
    "datasets": ("Datensätze", "Datasets"),
    "dataset": ("Datensatz", "Dataset"),
    "licence": ("Lizenz", "Licence"),
    "attribution": ("Namensnennung", "Attribution"),
    "issued": ("Veröffentlicht", "Issued"),
    "modified": ("Geändert", "Modified"),
    "downloads": ("Abzüge", "Dumps"),
    "size": ("Größe", "Size"),
    "sparql": ("Abfrage mit SPARQL", "Query with SPARQL"),
    "graph": ("Named Graph", "Named graph"),
    "keywords": ("Schlagwörter", "Keywords"),
    "figures": ("Kennzahlen", "Figures"),
    "triples": ("Tripel", "Triples"),
    "entities": ("Entitäten", "Entities"),
    "subjects": ("Verschiedene Subjekte", "Distinct subjects"),
    "objects": ("Verschiedene Objekte", "Distinct objects"),
    "properties": ("Eigenschaften", "Properties"),
    "classes": ("Klassen", "Classes"),
    "class": ("Klasse", "Class"),
    "property": ("Eigenschaft", "Property"),
    "instances": ("Instanzen", "Instances"),
    "links": ("Verweise auf externe Daten", "Links to external data"),
    "target": ("Ziel", "Target"),
    "machine": ("Für Harvester und Programme", "For harvesters and programs"),
    "publisher": ("Herausgeber", "Publisher"),
    "page": ("Seite {page} von {pages}", "Page {page} of {pages}"),
    "no_datasets": ("Noch keine Daten veröffentlicht.", "No data published yet."),
    "dcat_note": (
        "Der Katalog folgt DCAT-AP.de 3.0; Portale (GovData, Landesportal, data.europa.eu) "
        "können ihn seitenweise einsammeln (Hydra-Paging, ?page=N).",
        "The catalogue follows DCAT-AP.de 3.0; portals (GovData, the state portal, "
        "data.europa.eu) can harvest it page by page (Hydra paging, ?page=N)."),
}


def text(key: str, **values: object) -> str:
    """A string of this page in the request's language."""
    de, en = TEXT[key]
    chosen = en if current_language() == "en" else de
    return chosen.format(**values) if values else chosen


def serialize_graph(graph: Graph, offer: Offer, extra_prefixes: Mapping[str, str] | None = None
                    ) -> bytes:
    """``graph`` in the negotiated RDF format, byte-stable (``extra_prefixes``: namespaces
    besides the platform's that the output should abbreviate)."""
    fmt = graph_format(offer.media_type)
    if fmt is None or fmt.quads:
        raise ValueError(f"{offer.media_type} is not a graph format")
    triples = stable_triples(graph)
    prefixes = {**used_prefixes(triples), **(extra_prefixes or {})}
    if fmt.name == "jsonld":
        return _jsonld(triples, prefixes)
    body = ox.serialize(
        [to_triple(triple) for triple in triples],
        format=fmt.oxigraph, prefixes=prefixes if fmt.name in ("turtle", "rdfxml") else None,
    )
    assert body is not None  # no output given, so the bytes are returned
    return body


def _jsonld(triples: Sequence[Any], prefixes: Mapping[str, str]) -> bytes:
    ordered = Graph()
    for triple in triples:
        ordered.add(triple)
    document = json.loads(ordered.serialize(
        format="json-ld", context=dict(prefixes), auto_compact=True))
    if not isinstance(document, dict) or "@graph" not in document:
        nodes = document if isinstance(document, list) else [
            {k: v for k, v in document.items() if k != "@context"}]
        document = {"@graph": nodes}
    document = _absolute_ids(document, prefixes)
    document["@context"] = dict(prefixes)  # inline, never a remote context
    document["@graph"] = sorted(document["@graph"], key=lambda n: str(n.get("@id", "")))
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _absolute_ids(node: Any, prefixes: Mapping[str, str]) -> Any:
    """Every ``@id`` written out in full (compact IRIs are valid JSON-LD, but some harvesters
    resolve anything that is not an absolute IRI against their own location)."""
    if isinstance(node, list):
        return [_absolute_ids(item, prefixes) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "@id" and isinstance(value, str):
            prefix, colon, rest = value.partition(":")
            if colon and prefix in prefixes and not rest.startswith("//"):
                value = prefixes[prefix] + rest
        result[key] = _absolute_ids(value, prefixes) if key != "@context" else value
    return result


def page_context(
    mode: str, snapshot: Snapshot, entries: Sequence[Entry], stats: Mapping[str, Any], *,
    dumps: Callable[[str, Sequence[str], DumpFormat], DumpFile], paging: Paging | None = None,
) -> dict[str, Any]:
    """What ``catalog.html`` shows: ``mode`` is ``catalog``, ``dataset`` or ``void``."""
    settings = settings_of(current_app)
    lang = current_language()
    meta = metadata_for(settings)
    catalog = URIRef(settings.base_uri + "catalog")
    path = {"catalog": "/catalog", "void": "/.well-known/void"}.get(
        mode, f"/dataset/{entries[0].name}" if entries else "/catalog")
    return {
        "mode": mode,
        "s": text,
        "title": text("void") if mode == "void" else (
            entries[0].title(lang) if mode == "dataset" and entries else text("catalog")),
        "catalog_title": _pick(meta, catalog, DCTERMS.title, lang),
        "catalog_description": _pick(meta, catalog, DCTERMS.description, lang),
        "publisher": _pick(meta, meta.value(catalog, DCTERMS.publisher), URIRef(
            "http://xmlns.com/foaf/0.1/name"), lang),
        "version": snapshot.version,
        "datasets": [_dataset(e, stats, dumps, lang, mode) for e in entries],
        "paging": _paging(paging) if paging else None,
        "alternates": [
            {"href": f"{path}.{f.extension}", "type": f.media_type,
             "label": FORMAT_LABELS.get(f.name, f.name)}
            for f in TRIPLE_OFFERS
        ],
        "links": {"catalog": localized("/catalog"), "void": localized("/.well-known/void"),
                  "sparql": localized("/sparql")},
    }


def _dataset(
    entry: Entry, stats: Mapping[str, Any], dumps: Callable[[str, Sequence[str], DumpFormat],
                                                              DumpFile],
    lang: str, mode: str,
) -> dict[str, Any]:
    figures = stats.get(entry.graphs[0] if len(entry.graphs) == 1 else "")
    licence = str(entry.licence) if entry.licence else ""
    labels = LICENCES.get(licence)
    downloads = []
    for fmt in DUMP_FORMATS:
        made = dumps(entry.name, entry.graphs, fmt)
        downloads.append({"label": fmt.label_en if lang == "en" else fmt.label_de,
                          "url": f"/dump/{entry.name}.{fmt.extension}", "bytes": made.byte_size,
                          "size": _size(made.byte_size, lang), "sha256": made.sha256,
                          "type": fmt.media_type})
    detail: dict[str, Any] = figures if mode != "catalog" and figures is not None else {}
    return {
        "name": entry.name,
        "iri": str(entry.iri),
        "href": localized(f"/dataset/{entry.name}"),
        "title": entry.title(lang),
        "description": entry.description(lang),
        "licence": licence,
        "licence_label": (labels[1] if lang == "en" else labels[0]) if labels else licence,
        "attribution": entry.attribution,
        "issued": str(entry.issued) if entry.issued is not None else "",
        "modified": str(entry.modified) if entry.modified is not None else "",
        "keywords": sorted(str(k) for k in entry.facts.objects(entry.iri, DCAT.keyword)
                           if isinstance(k, Literal) and k.language == lang),
        "graphs": entry.graphs,
        "downloads": downloads,
        "figures": figures,
        "classes": sorted(detail.get("classes", {}).items(), key=lambda i: -i[1]),
        "properties": sorted(detail.get("partitions", {}).items(), key=lambda i: -i[1][0]),
        "links": _links(detail.get("links", [])),
    }


def _links(links: Sequence[Sequence[Any]]) -> list[tuple[str, str, int]]:
    totals: dict[tuple[str, str], int] = {}
    for prop, namespace, triples in links:
        key = (str(prop), str(namespace))
        totals[key] = totals.get(key, 0) + int(triples)
    return sorted(((p, ns, n) for (p, ns), n in totals.items()), key=lambda i: -i[2])


def _paging(paging: Paging) -> dict[str, Any]:
    def href(page: int) -> str:
        return localized("/catalog", {"page": str(page)})

    return {
        "page": paging.page, "last": paging.last, "total": paging.total,
        "label": text("page", page=paging.page, pages=paging.last),
        "prev": href(paging.page - 1) if paging.page > 1 else None,
        "next": href(paging.page + 1) if paging.page < paging.last else None,
        "prev_label": translate("prev"), "next_label": translate("next"),
    }


def _pick(graph: Graph, node: object, prop: URIRef, lang: str) -> str:
    values = [o for o in graph.objects(node, prop) if isinstance(o, Literal)]  # type: ignore[arg-type]
    for wanted in (lang, "de", "en", None):
        for value in values:
            if value.language == wanted:
                return str(value)
    return ""


def _size(count: int, lang: str) -> str:
    units = ("B", "kB", "MB", "GB")
    value, unit = float(count), 0
    while value >= 1000 and unit < len(units) - 1:
        value, unit = value / 1000, unit + 1
    shown = f"{value:.0f}" if unit == 0 else f"{value:.1f}"
    return (shown.replace(".", ",") if lang == "de" else shown) + " " + units[unit]
