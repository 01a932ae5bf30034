"""Things of the store as NGSI-LD entities (GS CIM 009 clause 4.5), in the normalized,
concise and simplified (``keyValues``) representations.

The mapping, per statement ``<thing> <p> <o>`` in any source graph:

- ``rdf:type`` → the entity ``type`` (an array when a thing has several);
- ``o`` an IRI → a **Relationship** ``{"object": o}``;
- ``o`` a literal with a language → one **LanguageProperty** per predicate whose
  ``languageMap`` holds every language (``lang=`` turns it into a Property in one language);
- ``o`` another literal → a **Property**: strings, numbers and booleans as JSON values, dates
  as ``{"@type": "Date"|"DateTime", "@value": …}``, other datatypes (``xsd:gYear`` …) as JSON-LD
  value objects so that nothing is lost;
- ``geo:hasGeometry/geo:asWKT`` → the **GeoProperty** ``location`` (GeoJSON; an area before a
  point when there are several), with the geometry's ``dct:source`` as a sub-Relationship.

Several values of one predicate make a multi-attribute (clause 4.5.5): one instance per value,
each with a ``datasetId`` derived from the value, so the id stays the same while the value does.
``unitCode`` (UN/CEFACT Rec. 20) is given where the ontology fixes the unit; ``observedAt`` where
the data say when a value held (a GV100AD area at its Gebietsstand).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from endpoint.bound_values import values_list
from endpoint.geometry import Located, load_geometries, to_geojson
from endpoint.ngsi_ld.context import LOCATION, Terms
from endpoint.queries import load_query
from smartregion.namespaces import SRH
from smartregion.store.backend import StoreBackend

NORMALIZED, CONCISE, KEY_VALUES = "normalized", "concise", "keyValues"
REPRESENTATIONS = {"normalized": NORMALIZED, "concise": CONCISE, "keyValues": KEY_VALUES,
                   "simplified": KEY_VALUES}
# UN/CEFACT Recommendation 20 codes of the units the ontology fixes.
UNIT_CODES = {str(SRH.areaHectares): "HAR"}
# Properties whose value held at a date the data give: property → predicate of that date.
OBSERVED_AT = {str(SRH.areaHectares): str(SRH.territorialStatusDate)}
_NUMERIC = {str(XSD[name]) for name in (
    "integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_TEMPORAL = {str(XSD.date): "Date", str(XSD.dateTime): "DateTime", str(XSD.time): "Time"}
_LANGUAGE_ORDER = ("de", "en")


@dataclass
class Thing:
    """What the store says about one entity: its types, statements and geometry."""

    iri: str
    types: list[str] = field(default_factory=list)
    statements: dict[str, list[Identifier]] = field(default_factory=dict)
    located: Located | None = None

    def attribute_iris(self) -> list[str]:
        """The IRIs of the entity's attributes (``location`` included)."""
        names = list(self.statements)
        return [*names, LOCATION] if self.located else names


def load_things(backend: StoreBackend, iris: Sequence[URIRef]) -> dict[str, Thing]:
    """The statements and geometries of ``iris`` (only those with a type are entities)."""
    if not iris:
        return {}
    text = load_query("ngsi_entities").replace("#ROWS", values_list("e", iris))
    things: dict[str, Thing] = {}
    for row in backend.select(text):
        thing = things.setdefault(str(row["e"]), Thing(str(row["e"])))
        predicate, value = str(row["p"]), row["o"]
        if predicate == str(RDF.type):
            if str(value) not in thing.types:
                thing.types.append(str(value))
        else:
            values = thing.statements.setdefault(predicate, [])
            if value not in values:
                values.append(value)
    for iri, located in load_geometries(backend, iris).items():
        if iri in things:
            things[iri].located = located
    return {iri: thing for iri, thing in things.items() if thing.types}


def dataset_id(value: Identifier) -> str:
    """The ``datasetId`` of one instance of a multi-attribute: derived from its value."""
    return "urn:ngsi-ld:Dataset:" + hashlib.sha256(value.n3().encode()).hexdigest()[:16]


def literal_value(literal: Literal, terms: Terms) -> Any:
    """The JSON value of a literal without language (see the module docstring)."""
    datatype = str(literal.datatype) if literal.datatype else str(XSD.string)
    text = str(literal)
    if datatype == str(XSD.string):
        return text
    if datatype == str(XSD.boolean):
        return text in ("true", "1")
    if datatype in _NUMERIC:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return {"@type": terms.compact(datatype), "@value": text}
        if number.is_finite():
            return int(number) if number == number.to_integral_value() else float(number)
    if datatype in _TEMPORAL:
        return {"@type": _TEMPORAL[datatype], "@value": text}
    return {"@type": terms.compact(datatype), "@value": text}


def _date_time(value: Identifier) -> str | None:
    if isinstance(value, Literal) and value.datatype == XSD.date:
        return f"{value}T00:00:00Z"
    if isinstance(value, Literal) and value.datatype == XSD.dateTime:
        return str(value)
    return None


