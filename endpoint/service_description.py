"""The SPARQL 1.1 Service Description of ``/sparql``, built from the settings and the store.

It states what a client (or a federating store) needs before sending a query: the endpoint,
the language, every result format (W3C ``formats:`` IRIs), the features (union default
graph; basic federated query only when SERVICE is allowed), the default dataset with one
``sd:namedGraph`` per published graph, and the limits (deadline, result size, SERVICE,
no updates) as text in German and English. Links lead to the VoID description and the DCAT
catalogue. Serialized natively by pyoxigraph in any RDF format.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from smartregion.formats import GraphFormat
from smartregion.namespaces import PREFIXES
from smartregion.settings import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"

# W3C format IRIs (http://www.w3.org/ns/formats/) per media type we produce.
FORMAT_IRIS: dict[str, str] = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON-LD",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _limits(settings: Settings) -> tuple[str, str]:
    allowed = ", ".join(settings.service_allowlist)
    service_de = (f"SERVICE darf nur diese Endpunkte aufrufen: {allowed}."
                  if allowed else "SERVICE ist abgeschaltet (keine Abrufe fremder URLs).")
    service_en = (f"SERVICE may call only these endpoints: {allowed}."
                  if allowed else "SERVICE is switched off (no URL a query names is fetched).")
    de = (
        f"Grenzen: Eine Abfrage läuft höchstens {settings.query_timeout:g} s (der Parameter "
        f"timeout kann das verkürzen) mit höchstens {settings.query_memory_mb} MiB Speicher; "
        "wer eine Grenze überschreitet, erhält HTTP 503 mit Retry-After. Ein Ergebnis umfasst "
        f"höchstens {settings.result_limit} Zeilen oder Tripel; größere Ergebnisse werden mit "
        f"HTTP 422 abgelehnt, nie gekürzt. {service_de} SPARQL Update wird nicht angeboten. "
        "Der Standardgraph ist die Vereinigung aller benannten Graphen."
    )
    en = (
        f"Limits: a query runs for at most {settings.query_timeout:g} s (the timeout "
        f"parameter can shorten that) with at most {settings.query_memory_mb} MiB of memory; "
        "a query over a limit gets HTTP 503 with Retry-After. A result has at most "
        f"{settings.result_limit} rows or triples; larger results are refused with HTTP 422, "
        f"never cut short. {service_en} SPARQL Update is not offered. The default graph is "
        "the union of all named graphs."
    )
    return de, en


def description_triples(settings: Settings, graph_uris: list[str]) -> Iterator[ox.Triple]:
    """The triples of the service description."""
    base = settings.base_uri
    service = _n(base + "sparql")
    yield ox.Triple(service, RDF_TYPE, _n(SD + "Service"))
    yield ox.Triple(service, _n(SD + "endpoint"), service)
    yield ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query"))
    for name in FORMAT_IRIS.values():
        yield ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + name))
    yield ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph"))
    if settings.service_allowlist:
        yield ox.Triple(service, _n(SD + "feature"), _n(SD + "BasicFederatedQuery"))
    yield ox.Triple(service, _n(SD + "defaultEntailmentRegime"),
                    _n("http://www.w3.org/ns/entailment/Simple"))
    yield ox.Triple(service, _n(DCT + "title"),
                    ox.Literal("SPARQL-Endpunkt der Smarten Region Hessen", language="de"))
    yield ox.Triple(service, _n(DCT + "title"),
                    ox.Literal("SPARQL endpoint of Smart Region Hesse", language="en"))
    de, en = _limits(settings)
    yield ox.Triple(service, _n(RDFS + "comment"), ox.Literal(de, language="de"))
    yield ox.Triple(service, _n(RDFS + "comment"), ox.Literal(en, language="en"))
    yield ox.Triple(service, _n(RDFS + "seeAlso"), _n(base + ".well-known/void"))
    yield ox.Triple(service, _n(RDFS + "seeAlso"), _n(base + "catalog"))
    dataset = ox.BlankNode("dataset")
    yield ox.Triple(service, _n(SD + "defaultDataset"), dataset)
    yield ox.Triple(dataset, RDF_TYPE, _n(SD + "Dataset"))
    default_graph = ox.BlankNode("defaultGraph")
    yield ox.Triple(dataset, _n(SD + "defaultGraph"), default_graph)
    yield ox.Triple(default_graph, RDF_TYPE, _n(SD + "Graph"))
    yield ox.Triple(default_graph, _n(RDFS + "comment"), ox.Literal(
        "Vereinigung aller benannten Graphen", language="de"))
    yield ox.Triple(default_graph, _n(RDFS + "comment"), ox.Literal(
        "Union of all named graphs", language="en"))
    for index, uri in enumerate(graph_uris):
        named = ox.BlankNode(f"namedGraph{index}")
        yield ox.Triple(dataset, _n(SD + "namedGraph"), named)
        yield ox.Triple(named, RDF_TYPE, _n(SD + "NamedGraph"))
        yield ox.Triple(named, _n(SD + "name"), _n(uri))


def serialize_description(settings: Settings, graph_uris: list[str], fmt: GraphFormat) -> bytes:
    """The service description in ``fmt`` (quad formats put it in the default graph)."""
    triples = description_triples(settings, graph_uris)
    items: Iterator[ox.Triple] | Iterator[ox.Quad] = (
        (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
        if fmt.quads else triples
    )
    prefixes = {"sd": SD, "formats": FORMATS, "rdfs": RDFS, "dct": DCT,
                "srh": PREFIXES["srh"]}
    data = ox.serialize(items, format=fmt.oxigraph,
                        prefixes=prefixes if fmt.name in ("turtle", "trig", "jsonld") else None)
    assert data is not None
    return data
