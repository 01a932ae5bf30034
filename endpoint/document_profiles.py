"""A thing's document in the profiles other than the platform's own: schema.org, NGSI-LD and
GeoJSON. Each reuses what the rest of the platform already makes of the same thing: the
schema.org node its page embeds, the entity ``/ngsi-ld/v1/entities/{id}`` answers and the
feature ``/features/collections/{id}/items/{featureId}`` answers."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from endpoint.describe import Description
from endpoint.errors import Problem
from endpoint.features.collections import feature
from endpoint.negotiation import JSONLD, Offer
from endpoint.ngsi_ld.context import CONTEXT_PATH, CORE_CONTEXT_URL, JSONLD_CONTEXT_REL, terms
from endpoint.ngsi_ld.entities import NORMALIZED, ngsi_entity
from endpoint.ontology import Vocabulary
from endpoint.pages import Linker, resource_page
from endpoint.schemaorg import schema_node
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def schema_org_document(description: Description, vocab: Vocabulary, linker: Linker,
                        lang: str) -> str:
    """The schema.org JSON-LD of a thing: the node its HTML page embeds."""
    page = resource_page(description, vocab, linker, lang)
    return _json(schema_node(description, page, linker, lang))


def ngsi_context_url() -> str:
    """The URL of the NGSI-LD ``@context`` on the host serving this request."""
    return request.host_url.rstrip("/") + request.script_root + CONTEXT_PATH


def ngsi_context_link() -> str:
    """The ``Link`` value that names the NGSI-LD ``@context`` of plain JSON (clause 6.3.5)."""
    return f'<{ngsi_context_url()}>; rel="{JSONLD_CONTEXT_REL}"; type="application/ld+json"'


def ngsi_ld_document(backend: StoreBackend, settings: Settings, iri: str, offer: Offer) -> str:
    """The NGSI-LD entity of a thing, normalized; ``@context`` in the body for JSON-LD (for
    plain JSON the caller names it in a ``Link`` header)."""
    entity = ngsi_entity(backend, terms(settings.ontology_dir), iri, NORMALIZED)
    if entity is None:
        raise Problem(404, "Not Found", f"{iri} is not an NGSI-LD entity (it has no type)")
    if offer == JSONLD:
        entity = {**entity, "@context": [ngsi_context_url(), CORE_CONTEXT_URL]}
    return _json(entity)


def geojson_document(backend: StoreBackend, settings: Settings, iri: str, lang: str) -> str:
    """The GeoJSON Feature of a thing, as OGC API Features serves it."""
    found = feature(backend, terms(settings.ontology_dir), settings.base_uri + "id/", iri, lang)
    if found is None:
        raise Problem(404, "Not Found", f"{iri} is in no feature collection")
    return _json(found)
