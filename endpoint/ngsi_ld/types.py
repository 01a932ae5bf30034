"""The entity types and attributes of the store (clauses 5.7.5–5.7.10): the type list, the
attribute list and their detailed forms, derived once per store version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal

from endpoint.ngsi_ld.context import LOCATION, Terms
from endpoint.queries import load_query
from smartregion.namespaces import GEO
from smartregion.store.backend import StoreBackend


@dataclass
class AttributeInfo:
    """One attribute over all entities: kinds, instance count, the types carrying it."""

    iri: str
    kinds: set[str] = field(default_factory=set)
    count: int = 0
    types: set[str] = field(default_factory=set)


@dataclass
class Summary:
    """Types (IRI → entity count), attributes per type and attribute details."""

    types: dict[str, int]
    type_attributes: dict[str, dict[str, set[str]]]  # type → attribute → kinds
    attributes: dict[str, AttributeInfo]


def summarize(backend: StoreBackend, prefix: str) -> Summary:
    """What the store holds, as NGSI-LD types and attributes (things under ``prefix``)."""
    bound = {"prefix": Literal(prefix)}
    types = {str(r["t"]): int(r["n"]) for r in backend.select(load_query("ngsi_types"), bound)}
    type_attributes: dict[str, dict[str, set[str]]] = {t: {} for t in types}
    attributes: dict[str, AttributeInfo] = {}
    for row in backend.select(load_query("ngsi_attribute_kinds"), bound):
        iri = LOCATION if str(row["p"]) == str(GEO.hasGeometry) else str(row["p"])
        kind = str(row["kind"])
        type_attributes.setdefault(str(row["t"]), {}).setdefault(iri, set()).add(kind)
        info = attributes.setdefault(iri, AttributeInfo(iri))
        info.kinds.add(kind)
        info.types.add(str(row["t"]))
        # a LanguageProperty is one instance per entity, whatever its languages
        info.count += int(row["entities"] if kind in ("LanguageProperty", "GeoProperty")
                          else row["n"])
    return Summary(types, type_attributes, attributes)


def _list_id(kind: str, names: list[str]) -> str:
    return f"urn:ngsi-ld:{kind}:" + hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def type_list(summary: Summary, terms: Terms) -> dict[str, Any]:
    """The EntityTypeList (clause 5.2.24)."""
    names = sorted(terms.compact(t) for t in summary.types)
    return {"id": _list_id("EntityTypeList", names), "type": "EntityTypeList",
            "typeList": names}


def type_details(summary: Summary, terms: Terms) -> list[dict[str, Any]]:
    """The EntityType array of ``details=true`` (clause 5.2.25)."""
    return [{"id": iri, "type": "EntityType", "typeName": terms.compact(iri),
             "attributeNames": sorted(terms.compact(a) for a in summary.type_attributes[iri])}
            for iri in sorted(summary.types, key=terms.compact)]


def type_info(summary: Summary, terms: Terms, iri: str) -> dict[str, Any] | None:
    """The EntityTypeInfo of one type (clause 5.2.26), ``None`` if no entity has it."""
    if iri not in summary.types:
        return None
    details = [{"id": attribute, "type": "Attribute", "attributeName": terms.compact(attribute),
                "attributeTypes": sorted(kinds)}
               for attribute, kinds in sorted(summary.type_attributes[iri].items(),
                                              key=lambda item: terms.compact(item[0]))]
    return {"id": iri, "type": "EntityTypeInfo", "typeName": terms.compact(iri),
            "entityCount": summary.types[iri], "attributeDetails": details}


def attribute_list(summary: Summary, terms: Terms) -> dict[str, Any]:
    """The AttributeList (clause 5.2.27)."""
    names = sorted(terms.compact(a) for a in summary.attributes)
    return {"id": _list_id("AttributeList", names), "type": "AttributeList",
            "attributeList": names}


def attribute_details(summary: Summary, terms: Terms, iri: str) -> dict[str, Any] | None:
    """The Attribute structure of one attribute (clause 5.2.28), ``None`` if unknown."""
    info = summary.attributes.get(iri)
    if info is None:
        return None
    return {"id": iri, "type": "Attribute", "attributeName": terms.compact(iri),
            "attributeCount": info.count, "attributeTypes": sorted(info.kinds),
            "typeNames": sorted(terms.compact(t) for t in info.types)}
