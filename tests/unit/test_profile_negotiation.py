"""Negotiation by profile as a table (endpoint/negotiation/by_profile.py): Accept-Profile and
?_profile (tokens, <URI>s, standards a profile conforms to, q-values), the QSA-over-header
rule, media types within a profile, ?_profile=alt, 406; and the profile register itself."""

from __future__ import annotations

import pytest
from flask import Flask
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from endpoint.catalog_profiles import CATALOG_ALTERNATIVES
from endpoint.documents import DOCUMENT_ALTERNATIVES, document_alternatives
from endpoint.listing_pages import LISTING_ALTERNATIVES
from endpoint.negotiation import (
    Alternatives,
    Choice,
    NotAcceptable,
    ProfileNotAcceptable,
    choose,
    profile_headers,
    representation_url,
)
from endpoint.negotiation.by_profile import requested_profiles, token_links
from endpoint.negotiation.profiles import (
    ALT,
    DCAT_AP,
    DCAT_AP_DE,
    DSP,
    GEOJSON,
    NGSI_LD,
    PROF,
    PROFILES_FILE,
    SCHEMA_ORG,
    SRH,
    registry,
)

APP = Flask(__name__)


def pick(alternatives: Alternatives, path: str = "/", headers: dict[str, str] | None = None,
         extension: str | None = None) -> tuple[str, str]:
    with APP.test_request_context(path, headers=headers or {}):
        from flask import request

        choice = choose(request, alternatives, extension=extension)
        return choice.profile.token, choice.offer.media_type


# -- documents -------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "headers", "expected"), [
    # no profile asked: media types only, exactly as before profiles existed
    ("/", {}, ("srh", "text/html")),
    ("/", {"Accept": "*/*"}, ("srh", "text/html")),
    ("/", {"Accept": "application/ld+json"}, ("srh", "application/ld+json")),
    ("/", {"Accept": "application/json"}, ("srh", "application/ld+json")),  # alias
    ("/?format=json", {}, ("srh", "application/ld+json")),
    ("/", {"Accept": "application/*"}, ("srh", "application/ld+json")),
    # a media type only another profile has picks that profile
    ("/", {"Accept": "application/geo+json"}, ("geojson", "application/geo+json")),
    ("/", {"Accept": "application/geo+json;q=0.5, text/html;q=0.1"},
     ("geojson", "application/geo+json")),
    ("/?_mediatype=application/geo%2Bjson", {}, ("geojson", "application/geo+json")),
    ("/?_mediatype=application/geo+json", {}, ("geojson", "application/geo+json")),  # + as space
    # ?_profile by token, first profile that fits wins
    ("/?_profile=schemaorg", {}, ("schemaorg", "application/ld+json")),
    ("/?_profile=ngsi-ld", {}, ("ngsi-ld", "application/ld+json")),
    ("/?_profile=ngsi-ld&_mediatype=application/json", {}, ("ngsi-ld", "application/json")),
    ("/?_profile=ngsi-ld&format=json", {}, ("ngsi-ld", "application/json")),
    ("/?_profile=ngsi-ld", {"Accept": "application/json"}, ("ngsi-ld", "application/json")),
    ("/?_profile=geojson", {}, ("geojson", "application/geo+json")),
    ("/?_profile=srh", {"Accept": "text/turtle"}, ("srh", "text/turtle")),
    ("/?_profile=nothing,schemaorg", {}, ("schemaorg", "application/ld+json")),
    ("/?_profile=geojson,srh", {"Accept": "text/turtle"}, ("srh", "text/turtle")),
    # ?_profile by URI, and by a standard the profile conforms to
    ("/?_profile=<https://schema.org/>", {}, ("schemaorg", "application/ld+json")),
    ("/?_profile=%3Chttp://schema.org/%3E", {}, ("schemaorg", "application/ld+json")),
    ("/?_profile=<https://uri.etsi.org/ngsi-ld/>", {}, ("ngsi-ld", "application/ld+json")),
    ("/?_profile=<https://data.smarte-region-hessen.de/def/profile/geojson>", {},
     ("geojson", "application/geo+json")),
    # Accept-Profile: URIs with q-values
    ("/", {"Accept-Profile": "<https://schema.org/>"}, ("schemaorg", "application/ld+json")),
    ("/", {"Accept-Profile": "<https://www.rfc-editor.org/rfc/rfc7946>"},
     ("geojson", "application/geo+json")),
    ("/", {"Accept-Profile": "<https://schema.org/>;q=0.2, <https://uri.etsi.org/ngsi-ld/>"},
     ("ngsi-ld", "application/ld+json")),
    ("/", {"Accept-Profile": "<urn:unknown>, <https://schema.org/>;q=0.5"},
     ("schemaorg", "application/ld+json")),
    ("/", {"Accept-Profile": "<https://data.smarte-region-hessen.de/def/profile/srh>",
           "Accept": "application/n-triples"}, ("srh", "application/n-triples")),
    # a profile that lacks the media type asked gives way to the next profile asked
    ("/", {"Accept-Profile": "<https://schema.org/>, <https://data.smarte-region-hessen.de/"
           "def/profile/srh>;q=0.5", "Accept": "text/turtle"}, ("srh", "text/turtle")),
    # the query string wins over the headers
    ("/?_profile=geojson", {"Accept-Profile": "<https://schema.org/>"},
     ("geojson", "application/geo+json")),
    ("/?_profile=ngsi-ld&_mediatype=application/ld%2Bjson", {"Accept": "application/json"},
     ("ngsi-ld", "application/ld+json")),
])
def test_document_table(path: str, headers: dict[str, str], expected: tuple[str, str]) -> None:
    assert pick(DOCUMENT_ALTERNATIVES, path, headers) == expected


