"""Fixtures of the loader tests: a stand-in remote server and a store with the test data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.loaders.harvest_server import FixtureServer, published_store, serve


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    """A real HTTP server on 127.0.0.1 answering with the replies a test sets."""
    yield from serve()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Settings, EmbeddedBackend]]:
    """A store with the test sources published (municipalities to harvest for)."""
    settings, backend = published_store(tmp_path)
    yield settings, backend
    backend.close()
