"""Content negotiation by profile as a table: every profile × media type × kind of resource
(documents of things, vocabulary documents, listings, the catalogue), asked three ways —
``?_profile=&_mediatype=``, ``Accept-Profile`` + ``Accept``, and the representation's own
URL — answers 200 in that media type and profile, says so (``Content-Profile``,
``Content-Location``, ``Link`` rel=profile) and has a body of that type; a profile a resource
lacks answers 406 naming every representation; ``?_profile=alt`` lists them all.

The alternatives each kind offers are read from the views' own declarations, so a profile
added there is tested here without editing this table.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Namespace
from rdflib.plugins.sparql import prepareQuery
from werkzeug.test import TestResponse

from endpoint.catalog_profiles import CATALOG_ALTERNATIVES
from endpoint.documents import VOCABULARY_ALTERNATIVES, document_alternatives
from endpoint.listing_pages import LISTING_ALTERNATIVES
from endpoint.negotiation import Alternatives, Offer, representation_url
from endpoint.negotiation.profiles import Profile
from tests.conftest import TEST_BASE

ROOT = "http://localhost"
ALTR = Namespace("http://www.w3.org/ns/dx/connegp/altr#")
# kind of resource → (paths, what it offers)
RESOURCES: dict[str, tuple[list[str], Alternatives]] = {
    "municipality": (["/doc/municipality/06411000"], document_alternatives("municipality")),
    "district": (["/doc/district/06631"], document_alternatives("district")),
    "project": (["/doc/project/smart-kassel"], document_alternatives("project")),
    "organisation": (["/doc/organisation/ekom21"], document_alternatives("organisation")),
    "event": (["/doc/event/kongress-2019"], document_alternatives("event")),
    "vocabulary": (["/def/srh", "/def/scheme/project-status",
                    "/def/scheme/project-status/approved"], VOCABULARY_ALTERNATIVES),
    "listing": (["/projects", "/municipalities", "/organisations", "/events"],
                LISTING_ALTERNATIVES),
    "catalogue": (["/catalog", "/dataset/projects"], CATALOG_ALTERNATIVES),
}
CASES = [(kind, path, profile, offer)
         for kind, (paths, alternatives) in RESOURCES.items() for path in paths
         for profile, offer in alternatives.pairs()]
WAYS = ("query", "headers", "url")


def case_id(case: tuple[str, str, Profile, Offer]) -> str:
    _kind, path, profile, offer = case
    return f"{path}-{profile.token}-{offer.media_type}"


def ask(client: FlaskClient, path: str, profile: Profile, offer: Offer, way: str,
        alternatives: Alternatives) -> TestResponse:
    if way == "query":
        return client.get(path, query_string={"_profile": profile.token,
                                              "_mediatype": offer.media_type})
    if way == "headers":
        return client.get(path, headers={"Accept-Profile": f"<{profile.uri}>",
                                         "Accept": offer.media_type})
    return client.get(representation_url(path, alternatives, profile, offer))


def check_body(response: TestResponse, offer: Offer) -> None:
    """The body is of the media type it says."""
    data = response.get_data(as_text=True)
    media_type = offer.media_type
    if media_type == "text/html":
        assert data.lstrip().startswith("<!doctype html>")
    elif media_type in ("text/turtle", "application/rdf+xml", "application/n-triples"):
        graph = Graph().parse(data=data, format={"text/turtle": "turtle",
                                                 "application/rdf+xml": "xml",
                                                 "application/n-triples": "nt"}[media_type])
        assert len(graph) > 0
    elif media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(data)))
        assert rows[0][:2] == ["id", "name"] and len(rows) > 1
    elif media_type == "application/sparql-query":
        assert prepareQuery(data) is not None
    else:  # the JSON family
        document = json.loads(data)
        assert document
        if media_type == "application/geo+json":
            assert document["type"] == "Feature"


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_every_profile_and_media_type_of_every_resource(
    client: FlaskClient, case: tuple[str, str, Profile, Offer], way: str
) -> None:
    kind, path, profile, offer = case
    alternatives = RESOURCES[kind][1]
    response = ask(client, path, profile, offer, way, alternatives)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    assert response.mimetype == offer.media_type
    assert response.headers["Content-Profile"] == f"<{profile.uri}>"
    wanted = representation_url(path, alternatives, profile, offer)
    assert response.headers["Content-Location"].split("&page=")[0] == ROOT + wanted
    assert "Accept-Profile" in response.headers["Vary"]
    links = response.headers["Link"]
    if way != "url" or profile != alternatives.default:
        assert f'<{profile.uri}>; rel="profile"' in links
    for other, other_offer in alternatives.pairs():
        if (other, other_offer) != (profile, offer):
            url = ROOT + representation_url(path, alternatives, other, other_offer)
            assert f'<{url}>; rel="alternate"; type="{other_offer.media_type}"' in links
    check_body(response, offer)


UNOFFERED = [
    ("/doc/organisation/ekom21", "geojson"), ("/doc/municipality/06411000", "dcat-ap"),
    ("/def/srh", "schemaorg"), ("/def/scheme/project-status", "ngsi-ld"),
    ("/projects", "dsp"), ("/events", "geojson"), ("/catalog", "ngsi-ld"),
    ("/dataset/projects", "srh"),
]


@pytest.mark.parametrize(("path", "token"), UNOFFERED)
def test_a_profile_the_resource_lacks_is_406_with_every_alternative(
    client: FlaskClient, path: str, token: str
) -> None:
    alternatives = next(a for paths, a in RESOURCES.values() if path in paths)
    for response in (client.get(path, query_string={"_profile": token},
                                headers={"Accept": "application/problem+json"}),
                     client.get(path, headers={"Accept": "application/problem+json",
                                               "Accept-Profile": f"<urn:x:{token}>"})):
        assert response.status_code == 406
        assert "Accept-Profile" in response.headers["Vary"]
        listed = {(a["token"], a["mediaType"]) for a in response.get_json()["alternatives"]}
        assert listed == {(p.token, o.media_type) for p, o in alternatives.pairs()}
        for profile, offer in alternatives.pairs():
            assert ROOT + representation_url(path, alternatives, profile, offer) in \
                response.headers["Link"]


@pytest.mark.parametrize(("path", "media_type"), [
    ("/doc/project/smart-kassel", "application/geo+json"),  # a pair that exists…
    ("/projects", "text/turtle"),
])
def test_an_unknown_pair_is_406(client: FlaskClient, path: str, media_type: str) -> None:
    # …but not in the schema.org profile, which comes as JSON-LD only
    response = client.get(path, query_string={"_profile": "schemaorg",
                                              "_mediatype": media_type})
    assert response.status_code == 406


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_alt_lists_every_representation(client: FlaskClient, kind: str) -> None:
    paths, alternatives = RESOURCES[kind]
    path = paths[0]
    listed = client.get(path, query_string={"_profile": "alt", "_mediatype": "application/json"})
    assert listed.status_code == 200
    assert listed.headers["Content-Profile"] == "<http://www.w3.org/ns/dx/connegp/altr>"
    document = listed.get_json()
    assert [(p["token"], p["media_types"]) for p in document["profiles"]] == [
        (p.token, [o.media_type for o in offers]) for p, offers in alternatives.choices]
    links = listed.headers["Link"]
    default = alternatives.default
    url = ROOT + representation_url(path, alternatives, default,
                                    alternatives.offers_of(default)[0])
    assert f'<{url}>; rel="canonical"' in links
    for profile in alternatives.profiles():
        assert f'token="{profile.token}"; anchor=<{profile.uri}>' in links
    rdf = client.get(path, query_string={"_profile": "alt"}, headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=rdf.get_data(as_text=True), format="turtle")
    assert len(list(graph.objects(None, ALTR.hasDefaultRepresentation))) == 1
    assert len(set(graph.subjects(None, ALTR.Representation))) == len(alternatives.pairs())
    page = client.get(path, query_string={"_profile": "alt"}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert all(p.uri in page.get_data(as_text=True) for p in alternatives.profiles())


# -- the same thing in each profile ----------------------------------------------------------
def test_document_profiles_reuse_the_platform_views(client: FlaskClient) -> None:
    iri = f"{TEST_BASE}id/municipality/06411000"
    path = "/doc/municipality/06411000"
    ngsi = client.get(path, query_string={"_profile": "ngsi-ld", "_mediatype":
                                          "application/json"}).get_json()
    api = client.get(f"/ngsi-ld/v1/entities/{quote(iri, safe='')}").get_json()
    assert ngsi == api
    linked = client.get(path, query_string={"_profile": "ngsi-ld"}).get_json()
    assert linked["@context"][0] == "http://localhost/ngsi-ld/context.jsonld"
    assert {k: v for k, v in linked.items() if k != "@context"} == api
    feature = client.get(path, headers={"Accept": "application/geo+json"}).get_json()
    item = client.get("/features/collections/municipalities/items/06411000").get_json()
    assert feature["id"] == item["id"] == iri
    assert feature["geometry"] == item["geometry"]
    assert feature["properties"] == item["properties"]
    schema = client.get(path, query_string={"_profile": "schemaorg"}).get_json()
    assert schema["@context"] == "https://schema.org"
    assert schema["@id"] == iri and schema["@type"] == "AdministrativeArea"
    page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert json.dumps(schema["name"], ensure_ascii=False) in page  # the node the page embeds


def test_redirect_names_the_profile_asked_for(client: FlaskClient) -> None:
    response = client.get("/id/project/smart-kassel",
                          headers={"Accept-Profile": "<https://schema.org/>"})
    assert response.status_code == 303
    assert ("<https://data.smarte-region-hessen.de/def/profile/schemaorg>; rel=\"profile\""
            in response.headers["Link"])


def test_profile_answers_have_their_own_etags(client: FlaskClient) -> None:
    path = "/doc/municipality/06411000"
    own = client.get(path, headers={"Accept": "application/ld+json"})
    schema = client.get(path, headers={"Accept": "application/ld+json",
                                       "Accept-Profile": "<https://schema.org/>"})
    assert own.headers["ETag"] != schema.headers["ETag"]
    again = client.get(path, headers={"Accept": "application/ld+json",
                                      "Accept-Profile": "<https://schema.org/>",
                                      "If-None-Match": schema.headers["ETag"]})
    assert again.status_code == 304


def test_register_describes_every_profile(client: FlaskClient) -> None:
    page = client.get("/def/profile/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    turtle = client.get("/def/profile/", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    prof = Namespace("http://www.w3.org/ns/dx/prof/")
    tokens = {str(t) for t in graph.objects(None, prof.hasToken)}
    assert tokens == {"srh", "schemaorg", "dcat-ap-de", "dcat-ap", "dsp", "ngsi-ld",
                      "geojson", "alt"}
    assert all(f"<code>{t}</code>" in html for t in tokens)
    one = client.get("/def/profile/dsp", headers={"Accept": "text/turtle"})
    assert one.status_code == 200
    assert client.get("/def/profile/nothing").status_code == 404
    assert client.get("/def/profile").status_code == 301
