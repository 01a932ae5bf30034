"""The catalogue's other RDF profiles against the official shapes of ../shared/conformance:
DCAT-AP 3.0 output against SEMIC's DCAT-AP 3.0.1 shapes, the Dataspace Protocol output
(DCAT-AP.de plus ODRL offers) against DCAT-AP.de 3.0, DCAT-AP 3.0.1 and GovData's
conventions, as the default catalogue. Every page
(followed like a harvester, in the same profile) and every dataset document is validated on
its own. Skips with a reason when ../shared is absent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph

from endpoint import create_app
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conformance.shacl_profiles import shapes_graph, vocabulary
from tests.conformance.test_dcat_ap_de import ACCEPTED_WARNINGS, validate_all
from tests.conftest import SHARED
from tests.http.test_catalog import BASE, parse
from tests.http.test_catalog_profiles import datasets, pages

CONFORMANCE = SHARED / "conformance"


@pytest.fixture(scope="module")
def kit() -> Path:
    if not (CONFORMANCE / "README.md").is_file():
        pytest.skip(f"official DCAT-AP/DCAT-AP.de shapes not found: {CONFORMANCE} is absent")
    return CONFORMANCE


@pytest.fixture(scope="module")
def paged(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    flask_app: Flask = create_app(loaded_settings.replace(catalog_page_size=3), loaded_backend)
    flask_app.testing = True
    return flask_app.test_client()


def documents(client: FlaskClient, token: str) -> Iterator[tuple[str, Graph]]:
    names: list[str] = []
    for number, graph in enumerate(pages(client, token), start=1):
        yield f"/catalog?_profile={token} page {number}", graph
        names += [str(d).removeprefix(BASE + "dataset/") for d in datasets(graph)]
    for name in names:
        response = client.get(f"/dataset/{name}", query_string={"_profile": token},
                              headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        yield f"/dataset/{name}?_profile={token}", parse(response.data, "text/turtle")


@pytest.mark.parametrize(("token", "profile"), [
    ("dcat-ap", "DCAT-AP 3.0.1"),
    *[("dsp", name) for name in ("DCAT-AP.de 3.0", "DCAT-AP 3.0.1", "GovData conventions")],
])
def test_profile_output_has_zero_violations(kit: Path, paged: FlaskClient, token: str,
                                            profile: str) -> None:
    found = list(documents(paged, token))
    assert len(found) > 3
    outcome = validate_all(found, shapes_graph(kit, profile), vocabulary(kit))
    assert outcome.violations == []
    unexpected = [w for w in outcome.warnings if not any(a in w for a in ACCEPTED_WARNINGS)]
    assert unexpected == []
