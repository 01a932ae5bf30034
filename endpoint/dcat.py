"""The DCAT-AP.de catalogue graph: the datasets of :mod:`smartregion.derived.datasets` as DCAT.

Each dataset gets four dump distributions (``dcat:byteSize`` and ``spdx:checksum`` of the
served version's files) and one SPARQL distribution; a ``dcat:DataService`` describes
``/sparql``. A catalogue page (``?page=N``) is complete on its own, as harvesters read page by
page: the catalogue node, the page's datasets with their distributions, the publisher, the
contact point, the data service (serving the page's datasets) and a Hydra paging node typed
both ``hydra:PagedCollection`` and ``hydra:PartialCollectionView`` with every link in both
spellings (ckanext-dcat reads ``next``/``nextPage``, piveau ``nextPage`` or ``next``).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from smartregion.derived.datasets import Entry, dump_url, metadata_for, moment
from smartregion.derived.dumps import DUMP_FORMATS, GZIP_IRI, DumpFile, DumpFormat
from smartregion.namespaces import DCAT, DCATDE, DCTERMS, FOAF, HYDRA, RDF, SKOS, SPDX, XSD
from smartregion.settings import Settings

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
PAGE_SIZE = 100  # ckanext-dcat's default datasets per page
FILE_TYPE_SPARQL = URIRef("http://publications.europa.eu/resource/authority/file-type/SPARQLQ")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
PUBLIC = URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC")

DumpLookup = Callable[[str, Sequence[str], DumpFormat], DumpFile]
# Further data services of the platform (e.g. the saved-query APIs), as "module:function"
# names; each function(graph, settings, catalog, publisher, contact, licence, served) adds its
# dcat:DataService nodes to the catalogue graph. Imported when a catalogue is built.
DATA_SERVICES: list[str] = ["endpoint.saved_queries.catalog:add_data_services"]
# The classes DCAT-AP 3 expects the values of these properties to have. Validators that do
# not import every controlled vocabulary (SEMICeu/DCAT-AP#125) only know them if the feed
# states them, as ckanext-dcat's own output does.
RANGES = {
    DCTERMS.license: DCTERMS.LicenseDocument,
    DCTERMS.language: DCTERMS.LinguisticSystem,
    DCTERMS.accessRights: DCTERMS.RightsStatement,
    DCTERMS.accrualPeriodicity: DCTERMS.Frequency,
    DCTERMS.spatial: DCTERMS.Location,
    DCTERMS.format: DCTERMS.MediaTypeOrExtent,
    DCTERMS.conformsTo: DCTERMS.Standard,
    DCAT.mediaType: DCTERMS.MediaType,
    DCAT.compressFormat: DCTERMS.MediaType,
    FOAF.homepage: FOAF.Document,
    FOAF.page: FOAF.Document,
    DCAT.landingPage: FOAF.Document,
    SPDX.algorithm: SPDX.ChecksumAlgorithm,
}


@dataclass(frozen=True)
class Paging:
    """Which page of how many, and how page URLs are spelled (path and kept parameters)."""

    page: int
    total: int
    page_url: Callable[[int], str]
    per_page: int = PAGE_SIZE

    @property
    def last(self) -> int:
        """The last page number (1 for an empty catalogue)."""
        return max(1, math.ceil(self.total / self.per_page))


def page_url_builder(base_uri: str, path: str, params: dict[str, str]) -> Callable[[int], str]:
    """A function page → absolute URL of that page under the public base URI."""
    def url(page: int) -> str:
        return f"{base_uri}{path.lstrip('/')}?{urlencode({**params, 'page': str(page)})}"
    return url


def catalog_graph(
    settings: Settings, entries: Sequence[Entry], dumps: DumpLookup, paging: Paging | None
) -> Graph:
    """The catalogue (or one page of it) as an rdflib graph, complete on its own."""
    meta = metadata_for(settings)
    base = settings.base_uri
    catalog = URIRef(base + "catalog")
    service = URIRef(base + "catalog#sparql-service")
    g = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("dcatde", DCATDE),
                              ("foaf", FOAF), ("vcard", VCARD), ("hydra", HYDRA), ("spdx", SPDX)):
        g.bind(prefix, namespace)
    for p, o in meta.predicate_objects(catalog):
        g.add((catalog, p, o))
    # Every agent, contact point and concept scheme the editorial metadata describes.
    for subject in set(meta.subjects(RDF.type, None)):
        types = set(meta.objects(subject, RDF.type))
        if types & {FOAF.Organization, FOAF.Agent, VCARD.Organization, VCARD.Kind,
                    SKOS.ConceptScheme}:
            g += meta.triples((subject, None, None))
    issued = [e.issued for e in entries if e.issued is not None]
    modified = [e.modified for e in entries if e.modified is not None]
    if issued:
        g.add((catalog, DCTERMS.issued, min(issued, key=moment)))
    if modified:
        g.add((catalog, DCTERMS.modified, max(modified, key=moment)))
    shown = list(entries)
    if paging is not None:
        start = (paging.page - 1) * paging.per_page
        shown = shown[start:start + paging.per_page]
        _hydra(g, paging)
    publisher = meta.value(catalog, DCTERMS.publisher)
    contact = meta.value(catalog, DCAT.contactPoint)
    _data_service(g, settings, service, publisher, contact, meta.value(catalog, DCTERMS.license))
    g.add((catalog, DCAT.service, service))
    for name in DATA_SERVICES:
        module, _, function = name.partition(":")
        add = getattr(importlib.import_module(module), function)
        add(g, settings, catalog, publisher, contact, meta.value(catalog, DCTERMS.license),
            [e.iri for e in shown])
    for entry in shown:
        g.add((catalog, DCAT.dataset, entry.iri))
        g.add((service, DCAT.servesDataset, entry.iri))
        _dataset(g, settings, entry, dumps, publisher, contact, service)
    for prop, cls in RANGES.items():
        for value in set(g.objects(None, prop)):
            if isinstance(value, URIRef):
                g.add((value, RDF.type, cls))
    return g


def _hydra(g: Graph, paging: Paging) -> None:
    node = URIRef(paging.page_url(paging.page))
    g.add((node, RDF.type, HYDRA.PagedCollection))
    g.add((node, RDF.type, HYDRA.PartialCollectionView))
    g.add((node, HYDRA.totalItems, Literal(paging.total, datatype=XSD.integer)))
    g.add((node, HYDRA.itemsPerPage, Literal(paging.per_page, datatype=XSD.integer)))
    links = [(HYDRA.first, HYDRA.firstPage, 1), (HYDRA.last, HYDRA.lastPage, paging.last)]
    if paging.page > 1:
        links.append((HYDRA.previous, HYDRA.previousPage, min(paging.page - 1, paging.last)))
    if paging.page < paging.last:
        links.append((HYDRA.next, HYDRA.nextPage, paging.page + 1))
    for current, deprecated, page in links:  # both spellings: ckanext-dcat and piveau
        g.add((node, current, URIRef(paging.page_url(page))))
        g.add((node, deprecated, URIRef(paging.page_url(page))))


def _data_service(
    g: Graph, settings: Settings, service: URIRef, publisher: Node | None, contact: Node | None,
    licence: Node | None,
) -> None:
    endpoint = URIRef(settings.base_uri + "sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("SPARQL-Endpunkt Smarte Region Hessen", lang="de")))
    g.add((service, DCTERMS.title, Literal("Smart Region Hesse SPARQL endpoint", lang="en")))
    g.add((service, DCTERMS.description, Literal(
        "SPARQL-1.1-Endpunkt über alle Datensätze des Katalogs; jede Quelle ist ein Named Graph. "
        "Die Dienstbeschreibung (SPARQL Service Description) liefert der Endpunkt selbst.",
        lang="de")))
    g.add((service, DCTERMS.description, Literal(
        "SPARQL 1.1 endpoint over every dataset of the catalogue; each source is a named graph. "
        "The endpoint serves its own SPARQL Service Description.", lang="en")))
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.endpointDescription, endpoint))
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((service, DCTERMS.accessRights, URIRef(
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC")))
    for prop, value in ((DCTERMS.publisher, publisher), (DCAT.contactPoint, contact),
                        (DCTERMS.license, licence)):
        if value is not None:
            g.add((service, prop, value))


def _dataset(
    g: Graph, settings: Settings, entry: Entry, dumps: DumpLookup, publisher: Node | None,
    contact: Node | None, service: URIRef,
) -> None:
    iri = entry.iri
    g.add((iri, RDF.type, DCAT.Dataset))
    g.add((iri, DCTERMS.identifier, Literal(str(iri))))
    for title in entry.titles:
        g.add((iri, DCTERMS.title, title))
    for text in entry.descriptions:
        g.add((iri, DCTERMS.description, text))
    for prop, value in ((DCTERMS.issued, entry.issued), (DCTERMS.modified, entry.modified),
                        (DCTERMS.publisher, publisher), (DCAT.contactPoint, contact)):
        if value is not None:
            g.add((iri, prop, value))
    g.add((iri, DCAT.landingPage, URIRef(f"{iri}.html")))
    g += entry.facts
    for fmt in DUMP_FORMATS:
        _dump_distribution(g, settings, entry, fmt, dumps(entry.name, entry.graphs, fmt))
    sparql = URIRef(f"{iri}#sparql")
    g.add((iri, DCAT.distribution, sparql))
    g.add((sparql, RDF.type, DCAT.Distribution))
    g.add((sparql, DCTERMS.title, Literal("SPARQL-Endpunkt", lang="de")))
    g.add((sparql, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
    graphs = ", ".join(f"<{graph}>" for graph in entry.graphs)
    g.add((sparql, DCTERMS.description, Literal(
        f"Abfrage mit SPARQL 1.1; die Daten liegen im Named Graph {graphs}.", lang="de")))
    g.add((sparql, DCTERMS.description, Literal(
        f"Query with SPARQL 1.1; the data are in the named graph {graphs}.", lang="en")))
    g.add((sparql, DCAT.accessURL, URIRef(settings.base_uri + "sparql")))
    g.add((sparql, DCAT.accessService, service))
    g.add((sparql, DCTERMS.format, FILE_TYPE_SPARQL))
    _licence(g, sparql, entry)


def _dump_distribution(
    g: Graph, settings: Settings, entry: Entry, fmt: DumpFormat, dump: DumpFile
) -> None:
    dist = URIRef(f"{entry.iri}#dump-{fmt.extension.replace('.', '-')}")
    url = dump_url(settings.base_uri, entry.name, fmt)
    checksum = URIRef(f"{dist}-sha256")
    g.add((entry.iri, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal(f"Abzug als {fmt.label_de}", lang="de")))
    g.add((dist, DCTERMS.title, Literal(f"Dump as {fmt.label_en}", lang="en")))
    g.add((dist, DCAT.accessURL, url))
    g.add((dist, DCAT.downloadURL, url))
    g.add((dist, DCAT.mediaType, URIRef(fmt.media_type_iri)))
    g.add((dist, DCTERMS.format, URIRef(fmt.file_type_iri)))
    if fmt.compressed:
        g.add((dist, DCAT.compressFormat, URIRef(GZIP_IRI)))
    g.add((dist, DCAT.byteSize, Literal(dump.byte_size, datatype=XSD.nonNegativeInteger)))
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    if entry.modified is not None:
        g.add((dist, DCTERMS.modified, entry.modified))
    _licence(g, dist, entry)


def _licence(g: Graph, dist: URIRef, entry: Entry) -> None:
    if entry.licence is not None:
        g.add((dist, DCTERMS.license, entry.licence))
    if entry.attribution:
        g.add((dist, DCATDE.licenseAttributionByText, Literal(entry.attribution, lang="de")))


