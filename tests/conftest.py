"""Shared fixtures: settings on a temporary store, a store loaded through the real pipeline
from the shipped data, the Flask app, its test client and a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from endpoint import create_app
from loaders.pipeline import load, resolve_sources
from smartregion.settings import PROJECT_DIR, Settings, load_settings
from smartregion.store import StoreBackend, open_backend
from smartregion.store.embedded import EmbeddedBackend

TEST_BASE = "http://testserver/"
TEST_DATA = Path(__file__).parent / "data"
SHARED = PROJECT_DIR.parent / "shared"


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings for a test: a store under ``tmp``, base ``http://testserver/``, no env."""
    values: dict[str, object] = {"data_dir": tmp / "store", "base_uri": TEST_BASE}
    values.update(overrides)
    return load_settings(environ={}, **values)


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points the ``smartregion`` command at a test's store and sources."""
    return {
        "SMARTREGION_DATA_DIR": str(settings.data_dir),
        "SMARTREGION_SOURCE_DIR": str(settings.source_dir),
        "SMARTREGION_BASE_URI": settings.base_uri,
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on an empty store in a temporary directory."""
    return make_settings(tmp_path)


@pytest.fixture
def backend(settings: Settings) -> Iterator[EmbeddedBackend]:
    """An empty embedded store."""
    store = EmbeddedBackend(settings)
    yield store
    store.close()


HTTP_TESTS = Path(__file__).parent / "http"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the whole HTTP suite on the three store backends (issue: scale-out).

    The remote runs load the same shipped data through the real pipeline into a real
    ``oxigraph serve`` process (marker ``remote``) and a real Virtuoso 7 (markers ``remote``
    and ``virtuoso``; ``-m "not virtuoso"`` deselects it where Debian's package is missing).
    """
    if "store_kind" in metafunc.fixturenames and metafunc.definition.path.is_relative_to(
        HTTP_TESTS
    ):
        kinds = ["embedded", pytest.param("remote", marks=pytest.mark.remote),
                 pytest.param("virtuoso", marks=[pytest.mark.remote, pytest.mark.virtuoso])]
        metafunc.parametrize(
            "store_kind",
            kinds,
            indirect=True,
            scope="session",
        )


@pytest.fixture(scope="session")
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which backend the session store uses: 'embedded' unless parametrized."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture(scope="session")
def loaded_settings(
    store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Settings of the session store that holds the shipped curated data."""
    tmp = tmp_path_factory.mktemp(f"loaded-{store_kind}")
    if store_kind == "embedded":
        yield make_settings(tmp)
        return
    if store_kind == "virtuoso":
        from tests.virtuoso_server import start_virtuoso, stop_virtuoso

        virtuoso = start_virtuoso(tmp / "virtuoso")
        try:
            yield virtuoso.settings(tmp)
        finally:
            stop_virtuoso(virtuoso)
        return
    from tests.oxigraph_server import start_oxigraph, stop_oxigraph

    server = start_oxigraph(tmp / "oxigraph")
    try:
        yield server.settings(tmp)
    finally:
        stop_oxigraph(server)


@pytest.fixture(scope="session")
def loaded_backend(loaded_settings: Settings) -> Iterator[StoreBackend]:
    """The shipped data, loaded once per session and backend through the real pipeline."""
    store = open_backend(loaded_settings)
    load(resolve_sources([], loaded_settings), loaded_settings, store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def app(loaded_settings: Settings, loaded_backend: StoreBackend) -> Flask:
    """The web application over the loaded session store."""
    flask_app = create_app(loaded_settings, loaded_backend)
    flask_app.testing = True
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A Flask test client (requests go through the whole WSGI app, no network)."""
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    """A click runner for the ``smartregion`` command."""
    return CliRunner()


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests needing it skip with a reason when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared reference folder {SHARED} is absent")
    return SHARED
