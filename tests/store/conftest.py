"""Fixtures of the store tests: a real ``oxigraph serve`` process for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oxigraph_server import OxigraphServer, start_oxigraph, stop_oxigraph


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """One ``oxigraph serve`` process for the session (tests clear it before use)."""
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "db")
    yield server
    stop_oxigraph(server)
