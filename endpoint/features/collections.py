"""The feature collections (municipalities, Kreise, projects) and their members as GeoJSON.

A member's geometry is its own GeoSPARQL geometry (an area before a point). A project has none
of its own: it takes the points of its municipalities (or, with none, of its Kreise) — one
Point, or a MultiPoint for several, since a project happens in those places; a place known
only by an area gives its representative point. A member without any geometry has
``"geometry": null``. A project's time is [start, end] from ``schema:startDate``/``srh:startYear``
and ``schema:endDate``/``srh:endYear`` (a year covers the whole year; an open end runs on).
Each collection's index (ids, geometries, times) is derived once per store version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Identifier
from shapely.geometry import MultiPoint, Point
from shapely.geometry.base import BaseGeometry

from endpoint.geometry import parse_wkt, preferred, to_geojson
from endpoint.ngsi_ld.context import Terms
from endpoint.ngsi_ld.entities import Thing, literal_value, load_things
from endpoint.queries import load_query
from smartregion.namespaces import SRH
from smartregion.store.backend import StoreBackend

UTC = UTC
MIN_TIME = datetime(1, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass(frozen=True)
class Collection:
    """A feature collection: id, class, names and whether its members have a time."""

    id: str
    type: str
    title_de: str
    title_en: str
    description_de: str
    description_en: str
    places: bool = False  # geometry from linked places
    temporal: bool = False


COLLECTIONS: dict[str, Collection] = {c.id: c for c in (
    Collection("municipalities", str(SRH.Municipality), "Kommunen", "Municipalities",
               "Hessische Städte und Gemeinden (Amtlicher Gemeindeschlüssel).",
               "Hessian towns and municipalities (official municipality key)."),
    Collection("districts", str(SRH.District), "Kreise", "Districts",
               "Landkreise und kreisfreie Städte (Kreisschlüssel).",
               "Rural districts and district-free cities (district key)."),
    Collection("projects", str(SRH.SmartRegionProject), "Projekte", "Projects",
               "Smart-Region-Projekte hessischer Kommunen; Ort: ihre Kommunen (sonst Kreise).",
               "Smart-region projects of Hessian municipalities; place: their municipalities "
               "(else districts).", places=True, temporal=True),
)}


@dataclass
class Member:
    """One member of a collection as the filters see it."""

    iri: str
    geometry: BaseGeometry | None = None
    start: datetime | None = None
    end: datetime | None = None
    own: list[BaseGeometry] = field(default_factory=list)
    places: dict[str, dict[str, list[BaseGeometry]]] = field(default_factory=dict)


def _bound(value: Identifier | None, *, end: bool) -> datetime | None:
    if not isinstance(value, Literal):
        return None
    text = str(value)
    try:
        if len(text) == 4 and text.isdigit():
            day = date(int(text), 12, 31) if end else date(int(text), 1, 1)
        elif "T" in text:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        else:
            day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment


def _representative(geometry: BaseGeometry) -> Point:
    return geometry if isinstance(geometry, Point) else geometry.representative_point()


def build_index(backend: StoreBackend, collection: Collection, prefix: str,
                only: str | None = None) -> list[Member]:
    """Every member of ``collection`` (or just ``only``) with geometry and time, by id."""
    bound: dict[str, Identifier] = {"type": URIRef(collection.type), "prefix": Literal(prefix),
                                    "withPlaces": Literal(collection.places)}
    if only is not None:
        bound["e"] = URIRef(only)
    members: dict[str, Member] = {}
    for row in backend.select(load_query("feature_index"), bound):
        member = members.setdefault(str(row["e"]), Member(str(row["e"])))
        if row.get("wkt") is not None and (g := parse_wkt(str(row["wkt"]))) is not None \
                and g not in member.own:
            member.own.append(g)
        if row.get("placeWkt") is not None and (g := parse_wkt(str(row["placeWkt"]))):
            kind = "municipality" if row.get("via") == SRH.municipality else "district"
            member.places.setdefault(kind, {}).setdefault(str(row["place"]), []).append(g)
        start, end = _bound(row.get("start"), end=False), _bound(row.get("end"), end=True)
        if start and (member.start is None or start < member.start):
            member.start = start
        if end and (member.end is None or end > member.end):
            member.end = end
    for member in members.values():
        member.geometry = _geometry(member)
    return [members[iri] for iri in sorted(members)]


def _geometry(member: Member) -> BaseGeometry | None:
    if member.own:
        return preferred(member.own)
    places = member.places.get("municipality") or member.places.get("district") or {}
    points = [_representative(g) for _, geometries in sorted(places.items())
              if (g := preferred(geometries)) is not None]
    if not points:
        return None
    return points[0] if len(points) == 1 else MultiPoint(points)


def properties(thing: Thing, terms: Terms, lang: str) -> dict[str, Any]:
    """Flat feature properties: one key per attribute, language-tagged text in ``lang``
    (else German, else any), IRIs as strings, several values as a list."""
    result: dict[str, Any] = {"type": [terms.compact(t) for t in sorted(thing.types)]}
    for predicate, values in sorted(thing.statements.items(),
                                    key=lambda item: terms.compact(item[0])):
        tagged = {v.language: str(v) for v in values if isinstance(v, Literal) and v.language}
        plain: list[Any] = [literal_value(v, terms) if isinstance(v, Literal) else str(v)
                            for v in values if not (isinstance(v, Literal) and v.language)]
        if tagged:
            plain.insert(0, tagged.get(lang) or tagged.get("de") or sorted(tagged.items())[0][1])
        plain = [v["@value"] if isinstance(v, dict) and "@value" in v else v for v in plain]
        result[terms.compact(predicate)] = plain[0] if len(plain) == 1 else sorted(
            plain, key=str)
    return result


def feature_of(member: Member, thing: Thing | None, terms: Terms, lang: str = "de"
               ) -> dict[str, Any]:
    """The GeoJSON Feature of a member (``id`` = its URI; no links)."""
    geometry = to_geojson(member.geometry) if member.geometry is not None else None
    props = properties(thing, terms, lang) if thing else {}
    return {"type": "Feature", "id": member.iri, "geometry": geometry, "properties": props}


def feature(backend: StoreBackend, terms: Terms, prefix: str, iri: str, lang: str = "de"
            ) -> dict[str, Any] | None:
    """The GeoJSON Feature of ``iri`` in the first collection it belongs to, ``None`` when it
    is in none. The profile negotiation of documents (GeoJSON profile) calls this."""
    things = load_things(backend, [URIRef(iri)])
    thing = things.get(iri)
    if thing is None:
        return None
    for collection in COLLECTIONS.values():
        if collection.type in thing.types:
            members = build_index(backend, collection, prefix, only=iri)
            if members:
                return feature_of(members[0], thing, terms, lang)
    return None
