"""The catalogue in its other profiles: the Dataspace Protocol (an ODRL offer per dataset,
derived from its licence), DCAT-AP 3.0 (without DCAT-AP.de's own terms) and schema.org. The
official shapes are run over them in tests/conformance/test_catalog_profiles.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from endpoint import create_app
from smartregion.namespaces import DCAT, DCATDE, DCTERMS, HYDRA
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.http.test_catalog import BASE, CATALOG, RDF_TYPES, output_violations, parse

ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
DSPACE = Namespace("https://w3id.org/dspace/2025/1/")
PUBLISHER = URIRef(BASE + "id/organisation/geschaeftsstelle-smarte-region")
EVERY_USE = {ODRL.use, ODRL.reproduce, ODRL.distribute, ODRL.derive, ODRL.commercialize}
# What the licences say (the texts, not the code): all allow any use, commercial use and
# adaptations; CC BY 4.0 asks for attribution when the material is shared or adapted (§3a),
# Datenlizenz Deutschland – Namensnennung 2.0 and GeoNutzV for every use (Quellenvermerk).
LICENCE_TERMS: dict[str, tuple[set[URIRef], set[URIRef]]] = {
    "http://dcat-ap.de/def/licenses/cc-by/4.0": (
        EVERY_USE, {ODRL.reproduce, ODRL.distribute, ODRL.derive}),
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": (EVERY_USE, EVERY_USE),
    "http://dcat-ap.de/def/licenses/geonutz/20130319": (EVERY_USE, EVERY_USE),
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": (EVERY_USE, set()),
    "http://dcat-ap.de/def/licenses/cc-zero": (EVERY_USE, set()),
}


@pytest.fixture(scope="module")
def paged(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    """A client whose catalogue pages hold 3 datasets (several pages to follow)."""
    flask_app: Flask = create_app(loaded_settings.replace(catalog_page_size=3), loaded_backend)
    flask_app.testing = True
    return flask_app.test_client()


def pages(client: FlaskClient, token: str, media_type: str = "text/turtle"
          ) -> Iterator[Graph]:
    """Every page of the catalogue in one profile, following hydra:next."""
    url: str | None = f"/catalog?_profile={token}"
    while url:
        response = client.get(url, headers={"Accept": media_type})
        assert response.status_code == 200, response.data[:300]
        assert response.headers["Content-Profile"].startswith("<")
        graph = parse(response.data, response.mimetype)
        yield graph
        view = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
        following = graph.value(view, HYDRA.next)
        url = str(following).removeprefix(BASE.rstrip("/")) if following else None
        if url:
            assert f"_profile={token}" in url  # the next page in the same profile


def datasets(graph: Graph) -> list[URIRef]:
    return sorted(d for d in graph.objects(CATALOG, DCAT.dataset) if isinstance(d, URIRef))


# -- Dataspace Protocol ----------------------------------------------------------------------
def test_dsp_parses_alike_in_every_rdf_format(client: FlaskClient) -> None:
    graphs = [parse(client.get("/catalog", query_string={"_profile": "dsp"},
                               headers={"Accept": t}).data, t) for t in RDF_TYPES]
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])
    assert (CATALOG, DSPACE.participantId, PUBLISHER) in graphs[0]


def test_every_dataset_has_an_offer_that_matches_its_licence(paged: FlaskClient) -> None:
    seen = 0
    for graph in pages(paged, "dsp"):
        for dataset in datasets(graph):
            seen += 1
            offers = list(graph.objects(dataset, ODRL.hasPolicy))
            assert len(offers) == 1, dataset
            offer = offers[0]
            assert (offer, RDF.type, ODRL.Offer) in graph
            assert graph.value(offer, ODRL.target) is None  # DSP: none inside a dataset
            assert graph.value(offer, ODRL.assigner) == PUBLISHER
            licences = {str(d) for dist in graph.objects(dataset, DCAT.distribution)
                        for d in graph.objects(dist, DCTERMS.license)}
            assert len(licences) == 1, (dataset, licences)
            permitted, attributed = LICENCE_TERMS[licences.pop()]
            actions = {}
            for permission in graph.objects(offer, ODRL.permission):
                action = graph.value(permission, ODRL.action)
                duties = {graph.value(d, ODRL.action)
                          for d in graph.objects(permission, ODRL.duty)}
                actions[action] = duties
            assert set(actions) == permitted, dataset
            assert {a for a, duties in actions.items() if ODRL.attribute in duties} == \
                attributed, dataset
            assert not list(graph.objects(offer, ODRL.prohibition))
    assert seen >= 5


def test_dsp_only_adds_to_the_dcat_ap_de_catalogue(client: FlaskClient) -> None:
    german = parse(client.get("/catalog.ttl").data, "text/turtle")
    dsp = parse(client.get("/catalog.ttl?_profile=dsp").data, "text/turtle")
    odrl, hydra = str(ODRL), str(HYDRA)

    def kept(graph: Graph) -> Graph:  # paging links name their own profile; leave them out
        result = Graph()
        for s, p, o in graph:
            if not (str(p).startswith((odrl, hydra)) or str(o).startswith(hydra)
                    or p == DSPACE.participantId or "#offer" in str(s)):
                result.add((s, p, o))
        return result

    assert len(kept(dsp)) < len(dsp)
    assert isomorphic(kept(dsp), kept(german))


def test_dsp_and_its_dataset_documents_keep_our_dcat_shapes(client: FlaskClient) -> None:
    catalog = parse(client.get("/catalog.ttl?_profile=dsp").data, "text/turtle")
    assert output_violations(catalog) == []
    for dataset in datasets(catalog)[:3]:
        name = str(dataset).rsplit("/", 1)[1]
        one = client.get(f"/dataset/{name}", query_string={"_profile": "dsp"},
                         headers={"Accept": "application/ld+json"})
        graph = parse(one.data, "application/ld+json")
        assert output_violations(graph) == []
        assert graph.value(dataset, ODRL.hasPolicy) is not None


# -- DCAT-AP ---------------------------------------------------------------------------------
def test_dcat_ap_has_no_german_terms_and_keeps_attribution_as_rights(
    client: FlaskClient
) -> None:
    german = parse(client.get("/catalog.ttl").data, "text/turtle")
    european = parse(client.get("/catalog.ttl?_profile=dcat-ap").data, "text/turtle")
    assert not [t for t in european if str(t[1]).startswith(str(DCATDE))]
    attributions = list(german.subject_objects(DCATDE.licenseAttributionByText))
    assert attributions
    for distribution, text in attributions:
        rights = european.value(distribution, DCTERMS.rights)
        assert rights is not None
        assert (rights, RDF.type, DCTERMS.RightsStatement) in european
        assert european.value(rights, RDFS.label) == text
    assert datasets(german) == datasets(european)


# -- schema.org ------------------------------------------------------------------------------
def test_schema_org_catalogue_lists_what_dcat_lists(client: FlaskClient) -> None:
    dcat = parse(client.get("/catalog.ttl").data, "text/turtle")
    catalog = client.get("/catalog", query_string={"_profile": "schemaorg"}).get_json()
    assert catalog["@context"] == "https://schema.org" and catalog["@type"] == "DataCatalog"
    found = {d["@id"]: d for d in catalog["dataset"]}
    assert sorted(found) == [str(d) for d in datasets(dcat)]
    for iri, node in found.items():
        dataset = URIRef(iri)
        licences = {str(o) for dist in dcat.objects(dataset, DCAT.distribution)
                    for o in dcat.objects(dist, DCTERMS.license)}
        assert {node["license"]} == licences
        downloads = {str(o) for dist in dcat.objects(dataset, DCAT.distribution)
                     for o in dcat.objects(dist, DCAT.downloadURL)}
        assert {d["contentUrl"] for d in node["distribution"]} == downloads
        titles = {(str(t), t.language) for t in dcat.objects(dataset, DCTERMS.title)
                  if isinstance(t, Literal)}
        assert {(n["@value"], n["@language"]) for n in node["name"]} == titles
