"""The catalogue (``/catalog``, ``/dataset/{name}``) in its profiles.

- **DCAT-AP.de 3.0** (default): the graph of :func:`endpoint.dcat.catalog_graph` as it is.
- **DCAT-AP 3.0**: the same without the German additions (``dcatde:``); the attribution text
  GovData reads from ``dcatde:licenseAttributionByText`` becomes a ``dct:rights`` statement.
- **Dataspace Protocol** (Eclipse DSP 2025-1 catalogue): the DCAT-AP.de graph, the
  publisher as ``dspace:participantId`` and one ODRL offer per dataset
  (``odrl:hasPolicy`` → ``odrl:Offer`` with the permissions and duties of its licence;
  no ``odrl:target``, since the offer sits in its dataset, as DSP requires).
- **schema.org**: a ``DataCatalog`` of ``Dataset``s with their ``DataDownload``s, as dataset
  search engines read it (JSON-LD).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from rdflib.term import Node

from endpoint.catalog_output import OFFERS
from endpoint.negotiation import JSONLD, TRIPLE_OFFERS, Alternatives, Choice
from endpoint.negotiation.profiles import DCAT_AP, DCAT_AP_DE, DSP, SCHEMA_ORG
from smartregion.derived.datasets import Entry, dump_url, metadata_for
from smartregion.derived.dumps import DUMP_FORMATS, DumpFile, DumpFormat
from smartregion.namespaces import DCAT, DCATDE, FOAF
from smartregion.settings import Settings

ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
DSPACE = Namespace("https://w3id.org/dspace/2025/1/")
CATALOG_ALTERNATIVES = Alternatives((
    (DCAT_AP_DE, OFFERS), (DCAT_AP, TRIPLE_OFFERS), (DSP, TRIPLE_OFFERS), (SCHEMA_ORG, (JSONLD,)),
))
PROFILE_PREFIXES = {"odrl": str(ODRL), "dspace": str(DSPACE)}

# What each licence of the catalogue permits, in ODRL actions, and for which of them the
# licence requires naming the source (an odrl:attribute duty). All four licences allow
# commercial use; none restricts derived works.
_SHARING = (ODRL.reproduce, ODRL.distribute, ODRL.derive)
_EVERY_USE = (ODRL.use, *_SHARING, ODRL.commercialize)
LICENCE_RULES: dict[str, tuple[tuple[URIRef, ...], tuple[URIRef, ...]]] = {
    # CC BY 4.0 §3(a): attribution when the material is shared (reproduced, adapted, shared)
    "http://dcat-ap.de/def/licenses/cc-by/4.0": (_EVERY_USE, _SHARING),
    # Datenlizenz Deutschland – Namensnennung 2.0: every use names the source (Quellenvermerk)
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": (_EVERY_USE, _EVERY_USE),
    # GeoNutzV §3: every use names the source (Quellenvermerk)
    "http://dcat-ap.de/def/licenses/geonutz/20130319": (_EVERY_USE, _EVERY_USE),
    # Datenlizenz Deutschland – Zero 2.0 and CC0: no conditions
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": (_EVERY_USE, ()),
    "http://dcat-ap.de/def/licenses/cc-zero": (_EVERY_USE, ()),
}


def profile_graph(choice: Choice, graph: Graph, entries: Sequence[Entry],
                  settings: Settings) -> Graph:
    """The catalogue graph (DCAT-AP.de) in the chosen RDF profile."""
    if choice.profile == DCAT_AP:
        return dcat_ap(graph)
    if choice.profile == DSP:
        return with_offers(graph, entries, settings)
    return graph


def dcat_ap(graph: Graph) -> Graph:
    """The catalogue without DCAT-AP.de's own terms (attribution kept as ``dct:rights``)."""
    result = Graph()
    german = str(DCATDE)
    for s, p, o in graph:
        if str(p).startswith(german):
            if p == DCATDE.licenseAttributionByText and isinstance(s, URIRef):
                rights = URIRef(f"{s}-rights")
                result.add((s, DCTERMS.rights, rights))
                result.add((rights, RDF.type, DCTERMS.RightsStatement))
                result.add((rights, RDFS.label, o))
            continue
        result.add((s, p, o))
    # vocabulary nodes only the German terms pointed to (contributors, geocoding levels)
    for node in {s for s in result.subjects() if str(s).startswith("http://dcat-ap.de/def/")}:
        if not any(True for _ in result.subject_predicates(node)):
            result.remove((node, None, None))
    return result


def offer_iri(dataset: Node) -> URIRef:
    """The IRI of a dataset's ODRL offer."""
    return URIRef(f"{dataset}#offer")