def _instances(thing: Thing, predicate: str, values: list[Identifier], terms: Terms,
               lang: str | None) -> list[dict[str, Any]]:
    """The normalized instances of one attribute."""
    instances: list[tuple[Identifier, dict[str, Any]]] = []
    values = sorted(values, key=lambda v: v.n3())
    tagged = [v for v in values if isinstance(v, Literal) and v.language]
    if tagged:
        instances.append((tagged[0], _language_property(tagged, lang)))
    for value in values:
        if isinstance(value, URIRef):
            instances.append((value, {"type": "Relationship", "object": str(value)}))
        elif isinstance(value, Literal) and not value.language:
            item: dict[str, Any] = {"type": "Property", "value": literal_value(value, terms)}
            if predicate in UNIT_CODES:
                item["unitCode"] = UNIT_CODES[predicate]
            when = [_date_time(v) for v in thing.statements.get(OBSERVED_AT.get(predicate, ""),
                                                                  [])]
            if when and when[0]:
                item["observedAt"] = when[0]
            instances.append((value, item))
    if len(instances) > 1:
        for value, item in instances:
            item["datasetId"] = dataset_id(value)
    return [item for _, item in instances]


def _language_property(values: Sequence[Identifier], lang: str | None) -> dict[str, Any]:
    texts: dict[str, list[str]] = {}
    for value in values:
        assert isinstance(value, Literal) and value.language
        texts.setdefault(value.language.lower(), []).append(str(value))
    if lang:
        order = [lang, *_LANGUAGE_ORDER, *sorted(texts)]
        chosen = next(code for code in order if code in texts)
        picked = texts[chosen]
        return {"type": "Property", "value": picked[0] if len(picked) == 1 else picked,
                "lang": chosen}
    language_map = {code: (v[0] if len(v) == 1 else v) for code, v in sorted(texts.items())}
    return {"type": "LanguageProperty", "languageMap": language_map}


def normalized(thing: Thing, terms: Terms, *, attrs: Iterable[str] | None = None,
               lang: str | None = None) -> dict[str, Any]:
    """The normalized representation (``attrs``: IRIs of the attributes to keep)."""
    wanted = set(attrs) if attrs is not None else None
    types = [terms.compact(t) for t in sorted(thing.types)]
    entity: dict[str, Any] = {"id": thing.iri, "type": types[0] if len(types) == 1 else types}
    attributes: dict[str, Any] = {}
    for predicate, values in thing.statements.items():
        if wanted is not None and predicate not in wanted:
            continue
        instances = _instances(thing, predicate, values, terms, lang)
        if instances:
            attributes[terms.compact(predicate)] = (
                instances[0] if len(instances) == 1 else instances)
    if thing.located and (wanted is None or LOCATION in wanted):
        location: dict[str, Any] = {"type": "GeoProperty",
                                    "value": to_geojson(thing.located.geometry)}
        if thing.located.source:
            location[terms.compact(str(_SOURCE))] = {"type": "Relationship",
                                                     "object": thing.located.source}
        attributes["location"] = location
    entity.update(sorted(attributes.items()))
    return entity


_SOURCE = URIRef("http://purl.org/dc/terms/source")


def represent(entity: dict[str, Any], representation: str) -> dict[str, Any]:
    """A normalized entity in another representation (``concise`` or ``keyValues``)."""
    if representation == NORMALIZED:
        return entity
    convert = _concise if representation == CONCISE else _simplified
    result: dict[str, Any] = {}
    for name, value in entity.items():
        if name in ("id", "type", "@context"):
            result[name] = value
        elif isinstance(value, list):
            result[name] = [convert(item) for item in value]
        else:
            result[name] = convert(value)
    return result


def _simplified(attribute: dict[str, Any]) -> Any:
    kind = attribute.get("type")
    if kind == "Relationship":
        return attribute["object"]
    if kind == "LanguageProperty":
        return {"languageMap": attribute["languageMap"]}
    return attribute.get("value")


_MEMBERS = {"Property": "value", "GeoProperty": "value", "Relationship": "object",
            "LanguageProperty": "languageMap"}


def _concise(attribute: dict[str, Any]) -> Any:
    kind = attribute.get("type", "Property")
    main = _MEMBERS.get(kind, "value")
    rest = {k: (_concise(v) if isinstance(v, dict) and "type" in v else v)
            for k, v in attribute.items() if k not in ("type", main)}
    value = attribute.get(main)
    if not rest and kind == "Property" and isinstance(value, str | int | float | bool):
        return value
    if not rest and kind == "GeoProperty":
        return value
    return {main: value, **rest}


def ngsi_entity(backend: StoreBackend, terms: Terms, iri: str,
                representation: str = NORMALIZED, *, lang: str | None = None,
                ) -> dict[str, Any] | None:
    """The NGSI-LD entity of ``iri`` in ``representation`` (no ``@context``); ``None`` when
    the store has no typed thing of that IRI. The profile negotiation of documents calls this.
    """
    things = load_things(backend, [URIRef(iri)])
    thing = things.get(iri)
    if thing is None:
        return None
    return represent(normalized(thing, terms, lang=lang), representation)
