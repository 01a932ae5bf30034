"""The NGSI-LD ``@context`` of the platform and the mapping between short names and IRIs.

Our terms come from ``ontology/context.jsonld`` (the context of the curated files and of our
JSON-LD), reduced to plain term → IRI mappings: in NGSI-LD the value of an attribute is a
Property/Relationship node, so the type coercions and language containers of that context
would misread it. The NGSI-LD core context comes after ours in every ``@context`` (clause
5.5.7: it must not be overridden) and is ``@protected``, so our names avoid the core's: of
ours, ``location`` (schema:location) is served as ``locatedIn`` and ``status`` (srh:status)
as ``projectStatus``; ``description`` means dct:description in both.

The core context is referenced by its URL only, never fetched or copied: the names it defines
that matter here (:data:`CORE_TERMS`) are written down from its Annex B definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
DEFAULT_VOCAB = NGSI_LD + "default-context/"
CONTEXT_PATH = "/ngsi-ld/context.jsonld"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"

# Core-context terms (GS CIM 009 Annex B) this platform reads or writes; other core names only
# need to be kept free (CORE_RESERVED).
CORE_TERMS: dict[str, Any] = {
    "ngsi-ld": NGSI_LD,
    "geojson": "https://purl.org/geojson/vocab#",
    "id": "@id",
    "type": "@type",
    "Property": "ngsi-ld:Property",
    "Relationship": "ngsi-ld:Relationship",
    "GeoProperty": "ngsi-ld:GeoProperty",
    "LanguageProperty": "ngsi-ld:LanguageProperty",
    "Date": "ngsi-ld:Date",
    "DateTime": "ngsi-ld:DateTime",
    "Time": "ngsi-ld:Time",
    "Point": "geojson:Point",
    "MultiPoint": "geojson:MultiPoint",
    "LineString": "geojson:LineString",
    "MultiLineString": "geojson:MultiLineString",
    "Polygon": "geojson:Polygon",
    "MultiPolygon": "geojson:MultiPolygon",
    "GeometryCollection": "geojson:GeometryCollection",
    "coordinates": {"@container": "@list", "@id": "geojson:coordinates"},
    "value": "ngsi-ld:hasValue",
    "object": {"@id": "ngsi-ld:hasObject", "@type": "@id"},
    "languageMap": {"@id": "ngsi-ld:hasLanguageMap", "@container": "@language"},
    "datasetId": {"@id": "ngsi-ld:datasetId", "@type": "@id"},
    "observedAt": {"@id": "ngsi-ld:observedAt", "@type": "DateTime"},
    "unitCode": "ngsi-ld:unitCode",
    "location": "ngsi-ld:location",
    "description": "http://purl.org/dc/terms/description",
    "title": "http://purl.org/dc/terms/title",
    "@vocab": DEFAULT_VOCAB,
}
CORE_RESERVED = frozenset({
    *CORE_TERMS, "status", "name", "format", "mode", "key", "lang", "scope", "entity",
    "entities", "endpoint", "information", "data", "uri", "error", "errors", "reason", "q",
    "attrs", "properties", "geometry", "features", "bbox", "instanceId", "createdAt",
    "modifiedAt", "deletedAt", "vocab", "json", "values", "valueList", "objectList", "pick",
    "omit", "join", "operations", "management", "success", "updated", "notUpdated", "tenant",
    "typeList", "typeName", "typeNames", "attributeList", "attributeName", "attributeNames",
    "attributeTypes", "attributeCount", "attributeDetails", "entityCount", "timeout",
})
LOCATION = NGSI_LD + "location"
# Core terms that name plain IRIs an entity of ours can carry.
CORE_ATTRIBUTES = {"location": LOCATION, "description": "http://purl.org/dc/terms/description",
                   "title": "http://purl.org/dc/terms/title"}
_CORE_NAMES = {iri: name for name, iri in CORE_ATTRIBUTES.items()}
# Our terms whose core namesake means something else.
RENAMED = {"location": "locatedIn", "status": "projectStatus"}
# Several of our terms share one IRI; the NGSI-LD name is the neutral one.
PREFERRED = {"https://data.smarte-region-hessen.de/def/srh#year": "year"}


@dataclass(frozen=True)
class Terms:
    """Our NGSI-LD term definitions: name → IRI, IRI → name, and the prefixes."""

    by_name: dict[str, str]
    by_iri: dict[str, str]
    prefixes: dict[str, str]

    def expand(self, name: str) -> str:
        """The IRI a name in a request stands for (term, CURIE, core term or IRI).

        A name neither context defines expands with the core's ``@vocab``, as the
        specification says; it then names nothing here.
        """
        if name in CORE_ATTRIBUTES:
            return CORE_ATTRIBUTES[name]
        if name in self.by_name:
            return self.by_name[name]
        prefix, colon, local = name.partition(":")
        if colon and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        if colon and (local.startswith("//") or prefix == "urn"):
            return name
        return DEFAULT_VOCAB + name

    def compact(self, iri: str) -> str:
        """The short name of an IRI in our output: term, else CURIE, else the IRI."""
        if iri in _CORE_NAMES:
            return _CORE_NAMES[iri]
        if iri in self.by_iri:
            return self.by_iri[iri]
        for prefix, namespace in sorted(self.prefixes.items(), key=lambda p: -len(p[1])):
            local = iri[len(namespace):]
            if iri.startswith(namespace) and local and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
        return iri

    def document(self) -> dict[str, Any]:
        """The body of ``/ngsi-ld/context.jsonld``: our terms, then the core context."""
        ours: dict[str, Any] = {"@version": 1.1}
        ours.update(sorted(self.prefixes.items()))
        ours.update(sorted(self.by_name.items()))
        return {"@context": [ours, CORE_CONTEXT_URL]}


def _iri(value: Any, prefixes: dict[str, str]) -> str | None:
    raw = value.get("@id") if isinstance(value, dict) else value
    if not isinstance(raw, str) or raw.startswith("@"):
        return None
    prefix, colon, local = raw.partition(":")
    if colon and prefix in prefixes:
        return prefixes[prefix] + local
    return raw if colon else None


@cache
def _load(path: Path) -> Terms:
    source: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["@context"]
    prefixes = {k: v for k, v in source.items()
                if isinstance(v, str) and v.endswith(("/", "#")) and ":" not in k}
    by_name: dict[str, str] = {}
    by_iri: dict[str, str] = {}
    for name, value in source.items():
        if name.startswith("@") or name in prefixes or name in ("id", "type"):
            continue
        iri = _iri(value, prefixes)
        if iri is None:
            continue
        name = RENAMED.get(name, name)
        if name in CORE_RESERVED:
            continue
        by_name[name] = iri
        by_iri.setdefault(iri, name)
    for iri, name in PREFERRED.items():
        by_name[name] = iri
        by_iri[iri] = name
    return Terms(by_name, by_iri, prefixes)


def terms(ontology_dir: Path) -> Terms:
    """Our NGSI-LD terms, built from ``{ontology_dir}/context.jsonld`` (once per process)."""
    return _load((ontology_dir / "context.jsonld").resolve())
