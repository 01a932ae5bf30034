"""Fixtures of the store tests: a real ``oxigraph serve`` and a real Virtuoso for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oxigraph_server import OxigraphServer, start_oxigraph, stop_oxigraph
from tests.virtuoso_server import VirtuosoServer, start_virtuoso, stop_virtuoso


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """One ``oxigraph serve`` process for the session (tests clear it before use)."""
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "db")
    yield server
    stop_oxigraph(server)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One ``virtuoso-t`` process for the session (tests clear its graphs under the test base
    before use); skips when Debian's virtuoso-opensource is not installed."""
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    stop_virtuoso(server)
