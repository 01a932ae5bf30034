"""The federation APIs from a real ``smartregion serve``, read by independent clients: the
NGSI-LD client library ``ngsildclient`` (Orange; its successor ``pyngsildclient`` needs
Python >= 3.12), ``geojson`` for OGC API Features and ``requests`` for the saved-query APIs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geojson
import pytest
import requests
from ngsildclient import Client, Entity
from shapely.geometry import box, shape

from loaders.pipeline import load, resolve_sources
from smartregion.settings import load_settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from tests.e2e.conftest import free_port, serving
from tests.federation.conftest import geometry_graph

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    municipalities: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = Path(tmp_path_factory.mktemp("federation-e2e"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    environment = {"SMARTREGION_DATA_DIR": str(root / "store"), "SMARTREGION_BASE_URI": url,
                   "SMARTREGION_WORKERS": "1", "SMARTREGION_QUERY_EXECUTORS": "1"}
    settings = load_settings(environ=environment)
    backend = EmbeddedBackend(settings)
    try:
        load(resolve_sources([], settings), settings, backend)
        backend.publish(Publication({url + "graph/test-geometries": geometry_graph(url)}))
        rows = backend.select("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a "
                              "<https://data.smarte-region-hessen.de/def/srh#Municipality> }")
    finally:
        backend.close()
    with serving(environment, port, root / "server.log"):
        yield Served(url, port, int(rows[0]["n"]))


def test_ngsi_ld_client_reads_entities_types_and_geo(served: Served) -> None:
    context = served.url + "ngsi-ld/context.jsonld"
    with Client(hostname="127.0.0.1", port=served.port, verbose=False) as client:
        assert client.count(type="Municipality") == served.municipalities
        entities = client.query(type="Municipality", ctx=context)
        assert len(entities) == served.municipalities
        darmstadt = next(e for e in entities if e.id.endswith("/municipality/06411000"))
        assert darmstadt["ags.value"] == "06411000"
        # the shipped outline of the city (an area wins over points) holds its centre
        outline = shape(darmstadt["location.value"])
        assert outline.geom_type in ("Polygon", "MultiPolygon")
        assert outline.contains(shape({"type": "Point", "coordinates": [8.65, 49.866666666]}))
        # the library prefixes bare ids with urn:ngsi-ld:, so it is handed an Entity
        fetched = client.get(Entity.from_dict({"id": darmstadt.id, "type": "Municipality"}))
        assert fetched.type == "Municipality" and fetched["ags.value"] == "06411000"
        assert "Municipality" in client.types.list()
        # ngsildclient sends geo-queries as one non-standard geoQ parameter; the standard
        # georel/geometry/coordinates go through its own configured session
        response = client.session.get(
            served.url + "ngsi-ld/v1/entities",
            params={"type": "Municipality", "georel": "near;maxDistance==20000",
                    "geometry": "Point", "coordinates": "[8.65,49.87]",
                    "limit": "1000"},  # all of them on one page (the default page is 20)
            headers={"Accept": "application/ld+json"})
        response.raise_for_status()
        near = {Entity.from_dict(e).id for e in response.json()}
        # every typed municipality whose outline comes within 20 km of the point, and no other
        centre = shape({"type": "Point", "coordinates": [8.65, 49.87]})
        distance = {e.id: _metres(shape(e["location.value"]), centre) for e in entities}
        surely_in = {i for i, d in distance.items() if d <= 19_900}  # our distance is rougher
        maybe_in = {i for i, d in distance.items() if d <= 20_100}
        assert darmstadt.id in near and surely_in <= near <= maybe_in


def _metres(geometry: object, point: object) -> float:
    """Distance in metres from ``point`` to ``geometry``, both projected equirectangularly
    around the point (the nearest point in degrees is not the nearest in metres)."""
    from math import cos, radians

    from shapely import transform

    scale = (radians(1) * 6_371_000 * cos(radians(point.y)),  # type: ignore[attr-defined]
             radians(1) * 6_371_000)
    origin = (point.x, point.y)  # type: ignore[attr-defined]

    def project(g: object) -> object:
        return transform(g, lambda xy: (xy - origin) * scale)

    return float(project(geometry).distance(project(point)))  # type: ignore[attr-defined]


def test_features_and_query_apis_over_http(served: Served) -> None:
    items = requests.get(served.url + "features/collections/municipalities/items",
                         params={"bbox": "8.5,49.8,8.8,50.2", "limit": "1000"}, timeout=10)
    assert items.headers["Content-Type"].startswith("application/geo+json")
    collection = geojson.loads(items.text)
    assert collection.is_valid
    keys = sorted(f["properties"]["ags"] for f in collection["features"])
    everything = geojson.loads(requests.get(
        served.url + "features/collections/municipalities/items",
        params={"limit": "1000"}, timeout=10).text)
    area = box(8.5, 49.8, 8.8, 50.2)
    expected = sorted(f["properties"]["ags"] for f in everything["features"]
                      if f["geometry"] and shape(f["geometry"]).intersects(area))
    assert keys == expected
    assert {"06411000", "06412000", "06413000"} <= set(keys)  # Darmstadt, Frankfurt, Offenbach
    api = requests.get(served.url + "api/municipalities-of-a-district",
                       params={"district": "06411", "format": "csv"}, timeout=10)
    assert api.status_code == 200 and "06411000" in api.text
    spec = requests.get(served.url + "api/openapi.json", timeout=10).json()
    assert "/municipalities-of-a-district" in spec["paths"]
    write = requests.post(served.url + "ngsi-ld/v1/entities", json={"id": "urn:x", "type": "T"},
                          timeout=10)
    assert write.status_code == 405 and write.json()["type"].endswith("OperationNotSupported")
