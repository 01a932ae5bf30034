"""RDF and SPARQL result formats: media type ⇄ file extension ⇄ pyoxigraph format.

One table each; everything that negotiates, serializes or names a dump reads from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class GraphFormat:
    """A serialization of RDF triples or quads."""

    name: str
    media_type: str
    extension: str
    oxigraph: RdfFormat
    rdflib: str
    quads: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultsFormat:
    """A serialization of SPARQL SELECT/ASK results."""

    name: str
    media_type: str
    extension: str
    oxigraph: QueryResultsFormat
    aliases: tuple[str, ...] = ()


GRAPH_FORMATS: tuple[GraphFormat, ...] = (
    GraphFormat("turtle", "text/turtle", "ttl", RdfFormat.TURTLE, "turtle",
                aliases=("application/x-turtle",)),
    GraphFormat("jsonld", "application/ld+json", "jsonld", RdfFormat.JSON_LD, "json-ld"),
    GraphFormat("rdfxml", "application/rdf+xml", "rdf", RdfFormat.RDF_XML, "xml"),
    GraphFormat("ntriples", "application/n-triples", "nt", RdfFormat.N_TRIPLES, "nt"),
    GraphFormat("nquads", "application/n-quads", "nq", RdfFormat.N_QUADS, "nquads", quads=True),
    GraphFormat("trig", "application/trig", "trig", RdfFormat.TRIG, "trig", quads=True),
)

RESULTS_FORMATS: tuple[ResultsFormat, ...] = (
    ResultsFormat("json", "application/sparql-results+json", "srj", QueryResultsFormat.JSON,
                  aliases=("application/json",)),
    ResultsFormat("xml", "application/sparql-results+xml", "srx", QueryResultsFormat.XML,
                  aliases=("application/xml",)),
    ResultsFormat("csv", "text/csv", "csv", QueryResultsFormat.CSV),
    ResultsFormat("tsv", "text/tab-separated-values", "tsv", QueryResultsFormat.TSV),
)


def graph_format(key: str) -> GraphFormat | None:
    """The graph format with this name, extension or media type (``None`` if unknown)."""
    key = key.strip().lower()
    for fmt in GRAPH_FORMATS:
        if key in (fmt.name, fmt.extension, fmt.media_type, *fmt.aliases):
            return fmt
    return None


def results_format(key: str) -> ResultsFormat | None:
    """The results format with this name, extension or media type (``None`` if unknown)."""
    key = key.strip().lower()
    for fmt in RESULTS_FORMATS:
        if key in (fmt.name, fmt.extension, fmt.media_type, *fmt.aliases):
            return fmt
    return None
