"""The catalogue's datasets, resolved from the load records and the editorial metadata.

One dataset per published source graph (``{base}dataset/{source}``) plus one for the whole
knowledge graph (``{base}dataset/knowledge-graph``). Where each fact comes from is explained in
``catalog_metadata.ttl``: the load record wins for licence and attribution (the loader knows
the terms of its input), the editorial entry wins for everything else, and
``<catalog#dataset-defaults>`` fills the rest. :class:`Entry` is what the DCAT catalogue, the
VoID description and the HTML pages are made from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from smartregion.derived.dumps import DumpFormat
from smartregion.derived.queries import load_query
from smartregion.namespaces import DCAT, DCATDE, DCTERMS, FOAF, GEOCODING, SRH
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.uris import meta_graph_uri

METADATA_FILE = Path(__file__).with_name("catalog_metadata.ttl")
KNOWLEDGE_GRAPH = "knowledge-graph"
# Licence IRIs loaders may record in another spelling → the DCAT-AP.de licence concept.
LICENCE_ALIASES = {
    "https://www.govdata.de/dl-de/by-2-0": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
    "https://www.govdata.de/dl-de/zero-2-0": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
    "https://creativecommons.org/licenses/by/4.0/": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "http://creativecommons.org/licenses/by/4.0/": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "https://creativecommons.org/publicdomain/zero/1.0/": "http://dcat-ap.de/def/licenses/cc-zero",
    "http://creativecommons.org/publicdomain/zero/1.0/": "http://dcat-ap.de/def/licenses/cc-zero",
}
# The key list of a political-geocoding IRI → its level (DCAT-AP.de geocoding levels).
GEOCODING_LEVELS = {
    "stateKey": "state",
    "districtKey": "administrativeDistrict",
    "municipalAssociationKey": "municipality",
    "municipalityKey": "municipality",
    "regionalKey": "municipality",
}
# Properties an editorial entry (or else the load record, or else the defaults) gives.
DESCRIBED = (DCTERMS.accrualPeriodicity, DCTERMS.accessRights, DCTERMS.language,
             DCATDE.contributorID, DCAT.theme)


@dataclass(frozen=True)
class Source:
    """A published source graph and its load record from the metadata graph."""

    name: str
    graph: str
    record: Graph


@dataclass
class Entry:
    """One catalogue dataset, resolved from editorial metadata, load records and defaults."""

    name: str
    iri: URIRef
    graphs: list[str]
    titles: list[Literal]
    descriptions: list[Literal]
    licence: URIRef | None
    attribution: str | None
    issued: Literal | None
    modified: Literal | None
    facts: Graph = field(default_factory=Graph)  # further statements about ``iri``

    def title(self, lang: str) -> str:
        """The title in ``lang`` (German as fallback)."""
        return _pick(self.titles, lang)

    def description(self, lang: str) -> str:
        """The description in ``lang`` (German as fallback)."""
        return _pick(self.descriptions, lang)


@lru_cache(maxsize=8)
def catalog_metadata(base_uri: str, stamp: float = 0.0) -> Graph:
    """``catalog_metadata.ttl`` with its relative IRIs resolved against ``base_uri``."""
    del stamp  # part of the cache key only
    graph = Graph()
    graph.parse(METADATA_FILE, format="turtle", publicID=base_uri)
    return graph


def metadata_for(settings: Settings) -> Graph:
    """The editorial metadata for the configured base (re-read when the file changes)."""
    return catalog_metadata(settings.base_uri, METADATA_FILE.stat().st_mtime)


def published_sources(backend: StoreBackend, settings: Settings) -> list[Source]:
    """Every source with a load record whose graph holds triples, by name."""
    records = backend.construct(load_query("catalog_records"), {
        "meta": URIRef(meta_graph_uri(settings.base_uri)), "sourceName": SRH.sourceName,
    })
    sources = []
    for graph_iri, name in records.subject_objects(SRH.sourceName):
        prefix = str(graph_iri) + "#"
        record = Graph()
        for s, p, o in records:
            if s == graph_iri or str(s).startswith(prefix):
                record.add((s, p, o))
        sources.append(Source(str(name), str(graph_iri), record))
    return sorted(sources, key=lambda s: s.name)


def dataset_iri(base_uri: str, name: str) -> URIRef:
    """The IRI of a catalogue dataset: ``{base}dataset/{name}``."""
    return URIRef(f"{base_uri}dataset/{name}")


def resolve_entries(settings: Settings, sources: Sequence[Source]) -> list[Entry]:
    """The catalogue datasets: the knowledge graph first, then each source by name.

    A source whose licence is known neither from its load record nor from the editorial
    metadata is left out (a portal must not receive data under an invented licence).
    """
    meta = metadata_for(settings)
    defaults = URIRef(settings.base_uri + "catalog#dataset-defaults")
    parts = [e for e in (_source_entry(settings, meta, defaults, s) for s in sources) if e]
    whole = _knowledge_graph_entry(settings, meta, defaults, parts)
    return ([whole] if parts else []) + parts


def _source_entry(
    settings: Settings, meta: Graph, defaults: URIRef, source: Source
) -> Entry | None:
    iri = dataset_iri(settings.base_uri, source.name)
    record, node = source.record, URIRef(source.graph)
    licence = record.value(node, DCTERMS.license) or meta.value(iri, DCTERMS.license)
    if not isinstance(licence, URIRef):
        return None
    attribution = record.value(node, SRH.attribution) or meta.value(
        iri, DCATDE.licenseAttributionByText)
    titles = _literals(meta, iri, DCTERMS.title) or _literals(record, node, DCTERMS.title) or [
        Literal(f"Quelle {source.name}", lang="de"), Literal(f"Source {source.name}", lang="en")]
    descriptions = (_literals(meta, iri, DCTERMS.description)
                    or _literals(record, node, DCTERMS.description) or [
        Literal(f"Named Graph <{source.graph}> der Plattform.", lang="de"),
        Literal(f"Named graph <{source.graph}> of the platform.", lang="en")])
    entry = Entry(
        source.name, iri, [source.graph], titles, descriptions,
        URIRef(LICENCE_ALIASES.get(str(licence), str(licence))),
        str(attribution) if attribution else None,
        _literal(record.value(node, DCTERMS.issued)),
        _literal(record.value(node, DCTERMS.modified)),
    )
    for prop in DESCRIBED:
        _first_of(entry, prop, [(meta, iri), (record, node), (meta, defaults)])
    _keywords(entry, [(meta, iri), (record, node)], (meta, defaults))
    _spatial(entry, [(meta, iri), (record, node), (meta, defaults)])
    temporal = record.value(node, DCTERMS.temporal)
    if temporal is not None:
        copy = URIRef(str(iri) + "#temporal")
        entry.facts.add((iri, DCTERMS.temporal, copy))
        for p, o in record.predicate_objects(temporal):
            entry.facts.add((copy, p, o))
    for page in record.objects(node, DCTERMS.source):
        if isinstance(page, URIRef):  # documentation of the input, e.g. Destatis' page
            entry.facts.add((iri, FOAF.page, page))
    return entry


def _knowledge_graph_entry(
    settings: Settings, meta: Graph, defaults: URIRef, parts: Sequence[Entry]
) -> Entry:
    iri = dataset_iri(settings.base_uri, KNOWLEDGE_GRAPH)
    attributions = [str(a) for a in meta.objects(iri, DCATDE.licenseAttributionByText)]
    for part in parts:
        if part.attribution and part.attribution not in attributions:
            attributions.append(part.attribution)
    licence = meta.value(iri, DCTERMS.license) or meta.value(
        URIRef(settings.base_uri + "catalog"), DCTERMS.license)
    issued = [p.issued for p in parts if p.issued is not None]
    modified = [p.modified for p in parts if p.modified is not None]
    entry = Entry(
        KNOWLEDGE_GRAPH, iri, [g for p in parts for g in p.graphs],
        _literals(meta, iri, DCTERMS.title), _literals(meta, iri, DCTERMS.description),
        licence if isinstance(licence, URIRef) else None, " | ".join(attributions) or None,
        min(issued, key=moment) if issued else None,
        max(modified, key=moment) if modified else None,
    )
    for prop in DESCRIBED:
        _first_of(entry, prop, [(meta, iri), (meta, defaults)])
    _keywords(entry, [(meta, iri)], (meta, defaults))
    _spatial(entry, [(meta, iri), (meta, defaults)])
    for part in parts:
        entry.facts.add((iri, DCTERMS.hasPart, part.iri))
        part.facts.add((part.iri, DCTERMS.isPartOf, iri))
    return entry


def _first_of(entry: Entry, prop: URIRef, places: Iterable[tuple[Graph, Node]]) -> None:
    for graph, node in places:
        values = list(graph.objects(node, prop))
        if values:
            for value in values:
                entry.facts.add((entry.iri, prop, value))
            return


def _keywords(
    entry: Entry, places: Iterable[tuple[Graph, Node]], extra: tuple[Graph, Node]
) -> None:
    chosen: list[Node] = []
    for graph, node in places:
        chosen = list(graph.objects(node, DCAT.keyword))
        if chosen:
            break
    for value in [*chosen, *extra[0].objects(extra[1], DCAT.keyword)]:
        entry.facts.add((entry.iri, DCAT.keyword, value))


def _spatial(entry: Entry, places: Iterable[tuple[Graph, Node]]) -> None:
    """Spatial coverage as one group: ``dct:spatial`` with its geocoding URI and level."""
    for graph, node in places:
        spatial = [o for o in graph.objects(node, DCTERMS.spatial) if isinstance(o, URIRef)]
        if not spatial:
            continue
        geocoding = list(graph.objects(node, DCATDE.politicalGeocodingURI)) or [
            s for s in spatial if str(s).startswith(str(GEOCODING))]
        levels = list(graph.objects(node, DCATDE.politicalGeocodingLevelURI)) or [
            level for level in (_level(s) for s in geocoding) if level is not None]
        levels = sorted(set(levels), key=str)
        for prop, values in ((DCTERMS.spatial, spatial), (DCATDE.politicalGeocodingURI, geocoding),
                             (DCATDE.politicalGeocodingLevelURI, levels)):
            for value in values:
                entry.facts.add((entry.iri, prop, value))
        return


def _level(geocoding: Node) -> URIRef | None:
    key_list = str(geocoding)[len(str(GEOCODING)):].split("/", 1)[0]
    level = GEOCODING_LEVELS.get(key_list)
    return URIRef(f"{GEOCODING}Level/{level}") if level else None


def filter_modified_since(entries: Sequence[Entry], since: datetime | None) -> list[Entry]:
    """The entries modified at or after ``since`` (all of them when ``since`` is None)."""
    if since is None:
        return list(entries)
    return [e for e in entries if e.modified is not None and moment(e.modified) >= since]


def dump_url(base_uri: str, name: str, fmt: DumpFormat) -> URIRef:
    """Where a dump is downloaded: ``{base}dump/{name}.{extension}``."""
    return URIRef(f"{base_uri}dump/{name}.{fmt.extension}")


def _literals(graph: Graph, node: Node, prop: URIRef) -> list[Literal]:
    return sorted((o for o in graph.objects(node, prop) if isinstance(o, Literal)),
                  key=lambda lit: (lit.language or "", str(lit)))


def _literal(value: Node | None) -> Literal | None:
    return value if isinstance(value, Literal) else None


def moment(value: Literal) -> datetime:
    """A comparable moment for an xsd:dateTime or xsd:date literal (no zone = UTC)."""
    when = value.toPython()
    if not isinstance(when, datetime):
        when = datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _pick(literals: Sequence[Literal], lang: str) -> str:
    for wanted in (lang, "de", "en", None):
        for literal in literals:
            if literal.language == wanted:
                return str(literal)
    return str(literals[0]) if literals else ""
