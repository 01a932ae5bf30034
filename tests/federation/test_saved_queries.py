"""Saved queries as REST APIs: the OpenAPI document validates, every declared API answers in
every format, paging walks, validation names the rule, hostile values stay literals and never
change the query's shape, answers are conditional on the store version, the catalogue lists
the APIs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT
from rdflib.plugins.sparql.parser import parseQuery

from endpoint.saved_queries.declarations import saved_queries
from endpoint.saved_queries.execution import DEFAULT_LIMIT, query_text
from smartregion.store.backend import StoreBackend
from tests.federation.conftest import BASE

APIS = sorted(saved_queries())


def test_openapi_document_validates(geo_client: FlaskClient) -> None:
    document = geo_client.get("/api/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert {p.strip("/") for p in document["paths"]} == set(APIS)


@pytest.mark.parametrize("name", APIS)
def test_every_api_answers(geo_client: FlaskClient, name: str) -> None:
    construct = saved_queries()[name].kind == "construct"
    formats = ("jsonld", "turtle") if construct else ("json", "csv", "jsonld")
    for fmt in formats:
        response = geo_client.get(f"/api/{name}", query_string={"format": fmt})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["ETag"]
    if not construct:
        body = geo_client.get(f"/api/{name}").get_json()
        assert body["results"], f"{name} answers nothing on the shipped data"
        table = list(csv.reader(io.StringIO(geo_client.get(
            f"/api/{name}", headers={"Accept": "text/csv"}).get_data(as_text=True))))
        assert len(table) == len(body["results"]) + 1


def test_parameters_filter_like_the_sparql_they_bind(geo_client: FlaskClient,
                                                    geo_backend: StoreBackend) -> None:
    rows = geo_backend.select(
        "PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#> "
        "PREFIX schema: <https://schema.org/> SELECT ?m WHERE { ?m a srh:Municipality ; "
        "schema:containedInPlace/srh:districtKey \"06631\" }")
    body = geo_client.get("/api/municipalities-of-a-district",
                          query_string={"district": "06631", "limit": "100"}).get_json()
    assert {r["municipality"] for r in body["results"]} == {str(r["m"]) for r in rows}
    darmstadt = geo_client.get("/api/municipalities-of-a-district?district=06411").get_json()
    assert [r["ags"] for r in darmstadt["results"]] == ["06411000"]
    projects = geo_client.get("/api/projects", query_string={"district": "06411",
                                                             "limit": "1000"}).get_json()
    listed = geo_client.get("/projects?district=06411")  # the HTML listing, same query
    assert listed.status_code == 200
    for row in projects["results"]:
        assert row["item"].startswith(BASE + "id/project/")


def test_paging_links_walk_every_row(geo_client: FlaskClient) -> None:
    everything = geo_client.get("/api/projects?limit=1000").get_json()["results"]
    seen: list[str] = []
    url = "/api/projects?limit=5"
    while url:
        response = geo_client.get(url)
        seen += [r["item"] for r in response.get_json()["results"]]
        links = response.headers.get("Link", "")
        url = next((p.split(">")[0].strip(" <") for p in links.split(",")
                    if 'rel="next"' in p), "")
    assert seen == [r["item"] for r in everything] and len(seen) > 5


@pytest.mark.parametrize(("url", "words"), [
    ("/api/projects?year=abc", ["year", "number"]),
    ("/api/projects?district=a%20b", ["district", "match"]),
    ("/api/municipalities-of-a-district?district=12345", ["district", "06"]),
    ("/api/projects?limit=0", ["limit"]),
    ("/api/projects?colour=red", ["colour"]),
    ("/api/nothing", ["nothing"]),
])
def test_bad_values_are_refused_naming_the_rule(geo_client: FlaskClient, url: str,
                                               words: list[str]) -> None:
    response = geo_client.get(url, headers={"Accept": "application/json, application/problem+json"})
    assert response.status_code in (400, 404)
    detail = response.get_json()["detail"]
    assert all(w in detail for w in words), detail


HOSTILE = ['"', "'", "}", '"} UNION { ?s ?p ?o } #', "} UNION {", '"""', "\\", "x\ny\r\n",
           "{{", "A" * 10_240, "<http://evil.example/>", "http://x.org/a>b", "\u2028\u0000?"]


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v[:20]) for v in HOSTILE])
def test_hostile_values_stay_literals(geo_app: Flask, value: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The executed query parses to the same tree as with a harmless value, except for the
    bound literal, and the answer is what that literal selects (computed here in Python)."""
    backend: StoreBackend = geo_app.extensions["smartregion.backend"]
    texts = backend.select(
        "PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?p ?t ?d WHERE { "
        '?p a srh:SmartRegionProject ; skos:prefLabel ?t FILTER(LANG(?t) = "de") '
        "OPTIONAL { ?p dct:description ?d } }")
    needle = value.lower()
    expected = {str(r["p"]) for r in texts
                if needle in str(r["t"]).lower() or needle in str(r.get("d", "")).lower()}
    executed: list[str] = []
    original = backend.select

    def spy(text: str, bindings: Any = None) -> Any:
        executed.append(text)
        return original(text, bindings)

    monkeypatch.setattr(backend, "select", spy)
    client = geo_app.test_client()
    response = client.get("/api/search-projects", query_string={"text": value})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {r["project"] for r in response.get_json()["results"]} == expected
    query = saved_queries()["search-projects"]
    harmless_text, _ = query_text(query, {"text": Literal("harmless")}, DEFAULT_LIMIT, 0, BASE)
    hostile_text = executed[0]
    parsed_hostile = parseQuery(hostile_text)
    parsed_harmless = parseQuery(harmless_text)
    hostile_shape = repr(parsed_hostile).replace(repr(value), "VALUE")
    harmless_shape = repr(parsed_harmless).replace(repr("harmless"), "VALUE")
    assert hostile_shape == harmless_shape


def test_answers_are_conditional_on_the_store_version(geo_client: FlaskClient) -> None:
    first = geo_client.get("/api/projects?limit=3")
    again = geo_client.get("/api/projects?limit=3",
                           headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = geo_client.get("/api/projects?limit=4")
    assert other.headers["ETag"] != first.headers["ETag"]


def test_explorer_is_self_hosted(geo_client: FlaskClient) -> None:
    page = geo_client.get("/api/").get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in page and "/api/openapi.json" in page
    assert "https://" not in page.split("<main", 1)[0].replace("https://schema.org", "")
    with geo_client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as script:
        assert script.status_code == 200


def test_catalogue_lists_each_api_as_a_data_service(geo_client: FlaskClient) -> None:
    graph = Graph().parse(data=geo_client.get("/catalog.ttl").get_data(as_text=True),
                          format="turtle")
    for name in APIS:
        service = URIRef(f"{BASE}catalog#api-{name}")
        assert graph.value(service, DCAT.endpointURL) == URIRef(f"{BASE}api/{name}")
        assert graph.value(service, DCAT.endpointDescription) == URIRef(
            f"{BASE}api/openapi.json")
        assert graph.value(service, DCAT.servesDataset) == URIRef(
            f"{BASE}dataset/knowledge-graph")
