"""Points for the map on municipality and project pages (``templates/_map.html``).

The coordinates come from GeoSPARQL geometries in the store (``geo:hasGeometry`` /
``geo:asWKT``, published by the Wikidata harvest). Pages call the template global
``map_points(iri)``; it returns nothing for other kinds of things or when no coordinates are
known, and the page then shows no map. The map is drawn by ``static/map.js`` with the
self-hosted Leaflet and no tile layer: the page makes no request to another host.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from flask import Blueprint, current_app
from rdflib import Literal, URIRef

from endpoint import backend_of, settings_of
from endpoint.queries import load_query

bp = Blueprint("geo", __name__)

MAP_KINDS = ("municipality", "project")
# GeoSPARQL WKT point without CRS (CRS84, longitude first) or with the CRS84 IRI
_POINT = re.compile(
    r"^\s*(?:<http://www\.opengis\.net/def/crs/OGC/1\.3/CRS84>\s*)?POINT\s*\(\s*"
    r"(-?[0-9]+(?:\.[0-9]+)?)\s+(-?[0-9]+(?:\.[0-9]+)?)\s*\)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MapPoint:
    """One place to draw: where it is, what it is called, where its page is."""

    lat: float
    lon: float
    label: str
    href: str


def parse_point(wkt: str) -> tuple[float, float] | None:
    """``(lon, lat)`` of a WKT point in CRS84, ``None`` for anything else.

    >>> parse_point("POINT(8.65 49.866666666)")
    (8.65, 49.866666666)
    >>> parse_point("POLYGON((0 0, 1 0, 1 1, 0 0))") is None
    True
    """
    match = _POINT.match(wkt)
    if not match:
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


@bp.app_template_global("map_points")
def map_points(iri: str, lang: str = "de") -> list[dict[str, object]]:
    """The points to draw on the page of ``iri`` (empty: no map).

    A municipality shows its own point; a project the points of the places it links to.
    """
    base = settings_of(current_app).base_uri
    kind = iri[len(base):].split("/")[1] if iri.startswith(base + "id/") else None
    if kind not in MAP_KINDS:
        return []
    rows = backend_of(current_app).select(load_query("map_points"), {"thing": URIRef(iri)})
    own = [r for r in rows if str(r["place"]) == iri]
    points: dict[str, MapPoint] = {}
    for row in own or rows:
        place = str(row["place"])
        wkt = row["wkt"]
        parsed = parse_point(str(wkt)) if isinstance(wkt, Literal) else None
        if parsed is None or place in points:
            continue
        label = row.get("labelEn") if lang == "en" and row.get("labelEn") else row.get("labelDe")
        href = "/doc/" + place[len(base) + 3:] if place.startswith(base + "id/") else place
        points[place] = MapPoint(lat=parsed[1], lon=parsed[0], label=str(label or place),
                                 href=href)
    return [asdict(p) for p in points.values()]