def test_a_variant_url_names_its_media_type_in_any_profile() -> None:
    assert pick(DOCUMENT_ALTERNATIVES, "/", {"Accept": "text/html"}, "ttl") == (
        "srh", "text/turtle")
    assert pick(DOCUMENT_ALTERNATIVES, "/?_profile=schemaorg", {}, "jsonld") == (
        "schemaorg", "application/ld+json")


@pytest.mark.parametrize(("path", "headers"), [
    ("/?_profile=nothing", {}),
    ("/", {"Accept-Profile": "<urn:nothing>"}),
    ("/", {"Accept-Profile": "<https://schema.org/>;q=0"}),  # refused, and nothing else asked
    ("/?_profile=schemaorg", {"Accept": "text/turtle"}),  # schema.org only as JSON-LD
    ("/?_profile=geojson&_mediatype=text/html", {}),
    ("/?_profile=dcat-ap", {}),  # a catalogue profile, not a document's
    ("/?_mediatype=text/csv", {}),
    ("/", {"Accept": "image/png"}),
])
def test_document_not_acceptable(path: str, headers: dict[str, str]) -> None:
    with pytest.raises(ProfileNotAcceptable) as info:
        pick(DOCUMENT_ALTERNATIVES, path, headers)
    assert info.value.alternatives == DOCUMENT_ALTERNATIVES


def test_things_without_a_place_have_no_geojson() -> None:
    assert GEOJSON in document_alternatives("municipality").profiles()
    assert GEOJSON not in document_alternatives("organisation").profiles()
    with pytest.raises(ProfileNotAcceptable):
        pick(document_alternatives("organisation"), "/", {"Accept": "application/geo+json"})


@pytest.mark.parametrize(("path", "headers", "expected"), [
    ("/?_profile=alt", {}, ("alt", "text/html")),
    ("/?_profile=alt&_mediatype=application/json", {}, ("alt", "application/json")),
    ("/?_profile=alt", {"Accept": "text/turtle"}, ("alt", "text/turtle")),
    ("/?_profile=alt,schemaorg", {}, ("alt", "text/html")),
    ("/", {"Accept-Profile": "<http://www.w3.org/ns/dx/connegp/altr>"}, ("alt", "text/html")),
])
def test_list_profiles_request(path: str, headers: dict[str, str],
                               expected: tuple[str, str]) -> None:
    assert pick(DOCUMENT_ALTERNATIVES, path, headers) == expected


def test_list_profiles_in_a_type_it_lacks_is_not_acceptable() -> None:
    with pytest.raises(NotAcceptable):
        pick(DOCUMENT_ALTERNATIVES, "/?_profile=alt&_mediatype=text/csv")


# -- catalogue and listings ------------------------------------------------------------------
@pytest.mark.parametrize(("path", "headers", "expected"), [
    ("/", {}, ("dcat-ap-de", "text/turtle")),  # as before: Turtle first for */*
    ("/", {"Accept": "text/html"}, ("dcat-ap-de", "text/html")),
    ("/?_profile=dcat-ap", {}, ("dcat-ap", "text/turtle")),
    ("/?_profile=dcat-ap", {"Accept": "text/html"}, None),  # DCAT-AP only as RDF
    ("/?_profile=dsp&_mediatype=application/ld%2Bjson", {}, ("dsp", "application/ld+json")),
    ("/?_profile=schemaorg", {}, ("schemaorg", "application/ld+json")),
    ("/", {"Accept-Profile": "<http://dcat-ap.de/def/dcatde/3.0>"}, ("dcat-ap-de", "text/turtle")),
    ("/", {"Accept-Profile": "<https://semiceu.github.io/DCAT-AP/releases/3.0.0/>"},
     ("dcat-ap", "text/turtle")),
    # DCAT 3 itself: the profiles of it, in server order (DCAT-AP.de first)
    ("/", {"Accept-Profile": "<https://www.w3.org/TR/vocab-dcat-3/>"},
     ("dcat-ap-de", "text/turtle")),
    ("/", {"Accept-Profile": "<https://w3id.org/dspace/2025/1/>"}, ("dsp", "text/turtle")),
])
def test_catalogue_table(path: str, headers: dict[str, str],
                         expected: tuple[str, str] | None) -> None:
    if expected is None:
        with pytest.raises(ProfileNotAcceptable):
            pick(CATALOG_ALTERNATIVES, path, headers)
        return
    assert pick(CATALOG_ALTERNATIVES, path, headers) == expected


