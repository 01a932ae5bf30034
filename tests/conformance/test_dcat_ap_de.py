"""The catalogue, every page of it and every dataset document, has zero violations against
the official DCAT-AP 3 / DCAT-AP.de 3 SHACL shapes in ../shared/conformance (and GovData's
conventions and our political-geocoding rules), as GovData's and SEMIC's validators run them.

Two stores are checked: the shipped curated data (session store) and the Destatis GV100AD
municipalities (Hessen) loaded by their own loader, whose licence and attribution come from
its load record. Skips with a reason when ../shared is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from rdflib import Graph

from endpoint import create_app
from loaders.pipeline import load
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conformance.shacl_profiles import (
    PROFILES,
    Outcome,
    run,
    shapes_graph,
    vocabulary,
    with_imports,
)
from tests.conftest import SHARED, make_settings
from tests.http.test_catalog import all_pages, output_violations

CONFORMANCE = SHARED / "conformance"
GV100AD = SHARED / "reference-data" / "GV100AD_30112025.txt"
# Warnings we accept knowingly (see shared/conformance/DCAT-AP-DE-NOTES.md §3): GovData's
# handbook K08 still asks for dcatde:politicalGeocodingURI, which 3.0 marks deprecated.
ACCEPTED_WARNINGS = ("Deprecated: dcatde:politicalGeocodingURI",)


def documents_of(flask_app: Flask) -> Iterator[tuple[str, Graph]]:
    """Every catalogue page (followed like a harvester) and every dataset document."""
    client = flask_app.test_client()
    names: list[str] = []
    for url, graph in all_pages(client, "/catalog.ttl"):
        yield url, graph
        names += [str(d).rsplit("/", 1)[1] for d in graph.objects(None, None)
                  if str(d).startswith("http://testserver/dataset/") and "#" not in str(d)
                  and not str(d).endswith(".html")]
    for name in sorted(set(names)):
        response = client.get(f"/dataset/{name}.ttl")
        assert response.status_code == 200, name
        yield f"/dataset/{name}", Graph().parse(data=response.data, format="turtle")


@pytest.fixture(scope="module")
def conformance() -> Path:
    if not (CONFORMANCE / "README.md").is_file():
        pytest.skip(f"official DCAT-AP/DCAT-AP.de shapes not found: {CONFORMANCE} is absent")
    return CONFORMANCE


@pytest.fixture(scope="module")
def imports(conformance: Path) -> tuple[Graph, Graph]:
    return vocabulary(conformance)


@pytest.fixture(scope="module")
def gv100ad_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask | None]:
    """A store holding the GV100AD municipalities of Hessen (None without the shared file)."""
    if not GV100AD.is_file():
        yield None
        return
    from loaders.gv100ad import GV100ADSource

    settings = make_settings(tmp_path_factory.mktemp("gv100ad"))
    backend = EmbeddedBackend(settings)
    load([GV100ADSource(str(GV100AD), "06")], settings, backend)
    flask_app = create_app(settings.replace(catalog_page_size=1), backend)
    yield flask_app
    backend.close()


@pytest.fixture(scope="module")
def documents(
    conformance: Path, loaded_settings: Settings, loaded_backend: EmbeddedBackend,
    gv100ad_app: Flask | None,
) -> list[tuple[str, Graph]]:
    # several pages, each must stand on its own
    shipped = create_app(loaded_settings.replace(catalog_page_size=3), loaded_backend)
    found = list(documents_of(shipped))
    if gv100ad_app is not None:
        found += [(f"gv100ad store {url}", g) for url, g in documents_of(gv100ad_app)]
    return found


def validate_all(
    documents: list[tuple[str, Graph]], shapes: Graph, imports: tuple[Graph, Graph]
) -> Outcome:
    """Every document validated on its own (a harvester reads page by page)."""
    total = Outcome()
    for url, graph in documents:
        merged, _by_namespace = with_imports(graph, *imports)
        outcome = run(merged, shapes)
        total.violations += [f"{url}: {v}" for v in outcome.violations]
        total.warnings += [f"{url}: {w}" for w in outcome.warnings]
    return total


@pytest.mark.parametrize("profile", list(PROFILES))
def test_zero_violations_on_every_page_and_dataset_document(
    profile: str, conformance: Path, imports: tuple[Graph, Graph],
    documents: list[tuple[str, Graph]],
) -> None:
    outcome = validate_all(documents, shapes_graph(conformance, profile), imports)
    assert outcome.violations == []
    unexpected = [w for w in outcome.warnings if not any(a in w for a in ACCEPTED_WARNINGS)]
    assert unexpected == []


def test_documents_cover_both_stores_and_several_pages(
    documents: list[tuple[str, Graph]], gv100ad_app: Flask | None
) -> None:
    pages = [url for url, _ in documents if "/catalog" in url]
    assert sum("gv100ad store" not in p for p in pages) >= 2
    if gv100ad_app is not None:
        assert any(url.endswith("/dataset/gv100ad") for url, _ in documents)


def test_only_tables_without_a_local_copy_are_accepted_by_namespace(
    imports: tuple[Graph, Graph], documents: list[tuple[str, Graph]]
) -> None:
    # The kit has no copy of the EU language and access-right tables; every other code the
    # feed uses is checked against a real vocabulary file.
    accepted = {iri for _, graph in documents for iri in with_imports(graph, *imports)[1]}
    authority = "http://publications.europa.eu/resource/authority/"
    assert accepted == {f"{authority}language/DEU", f"{authority}language/ENG",
                        f"{authority}access-right/PUBLIC"}


def test_our_output_shapes_hold_on_every_document(documents: list[tuple[str, Graph]]) -> None:
    assert [(url, v) for url, g in documents for v in output_violations(g)] == []
