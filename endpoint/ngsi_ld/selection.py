"""Which entities a ``GET /entities`` request selects: its parameters read and checked, then
one SPARQL query for ``type``, ``id``, ``idPattern``, ``attrs`` and ``q`` and, for a geo-query,
a test of each candidate's geometry with shapely (stores differ in GeoSPARQL support, and
pyoxigraph has none).

Every value from the request reaches SPARQL as a bound term (:mod:`endpoint.bound_values`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from shapely.geometry.base import BaseGeometry

from endpoint.bound_values import safe_iri, values_list, values_rows
from endpoint.geometry import distance_metres, from_geojson, parse_wkt, preferred
from endpoint.ngsi_ld import q_language
from endpoint.ngsi_ld.context import LOCATION, Terms
from endpoint.ngsi_ld.problems import NgsiProblem
from smartregion.namespaces import GEO
from smartregion.store.backend import StoreBackend

MAX_IDS = 1000
MAX_PATTERN = 256
GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
_NEAR = re.compile(r"^near;(maxDistance|minDistance)==(\d+(?:\.\d+)?)$")
_RELATIONS = ("within", "contains", "intersects", "disjoint", "equals", "overlaps")


@dataclass(frozen=True)
class GeoQuery:
    """``georel`` with its reference geometry (clause 4.10)."""

    relation: str
    geometry: BaseGeometry
    distance: float | None = None

    def matches(self, other: BaseGeometry) -> bool:
        """Whether an entity's geometry stands in this relation to the reference."""
        if self.relation == "maxDistance":
            return distance_metres(self.geometry, other) <= (self.distance or 0)
        if self.relation == "minDistance":
            return distance_metres(self.geometry, other) >= (self.distance or 0)
        test: Callable[[BaseGeometry], bool] = getattr(other, self.relation)
        return bool(test(self.geometry))


@dataclass
class EntityQuery:
    """The selection of one request (IRIs already expanded)."""

    types: list[list[str]] = field(default_factory=list)  # or of ands
    ids: list[str] = field(default_factory=list)
    id_pattern: str | None = None
    attrs: list[str] = field(default_factory=list)
    q: q_language.Term | q_language.Group | None = None
    geo: GeoQuery | None = None

    @property
    def selective(self) -> bool:
        """Whether the request names anything to select by (clause 5.7.2.4)."""
        return bool(self.types or self.ids or self.id_pattern or self.attrs or self.q
                    or self.geo)


def _bad(detail: str) -> NgsiProblem:
    return NgsiProblem("BadRequestData", detail)


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_types(value: str, terms: Terms) -> list[list[str]]:
    """``type=``: ``,`` or ``|`` for "any of", ``;`` for "all of" (clause 4.17)."""
    if "(" in value or ")" in value:
        raise _bad("type: parentheses are not supported; use ',' '|' and ';'")
    groups = []
    for group in re.split(r"[,|]", value):
        names = [name.strip() for name in group.split(";") if name.strip()]
        if not names:
            raise _bad(f"type: empty entry in {value!r}")
        groups.append([terms.expand(name) for name in names])
    return groups


def parse_geo(args: Mapping[str, str]) -> GeoQuery | None:
    """``georel``, ``geometry``, ``coordinates`` (and ``geoproperty``) as one geo-query."""
    georel, geometry, coordinates = (args.get(k) for k in ("georel", "geometry", "coordinates"))
    if not (georel or geometry or coordinates):
        return None
    if not (georel and geometry and coordinates):
        raise _bad("a geo-query needs georel, geometry and coordinates together")
    if args.get("geoproperty", "location") != "location":
        raise _bad("geoproperty: only 'location' exists here")
    if geometry not in GEOMETRIES:
        raise _bad(f"geometry must be one of {', '.join(GEOMETRIES)}, not {geometry!r}")
    try:
        reference = from_geojson({"type": geometry, "coordinates": json.loads(coordinates)})
    except (ValueError, json.JSONDecodeError) as exc:
        raise _bad(f"coordinates: {exc}") from exc
    near = _NEAR.match(georel)
    if near:
        if geometry != "Point":
            raise _bad("near needs geometry=Point")
        return GeoQuery(near.group(1), reference, float(near.group(2)))
    if georel not in _RELATIONS:
        raise _bad(f"georel must be near;maxDistance==m, near;minDistance==m or one of "
                   f"{', '.join(_RELATIONS)}, not {georel!r}")
    return GeoQuery(georel, reference)


