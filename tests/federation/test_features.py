"""OGC API Features: valid GeoJSON, counts equal SPARQL counts, bbox checked against the
coordinates, paging links walk the whole collection, datetime, canonical links, HTML."""

from __future__ import annotations

import geojson
import pytest
from flask.testing import FlaskClient
from shapely.geometry import box, shape

from smartregion.store.backend import StoreBackend
from tests.federation.conftest import BASE

COUNTS = {"municipalities": "srh:Municipality", "districts": "srh:District",
          "projects": "srh:SmartRegionProject"}


def walk(client: FlaskClient, url: str) -> tuple[list[dict], list[int]]:
    features: list[dict] = []
    matched: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "application/geo+json"
        body = response.get_json()
        assert geojson.loads(response.get_data(as_text=True)).is_valid
        assert body["numberReturned"] == len(body["features"])
        matched.append(body["numberMatched"])
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), "")
    return features, matched


@pytest.mark.parametrize("collection", list(COUNTS))
def test_paging_walks_the_collection_and_counts_match_sparql(
        geo_client: FlaskClient, geo_backend: StoreBackend, collection: str) -> None:
    rows = geo_backend.select(
        "PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#> SELECT (COUNT(DISTINCT ?e) "
        f'AS ?n) WHERE {{ ?e a {COUNTS[collection]} FILTER(STRSTARTS(STR(?e), "{BASE}id/")) }}')
    expected = int(rows[0]["n"])
    features, matched = walk(geo_client, f"/features/collections/{collection}/items?limit=7")
    assert set(matched) == {expected} and len(features) == expected
    assert len({f["id"] for f in features}) == expected
    for feature in features:
        assert feature["id"].startswith(BASE + "id/")
        if feature["geometry"] is not None:
            assert shape(feature["geometry"]).is_valid
        canonical = [link for link in feature["links"] if link["rel"] == "canonical"]
        assert canonical and canonical[0]["href"].endswith("/doc/" + feature["id"][len(BASE) + 3:])


@pytest.mark.parametrize("bbox", [(8.5, 49.8, 8.8, 50.2), (9.0, 50.0, 10.0, 52.0),
                                  (0.0, 0.0, 1.0, 1.0)])
@pytest.mark.parametrize("collection", list(COUNTS))
def test_bbox_keeps_exactly_the_intersecting_features(
        geo_client: FlaskClient, collection: str, bbox: tuple[float, ...]) -> None:
    everything, _ = walk(geo_client, f"/features/collections/{collection}/items?limit=1000")
    area = box(*bbox)
    expected = {f["id"] for f in everything
                if f["geometry"] is not None and shape(f["geometry"]).intersects(area)}
    found, matched = walk(geo_client, f"/features/collections/{collection}/items?limit=5&bbox="
                          + ",".join(map(str, bbox)))
    assert {f["id"] for f in found} == expected and matched[0] == len(expected)


def test_projects_take_their_municipalities_points(geo_client: FlaskClient) -> None:
    kassel = geo_client.get("/features/collections/projects/items/smart-kassel").get_json()
    city = geo_client.get("/features/collections/municipalities/items/06611000").get_json()
    # the city's own geometry (its outline, which wins over points) gives the project's point
    expected = shape(city["geometry"]).representative_point()
    assert shape(kassel["geometry"]).equals_exact(expected, 1e-9)
    assert kassel["geometry"]["type"] == "Point"
    assert kassel["id"] == BASE + "id/project/smart-kassel"


def test_datetime_filters_projects(geo_client: FlaskClient) -> None:
    everything, _ = walk(geo_client, "/features/collections/projects/items?limit=1000")
    in_2020, _ = walk(geo_client, "/features/collections/projects/items?datetime=2020-06-01")
    later, _ = walk(geo_client, "/features/collections/projects/items?datetime=2027-01-01/..")
    assert 0 < len(in_2020) < len(everything)
    ids = {f["id"] for f in later}
    assert BASE + "id/project/smart-kassel" in ids  # runs until 2028-03-31
    for feature in in_2020:
        props = feature["properties"]
        start = str(props.get("startDate") or props.get("startYear"))
        assert start[:4] <= "2020"


@pytest.mark.parametrize("url", [
    "/features/collections/projects/items?bbox=1,2,3",
    "/features/collections/projects/items?bbox=a,b,c,d",
    "/features/collections/projects/items?limit=0",
    "/features/collections/projects/items?datetime=yesterday",
    "/features/collections/projects/items?color=red",
])
def test_bad_parameters_are_400(geo_client: FlaskClient, url: str) -> None:
    assert geo_client.get(url).status_code == 400


def test_landing_conformance_collections_and_html(geo_client: FlaskClient) -> None:
    landing = geo_client.get("/features/", headers={"Accept": "application/json"}).get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "conformance", "data", "service-desc"} <= rels
    conformance = geo_client.get("/features/conformance?f=json").get_json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in \
        conformance["conformsTo"]
    collections = geo_client.get("/features/collections?f=json").get_json()["collections"]
    assert [c["id"] for c in collections] == list(COUNTS)
    assert geo_client.get("/features/collections/nothing").status_code == 404
    page = geo_client.get("/features/collections/municipalities/items?f=html&lang=de")
    assert page.status_code == 200 and "Kommunen" in page.get_data(as_text=True)
    english = geo_client.get("/features/collections/municipalities/items",
                             headers={"Accept": "text/html"}, query_string={"lang": "en"})
    assert "Municipalities" in english.get_data(as_text=True)
    api = geo_client.get("/features/api").get_json()
    assert api["openapi"].startswith("3.0")
