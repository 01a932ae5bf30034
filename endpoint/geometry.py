"""GeoSPARQL WKT literals as geometries in CRS84 (longitude, latitude), for the NGSI-LD
``location`` GeoProperty and the OGC API Features items.

A ``geo:wktLiteral`` may start with a CRS IRI. Without one, or with CRS84, coordinates are
longitude/latitude; with EPSG:4326 they are latitude/longitude and are swapped. Any other CRS,
and text shapely cannot read, gives ``None``: the thing is then served without a geometry
rather than with a wrong one. Distances are metres on a local equirectangular projection
around the reference point (error well under 1 % over the extent of a German Land).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from rdflib import URIRef
from shapely import wkt as shapely_wkt
from shapely.errors import ShapelyError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from endpoint.bound_values import values_list
from endpoint.queries import load_query
from smartregion.store.backend import StoreBackend

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_LAT_LON = ("http://www.opengis.net/def/crs/EPSG/0/4326",)
_CRS_PREFIX = re.compile(r"^\s*<([^>]*)>\s*")
_METRES_PER_DEGREE = 111_320.0
# When a thing has several geometries, an area says more than a point.
_PREFERENCE = {"MultiPolygon": 0, "Polygon": 1, "MultiLineString": 2, "LineString": 3,
               "MultiPoint": 4, "Point": 5}


def parse_wkt(text: str) -> BaseGeometry | None:
    """The geometry of a GeoSPARQL WKT literal in CRS84, or ``None``.

    >>> parse_wkt("POINT(8.65 49.87)").wkt
    'POINT (8.65 49.87)'
    >>> parse_wkt("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(49.87 8.65)").wkt
    'POINT (8.65 49.87)'
    >>> parse_wkt("<http://www.opengis.net/def/crs/EPSG/0/25832> POINT(1 2)") is None
    True
    """
    crs = CRS84
    match = _CRS_PREFIX.match(text)
    if match:
        crs, text = match.group(1), text[match.end():]
    if crs != CRS84 and crs not in _LAT_LON:
        return None
    try:
        geometry = shapely_wkt.loads(text)
    except (ShapelyError, ValueError, TypeError):
        return None
    if geometry.is_empty:
        return None
    if crs in _LAT_LON:
        geometry = shapely.transform(geometry, lambda xy: xy[:, ::-1])
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return None
    return geometry


def preferred(geometries: Iterable[BaseGeometry]) -> BaseGeometry | None:
    """The geometry to publish among several of one thing: an area before a point."""
    ranked = sorted(geometries, key=lambda g: (_PREFERENCE.get(g.geom_type, 9), g.wkt))
    return ranked[0] if ranked else None


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry object (RFC 7946) with plain lists for coordinates."""
    converted: dict[str, Any] = _lists(dict(mapping(geometry)))
    return converted


def from_geojson(data: object) -> BaseGeometry:
    """A geometry from a GeoJSON geometry object; ``ValueError`` if it is not one."""
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError("not a GeoJSON geometry")
    try:
        geometry = shape(data)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"not a valid {data.get('type')} geometry: {exc}") from exc
    if geometry.is_empty:
        raise ValueError("empty geometry")
    return geometry


def distance_metres(reference: BaseGeometry, other: BaseGeometry) -> float:
    """Distance in metres between two CRS84 geometries (local projection at ``reference``)."""
    centre = reference.centroid
    scale_x = _METRES_PER_DEGREE * math.cos(math.radians(centre.y))

    def project(geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(
            geometry, lambda xy: (xy - (centre.x, centre.y)) * (scale_x, _METRES_PER_DEGREE))

    return float(project(reference).distance(project(other)))


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def load_geometries(backend: StoreBackend, things: Sequence[URIRef]) -> dict[str, Located]:
    """The preferred geometry (and its source) of each of ``things`` that has one."""
    if not things:
        return {}
    text = load_query("ngsi_geometries").replace("#ROWS", values_list("e", things))
    found: dict[str, list[tuple[BaseGeometry, str | None]]] = {}
    for row in backend.select(text):
        geometry = parse_wkt(str(row["wkt"]))
        if geometry is not None:
            source = row.get("source")
            found.setdefault(str(row["e"]), []).append(
                (geometry, str(source) if isinstance(source, URIRef) else None))
    located = {}
    for iri, candidates in found.items():
        best = preferred(g for g, _ in candidates)
        assert best is not None
        origin = next(s for g, s in candidates if g is best)
        located[iri] = Located(best, origin)
    return located


@dataclass(frozen=True)
class Located:
    """A thing's geometry and where it comes from (``dct:source`` of the geometry node)."""

    geometry: BaseGeometry
    source: str | None = None