def parse_query(args: Mapping[str, str], terms: Terms) -> EntityQuery:
    """The selection a request's parameters ask for; :class:`NgsiProblem` when malformed."""
    query = EntityQuery()
    if args.get("type"):
        query.types = parse_types(args["type"], terms)
    for raw in _list(args.get("id")):
        if safe_iri(raw) is None or ":" not in raw:
            raise _bad(f"id: {raw[:80]!r} is not a URI")
        query.ids.append(raw)
    if len(query.ids) > MAX_IDS:
        raise NgsiProblem("TooManyResults", f"at most {MAX_IDS} ids per request")
    if args.get("idPattern"):
        pattern = args["idPattern"]
        if len(pattern) > MAX_PATTERN:
            raise _bad(f"idPattern is longer than {MAX_PATTERN} characters")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _bad(f"idPattern: {exc}") from exc
        query.id_pattern = pattern
    query.attrs = [terms.expand(name) for name in _list(args.get("attrs"))]
    if args.get("q"):
        try:
            query.q = q_language.parse(args["q"])
        except q_language.QuerySyntaxError as exc:
            raise _bad(str(exc)) from exc
    query.geo = parse_geo(args)
    return query


def _predicate(iri: str) -> URIRef:
    checked = safe_iri(str(GEO.hasGeometry) if iri == LOCATION else iri)
    if checked is None:
        raise _bad(f"{iri[:80]!r} is not a usable attribute name")
    return checked


def selection_sparql(query: EntityQuery, prefix: str, terms: Terms) -> str:
    """The SPARQL ``SELECT ?e [?wkt]`` of the entities the selection (less geo) matches."""
    lines = ["PREFIX geo: <http://www.opengis.net/ont/geosparql#>",
             "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>",
             f"SELECT DISTINCT ?e{' ?wkt' if query.geo else ''} WHERE {{"]
    if query.ids:
        lines.append(values_list("e", (URIRef(i) for i in query.ids)))
    all_types = sorted({t for group in query.types for t in group})
    if all_types:
        lines.append(values_list("t", (_predicate(t) for t in all_types)))
    lines.append("GRAPH ?g { ?e rdf:type ?t }")
    settings_row: list[tuple[str, Literal]] = [("prefix", Literal(prefix))]
    if query.id_pattern:
        settings_row.append(("idPattern", Literal(query.id_pattern)))
    lines.append(values_rows([n for n, _ in settings_row], [[t for _, t in settings_row]]))
    lines.append("FILTER(STRSTARTS(STR(?e), ?prefix))")
    if query.id_pattern:
        lines.append("FILTER(REGEX(STR(?e), ?idPattern))")
    if any(len(group) > 1 for group in query.types):
        alternatives = []
        for i, group in enumerate(query.types):
            needs = [f"EXISTS {{ {values_list(f'tt{i}_{j}', [_predicate(t)])} "
                     f"GRAPH ?gt{i}_{j} {{ ?e rdf:type ?tt{i}_{j} }} }}"
                     for j, t in enumerate(group)]
            alternatives.append("(" + " && ".join(needs) + ")")
        lines.append("FILTER(" + " || ".join(alternatives) + ")")
    if query.attrs:
        lines.append(f"FILTER(EXISTS {{ {values_list('attr', map(_predicate, query.attrs))} "
                     "GRAPH ?ga { ?e ?attr ?av } })")
    if query.q is not None:
        try:
            condition = q_language.to_sparql(query.q, terms.expand,
                                             geometry_iri=str(GEO.hasGeometry),
                                             location_iri=LOCATION)
        except q_language.QuerySyntaxError as exc:
            raise _bad(str(exc)) from exc
        lines.append(f"FILTER({condition})")
    if query.geo:
        lines.append("GRAPH ?gg { ?e geo:hasGeometry ?geometry } "
                     "GRAPH ?gw { ?geometry geo:asWKT ?wkt }")
    lines.append("} ORDER BY ?e")
    return "\n".join(lines)


def matching_ids(backend: StoreBackend, query: EntityQuery, prefix: str,
                 terms: Terms) -> list[str]:
    """The ids of every entity the selection matches, in id order."""
    rows = backend.select(selection_sparql(query, prefix, terms))
    if query.geo is None:
        return [str(row["e"]) for row in rows]
    geometries: dict[str, list[BaseGeometry]] = {}
    for row in rows:
        geometry = parse_wkt(str(row["wkt"]))
        if geometry is not None:
            geometries.setdefault(str(row["e"]), []).append(geometry)
    matched = []
    for iri, candidates in geometries.items():
        best = preferred(candidates)
        if best is not None and query.geo.matches(best):
            matched.append(iri)
    return sorted(matched)
