"""Listings as data (issue 13): every listing answers CSV, JSON, JSON-LD, Turtle and its own
SPARQL query besides HTML, by Accept, extension and ?format=, with the same filters, rows,
order and pages as the HTML table; the query, run at /sparql, gives the same rows."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from werkzeug.test import TestResponse

from endpoint import create_app
from smartregion.namespaces import HYDRA, SRH
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.http.test_pages import all_rows

BASE = "http://testserver/"
LISTINGS = ["/projects", "/municipalities", "/organisations", "/events"]
FORMATS = {"csv": "text/csv", "json": "application/json", "jsonld": "application/ld+json",
           "ttl": "text/turtle"}


@pytest.fixture(scope="module")
def paged(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    """A client whose listings hold 5 rows a page."""
    flask_app: Flask = create_app(loaded_settings.replace(page_size=5), loaded_backend)
    flask_app.testing = True
    return flask_app.test_client()


def links(response: TestResponse) -> dict[str, str]:
    return {rel: href.removeprefix("http://localhost") for href, rel in
            re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))}


def items(response: TestResponse, ext: str) -> list[str]:
    """The things a page lists, as document paths, in order."""
    data = response.get_data(as_text=True)
    if ext == "csv":
        iris = [row["id"] for row in csv.DictReader(io.StringIO(data))]
    elif ext == "json":
        iris = [item["id"] for item in json.loads(data)["items"]]
    else:
        graph = Graph().parse(data=data, format="turtle") if ext == "ttl" else None
        if graph is None:  # JSON-LD: members in document order are in @graph order; use RDF
            return sorted(members(response))
        return sorted(str(m).replace(BASE + "id/", "/doc/")
                      for m in graph.objects(None, HYDRA.member))
    return [iri.replace(BASE + "id/", "/doc/") for iri in iris]


def members(response: TestResponse) -> list[str]:
    document = json.loads(response.get_data(as_text=True))
    found = []
    for node in document["@graph"]:
        linked = node.get(str(HYDRA.member), [])
        for member in linked if isinstance(linked, list) else [linked]:  # one: no array
            found.append(member["id"].replace(BASE + "id/", "/doc/"))
    return found


def walk(client: FlaskClient, url: str, ext: str) -> tuple[list[str], list[TestResponse]]:
    rows: list[str] = []
    responses = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        responses.append(response)
        rows += items(response, ext)
        next_url = links(response).get("next")
    return rows, responses


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize("ext", list(FORMATS))
def test_every_format_pages_through_the_same_rows_as_the_table(
    client: FlaskClient, paged: FlaskClient, path: str, ext: str
) -> None:
    table = all_rows(client, path)
    rows, responses = walk(paged, f"{path}.{ext}", ext)
    assert len(responses) == -(-len(table) // 5) > 1
    if ext in ("csv", "json"):
        assert rows == table  # same order too
    else:
        assert sorted(rows) == sorted(table)
    for response in responses:
        assert response.mimetype == FORMATS[ext]
        assert response.headers["X-Total-Count"] == str(len(table))
        assert links(response)["describedby"].startswith(f"{path}.rq")
    last = links(responses[-1])
    assert "next" not in last and last["first"] == f"{path}.{ext}"


@pytest.mark.parametrize("path", LISTINGS)
def test_accept_extension_and_format_give_the_same_bytes(client: FlaskClient, path: str) -> None:
    for ext, media_type in FORMATS.items():
        by_extension = client.get(f"{path}.{ext}")
        by_format = client.get(path, query_string={"format": ext})
        by_accept = client.get(path, headers={"Accept": media_type})
        assert by_extension.data == by_format.data == by_accept.data
        assert by_accept.headers["Content-Location"] == f"http://localhost{path}.{ext}"


@pytest.mark.parametrize("query", [
    {"field": "energy"}, {"district": "06411"}, {"year": "2025"}, {"status": "running"},
    {"programme": "mpsc"}, {"field": "mobility", "year": "2024"},
])
def test_filters_apply_to_every_format(client: FlaskClient, query: dict[str, str]) -> None:
    table = all_rows(client, "/projects", query)
    assert table
    document = client.get("/projects.json", query_string=query).get_json()
    assert [i["id"].replace(BASE + "id/", "/doc/") for i in document["items"]] == table
    assert document["filters"] == query and document["total"] == len(table)
    as_csv = client.get("/projects.csv", query_string=query).get_data(as_text=True)
    assert [r["id"] for r in csv.DictReader(io.StringIO(as_csv))] == [i["id"] for i in
                                                                        document["items"]]


@pytest.mark.parametrize(("path", "query"), [
    ("/projects", {"field": "energy"}), ("/projects", {"year": "2025", "page": "1"}),
    ("/projects", {"page": "2"}), ("/municipalities", {"district": "06631"}),
    ("/organisations", {}), ("/events", {}),
])
def test_the_sparql_query_gives_the_same_rows(client: FlaskClient, path: str,
                                              query: dict[str, str]) -> None:
    page = client.get(f"{path}.json", query_string=query).get_json()
    text = client.get(f"{path}.rq", query_string=query).get_data(as_text=True)
    assert text == client.get(path, query_string=query,
                              headers={"Accept": "application/sparql-query"}).get_data(
        as_text=True)
    answer = client.post("/sparql", data={"query": text},
                         headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    rows = [b["item"]["value"] for b in answer.get_json()["results"]["bindings"]]
    assert rows == [i["id"] for i in page["items"]]
    editor = parse_qs(urlsplit(page["links"]["sparqlEditor"]).query)["query"][0]
    assert editor == text
    html = client.get(path, query_string=query).get_data(as_text=True)
    assert "/sparql?query=" in html and f'href="{path}.csv' in html


def test_json_values_are_typed_and_linked(client: FlaskClient) -> None:
    kassel = next(i for i in client.get("/projects.json?programme=mpsc").get_json()["items"]
                  if i["id"] == BASE + "id/project/smart-kassel")
    assert kassel["start"] == 2021 and kassel["end"] == 2028
    assert kassel["status"]["id"].endswith("/project-status/running")
    assert kassel["status"]["name"] == "laufend"
    english = client.get("/projects.json?programme=mpsc&lang=en").get_json()
    assert english["language"] == "en"
    assert any(i["status"] and i["status"]["name"] == "running" for i in english["items"])
    fulda = client.get("/municipalities.json?district=06631").get_json()["items"]
    assert all(m["district"]["id"] == BASE + "id/district/06631" for m in fulda)
    assert all(isinstance(m["projects"], int) for m in fulda)


def test_rdf_says_what_the_listing_says(client: FlaskClient) -> None:
    graph = Graph().parse(data=client.get("/projects.ttl?programme=mpsc").data,
                          format="turtle")
    collection = URIRef("http://localhost/projects?programme=mpsc")
    assert (collection, RDF.type, HYDRA.Collection) in graph
    total = int(client.get("/projects.json?programme=mpsc").get_json()["total"])
    assert graph.value(collection, HYDRA.totalItems) == Literal(total)
    kassel = URIRef(BASE + "id/project/smart-kassel")
    assert (collection, HYDRA.member, kassel) in graph
    assert (kassel, RDF.type, SRH.SmartRegionProject) in graph
    assert str(graph.value(kassel, SRH.startYear)) == "2021"
    assert str(graph.value(kassel, SRH.status)).endswith("/running")


def test_schema_org_item_list_counts_on_across_pages(paged: FlaskClient) -> None:
    first = paged.get("/events?_profile=schemaorg").get_json()
    second = paged.get("/events?_profile=schemaorg&page=2").get_json()
    assert first["@context"] == "https://schema.org"
    positions = [e["position"] for e in first["mainEntity"]["itemListElement"]]
    assert positions == [1, 2, 3, 4, 5]
    assert second["mainEntity"]["itemListElement"][0]["position"] == 6


def test_wrong_extension_is_404_and_bad_filters_400_in_every_format(
    client: FlaskClient
) -> None:
    assert client.get("/projects.pdf").status_code == 404
    assert client.get("/projects.csv?year=20x1").status_code == 400
    assert client.get("/projects.json?page=0").status_code == 400
    assert client.get("/projects.json?page=99").status_code == 404
    assert client.get("/projects", headers={"Accept": "image/png"}).status_code == 406


def test_year_filter_offers_every_year_a_project_runs_in(client: FlaskClient) -> None:
    html = client.get("/projects").get_data(as_text=True)
    select = html[html.index('id="filter-year"'):]
    offered = {int(y) for y in re.findall(r'<option value="(\d{4})"',
                                          select[:select.index("</select>")])}
    expected: set[int] = set()
    for item in client.get("/projects.json?page=1").get_json()["items"] + \
            client.get("/projects.json?page=2").get_json()["items"]:
        if item["start"]:
            end = item["end"] or max(item["start"], date.today().year)
            expected.update(range(item["start"], end + 1))
    assert offered == expected
    assert {2024, 2025, 2026} <= offered
    for year in offered:
        assert client.get("/projects.json", query_string={"year": str(year)}).get_json()[
            "total"] > 0


@pytest.mark.parametrize("district", ["06631", "06411"])
def test_municipality_totals_count_the_filtered_rows(client: FlaskClient, district: str) -> None:
    """The count a person reads above the table is the number of rows the pages give (on
    Virtuoso the count once ignored the Kreis and said 421)."""
    rows = all_rows(client, "/municipalities", {"district": district})
    assert rows and all(r.startswith(f"/doc/municipality/{district}") for r in rows)
    document = client.get("/municipalities.json", query_string={"district": district}).get_json()
    assert document["total"] == len(rows)
    html = client.get("/municipalities", query_string={"district": district}).get_data(
        as_text=True)
    status = re.search(r'<p role="status">([^<]*)</p>', html)
    assert status and re.match(rf"{len(rows)}\D", status.group(1)), status