def with_offers(graph: Graph, entries: Sequence[Entry], settings: Settings) -> Graph:
    """The catalogue with an ODRL offer per dataset and the participant id (DSP)."""
    result = Graph()
    result += graph
    catalog = URIRef(settings.base_uri + "catalog")
    publisher = metadata_for(settings).value(catalog, DCTERMS.publisher)
    if isinstance(publisher, URIRef):
        result.add((catalog, DSPACE.participantId, publisher))
    shown = set(graph.objects(catalog, DCAT.dataset))
    for entry in entries:
        if entry.iri in shown and entry.licence is not None:
            _offer(result, entry, publisher)
    return result


def _offer(graph: Graph, entry: Entry, assigner: Node | None) -> None:
    rules = LICENCE_RULES.get(str(entry.licence))
    if rules is None:  # an unknown licence grants nothing we could state
        return
    permitted, attributed = rules
    offer = offer_iri(entry.iri)
    graph.add((entry.iri, ODRL.hasPolicy, offer))
    graph.add((offer, RDF.type, ODRL.Offer))
    graph.add((offer, DCTERMS.license, entry.licence))  # type: ignore[arg-type]
    if assigner is not None:
        graph.add((offer, ODRL.assigner, assigner))
    for action in permitted:
        name = str(action).rsplit("/", 1)[-1]
        permission = URIRef(f"{offer}-{name}")
        graph.add((offer, ODRL.permission, permission))
        graph.add((permission, RDF.type, ODRL.Permission))
        graph.add((permission, ODRL.action, action))
        if action in attributed:
            duty = URIRef(f"{permission}-attribution")
            graph.add((permission, ODRL.duty, duty))
            graph.add((duty, RDF.type, ODRL.Duty))
            graph.add((duty, ODRL.action, ODRL.attribute))
            if entry.attribution:
                graph.add((duty, RDFS.comment, Literal(entry.attribution, lang="de")))


# -- schema.org -------------------------------------------------------------------------------
DumpLookup = Callable[[str, Sequence[str], DumpFormat], DumpFile]


def _texts(values: Sequence[Literal]) -> list[dict[str, str]]:
    return [{"@value": str(v), "@language": v.language or "de"} for v in values]


def schema_org_catalog(settings: Settings, entries: Sequence[Entry], dumps: DumpLookup
                       ) -> str:
    """The catalogue (or one dataset) as schema.org ``DataCatalog`` JSON-LD."""
    meta = metadata_for(settings)
    catalog = URIRef(settings.base_uri + "catalog")
    publisher = meta.value(catalog, DCTERMS.publisher)
    organisation: dict[str, Any] = {"@type": "GovernmentOrganization"}
    if isinstance(publisher, URIRef):
        organisation["@id"] = str(publisher)
        names = [o for o in meta.objects(publisher, FOAF.name) if isinstance(o, Literal)]
        if names:
            organisation["name"] = _texts(sorted(names, key=str))
    node: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "DataCatalog", "@id": str(catalog),
        "url": str(catalog),
        "name": _texts(sorted((o for o in meta.objects(catalog, DCTERMS.title)
                               if isinstance(o, Literal)), key=str)),
        "description": _texts(sorted((o for o in meta.objects(catalog, DCTERMS.description)
                                      if isinstance(o, Literal)), key=str)),
        "publisher": organisation,
        "dataset": [_dataset(settings, entry, dumps, organisation) for entry in entries],
    }
    return json.dumps(node, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _dataset(settings: Settings, entry: Entry, dumps: DumpLookup,
             publisher: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "Dataset", "@id": str(entry.iri), "url": f"{entry.iri}.html",
        "identifier": str(entry.iri), "name": _texts(entry.titles),
        "description": _texts(entry.descriptions), "isAccessibleForFree": True,
        "publisher": {"@id": publisher["@id"]} if "@id" in publisher else publisher,
        "includedInDataCatalog": {"@id": settings.base_uri + "catalog"},
    }
    if entry.licence is not None:
        node["license"] = str(entry.licence)
    if entry.attribution:
        node["creditText"] = entry.attribution
    if entry.issued is not None:
        node["datePublished"] = str(entry.issued)
    if entry.modified is not None:
        node["dateModified"] = str(entry.modified)
    keywords = sorted((k for k in entry.facts.objects(entry.iri, DCAT.keyword)
                       if isinstance(k, Literal)), key=lambda k: (k.language or "", str(k)))
    if keywords:
        node["keywords"] = _texts(keywords)
    node["distribution"] = [
        {"@type": "DataDownload", "contentUrl": str(dump_url(settings.base_uri, entry.name, fmt)),
         "encodingFormat": fmt.media_type,
         "contentSize": f"{dumps(entry.name, entry.graphs, fmt).byte_size} B"}
        for fmt in DUMP_FORMATS
    ]
    return node


__all__ = ["CATALOG_ALTERNATIVES", "profile_graph", "schema_org_catalog", "with_offers"]
