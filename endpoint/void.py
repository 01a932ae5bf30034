"""VoID (``/.well-known/void``): real statistics of every catalogue dataset.

The figures are counted once per published version by the writer
(:mod:`smartregion.derived.void_statistics`) and recorded with the version where every web
node finds them; this module only writes them out. Per source graph and for the whole
knowledge graph (the union of the source graphs, each triple counted once):

- ``void:triples``, ``void:distinctSubjects``, ``void:distinctObjects``, ``void:properties``;
- ``void:entities``: distinct subject IRIs in the things' URI space ``{base}id/``
  (``void:uriSpace``); ``void:classes``;
- ``void:classPartition`` (instances per class), ``void:propertyPartition`` (triples, distinct
  subjects and objects per property);
- ``void:Linkset`` per link property and external target: the targets declared in
  ``catalog_metadata.ttl`` (NUTS, DCAT-AP.de political geocoding, Wikidata, EU authority
  tables, matched by ``void:uriSpace``) and, for any other external IRI, its host.
  ``rdf:type`` statements and the platform's own vocabularies are vocabulary use, not links.

The description links back to the SPARQL endpoint (``void:sparqlEndpoint``), the catalogue and
the dumps (``void:dataDump``); each source dataset names its graph (``sd:NamedGraph``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef

from smartregion.derived.datasets import Entry, dump_url, metadata_for
from smartregion.derived.dumps import DUMP_FORMATS
from smartregion.derived.void_statistics import UNION
from smartregion.namespaces import (
    DCTERMS,
    FOAF,
    RDF,
    RDFS,
    SD,
    VOID,
    XSD,
)
from smartregion.settings import Settings
from smartregion.store.publication import StoreVersion

FORMATS = {  # W3C format IRIs of the dump formats (void:feature)
    "ttl": "http://www.w3.org/ns/formats/Turtle",
    "nt.gz": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "nq.gz": "http://www.w3.org/ns/formats/N-Quads",
}


class Targets:
    """The external datasets links point into: declared ones first, else one per host."""

    def __init__(self, settings: Settings) -> None:
        meta = metadata_for(settings)
        self.base = settings.base_uri
        self.meta = meta
        declared = []
        for node, space in meta.subject_objects(VOID.uriSpace):
            if isinstance(node, URIRef):
                declared.append((str(space), node))
        # Longest space first, so a more specific declaration wins.
        self.declared = sorted(declared, key=lambda item: -len(item[0]))

    def target(self, namespace: str) -> tuple[URIRef, str, bool]:
        """``(target IRI, its URI space, declared?)`` of an object namespace."""
        for space, node in self.declared:
            if namespace.startswith(space):
                return node, space, True
        parts = urlsplit(namespace)
        if parts.scheme in ("http", "https") and parts.netloc:
            space = f"{parts.scheme}://{parts.netloc}/"
            return URIRef(f"{self.base}.well-known/void#site-{parts.netloc}"), space, False
        digest = hashlib.sha256(namespace.encode()).hexdigest()[:12]
        return URIRef(f"{self.base}.well-known/void#other-{digest}"), namespace, False


def void_graph(
    settings: Settings, entries: Sequence[Entry], stats: dict[str, Any], version: StoreVersion
) -> Graph:
    """The VoID description of every catalogue dataset for ``version``."""
    base = settings.base_uri
    document = URIRef(base + ".well-known/void")
    endpoint = URIRef(base + "sparql")
    g = Graph()
    for prefix, namespace in (("void", VOID), ("dct", DCTERMS), ("sd", SD), ("foaf", FOAF)):
        g.bind(prefix, namespace)
    g.add((document, RDF.type, VOID.DatasetDescription))
    for text, lang in (("VoID-Beschreibung der Smarten Region Hessen", "de"),
                       ("VoID description of Smart Region Hesse", "en")):
        g.add((document, DCTERMS.title, Literal(text, lang=lang)))
    g.add((document, DCTERMS.modified, Literal(version.created.isoformat(), datatype=XSD.dateTime)))
    g.add((document, RDFS.seeAlso, URIRef(base + "catalog")))
    g.add((document, RDFS.seeAlso, endpoint))
    targets = Targets(settings)
    described: set[URIRef] = set()
    for entry in entries:
        if len(entry.graphs) == 1:
            figures = stats.get(entry.graphs[0])
        else:
            figures = stats.get(UNION)
            g.add((document, FOAF.primaryTopic, entry.iri))
        if figures is None:
            continue
        _dataset(g, settings, entry, figures, targets, described)
        if len(entry.graphs) == 1:
            graph_node = URIRef(f"{entry.iri}#named-graph")
            g.add((graph_node, RDF.type, SD.NamedGraph))
            g.add((graph_node, SD.name, URIRef(entry.graphs[0])))
            g.add((graph_node, SD.graph, entry.iri))
        else:
            for part in entries:
                if part is not entry and len(part.graphs) == 1:
                    g.add((entry.iri, VOID.subset, part.iri))
    for node in described:
        g += targets.meta.triples((node, None, None))
    return g


def _dataset(
    g: Graph, settings: Settings, entry: Entry, figures: dict[str, Any], targets: Targets,
    described: set[URIRef],
) -> None:
    iri, base = entry.iri, settings.base_uri
    g.add((iri, RDF.type, VOID.Dataset))
    for title in entry.titles:
        g.add((iri, DCTERMS.title, title))
    if entry.licence is not None:
        g.add((iri, DCTERMS.license, entry.licence))
    if entry.modified is not None:
        g.add((iri, DCTERMS.modified, entry.modified))
    g.add((iri, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    g.add((iri, VOID.uriSpace, Literal(base + "id/")))
    for fmt in DUMP_FORMATS:
        g.add((iri, VOID.dataDump, dump_url(base, entry.name, fmt)))
        g.add((iri, VOID.feature, URIRef(FORMATS[fmt.extension])))
    for key, prop in (("triples", VOID.triples), ("entities", VOID.entities),
                      ("subjects", VOID.distinctSubjects), ("objects", VOID.distinctObjects),
                      ("properties", VOID.properties)):
        g.add((iri, prop, Literal(figures[key], datatype=XSD.integer)))
    g.add((iri, VOID.classes, Literal(len(figures["classes"]), datatype=XSD.integer)))
    vocabularies: set[str] = set()
    for cls, count in sorted(figures["classes"].items()):
        node = URIRef(f"{iri}#class-{_digest(cls)}")
        g.add((iri, VOID.classPartition, node))
        g.add((node, VOID["class"], URIRef(cls)))
        g.add((node, VOID.entities, Literal(count, datatype=XSD.integer)))
        vocabularies.add(_namespace(cls))
    for prop, (triples, subjects, objects) in sorted(figures["partitions"].items()):
        node = URIRef(f"{iri}#property-{_digest(prop)}")
        g.add((iri, VOID.propertyPartition, node))
        g.add((node, VOID.property, URIRef(prop)))
        g.add((node, VOID.triples, Literal(triples, datatype=XSD.integer)))
        g.add((node, VOID.distinctSubjects, Literal(subjects, datatype=XSD.integer)))
        g.add((node, VOID.distinctObjects, Literal(objects, datatype=XSD.integer)))
        vocabularies.add(_namespace(prop))
    for namespace in sorted(vocabularies):
        g.add((iri, VOID.vocabulary, URIRef(namespace)))
    _linksets(g, iri, figures["links"], targets, described)


def _linksets(
    g: Graph, iri: URIRef, links: list[list[Any]], targets: Targets, described: set[URIRef]
) -> None:
    """One ``void:Linkset`` per (link property, target), summing the namespaces it covers."""
    totals: dict[tuple[str, URIRef], int] = {}
    for prop, namespace, triples in links:
        target, space, declared = targets.target(str(namespace))
        totals[(str(prop), target)] = totals.get((str(prop), target), 0) + int(triples)
        if declared:
            described.add(target)
        elif (target, RDF.type, VOID.Dataset) not in g:
            g.add((target, RDF.type, VOID.Dataset))
            g.add((target, VOID.uriSpace, Literal(space)))
            g.add((target, DCTERMS.title, Literal(space.split("://", 1)[-1].rstrip("/"))))
    for (prop, target), triples in sorted(totals.items()):
        node = URIRef(f"{iri}#links-{_digest(prop + ' ' + str(target))}")
        g.add((iri, VOID.subset, node))
        g.add((node, RDF.type, VOID.Linkset))
        g.add((node, VOID.subjectsTarget, iri))
        g.add((node, VOID.objectsTarget, target))
        g.add((node, VOID.linkPredicate, URIRef(prop)))
        g.add((node, VOID.triples, Literal(triples, datatype=XSD.integer)))


def _digest(text: str) -> str:
    """A short stable key for a hash IRI (partitions and linksets need no blank nodes)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri
