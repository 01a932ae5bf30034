"""The Accept table of endpoint/negotiation.py (with the document offers and aliases of
endpoint/documents.py): q-values, lists, wildcards, aliases, explicit formats, 406."""

from __future__ import annotations

import pytest
from flask import Flask

from endpoint.documents import ALIASES, DOCUMENT_OFFERS, split_extension
from endpoint.negotiation import (
    GRAPH_OFFERS,
    HTML,
    NotAcceptable,
    negotiate,
    offer_for,
    variant_headers,
)

APP = Flask(__name__)

HTML_T = "text/html"
TTL = "text/turtle"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
NT = "application/n-triples"


def choose(accept: str | None, explicit: str | None = None) -> str:
    headers = {"Accept": accept} if accept is not None else {}
    with APP.test_request_context("/", headers=headers):
        from flask import request

        return negotiate(request, DOCUMENT_OFFERS, explicit=explicit, aliases=ALIASES).media_type


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, HTML_T),  # no Accept: the server's first choice
        ("", HTML_T),
        ("*/*", HTML_T),  # curl: a tie goes to the first offer
        ("text/*", HTML_T),
        ("application/*", JSONLD),  # the first application/* offer
        (TTL, TTL),
        (JSONLD, JSONLD),
        (RDFXML, RDFXML),
        (NT, NT),
        (HTML_T, HTML_T),
        ("text/html;q=0.5, text/turtle", TTL),  # q-values decide
        ("text/turtle;q=0.8, application/rdf+xml;q=0.9", RDFXML),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.8", RDFXML),  # order does not matter
        ("text/turtle;q=0, */*;q=0.1", HTML_T),  # q=0 excludes
        ("text/turtle;q=0.1, */*;q=0.5", HTML_T),
        ("text/turtle, */*;q=0.1", TTL),  # the specific type beats the wildcard
        ("image/png, text/turtle;q=0.2", TTL),  # a list: unknown entries are skipped
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
            HTML_T,  # a browser
        ),
        ("application/rdf+xml, text/rdf+n3, application/n-triples;q=0.9", RDFXML),  # rdflib-ish
        ("application/json", JSONLD),  # aliases: a standard type of the same data is sent
        ("application/xml", RDFXML),
        ("text/xml", RDFXML),
        ("application/xhtml+xml", HTML_T),
        ("application/x-turtle", TTL),
        ("application/ld+json;profile=\"http://www.w3.org/ns/json-ld#compacted\"", JSONLD),
    ],
)
def test_accept_table(accept: str | None, expected: str) -> None:
    assert choose(accept) == expected


@pytest.mark.parametrize(
    "accept",
    ["image/png", "application/pdf, image/*", "text/csv", "text/turtle;q=0, text/html;q=0"],
)
def test_nothing_fits_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable) as info:
        choose(accept)
    assert info.value.offers == DOCUMENT_OFFERS
    assert info.value.asked == accept


@pytest.mark.parametrize(
    ("explicit", "expected"),
    [
        ("html", HTML_T),
        ("ttl", TTL),
        ("turtle", TTL),
        ("text/turtle", TTL),
        ("jsonld", JSONLD),
        ("json-ld", JSONLD),
        ("json", JSONLD),
        ("rdf", RDFXML),
        ("rdfxml", RDFXML),
        ("xml", RDFXML),
        ("nt", NT),
        ("ntriples", NT),
        ("n-triples", NT),
        (" TTL ", TTL),
    ],
)
def test_explicit_format_wins_over_accept(explicit: str, expected: str) -> None:
    assert choose("text/html", explicit) == expected


@pytest.mark.parametrize("explicit", ["csv", "nq", "trig", "pdf", "foo"])
def test_unknown_or_unoffered_explicit_format_is_not_acceptable(explicit: str) -> None:
    with pytest.raises(NotAcceptable):
        choose("*/*", explicit)


def test_offer_for_names_extensions_and_media_types() -> None:
    assert offer_for("ttl", GRAPH_OFFERS) is not None
    assert offer_for("html", GRAPH_OFFERS) is None
    assert offer_for("html", (HTML,)) == HTML


def test_variant_headers_name_every_other_variant() -> None:
    chosen = DOCUMENT_OFFERS[1]  # turtle
    headers = variant_headers("/doc/project/x", chosen, DOCUMENT_OFFERS)
    assert headers["Vary"] == "Accept"
    assert headers["Content-Location"] == "/doc/project/x.ttl"
    links = headers["Link"].split(", ")
    assert len(links) == len(DOCUMENT_OFFERS) - 1
    assert '</doc/project/x.html>; rel="alternate"; type="text/html"' in links
    assert not any(".ttl>" in link for link in links)


def test_variant_headers_keep_the_query_on_every_variant() -> None:
    headers = variant_headers("/doc/x", HTML, DOCUMENT_OFFERS, "inverse=srh%3Ax&page=2")
    assert headers["Content-Location"] == "/doc/x.html?inverse=srh%3Ax&page=2"
    assert '</doc/x.nt?inverse=srh%3Ax&page=2>; rel="alternate"' in headers["Link"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("smart-kassel", ("smart-kassel", None)),
        ("smart-kassel.ttl", ("smart-kassel", "ttl")),
        ("smart-kassel.jsonld", ("smart-kassel", "jsonld")),
        ("06411000.html", ("06411000", "html")),
        ("a.b.rdf", ("a.b", "rdf")),
        ("v1.2", ("v1.2", None)),  # not a known extension: part of the key
        (".ttl", (".ttl", None)),
    ],
)
def test_split_extension(name: str, expected: tuple[str, str | None]) -> None:
    assert split_extension(name) == expected


def test_only_standard_media_types_are_offered() -> None:
    assert [o.media_type for o in DOCUMENT_OFFERS] == [HTML_T, TTL, JSONLD, RDFXML, NT]
    assert all(not o.media_type.split("/")[1].startswith("x-") for o in DOCUMENT_OFFERS)
