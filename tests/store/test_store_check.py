"""A misconfigured remote store is refused, not served empty: when a backend starts serving
and before every publish it checks that queries without FROM see the platform's graphs and
that updates are accepted with the given credentials; the error names what to fix.

Real stores: ``oxigraph serve`` without ``--union-default-graph`` and Virtuoso 7 with wrong
credentials or in the wrong dataset mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from smartregion.store.backend import StoreError
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from tests.oxigraph_server import OxigraphServer, start_oxigraph, stop_oxigraph
from tests.store.test_backend_contract import ALPHA, alpha_graph, first_publication, record
from tests.virtuoso_server import VirtuosoServer

pytestmark = pytest.mark.remote


@pytest.fixture(scope="module")
def no_union(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """``oxigraph serve`` started without ``--union-default-graph``."""
    server = start_oxigraph(tmp_path_factory.mktemp("no-union") / "db",
                            union_default_graph=False)
    yield server
    stop_oxigraph(server)


def publish_as_loader(backend: RemoteBackend) -> None:
    """Publish as ``smartregion load`` does: holding the write lease, staged, committed."""
    with backend.writer("test") as writer, writer.stage({ALPHA: alpha_graph()}) as staged:
        staged.commit({ALPHA: record(ALPHA, "Alpha")})


def test_a_store_without_union_default_graph_is_refused(
        no_union: OxigraphServer, tmp_path: Path) -> None:
    no_union.clear()
    backend = RemoteBackend(no_union.settings(tmp_path))
    with pytest.raises(StoreError, match="oxigraph serve needs --union-default-graph"):
        publish_as_loader(backend)
    # Refused before anything was published (the lease graph is left empty).
    assert no_union.graph_names() <= {"http://testserver/graph/.writer"}
    assert not RemoteBackend(no_union.settings(tmp_path, store_dataset="named")).graph_uris()
    # A store that already holds data (published elsewhere) is refused for serving.
    RemoteBackend(no_union.settings(tmp_path, store_dataset="named")).publish(
        first_publication())
    with pytest.raises(StoreError, match="SMARTREGION_STORE_DATASET=named"):
        backend.start()
    backend.close()


def test_named_dataset_mode_serves_such_a_store(no_union: OxigraphServer,
                                                tmp_path: Path) -> None:
    no_union.clear()
    backend = RemoteBackend(no_union.settings(tmp_path, store_dataset="named"))
    publish_as_loader(backend)
    backend.start()
    assert len(backend.select("SELECT * WHERE { ?s ?p ?o }")) > len(alpha_graph())
    backend.close()


@pytest.mark.virtuoso
def test_virtuoso_in_union_mode_is_refused(virtuoso_server: VirtuosoServer,
                                           tmp_path: Path) -> None:
    virtuoso_server.clear()
    backend = RemoteBackend(virtuoso_server.settings(tmp_path, store_dataset="union"))
    for attempt in (backend.start, lambda: backend.publish(first_publication())):
        with pytest.raises(StoreError, match="set SMARTREGION_STORE_DATASET=named"):
            attempt()
    backend.close()


@pytest.mark.virtuoso
@pytest.mark.parametrize(("overrides", "named"), [
    ({"store_password": "wrong-password-not-shown"}, "SMARTREGION_STORE_PASSWORD"),
    ({"store_auth": "basic"}, "SMARTREGION_STORE_AUTH"),
], ids=["wrong-password", "basic-instead-of-digest"])
def test_rejected_credentials_are_named_before_publishing(
        virtuoso_server: VirtuosoServer, tmp_path: Path, overrides: dict[str, object],
        named: str) -> None:
    virtuoso_server.clear()
    backend = RemoteBackend(virtuoso_server.settings(tmp_path, **overrides))
    with pytest.raises(StoreError, match=r"rejected by the store \(401\)") as caught:
        backend.publish(first_publication())
    message = str(caught.value)
    assert named in message
    assert "wrong-password-not-shown" not in message
    assert not any(g.startswith("http://testserver/") for g in virtuoso_server.graph_names())
    backend.close()


def test_an_empty_graph_publish_is_still_checked(no_union: OxigraphServer,
                                                 tmp_path: Path) -> None:
    no_union.clear()
    backend = RemoteBackend(no_union.settings(tmp_path, update_url=no_union.query_url))
    with pytest.raises(StoreError, match=r"store check \(update\)"):
        backend.publish(Publication(graphs={ALPHA: Graph()}))
    backend.close()
