"""Harvest a remote DCAT catalogue (RDF) and link its datasets to our municipalities.

The catalogue is read in the RDF syntax its ``Content-Type`` names (Turtle, RDF/XML, JSON-LD,
N-Triples), page after page along Hydra paging links: ``hydra:next`` of a
``hydra:PartialCollectionView`` (Hydra Core) and ``hydra:nextPage`` of a
``hydra:PagedCollection`` (the older form ckanext-dcat emits, often with the URL as a literal).
Next pages must be on the catalogue's own host; a loop or more than ``max_pages`` pages stops
the harvest with an error.

A dataset belongs to one of our municipalities when its ``dct:spatial`` or
``dcatde:politicalGeocodingURI`` is the DCAT-AP.de political-geocoding URI of the
municipality (``…/politicalGeocoding/municipalityKey/{AGS}`` or ``…/regionalKey/{ARS}``) or
our own IRI ``{base}id/municipality/{AGS}``; a catalogue configured with ``municipality =
"<AGS>"`` (the portal of one municipality) links every dataset to it. Only linked datasets
are published, into ``{base}graph/harvest-<name>``: their description (title, description,
publisher with its name, landing page, licence, dates, keywords, themes, spatial coverage,
distributions with access/download URL, format and licence) and the link
``<municipality> srh:openDataset <dataset>``. Datasets without an IRI cannot be linked from
outside and are skipped (counted in the notes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import BNode, Node

from loaders.remote_source import (
    AGS,
    Municipalities,
    RemoteContext,
    RemoteSource,
    digest,
    published_municipalities,
)
from loaders.source import Progress, SourceError
from loaders.web_sources import FetchResult, RemoteError
from smartregion.formats import graph_format
from smartregion.namespaces import DCAT, DCATDE, DCTERMS, FOAF, GEOCODING, HYDRA, RDF, SRH
from smartregion.settings import Settings
from smartregion.store.terms import to_rdflib
from smartregion.uris import graph_uri, thing_uri

LOADER_VERSION = "1"
ACCEPT = (
    "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
    "application/n-triples;q=0.7, application/xml;q=0.3, text/xml;q=0.3"
)
# Some portals send RDF/XML as generic XML, or any RDF as a download; then the URL decides.
_GENERIC_XML = frozenset({"application/xml", "text/xml"})
_BY_EXTENSION = {".ttl": "turtle", ".rdf": "rdfxml", ".xml": "rdfxml", ".jsonld": "jsonld",
                 ".nt": "ntriples"}

# What of a dataset, its distributions and its publisher is kept (DCAT-AP / DCAT-AP.de).
DATASET_PROPERTIES = frozenset({
    DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.landingPage, DCTERMS.license,
    DCTERMS.modified, DCTERMS.issued, DCAT.keyword, DCAT.theme, DCTERMS.spatial,
    DCATDE.politicalGeocodingURI, DCTERMS.identifier, DCAT.distribution, DCTERMS.accessRights,
})
DISTRIBUTION_PROPERTIES = frozenset({
    RDF.type, DCTERMS.title, DCTERMS.description, DCAT.accessURL, DCAT.downloadURL,
    DCTERMS.format, DCAT.mediaType, DCTERMS.license, DCTERMS.modified, DCTERMS.issued,
})
PUBLISHER_PROPERTIES = frozenset({RDF.type, FOAF.name, FOAF.homepage})
GEOCODING_KEY = re.compile(
    "^" + re.escape(str(GEOCODING)) + r"(municipalityKey|regionalKey)/([0-9]+)$"
)


class DcatCatalogueSource(RemoteSource):
    """A remote DCAT catalogue whose datasets are linked to our municipalities."""

    loader_version = LOADER_VERSION
    accept = ACCEPT

    def __init__(
        self,
        name: str,
        url: str,
        context: RemoteContext,
        *,
        max_pages: int = 100,
        municipality: str | None = None,
        title_de: str = "",
        title_en: str = "",
        licence: str | None = None,
    ) -> None:
        super().__init__(context)
        self.source_name = name
        self.name = f"harvest-{name}"
        self.url = url
        self.max_pages = max_pages
        self.municipality = municipality
        self.title_de = title_de or f"Offene Daten aus dem Katalog „{name}“"
        self.title_en = title_en or f"Open data from the catalogue '{name}'"
        self.licence = URIRef(licence) if licence else None
        self.municipalities = Municipalities()

    def local_digest(self, settings: Settings) -> str:
        """Municipality keys, URL, options and loader version (the links depend on them)."""
        self.municipalities = published_municipalities(
            self.context.backend, settings, graph_uri(settings.base_uri, self.name)
        )
        if self.municipality and self.municipality not in self.municipalities.by_ags:
            raise SourceError(
                self.url, "config",
                f"municipality {self.municipality!r} is not published here (load it first)", 2,
            )
        return digest([LOADER_VERSION, self.municipalities.digest(), str(self.max_pages),
                       self.municipality or "", self.url, settings.base_uri])

    def harvest(
        self, settings: Settings, progress: Progress, reuse: dict[str, FetchResult]
    ) -> tuple[Graph, list[FetchResult], dict[Node, str]]:
        """Walk the pages, collect the datasets and map the linked ones."""
        catalogue = Graph()
        answers: list[FetchResult] = []
        origins: dict[Node, str] = {}
        for answer, page in self._pages(progress, reuse):
            answers.append(answer)
            for dataset in set(page.subjects(RDF.type, DCAT.Dataset)):
                origins.setdefault(dataset, answer.url)
            catalogue += page
        graph = self._map(catalogue, settings, origins)
        return graph, answers, origins

    # -- paging ---------------------------------------------------------------------------
    def _pages(
        self, progress: Progress, reuse: dict[str, FetchResult]
    ) -> Iterator[tuple[FetchResult, Graph]]:
        url: str | None = self.url
        seen: set[str] = set()
        host = urlsplit(self.url).netloc.lower()
        while url is not None:
            if url in seen:
                raise RemoteError(url, "paging-loop", "the catalogue's paging links lead back "
                                  "to a page already read")
            if len(seen) >= self.max_pages:
                raise RemoteError(url, "too-many-pages", f"the catalogue has more than "
                                  f"{self.max_pages} pages (option max_pages)")
            seen.add(url)
            progress(f"{self.name}: page {len(seen)}: {url}", len(seen), None)
            answer = self.fetch(url, reuse)
            page = parse_rdf(answer)
            following = next_page(page, answer.final_url)
            if following is not None and urlsplit(following).netloc.lower() != host:
                raise RemoteError(answer.url, "paging-host", f"the next page {following} is "
                                  f"on another host than the catalogue ({host})")
            yield answer, page
            url = following

    # -- mapping --------------------------------------------------------------------------
    def _map(self, catalogue: Graph, settings: Settings, origins: dict[Node, str]) -> Graph:
        graph = Graph()
        seen = skipped_blank = skipped_own = linked = 0
        for dataset in sorted(set(catalogue.subjects(RDF.type, DCAT.Dataset)), key=str):
            seen += 1
            if not isinstance(dataset, URIRef):
                skipped_blank += 1
                continue
            if str(dataset).startswith(settings.base_uri):
                # our own catalogue harvested back: its records are not third-party data
                skipped_own += 1
                origins.pop(dataset, None)
                continue
            targets = self._targets(catalogue, dataset, settings)
            if not targets:
                origins.pop(dataset, None)
                continue
            linked += 1
            graph.add((dataset, RDF.type, DCAT.Dataset))
            for target in sorted(targets):
                graph.add((target, SRH.openDataset, dataset))
            _copy(catalogue, graph, dataset, DATASET_PROPERTIES)
            for distribution in catalogue.objects(dataset, DCAT.distribution):
                _copy(catalogue, graph, distribution, DISTRIBUTION_PROPERTIES)
            for publisher in catalogue.objects(dataset, DCTERMS.publisher):
                _copy(catalogue, graph, publisher, PUBLISHER_PROPERTIES)
        self.notes.append(f"{seen} dataset(s) in the catalogue, {linked} linked to "
                          f"{len(self.municipalities.by_ags)} published municipalities")
        if skipped_blank:
            self.notes.append(f"{skipped_blank} dataset(s) without an IRI skipped")
        if skipped_own:
            self.notes.append(f"{skipped_own} dataset(s) of this platform itself skipped")
        if not self.municipalities.by_ags:
            self.notes.append("no municipalities are published yet: run 'smartregion load' "
                              "first")
        return graph

    def _targets(self, catalogue: Graph, dataset: URIRef, settings: Settings) -> set[URIRef]:
        found: set[URIRef] = set()
        if self.municipality:
            found.add(self.municipalities.by_ags[self.municipality])
        own_prefix = thing_uri(settings.base_uri, "municipality", "")
        for prop in (DCTERMS.spatial, DCATDE.politicalGeocodingURI):
            for value in catalogue.objects(dataset, prop):
                if not isinstance(value, URIRef | Literal):
                    continue  # a dct:Location node with a geometry: not a key we know
                text = str(value).strip()
                match = GEOCODING_KEY.match(text)
                if match and match.group(1) == "municipalityKey":
                    iri = self.municipalities.by_ags.get(match.group(2))
                elif match:
                    iri = self.municipalities.by_ars.get(match.group(2))
                elif text.startswith(own_prefix) and AGS.match(text[len(own_prefix):]):
                    iri = self.municipalities.by_ags.get(text[len(own_prefix):])
                else:
                    iri = None
                if iri is not None:
                    found.add(iri)
        return found


def parse_rdf(answer: FetchResult) -> Graph:
    """The answer's body as RDF, in the syntax its media type (or URL extension) names."""
    fmt = graph_format(answer.media_type) if answer.media_type else None
    if fmt is None and answer.media_type in _GENERIC_XML:
        fmt = graph_format("rdfxml")
    if fmt is None:
        path = urlsplit(answer.final_url).path.lower()
        extension = next((e for e in _BY_EXTENSION if path.endswith(e)), None)
        fmt = graph_format(_BY_EXTENSION[extension]) if extension else None
    if fmt is None or fmt.quads:
        declared = answer.media_type or "of no declared type"
        raise RemoteError(answer.url, "media-type", f"the answer is {declared}, not an RDF "
                          "graph syntax (Turtle, RDF/XML, JSON-LD, N-Triples)")
    graph = Graph()
    try:
        # pyoxigraph parses strictly and never fetches remote JSON-LD contexts
        for quad in ox.parse(answer.body, fmt.oxigraph, base_iri=answer.final_url,
                             rename_blank_nodes=True):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                       to_rdflib(quad.object)))
    except (SyntaxError, ValueError) as exc:
        raise RemoteError(answer.url, "rdf-syntax", f"not valid {fmt.name}: {exc}") from exc
    return graph


def next_page(page: Graph, base: str) -> str | None:
    """The next page's URL from Hydra paging (Core ``hydra:next`` or ``hydra:nextPage``)."""
    candidates: list[str] = []
    for kind, prop in ((HYDRA.PartialCollectionView, HYDRA.next),
                       (HYDRA.PagedCollection, HYDRA.nextPage),
                       (HYDRA.PagedCollection, HYDRA.next),
                       (HYDRA.PartialCollectionView, HYDRA.nextPage)):
        for node in page.subjects(RDF.type, kind):
            candidates.extend(str(v).strip() for v in page.objects(node, prop)
                              if isinstance(v, URIRef | Literal))
    candidates = [c for c in candidates if c]
    return urljoin(base, sorted(candidates)[0]) if candidates else None


def _copy(source: Graph, target: Graph, node: Node, keep: frozenset[URIRef]) -> None:
    for prop, value in source.predicate_objects(node):
        if prop in keep:
            target.add((node, prop, value))
            if isinstance(value, BNode) and prop not in (DCAT.distribution, DCTERMS.publisher):
                # e.g. a dct:license or dct:spatial blank node: keep its closure one level deep
                for p, o in source.predicate_objects(value):
                    if not isinstance(o, BNode):
                        target.add((value, p, o))
