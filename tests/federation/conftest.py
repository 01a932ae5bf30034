"""A store with the shipped data (loaded through the real pipeline) plus a test graph of
geometries (``tests/data/geometries.ttl``), and the app over it, for the federation APIs:
NGSI-LD, OGC API Features and the saved-query APIs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph

from endpoint import create_app
from loaders.pipeline import load, resolve_sources
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from tests.conftest import TEST_BASE, TEST_DATA, make_settings

GEOMETRIES = TEST_DATA / "geometries.ttl"


def geometry_graph(base: str) -> Graph:
    """The test geometries with their IRIs under ``base``."""
    graph = Graph()
    graph.parse(GEOMETRIES, format="turtle", publicID=base)
    return graph


def publish_with_geometries(settings: Settings, backend: StoreBackend) -> None:
    """Load the shipped data through the pipeline, then publish the geometry graph."""
    load(resolve_sources([], settings), settings, backend)
    backend.publish(Publication({settings.base_uri + "graph/test-geometries":
                                 geometry_graph(settings.base_uri)}))


@pytest.fixture(scope="session")
def geo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the session store with geometries."""
    return make_settings(Path(tmp_path_factory.mktemp("federation")))


@pytest.fixture(scope="session")
def geo_backend(geo_settings: Settings) -> Iterator[StoreBackend]:
    """The shipped data and the test geometries in one embedded store."""
    store = EmbeddedBackend(geo_settings)
    publish_with_geometries(geo_settings, store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def geo_app(geo_settings: Settings, geo_backend: StoreBackend) -> Flask:
    """The web application over the store with geometries."""
    app = create_app(geo_settings, geo_backend)
    app.testing = True
    return app


@pytest.fixture
def geo_client(geo_app: Flask) -> FlaskClient:
    """A test client of :func:`geo_app`."""
    return geo_app.test_client()


BASE = TEST_BASE
