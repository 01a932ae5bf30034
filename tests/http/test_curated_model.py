"""The curated model of issue 14 as a visitor meets it: the project listing follows the
field-of-action mapping, replaced IRIs stay resolvable and name their successor, a
Gebietskörperschaft is a page of its own linked to its area, dated organisation links show."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, XSD

from smartregion.namespaces import SRH
from tests.conftest import TEST_BASE
from tests.http.test_pages import all_rows

FIELDS = "https://data.smarte-region-hessen.de/def/scheme/field-of-action/"


def projects_with(client: FlaskClient, *fields: str) -> set[str]:
    """Projects that name one of ``fields`` directly, asked of the SPARQL endpoint."""
    values = " ".join(f"<{FIELDS}{field}>" for field in fields)
    query = ("PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#> "
             "SELECT DISTINCT ?p WHERE { ?p a srh:SmartRegionProject ; srh:fieldOfAction ?f . "
             f"VALUES ?f {{ {values} }} }}")
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    return {"/doc/" + b["p"]["value"].split("/id/", 1)[1]
            for b in response.get_json()["results"]["bindings"]}


def listed(client: FlaskClient, field: str) -> set[str]:
    return set(all_rows(client, "/projects", {"field": field}))


@pytest.mark.parametrize(("old", "new"), [("energy", "shh-smart-energy"),
                                          ("health-care", "shh-smart-health")])
def test_exact_matches_filter_alike(client: FlaskClient, old: str, new: str) -> None:
    by_old, by_new = projects_with(client, old), projects_with(client, new)
    assert by_old - by_new  # projects that a filter on the Themenfeld alone would miss
    assert listed(client, old) == listed(client, new) == by_old | by_new


def test_a_broader_field_includes_its_narrower_fields(client: FlaskClient) -> None:
    mobility = listed(client, "shh-smart-mobility")
    assert mobility == projects_with(client, "shh-smart-mobility", "mobility", "traffic-control")
    assert projects_with(client, "traffic-control") - projects_with(
        client, "shh-smart-mobility", "mobility")  # the mapping brings in more
    # … but not the other way: a narrower field lists only itself
    assert listed(client, "traffic-control") == projects_with(client, "traffic-control")


def test_the_facet_offers_one_choice_per_exact_match_group(client: FlaskClient) -> None:
    html = client.get("/projects").get_data(as_text=True)
    offered = set(re.findall(r'<option value="([a-z-]+)"', html))
    assert {"shh-smart-energy", "shh-smart-mobility", "shh-smart-health"} <= offered
    assert not {"energy", "mobility", "health-care"} & offered
    assert "traffic-control" in offered  # narrower, no exact match: a choice of its own
    picked = client.get("/projects?field=mobility").get_data(as_text=True)
    assert '<option value="shh-smart-mobility" selected>' in picked


@pytest.mark.parametrize(("old", "new"), [
    ("programme/civento", "platform/civento"),
    ("programme/ekom21-digitalisierungsberatung", "offer/ekom21-digitalisierungsberatung"),
    ("funding/werra-meissner-lab-shh", "funding/digitales-verwaltungszentrum-werra-meissner-shh"),
])
def test_a_replaced_iri_stays_resolvable_and_names_its_successor(
    client: FlaskClient, old: str, new: str
) -> None:
    response = client.get(f"/id/{old}", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/doc/{old}")
    graph = Graph().parse(data=client.get(f"/doc/{old}.ttl").data, format="turtle")
    subject = URIRef(f"{TEST_BASE}id/{old}")
    assert (subject, DCTERMS.isReplacedBy, URIRef(f"{TEST_BASE}id/{new}")) in graph
    assert (subject, OWL.deprecated, Literal(True)) in graph
    assert (subject, RDF.type, None) not in graph  # no longer counted as what it was
    html = client.get(f"/doc/{old}").get_data(as_text=True)
    assert f'href="/doc/{new}"' in html
    assert client.get(f"/doc/{new}").status_code == 200


def test_a_local_authority_acts_for_its_area(client: FlaskClient) -> None:
    graph = Graph().parse(data=client.get("/doc/local-authority/06411000.ttl").data,
                          format="turtle")
    body = URIRef(f"{TEST_BASE}id/local-authority/06411000")
    assert (body, SRH.jurisdiction, URIRef(f"{TEST_BASE}id/municipality/06411000")) in graph
    assert (body, RDF.type, SRH.LocalAuthority) in graph
    # the area's page names its body, reached through srh:jurisdiction
    area = client.get("/doc/municipality/06411000").get_data(as_text=True)
    assert 'href="/doc/local-authority/06411000"' in area


def test_the_geschaeftsstelle_shows_its_dated_links(client: FlaskClient) -> None:
    graph = Graph().parse(
        data=client.get("/doc/organisation/geschaeftsstelle-smarte-region.ttl").data,
        format="turtle")
    unit = URIRef(f"{TEST_BASE}id/organisation/geschaeftsstelle-smarte-region")
    periods = set(graph.objects(unit, SRH.qualifiedUnitOf))
    assert len(periods) == 2
    spans = {}
    for period in periods:  # each period is a resource of its own: follow it
        key = str(period).split("/id/", 1)[1]
        described = Graph().parse(data=client.get(f"/doc/{key}.ttl").data, format="turtle")
        ministry = described.value(period, URIRef("http://www.w3.org/ns/org#unitOf"))
        spans[str(ministry).rsplit("/", 1)[1]] = (
            str(described.value(period, SRH.startYear)), described.value(period, SRH.endYear))
    assert spans == {"hmind": ("2020", Literal("2024", datatype=XSD.gYear)),
                     "hmd": ("2024", None)}  # the ministry changed in 2024; hmd is current
    assert (unit, URIRef("http://www.w3.org/ns/org#unitOf"),
            URIRef(f"{TEST_BASE}id/organisation/hmd")) in graph
