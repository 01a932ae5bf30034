"""The saved-query APIs in the DCAT catalogue: one ``dcat:DataService`` per API, its endpoint,
the OpenAPI document as endpoint description, and the knowledge graph it serves.

Called by :func:`endpoint.dcat.catalog_graph` through ``DATA_SERVICES``; every page of the
catalogue lists the services (a page stands alone), serving the knowledge-graph dataset when
that dataset is on the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from endpoint.saved_queries.declarations import saved_queries
from smartregion.derived.datasets import KNOWLEDGE_GRAPH, dataset_iri
from smartregion.namespaces import DCAT, DCTERMS, RDF
from smartregion.settings import Settings

OPENAPI_31 = URIRef("https://spec.openapis.org/oas/v3.1.0")
PUBLIC = URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC")


def add_data_services(g: Graph, settings: Settings, catalog: URIRef, publisher: Node | None,
                      contact: Node | None, licence: Node | None, served: Sequence[URIRef],
                      ) -> None:
    """Add a ``dcat:DataService`` for every saved-query API to the catalogue graph ``g``."""
    base = settings.base_uri
    knowledge_graph = dataset_iri(base, KNOWLEDGE_GRAPH)
    for name, query in sorted(saved_queries().items()):
        service = URIRef(f"{base}catalog#api-{name}")
        g.add((catalog, DCAT.service, service))
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCTERMS.title, Literal(f"Abfrage-API: {query.title_de}", lang="de")))
        g.add((service, DCTERMS.title, Literal(f"Query API: {query.title_en}", lang="en")))
        g.add((service, DCTERMS.description, Literal(
            f"REST-API (GET {base}api/{name}; JSON, CSV, JSON-LD), beschrieben im "
            "OpenAPI-Dokument; eine gespeicherte SPARQL-Abfrage über den Wissensgraphen.",
            lang="de")))
        g.add((service, DCTERMS.description, Literal(
            f"REST API (GET {base}api/{name}; JSON, CSV, JSON-LD) described by the OpenAPI "
            "document; a saved SPARQL query over the knowledge graph.", lang="en")))
        g.add((service, DCAT.endpointURL, URIRef(f"{base}api/{name}")))
        g.add((service, DCAT.endpointDescription, URIRef(f"{base}api/openapi.json")))
        g.add((service, DCTERMS.conformsTo, OPENAPI_31))
        g.add((service, DCTERMS.accessRights, PUBLIC))
        if knowledge_graph in served:
            g.add((service, DCAT.servesDataset, knowledge_graph))
        for prop, value in ((DCTERMS.publisher, publisher), (DCAT.contactPoint, contact),
                            (DCTERMS.license, licence)):
            if value is not None:
                g.add((service, prop, value))
