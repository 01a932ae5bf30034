"""Content negotiation of documents as a table: Accept header / ?format= / extension →
status, media type, Content-Location, Vary and Link, for things and vocabulary alike."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

VARIANTS = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
}
DOCUMENTS = [
    "/doc/municipality/06411000",
    "/doc/district/06631",
    "/doc/state/06",
    "/def/srh",
    "/def/scheme/project-status",
    "/def/scheme/project-status/approved",
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8"

# (suffix, query, Accept, status, chosen extension)
TABLE: list[tuple[str, dict[str, str], str | None, int, str | None]] = [
    ("", {}, None, 200, "html"),
    ("", {}, "*/*", 200, "html"),
    ("", {}, BROWSER, 200, "html"),
    ("", {}, "text/turtle", 200, "ttl"),
    ("", {}, "application/ld+json", 200, "jsonld"),
    ("", {}, 'application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"', 200,
     "jsonld"),
    ("", {}, "application/rdf+xml", 200, "rdf"),
    ("", {}, "application/n-triples", 200, "nt"),
    ("", {}, "application/json", 200, "jsonld"),
    ("", {}, "text/html;q=0.3, text/turtle;q=0.9, application/ld+json;q=0.5", 200, "ttl"),
    ("", {}, "application/n-triples, text/turtle;q=0.5", 200, "nt"),
    ("", {}, "text/turtle;q=0, */*;q=0.2", 200, "html"),
    ("", {}, "application/*", 200, "jsonld"),
    ("", {}, "image/png", 406, None),
    ("", {}, "text/csv, application/pdf;q=0.5", 406, None),
    ("", {"format": "ttl"}, "text/html", 200, "ttl"),
    ("", {"format": "turtle"}, None, 200, "ttl"),
    ("", {"format": "jsonld"}, "text/turtle", 200, "jsonld"),
    ("", {"format": "rdf"}, None, 200, "rdf"),
    ("", {"format": "nt"}, None, 200, "nt"),
    ("", {"format": "html"}, "text/turtle", 200, "html"),
    ("", {"format": "text/turtle"}, None, 200, "ttl"),
    ("", {"format": "csv"}, None, 406, None),
    (".html", {}, "text/turtle", 200, "html"),
    (".ttl", {}, "text/html", 200, "ttl"),
    (".jsonld", {}, None, 200, "jsonld"),
    (".rdf", {}, "*/*", 200, "rdf"),
    (".nt", {}, "image/png", 200, "nt"),  # a variant URL names its one representation
    (".ttl", {"format": "nt"}, None, 200, "ttl"),
]


ROOT = "http://localhost"  # the Flask test client's host: references are made absolute


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize(("suffix", "query", "accept", "status", "chosen"), TABLE)
def test_negotiation_table(
    client: FlaskClient, document: str, suffix: str, query: dict[str, str], accept: str | None,
    status: int, chosen: str | None,
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get(document + suffix, query_string=query, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    links = response.headers.get("Link", "")
    assert "Accept" in response.headers.get("Vary", "")
    if chosen is None:  # 406: says which variants there are
        body = response.get_data(as_text=True)
        for ext, media_type in VARIANTS.items():
            assert media_type in body
            assert f'<{ROOT}{document}.{ext}>; rel="alternate"; type="{media_type}"' in links
        return
    assert response.mimetype == VARIANTS[chosen]
    assert response.headers["Content-Location"] == f"{ROOT}{document}.{chosen}"
    for ext, media_type in VARIANTS.items():
        entry = f'<{ROOT}{document}.{ext}>; rel="alternate"; type="{media_type}"'
        assert (entry in links) == (ext != chosen), (ext, links)
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]


def test_html_varies_by_language_too(client: FlaskClient) -> None:
    response = client.get("/doc/district/06631", headers={"Accept": "text/html"})
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in response.headers["Vary"].split(",")}


def test_406_as_problem_json_lists_the_variants(client: FlaskClient) -> None:
    response = client.get("/doc/district/06631", query_string={"format": "csv"},
                          headers={"Accept": "application/problem+json"})
    assert response.status_code == 406
    problem = response.get_json()
    assert problem["status"] == 406
    assert len(problem["variants"]) == len(VARIANTS)


def test_charset_is_declared_on_text_types(client: FlaskClient) -> None:
    for ext in ("html", "ttl"):
        response = client.get(f"/doc/district/06631.{ext}")
        assert "charset=utf-8" in response.headers["Content-Type"]
