"""The load record of a source in the metadata graph (PROV-O, DCAT, VoID).

Subjects are the graph IRI itself (the dataset) and ``{graph}#load`` (the activity), so that a
new record replaces the old one by subject (see ``Publication.records``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import Graph, Literal, URIRef

from loaders.source import SourceGraph
from loaders.validation import ValidationReport
from smartregion.namespaces import DCAT, DCTERMS, PROV, RDF, SH, SRH, VOID, XSD
from smartregion.store.backend import StoreBackend


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


# -- remote inputs: what was fetched, with the validators for the next conditional request ----

@dataclass(frozen=True)
class RemoteInput:
    """One HTTP answer a remote source was built from (in fetch order)."""

    url: str
    retrieved: datetime
    etag: str | None = None
    last_modified: str | None = None


def remote_inputs_record(graph_uri: str, inputs: Sequence[RemoteInput]) -> Graph:
    """Record triples for the answers a remote load used: ``{graph}#input-N`` per answer.

    The load activity ``{graph}#load`` ``prov:used`` each; every input names its URL
    (``srh:retrievedFrom``), when it was fetched, its position and the ``ETag`` /
    ``Last-Modified`` the server sent. The subjects start with the graph IRI, so the next
    record replaces them like the rest of the record.
    """
    activity = URIRef(graph_uri + "#load")
    g = Graph()
    for position, item in enumerate(inputs, start=1):
        node = URIRef(f"{graph_uri}#input-{position}")
        g.add((activity, PROV.used, node))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, SRH.retrievedFrom, URIRef(item.url)))
        g.add((node, SRH.retrievedAt, _time(item.retrieved)))
        g.add((node, SRH.position, Literal(position, datatype=XSD.integer)))
        if item.etag:
            g.add((node, SRH.etag, Literal(item.etag)))
        if item.last_modified:
            g.add((node, SRH.lastModified, Literal(item.last_modified)))
    return g


# Predicates are written out, not bound: a VALUES-bound predicate inside OPTIONAL would be
# joined only after the OPTIONAL matched any predicate (SPARQL's bottom-up evaluation).
_PREVIOUS_INPUTS = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
SELECT ?url ?retrieved ?position ?etag ?modified WHERE {
  #VALUES
  GRAPH ?meta {
    ?activity prov:used ?input .
    ?input srh:retrievedFrom ?url ; srh:retrievedAt ?retrieved ; srh:position ?position .
    OPTIONAL { ?input srh:etag ?etag }
    OPTIONAL { ?input srh:lastModified ?modified }
  }
}
"""
_FINGERPRINT = "SELECT ?fingerprint WHERE {\n#VALUES\nGRAPH ?meta { ?dataset ?p ?fingerprint } }"


def previous_remote_inputs(
    backend: StoreBackend, meta_graph: str, graph_uri: str
) -> tuple[list[RemoteInput], str | None]:
    """The inputs recorded at the last load of ``graph_uri`` (in order) and its fingerprint."""
    meta = URIRef(meta_graph)
    rows = backend.select(_PREVIOUS_INPUTS, {"meta": meta, "activity": URIRef(graph_uri + "#load")})
    found = backend.select(_FINGERPRINT, {
        "meta": meta, "dataset": URIRef(graph_uri), "p": SRH.inputFingerprint,
    })
    fingerprint = str(found[0]["fingerprint"]) if found else None
    inputs = []
    for row in sorted(rows, key=lambda r: int(str(r["position"]))):
        retrieved = row["retrieved"]
        moment = retrieved.toPython() if isinstance(retrieved, Literal) else None
        inputs.append(RemoteInput(
            url=str(row["url"]),
            retrieved=moment if isinstance(moment, datetime) else datetime.min,
            etag=str(row["etag"]) if "etag" in row else None,
            last_modified=str(row["modified"]) if "modified" in row else None,
        ))
    return inputs, fingerprint
