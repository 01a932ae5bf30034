"""The load record of a source in the metadata graph (PROV-O, DCAT, VoID).

Subjects are the graph IRI itself (the dataset) and ``{graph}#load`` (the activity), so that a
new record replaces the old one by subject (see ``Publication.records``).
"""

from __future__ import annotations

from datetime import datetime

from rdflib import Graph, Literal, URIRef

from loaders.source import SourceGraph
from loaders.validation import ValidationReport
from smartregion.namespaces import DCAT, DCTERMS, PROV, RDF, SH, SRH, VOID, XSD


def record(
    source: SourceGraph,
    graph_uri: str,
    *,
    loader_version: str,
    started: datetime,
    ended: datetime,
    report: ValidationReport,
    issued: datetime | None,
) -> Graph:
    """The triples describing one load of ``source`` into ``graph_uri``."""
    dataset = URIRef(graph_uri)
    activity = URIRef(graph_uri + "#load")
    g = Graph()
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, PROV.Entity))
    g.add((dataset, SRH.sourceName, Literal(source.name)))
    if source.title_de:
        g.add((dataset, DCTERMS.title, Literal(source.title_de, lang="de")))
    if source.title_en:
        g.add((dataset, DCTERMS.title, Literal(source.title_en, lang="en")))
    g.add((dataset, DCTERMS.issued, _time(issued or ended)))
    g.add((dataset, DCTERMS.modified, _time(ended)))
    g.add((dataset, VOID.triples, Literal(len(source.graph), datatype=XSD.integer)))
    g.add((dataset, PROV.wasGeneratedBy, activity))
    g.add((dataset, SRH.inputFingerprint, Literal(source.fingerprint)))
    if source.licence is not None:
        g.add((dataset, DCTERMS.license, source.licence))
    if source.attribution:
        g.add((dataset, SRH.attribution, Literal(source.attribution, lang="de")))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, PROV.startedAtTime, _time(started)))
    g.add((activity, PROV.endedAtTime, _time(ended)))
    g.add((activity, SRH.loaderVersion, Literal(loader_version)))
    g.add((activity, SH.conforms, Literal(report.conforms)))
    g.add((activity, SRH.violationCount, Literal(len(report.violations), datatype=XSD.integer)))
    g.add((activity, SRH.warningCount, Literal(len(report.warnings), datatype=XSD.integer)))
    for item in source.inputs:
        used = URIRef(item) if item.startswith(("http://", "https://")) else Literal(item)
        g.add((activity, PROV.used, used))
    if source.extra_record is not None:
        g += source.extra_record
    return g


def _time(moment: datetime) -> Literal:
    return Literal(moment.isoformat(), datatype=XSD.dateTime)
