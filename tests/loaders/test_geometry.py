"""The geometry source: the shipped outlines of Hessen give every Gemeinde, Kreis,
Regierungsbezirk and the Land an outline and a point inside it, through the normal load path;
bad files are refused naming file, line and rule; the maps serve them as GeoJSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from flask import Flask
from rdflib import Literal, URIRef

from endpoint import create_app
from loaders.geometry import LICENCE, NAME, GeometrySource
from loaders.pipeline import load, resolve_sources
from loaders.source import SourceError
from smartregion.namespaces import GEO, SF
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import SHARED, TEST_BASE, make_settings

SHIPPED = PROJECT_DIR / "data" / NAME
GV100AD = SHARED / "reference-data" / "GV100AD_30112025.txt"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, object]:
    settings = make_settings(tmp_path_factory.mktemp("geometry"))
    return settings, GeometrySource(SHIPPED).extract(settings)


def kinds_of(subjects: set[URIRef]) -> Counter[str]:
    return Counter(str(s)[len(TEST_BASE) + 3:].split("/")[0] for s in subjects)


def test_every_area_of_hessen_has_an_outline_and_a_point_inside(shipped: tuple) -> None:
    _, source = shipped
    graph = source.graph
    areas = set(graph.subjects(GEO.hasDefaultGeometry, None))
    assert kinds_of(areas) == {"municipality": 421, "district": 26, "government-district": 3,
                               "state": 1}
    for area in areas:
        geometries = list(graph.objects(area, GEO.hasGeometry))
        assert len(geometries) == 2
        outline = graph.value(area, GEO.hasDefaultGeometry)
        points = [g for g in geometries if (g, None, SF.Point) in graph]
        assert len(points) == 1 and outline in geometries
        wkt = {g: str(graph.value(g, GEO.asWKT)) for g in geometries}
        assert all(isinstance(graph.value(g, GEO.asWKT), Literal) for g in geometries)
        assert shapely.from_wkt(wkt[outline]).contains(shapely.from_wkt(wkt[points[0]])), area
    assert source.licence == LICENCE
    assert "GeoBasis-DE / BKG" in (source.attribution or "")
    assert source.origin(URIRef(TEST_BASE + "id/municipality/06411000")).startswith(
        "data/geometry/hessen-outlines.geojson:")


def test_the_gemeinden_are_those_of_gv100ad(shipped: tuple) -> None:
    if not GV100AD.is_file():
        pytest.skip(f"{GV100AD} is absent (shared reference data)")
    _, source = shipped
    current = {line[10:18] for line in GV100AD.read_text(encoding="utf-8").splitlines()
               if line[:2] == "60" and line[10:12] == "06" and line[122:124] in
               ("61", "62", "63", "64", "67")}
    keys = {str(s).rsplit("/", 1)[1] for s in source.graph.subjects(GEO.hasDefaultGeometry, None)
            if "/id/municipality/" in str(s)}
    assert keys == current


def write(folder: Path, features: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(f, separators=(",", ":")) for f in features]
    (folder / "areas.geojson").write_text(
        '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n")


SQUARE = {"type": "Polygon", "coordinates": [[[8, 50], [9, 50], [9, 51], [8, 51], [8, 50]]]}


def test_gemeindefreie_gebiete_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / NAME, [
        {"type": "Feature", "properties": {"level": "unincorporated", "key": "06435200"},
         "geometry": SQUARE},
        {"type": "Feature", "properties": {"level": "municipality", "key": "06435001"},
         "geometry": SQUARE},
    ])
    source = GeometrySource(tmp_path / NAME).extract(make_settings(tmp_path))
    assert kinds_of(set(source.graph.subjects(GEO.hasDefaultGeometry, None))) == {
        "municipality": 1}


@pytest.mark.parametrize(("feature", "rule"), [
    ({"type": "Feature", "properties": {"level": "county", "key": "1"}, "geometry": SQUARE},
     "geometry-key"),
    ({"type": "Feature", "properties": {"level": "district", "key": "06431"},
      "geometry": {"type": "Point", "coordinates": [8, 50]}}, "geometry-shape"),
    ({"type": "Feature", "properties": {"level": "district", "key": "06431"},
      "geometry": {"type": "Polygon", "coordinates": [[[8, 50], [9, 51], [9, 50], [8, 51],
                                                       [8, 50]]]}}, "geometry-shape"),
])
def test_bad_features_are_refused_naming_file_line_and_rule(
    tmp_path: Path, feature: dict[str, object], rule: str
) -> None:
    good = {"type": "Feature", "properties": {"level": "municipality", "key": "06435001"},
            "geometry": SQUARE}
    write(tmp_path / NAME, [good, feature])
    with pytest.raises(SourceError) as caught:
        GeometrySource(tmp_path / NAME).extract(make_settings(tmp_path))
    assert caught.value.rule == rule
    assert caught.value.location.endswith("areas.geojson:3")


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "broken.geojson").write_text("{not json")
    with pytest.raises(SourceError) as caught:
        GeometrySource(tmp_path / NAME).extract(make_settings(tmp_path))
    assert caught.value.exit_code == 2 and caught.value.rule == "geojson-syntax"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The shipped administrative areas and outlines, loaded through the real pipeline."""
    settings = make_settings(tmp_path_factory.mktemp("geometry-app"))
    backend = EmbeddedBackend(settings)
    assert NAME in {s.name for s in resolve_sources([], settings)}  # loaded by default
    load(resolve_sources(["administrative", NAME], settings), settings, backend)
    flask_app = create_app(settings, backend)
    flask_app.testing = True
    yield flask_app
    backend.close()


def test_areas_are_served_as_geojson(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/map/areas.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = response.get_json()
    kinds = Counter(f["properties"]["kind"] for f in collection["features"])
    assert kinds == {"municipality": 421, "district": 26, "government-district": 3, "state": 1}
    fulda = next(f for f in collection["features"] if f["id"] == "district/06631")
    assert fulda["properties"]["name"] == "Fulda"
    assert fulda["properties"]["href"] == "/doc/district/06631"
    assert fulda["geometry"]["type"] == "MultiPolygon"
    again = client.get("/map/areas.geojson", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_kreis_and_municipality_pages_have_a_map(app: Flask) -> None:
    client = app.test_client()
    kreis = client.get("/doc/district/06631", headers={"Accept": "text/html"})
    html = kreis.get_data(as_text=True)
    assert 'data-focus="district/06631"' in html
    assert 'data-areas="/map/areas.geojson"' in html
    assert "GeoBasis-DE / BKG" in html
    municipality = client.get("/doc/municipality/06411000", headers={"Accept": "text/html"})
    assert 'data-focus="municipality/06411000"' in municipality.get_data(as_text=True)


def test_map_page_lists_places_and_names_the_source(app: Flask) -> None:
    response = app.test_client().get("/map", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Karte der Projekte</h1>" in html
    assert "GeoBasis-DE / BKG" in html
    # no projects in this store: the page says so instead of drawing an empty table
    assert "Noch kein Projekt hat einen Ort mit Koordinaten." in html

