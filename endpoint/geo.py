"""Maps: the map page ``/map``, its base layer ``/map/areas.geojson`` and the map of
municipality, Kreis and project pages (``templates/_map.html``).

Everything comes from GeoSPARQL geometries in the store: the ``geometry`` source publishes an
outline (``geo:hasDefaultGeometry``) and a point (``geo:hasGeometry``) for the Land, every
Regierungsbezirk, Kreis and Gemeinde (BKG VG250, see ``data/geometry/README.md``); a Wikidata
harvest may add points. The base layer is those outlines as GeoJSON, built once per store
version; the pages draw it with the self-hosted Leaflet (``static/map.js``) and no tile layer,
so a map makes no request to another host.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import shapely
from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from rdflib import Literal, URIRef
from shapely.geometry import mapping

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.i18n import current_language
from endpoint.queries import load_query

bp = Blueprint("geo", __name__)

MAP_KINDS = ("municipality", "district", "project")
AREA_KINDS = ("state", "government-district", "district", "municipality")
# GeoSPARQL WKT point without CRS (CRS84, longitude first) or with the CRS84 IRI
_POINT = re.compile(
    r"^\s*(?:<http://www\.opengis\.net/def/crs/OGC/1\.3/CRS84>\s*)?POINT\s*\(\s*"
    r"(-?[0-9]+(?:\.[0-9]+)?)\s+(-?[0-9]+(?:\.[0-9]+)?)\s*\)\s*$",
    re.IGNORECASE,
)
_CACHE_KEY = "smartregion.map_areas"

TEXT: dict[str, dict[str, str]] = {
    "title": {"de": "Karte der Projekte", "en": "Map of the projects"},
    "intro": {
        "de": "Smart-Region-Projekte an den Orten, die sie nennen: Kommunen und Kreise. Die "
              "Grenzen der Kreise und Gemeinden Hessens liefert die Plattform selbst.",
        "en": "Smart-region projects at the places they name: municipalities and Kreise. The "
              "platform serves the outlines of Hessen's Kreise and Gemeinden itself.",
    },
    "places": {"de": "Orte und ihre Projekte", "en": "Places and their projects"},
    "place": {"de": "Ort", "en": "Place"},
    "projects": {"de": "Projekte", "en": "Projects"},
    "none": {"de": "Noch kein Projekt hat einen Ort mit Koordinaten.",
             "en": "No project names a place with coordinates yet."},
}


@dataclass(frozen=True)
class MapPoint:
    """One place to draw: where it is, what it is called, where its page is, and what it
    lists in its popup (title, href) — the projects there, on the map page."""

    lat: float
    lon: float
    label: str
    href: str
    items: tuple[tuple[str, str], ...] = ()


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


def _kind_and_key(iri: str) -> tuple[str, str] | None:
    base = settings_of(current_app).base_uri
    if not iri.startswith(base + "id/"):
        return None
    kind, _, key = iri[len(base) + 3:].partition("/")
    return kind, key


def _href(iri: str) -> str:
    base = settings_of(current_app).base_uri
    return "/doc/" + iri[len(base) + 3:] if iri.startswith(base + "id/") else iri


def _label(row: dict[str, Any], de: str, en: str, lang: str, fallback: str) -> str:
    value = row.get(en) if lang == "en" and row.get(en) else row.get(de)
    return str(value or fallback)


@bp.app_template_global("map_points")
def map_points(iri: str, lang: str = "de") -> list[dict[str, object]]:
    """The points to draw on the page of ``iri`` (empty: no map).

    A municipality or Kreis shows its own point; a project the points of the places it links
    to (its municipalities and Kreise).
    """
    found = _kind_and_key(iri)
    if found is None or found[0] not in MAP_KINDS:
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
        points[place] = MapPoint(lat=parsed[1], lon=parsed[0],
                                 label=_label(row, "labelDe", "labelEn", lang, place),
                                 href=_href(place))
    return [_as_dict(p) for p in points.values()]


def _as_dict(point: MapPoint) -> dict[str, object]:
    """A point for the page's script; ``items`` only when there are some."""
    data = asdict(point)
    if not point.items:
        del data["items"]
    return data


@bp.app_template_global("map_focus")
def map_focus(iri: str) -> str:
    """The base-layer feature a page's map highlights (``district/06631``), or ``""``."""
    found = _kind_and_key(iri)
    return f"{found[0]}/{found[1]}" if found and found[0] in AREA_KINDS else ""


# -- the map page ----------------------------------------------------------------------------
def project_points(lang: str) -> list[MapPoint]:
    """One point per place that projects name, listing those projects."""
    rows = backend_of(current_app).select(load_query("map_projects"))
    places: dict[str, dict[str, Any]] = {}
    projects: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows:
        parsed = parse_point(str(row["wkt"]))
        if parsed is None:
            continue
        place = str(row["place"])
        places.setdefault(place, {"point": parsed,
                                  "label": _label(row, "placeDe", "placeEn", lang, place)})
        project = str(row["project"])
        projects[place][_href(project)] = _label(row, "projectDe", "projectEn", lang, project)
    points = [
        MapPoint(lat=info["point"][1], lon=info["point"][0], label=info["label"],
                 href=_href(place),
                 items=tuple(sorted(((title, href) for href, title in projects[place].items()),
                                    key=lambda item: item[0].casefold())))
        for place, info in places.items()
    ]
    return sorted(points, key=lambda p: p.label.casefold())


@bp.get("/map")
def map_page() -> ResponseReturnValue:
    """The map of all projects over Hessen's Kreise and Gemeinden (HTML)."""
    lang = current_language()
    response = Response(mimetype="text/html")
    response.vary.add("Accept-Language")
    version = backend_of(current_app).version()
    make_conditional(request, response, version, request.path, lang)
    if response.status_code != 304:
        points = project_points(lang)
        strings = {key: value[lang] for key, value in TEXT.items()}
        response.set_data(render_template("map.html", s=strings, points=points,
                                          map_points_json=[_as_dict(p) for p in points]))
    return response


@bp.get("/map/areas.geojson")
def areas_geojson() -> ResponseReturnValue:
    """The outlines of the base layer as a GeoJSON FeatureCollection (RFC 7946)."""
    backend = backend_of(current_app)
    version = backend.version()
    response = Response(mimetype="application/geo+json")
    make_conditional(request, response, version, request.path)
    response.headers["Cache-Control"] = "public, no-cache"
    if response.status_code == 304:
        return response
    memo: dict[str, bytes] = current_app.extensions.setdefault(_CACHE_KEY, {})
    key = version.id if version else ""
    if key not in memo:
        memo.clear()  # only the served version is of interest
        memo[key] = json.dumps(_areas(backend.select(load_query("map_areas"))),
                               ensure_ascii=False, separators=(",", ":")).encode()
    response.set_data(memo[key])
    return response


def _areas(rows: list[dict[str, Any]]) -> dict[str, Any]:
    features = []
    for row in rows:
        found = _kind_and_key(str(row["area"]))
        if found is None or found[0] not in AREA_KINDS:
            continue
        try:
            geometry = shapely.from_wkt(str(row["wkt"]))
        except shapely.errors.GEOSException:
            continue  # not WKT: left off the map rather than failing it
        name = row.get("labelDe")  # the official name (skos:prefLabel@de)
        features.append({
            "type": "Feature",
            "id": f"{found[0]}/{found[1]}",
            "properties": {"kind": found[0], "key": found[1],
                           "name": str(name) if name else None,
                           "href": _href(str(row["area"]))},
            "geometry": mapping(geometry),
        })
    return {"type": "FeatureCollection", "features": features}