@pytest.mark.parametrize(("path", "headers", "extension", "expected"), [
    ("/", {}, None, ("srh", "text/html")),
    ("/", {"Accept": "text/csv"}, None, ("srh", "text/csv")),
    ("/", {"Accept": "application/json"}, None, ("srh", "application/json")),
    ("/", {"Accept": "application/ld+json"}, None, ("srh", "application/ld+json")),
    ("/", {"Accept": "application/sparql-query"}, None, ("srh", "application/sparql-query")),
    ("/?format=csv", {}, None, ("srh", "text/csv")),
    ("/", {}, "rq", ("srh", "application/sparql-query")),
    ("/?_profile=schemaorg", {}, None, ("schemaorg", "application/ld+json")),
])
def test_listing_table(path: str, headers: dict[str, str], extension: str | None,
                       expected: tuple[str, str]) -> None:
    assert pick(LISTING_ALTERNATIVES, path, headers, extension) == expected


# -- what the answer says --------------------------------------------------------------------
def test_headers_name_the_profile_and_every_alternate() -> None:
    choice = Choice(SCHEMA_ORG, DOCUMENT_ALTERNATIVES.offers_of(SCHEMA_ORG)[0], asked=True)
    headers = profile_headers("/doc/x", DOCUMENT_ALTERNATIVES, choice, "page=2")
    assert headers["Content-Profile"] == f"<{SCHEMA_ORG.uri}>"
    assert headers["Vary"] == "Accept, Accept-Profile"
    assert headers["Content-Location"] == ("/doc/x?_profile=schemaorg&_mediatype="
                                           "application%2Fld%2Bjson&page=2")
    links = headers["Link"]
    assert f'<{SCHEMA_ORG.uri}>; rel="profile"' in links
    assert '<https://schema.org/>; rel="profile"' in links  # the standard it conforms to
    for profile, offer in DOCUMENT_ALTERNATIVES.pairs():
        url = representation_url("/doc/x", DOCUMENT_ALTERNATIVES, profile, offer, "page=2")
        entry = f'<{url}>; rel="alternate"; type="{offer.media_type}"; formats="{profile.uri}"'
        assert (entry in links) == ((profile, offer) != (choice.profile, choice.offer))
    assert '</doc/x?_profile=alt&page=2>; rel="alternate"; type="text/html"' in links


def test_the_default_answer_names_its_profile_in_content_profile_only() -> None:
    choice = Choice(SRH, DOCUMENT_ALTERNATIVES.offers_of(SRH)[1])
    headers = profile_headers("/doc/x", DOCUMENT_ALTERNATIVES, choice)
    assert headers["Content-Profile"] == f"<{SRH.uri}>"
    assert 'rel="profile"' not in headers["Link"]
    assert headers["Content-Location"] == "/doc/x.ttl"


def test_accept_profile_parsing() -> None:
    with APP.test_request_context("/", headers=[
            ("Accept-Profile", "<urn:a,b>;q=0.3, <urn:c>"), ("Accept-Profile", "token")]):
        from flask import request

        assert requested_profiles(request) == ["urn:c", "token", "urn:a,b"]


# -- the register ----------------------------------------------------------------------------
def test_every_profile_has_uri_token_and_names_in_both_languages() -> None:
    profiles = registry()
    assert set(profiles) == {"srh", "schemaorg", "dcat-ap-de", "dcat-ap", "dsp", "ngsi-ld",
                             "geojson", "alt"}
    for token, profile in profiles.items():
        assert profile.token == token
        assert profile.uri.startswith("http")
        assert profile.label_de and profile.label_en and profile.comment_de and profile.comment_en
    assert len({p.uri for p in profiles.values()}) == len(profiles)


def test_standard_uris_are_used_where_standards_publish_them() -> None:
    assert DCAT_AP_DE.uri == "http://dcat-ap.de/def/dcatde/3.0/spec/"
    assert DCAT_AP.uri == "https://semiceu.github.io/DCAT-AP/releases/3.0.0/"
    assert DCAT_AP.uri in DCAT_AP_DE.ancestors
    assert ALT.uri == "http://www.w3.org/ns/dx/connegp/altr"
    for own in (SRH, SCHEMA_ORG, DSP, NGSI_LD, GEOJSON):
        assert own.uri.startswith("https://data.smarte-region-hessen.de/def/profile/")


def test_profiles_file_is_prof() -> None:
    graph = Graph().parse(PROFILES_FILE)
    for profile in registry().values():
        assert (URIRef(profile.uri), RDF.type, PROF.Profile) in graph
        assert str(graph.value(URIRef(profile.uri), PROF.hasToken)) == profile.token


def test_token_links_map_every_token() -> None:
    links = token_links()
    for profile in registry().values():
        assert (f'<http://www.w3.org/ns/dx/prof/Profile>; rel="type"; token="{profile.token}"; '
                f"anchor=<{profile.uri}>") in links
