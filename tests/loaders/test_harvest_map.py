"""Harvested coordinates on the pages: a self-hosted map on municipality and project pages,
no map without coordinates, and no request to another host."""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from rdflib import Graph, URIRef

import endpoint.geo
from endpoint import create_app
from endpoint.geo import map_points
from loaders.harvest import run_harvest
from smartregion.namespaces import SRH
from smartregion.settings import PROJECT_DIR
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from tests.loaders.harvest_server import (
    FAST_FETCH,
    published_store,
    serve,
    wikidata_endpoint,
    write_config,
)

BASE = "http://testserver/"
PROJECT = BASE + "id/project/map-test"
CONFIG = FAST_FETCH + """
[[source]]
name = "wikidata"
kind = "sparql"
url = "@SERVER@/sparql"
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("map")
    settings, backend = published_store(tmp)
    for server in serve():
        server.on("/sparql", wikidata_endpoint())
        outcome = run_harvest([], settings, backend,
                              config_path=write_config(tmp, CONFIG, server)).outcomes[0]
        assert outcome.status == "published", outcome.error
    # A stand-in project graph linking to two municipalities (the map query is under test,
    # not the project shapes, so it is published directly).
    project = Graph()
    project.add((URIRef(PROJECT), SRH.municipality, URIRef(BASE + "id/municipality/06411000")))
    project.add((URIRef(PROJECT), SRH.municipality, URIRef(BASE + "id/municipality/06412000")))
    backend.publish(Publication({BASE + "graph/map-test": project}))
    flask_app = create_app(settings, backend)
    flask_app.testing = True
    yield flask_app
    backend.close()


def test_doctests() -> None:
    result = doctest.testmod(endpoint.geo)
    assert result.attempted > 0 and result.failed == 0


def test_municipality_shows_its_own_point(app: Flask) -> None:
    with app.app_context():
        points = map_points(BASE + "id/municipality/06411000")
    assert points == [{"lat": 49.866666666, "lon": 8.65,
                       "label": "Darmstadt, Wissenschaftsstadt",
                       "href": "/doc/municipality/06411000"}]


def test_project_shows_the_points_of_its_municipalities(app: Flask) -> None:
    with app.app_context():
        points = map_points(PROJECT)
    assert {p["href"] for p in points} == {"/doc/municipality/06411000",
                                           "/doc/municipality/06412000"}


def test_no_points_without_coordinates_or_for_other_kinds(app: Flask) -> None:
    with app.app_context():
        assert map_points(BASE + "id/municipality/06433003") == []
        assert map_points(BASE + "id/organisation/x") == []
        assert map_points("https://example.org/id/municipality/06411000") == []


def test_page_with_coordinates_has_a_self_hosted_map(app: Flask) -> None:
    response = app.test_client().get("/doc/municipality/06411000", headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="srh-map"' in html
    data = re.search(r"data-points='([^']*)'", html)
    assert data is not None and json.loads(data.group(1))[0]["lat"] == 49.866666666
    assert "49.86667° N" in html
    # every script and stylesheet comes from the platform itself
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
        for url in re.findall(r'(?:src|href)="([^"]+)"', tag):
            assert url.startswith("/") or url.startswith("http://localhost/"), tag


def test_page_without_coordinates_has_no_map(app: Flask) -> None:
    response = app.test_client().get("/doc/municipality/06433003", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "srh-map" not in response.get_data(as_text=True)


def test_map_assets_name_no_other_host() -> None:
    for path in ("endpoint/static/map.js", "endpoint/templates/_map.html",
                 "endpoint/static/map.css"):
        text = (PROJECT_DIR / path).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), path
    assert "tileLayer" not in (PROJECT_DIR / "endpoint/static/map.js").read_text()


def test_leaflet_is_installed_from_the_npm_lock() -> None:
    package = json.loads((PROJECT_DIR / "package.json").read_text())
    assert package["dependencies"]["leaflet"] == "1.9.4"
    from endpoint.assets import ASSETS
    assert ASSETS["leaflet"] == ("leaflet/dist", ("leaflet.js", "leaflet.css"))


def test_harvest_graph_is_reachable_through_the_store(app: Flask, tmp_path: Path) -> None:
    backend: EmbeddedBackend = app.extensions["smartregion.backend"]
    assert BASE + "graph/wikidata" in backend.graph_uris()
