"""Search over the full-text index of the served version, on the shipped data: German queries
find what the data say (counted by SPARQL), umlaut spellings and small typos find the same,
facets narrow, snippets highlight, the JSON/CSV/JSON-LD answers hold the same hits, and no
query text makes a server error."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import Literal

from smartregion.settings import Settings
from smartregion.store import StoreBackend

PREFIXES = """PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
MOBILITY_PROJECTS = PREFIXES + """
PREFIX fa: <https://data.smarte-region-hessen.de/def/scheme/field-of-action/>
SELECT DISTINCT ?item WHERE {
  GRAPH ?g { ?item a srh:SmartRegionProject ; srh:fieldOfAction fa:mobility }
}"""
KREIS_PROJECTS = PREFIXES + """
SELECT DISTINCT ?item WHERE {
  #VALUES
  GRAPH ?k { ?kreis a srh:District ; skos:prefLabel ?name }
  FILTER(CONTAINS(STR(?name), ?want))
  GRAPH ?g { ?item a srh:SmartRegionProject }
  { GRAPH ?d { ?item srh:district ?kreis } }
  UNION { GRAPH ?m { ?item srh:municipality ?place }
          GRAPH ?c { ?place schema:containedInPlace ?kreis } }
}"""


def _items(client: FlaskClient, **params: str) -> tuple[list[str], dict[str, Any]]:
    """Every hit's IRI over all pages of /search.json, and the first page's document."""
    found: list[str] = []
    url: str | None = "/search.json"
    first: dict[str, Any] | None = None
    query: dict[str, str] | None = params
    while url:
        response = client.get(url, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        document = response.get_json()
        first = first or document
        found += [item["id"] for item in document["items"]]
        url, query = document["links"].get("next"), None
        if url:
            url = url.removeprefix("http://localhost")
    assert first is not None
    return found, first


def _sparql(backend: StoreBackend, text: str, **bindings: str) -> set[str]:
    return {str(row["item"]) for row in backend.select(
        text, {k: Literal(v) for k, v in bindings.items()})}


@pytest.mark.parametrize("q", ["Mobilität", "Mobilitaet", "mobilitat", "Mobilitat"])
def test_mobilitaet_in_every_spelling_finds_every_project_of_the_field(
    client: FlaskClient, loaded_backend: StoreBackend, q: str
) -> None:
    expected = _sparql(loaded_backend, MOBILITY_PROJECTS)
    assert len(expected) == 10  # the shipped data: ten projects in the field Mobilität
    found, _ = _items(client, q=q, kind="project")
    assert expected <= set(found)
    reference, _ = _items(client, q="Mobilität")
    assert sorted(_items(client, q=q)[0]) == sorted(reference)  # the same set, every spelling


def test_fulda_finds_every_project_in_landkreis_fulda(
    client: FlaskClient, loaded_backend: StoreBackend
) -> None:
    expected = _sparql(loaded_backend, KREIS_PROJECTS, want="Fulda")
    assert expected  # the shipped data have projects there
    found, document = _items(client, q="Fulda", kind="project")
    assert expected <= set(found)
    kreise = {f["key"]: f for f in document["facets"]["kreis"]}
    assert kreise["06631"]["count"] == len(expected)


@pytest.mark.parametrize(("typo", "word"), [("Digitalisirung", "Digitalisierung"),
                                            ("Mobilitat", "Mobilität"),
                                            ("Darmstat", "Darmstadt")])
def test_small_typos_still_find(client: FlaskClient, typo: str, word: str) -> None:
    found, _ = _items(client, q=typo)
    assert found
    exact, _ = _items(client, q=word)
    assert set(exact) & set(found)


def test_best_match_first(client: FlaskClient) -> None:
    found, document = _items(client, q="Darmstadt")
    assert found[0].endswith("/id/municipality/06411000") or found[0].endswith(
        "/id/district/06411")
    scores = [item["score"] for item in document["items"]]
    assert scores == sorted(scores, reverse=True)


def test_facets_narrow_and_count(client: FlaskClient, loaded_backend: StoreBackend) -> None:
    _, document = _items(client, q="Mobilität")
    facets = {name: {v["key"]: v for v in values} for name, values in
              document["facets"].items()}
    assert facets["field"]["mobility"]["name"] == "Mobilität"
    for name in ("kind", "field", "kreis", "programme"):
        for key, value in facets[name].items():
            narrowed, narrowed_doc = _items(client, q="Mobilität", **{name: key})
            assert len(narrowed) == value["count"] == narrowed_doc["total"]
            for item in narrowed_doc["items"]:
                assert key in (item[name] if name != "kind" else [item["kind"]])
    only, _ = _items(client, q="Mobilität", field="mobility", kind="project")
    assert set(only) == _sparql(loaded_backend, MOBILITY_PROJECTS)


def test_facet_links_and_highlighted_snippets_on_the_page(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "Mobilität"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<mark>Mobilität</mark>" in html
    assert re.search(r'<a href="/search\?q=Mobilit%C3%A4t&amp;field=mobility"[^>]*>'
                     r'Mobilität</a> <span class="count">\(10\)</span>', html)
    _, document = _items(client, q="Mobilität", field="mobility")
    for item in document["items"]:  # found in the description or by the field's name
        assert re.search(r"<mark>Mobilit(ä|ae)t</mark>", item["snippet"]), item
    narrowed = client.get("/search?q=Mobilit%C3%A4t&field=mobility").get_data(as_text=True)
    assert 'aria-current="true">Mobilität</a>' in narrowed
    assert "10 Treffer" in narrowed


def test_results_as_csv_json_ld_and_paging_headers(client: FlaskClient) -> None:
    found, _ = _items(client, q="smart")
    assert len(found) > 50  # more than a page: the paging below is exercised
    response = client.get("/search?q=smart", headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["id"] for row in rows] == found[:50]
    assert "<mark>" not in response.get_data(as_text=True)
    assert response.headers["X-Total-Count"] == str(len(found))
    assert 'rel="next"' in response.headers["Link"] and "search.csv?q=smart&page=2" in \
        response.headers["Link"]
    jsonld = client.get("/search?q=smart&format=jsonld")
    assert jsonld.mimetype == "application/ld+json"
    assert found[0] in jsonld.get_data(as_text=True)
    assert client.get("/search.json?q=smart&page=2").get_json()["items"][0]["id"] == found[50]


@pytest.mark.parametrize("q", ['"', "Mobilität:", "(Mobilität", "Mobil*", 'title:"x" AND (',
                               "~1", "x" * 5000, "ö" * 300, "\\", "<x>", "🙂" * 50,
                               "a b c d e f g h i j k l", "\x00", "NOT OR AND"])
def test_hostile_queries_give_results_or_a_clear_400(client: FlaskClient, q: str) -> None:
    for path in ("/search", "/search.json"):
        response = client.get(path, query_string={"q": q})
        assert response.status_code in (200, 400), (path, q, response.status_code)
        if response.status_code == 400:
            assert "word" in response.get_data(as_text=True) or "zwei" in response.get_data(
                as_text=True) or "two" in response.get_data(as_text=True)


def test_bad_facet_values_are_400(client: FlaskClient) -> None:
    assert client.get("/search.json?q=smart&kreis=%22%3B").status_code == 400
    assert client.get("/search.json?q=smart&kreis=99999").get_json()["total"] == 0


def test_index_is_kept_per_version(loaded_settings: Settings, client: FlaskClient) -> None:
    client.get("/search.json?q=smart")
    built = [p for p in (loaded_settings.data_dir / "search").iterdir() if p.is_dir()]
    assert built and all(not p.name.startswith(".build-") for p in built)


def test_concept_names_from_the_store_agree_with_the_scheme_files(
    loaded_backend: StoreBackend, loaded_settings: Settings
) -> None:
    """The index names concepts from the store's vocabulary graphs, and falls back to the
    scheme files for a store without them: both give the same names."""
    from smartregion.derived.search_index import scheme_labels

    files = scheme_labels(loaded_settings.ontology_dir)
    rows = loaded_backend.select(PREFIXES + """
        SELECT ?c ?label WHERE { GRAPH ?g { ?c a skos:Concept ; skos:prefLabel ?label } }""")
    assert rows
    for row in rows:
        label = row["label"]
        assert isinstance(label, Literal)
        assert files[str(row["c"])][label.language or ""] == str(label)
    assert files["https://data.smarte-region-hessen.de/def/scheme/field-of-action/mobility"][
        "de"] == "Mobilität"
