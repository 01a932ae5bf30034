"""Cool URIs of things: 303 from /id, documents under /doc in every RDF format (parsed with
rdflib, isomorphic across formats, complete), validators and 304, HEAD, 404, inverse paging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import FOAF, PROV, RDF, SKOS

from endpoint import create_app
from smartregion.namespaces import HYDRA, SCHEMA
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend

BASE = "http://testserver/"
RDF_VARIANTS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt"}
CONTEXT_FILE = Path(__file__).resolve().parents[2] / "ontology" / "context.jsonld"


def parse(body: bytes, ext: str) -> Graph:
    """A document body as a graph; JSON-LD refers to /context.jsonld, read from the file."""
    if ext == "jsonld":
        document = json.loads(body)
        assert document["@context"].endswith("/context.jsonld")
        document["@context"] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
        return Graph().parse(data=json.dumps(document), format="json-ld")
    return Graph().parse(data=body, format=RDF_VARIANTS[ext])


def things_by_kind(backend: EmbeddedBackend) -> dict[str, str]:
    """One key per kind that the shipped data has, e.g. {"project": "smart-kassel"}."""
    rows = backend.select(
        "SELECT DISTINCT ?s WHERE { #VALUES\n GRAPH ?g { ?s a ?t } "
        "FILTER(STRSTARTS(STR(?s), ?p)) } ORDER BY ?s",
        {"p": Literal(BASE + "id/")},
    )
    found: dict[str, str] = {}
    for row in rows:
        kind, key = str(row["s"])[len(BASE) + 3:].split("/", 1)
        found.setdefault(kind, key)
    return found


@pytest.fixture(scope="module")
def kinds(loaded_backend: EmbeddedBackend) -> dict[str, str]:
    found = things_by_kind(loaded_backend)
    assert {"project", "municipality", "district", "organisation"} <= set(found)
    return found


def document_paths(loaded_backend: EmbeddedBackend) -> Iterator[str]:
    for kind, key in things_by_kind(loaded_backend).items():
        yield f"/doc/{kind}/{key}"


# -- 303 and 404 -----------------------------------------------------------------------------
def test_id_answers_303_to_the_document(client: FlaskClient) -> None:
    response = client.get("/id/municipality/06411000", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/doc/municipality/06411000"


def test_303_keeps_the_query_and_leaves_negotiation_to_the_document(client: FlaskClient) -> None:
    response = client.get("/id/municipality/06411000?format=jsonld&lang=en")
    assert response.status_code == 303
    assert response.headers["Location"] == "/doc/municipality/06411000?format=jsonld&lang=en"
    followed = client.get("/id/municipality/06411000", headers={"Accept": "text/turtle"},
                          follow_redirects=True)
    assert followed.status_code == 200
    assert followed.mimetype == "text/turtle"


@pytest.mark.parametrize("path", ["/id/municipality/99999999", "/id/project/no-such-project",
                                  "/id/unknown-kind/x", "/doc/project/no-such-project",
                                  "/doc/project/no-such-project.ttl"])
@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [("text/html", "text/html"), ("application/json", "application/problem+json"),
     ("text/turtle", "text/plain"), (None, "text/plain")],
)
def test_unknown_things_answer_404_in_the_client_s_form(
    client: FlaskClient, path: str, accept: str | None, mimetype: str
) -> None:
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.mimetype == mimetype
    if mimetype == "application/problem+json":
        assert response.get_json()["status"] == 404


def test_404_page_is_bilingual(client: FlaskClient) -> None:
    german = client.get("/doc/project/nope", headers={"Accept": "text/html"})
    english = client.get("/doc/project/nope?lang=en", headers={"Accept": "text/html"})
    assert '<html lang="de">' in german.get_data(as_text=True)
    assert "keine Daten" in german.get_data(as_text=True)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "no data" in english.get_data(as_text=True)


# -- every RDF variant of every kind of document ---------------------------------------------
def test_every_rdf_variant_of_every_kind_parses_and_is_isomorphic(
    client: FlaskClient, loaded_backend: EmbeddedBackend
) -> None:
    paths = list(document_paths(loaded_backend))
    assert len(paths) >= 8
    for path in paths:
        graphs = {}
        for ext in RDF_VARIANTS:
            response = client.get(f"{path}.{ext}")
            assert response.status_code == 200, (path, ext)
            graphs[ext] = parse(response.data, ext)
            assert len(graphs[ext]) > 0
        reference = graphs["nt"]
        for ext, graph in graphs.items():
            assert isomorphic(graph, reference), f"{path}.{ext} differs from {path}.nt"


def test_document_holds_all_statements_about_the_thing(
    client: FlaskClient, loaded_backend: EmbeddedBackend, kinds: dict[str, str]
) -> None:
    for kind, key in kinds.items():
        thing = URIRef(f"{BASE}id/{kind}/{key}")
        stored = loaded_backend.construct(
            "CONSTRUCT { ?thing ?p ?o } WHERE { #VALUES\n GRAPH ?g { ?thing ?p ?o } }",
            {"thing": thing},
        )
        document = parse(client.get(f"/doc/{kind}/{key}.nt").data, "nt")
        for s, p, o in stored:
            if isinstance(o, URIRef | Literal):
                assert (s, p, o) in document, (kind, key, p, o)
            else:  # a blank node: its statements are in the document too (closure)
                assert (s, p, None) in document


def test_document_names_what_it_links_to_and_where_it_comes_from(client: FlaskClient) -> None:
    graph = parse(client.get("/doc/municipality/06411000.ttl").data, "ttl")
    thing = URIRef(BASE + "id/municipality/06411000")
    document = URIRef(BASE + "doc/municipality/06411000")
    district = graph.value(thing, SCHEMA.containedInPlace)
    assert district is not None
    assert graph.value(district, SKOS.prefLabel) is not None  # label of a linked thing
    assert (document, FOAF.primaryTopic, thing) in graph
    sources = list(graph.objects(document, PROV.wasDerivedFrom))
    assert URIRef(BASE + "graph/administrative") in sources
    activity = graph.value(URIRef(BASE + "graph/administrative"), PROV.wasGeneratedBy)
    assert graph.value(activity, PROV.endedAtTime) is not None  # load time
    # inverse links: projects naming the municipality, with their names
    projects = list(graph.subjects(URIRef("https://data.smarte-region-hessen.de/def/srh#"
                                          "municipality"), thing))
    assert projects
    assert all(graph.value(p, SKOS.prefLabel) is not None for p in projects)


def test_types_and_concepts_are_named_from_the_vocabulary(client: FlaskClient) -> None:
    graph = parse(client.get("/doc/municipality/06411000.ttl").data, "ttl")
    for cls in graph.objects(URIRef(BASE + "id/municipality/06411000"), RDF.type):
        assert any(graph.objects(cls, None)), f"no label for {cls}"


# -- JSON-LD ---------------------------------------------------------------------------------
def test_jsonld_is_compact_with_the_published_context_and_byte_stable(
    app: Flask, loaded_settings: Settings, loaded_backend: EmbeddedBackend
) -> None:
    first = app.test_client().get("/doc/municipality/06411000.jsonld")
    again = app.test_client().get("/doc/municipality/06411000.jsonld")
    other_app = create_app(loaded_settings, loaded_backend).test_client()
    third = other_app.get("/doc/municipality/06411000.jsonld")
    assert first.data == again.data == third.data
    document = json.loads(first.data)
    assert document["@context"] == "http://localhost/context.jsonld"
    node = next(n for n in document["@graph"] if n.get("id") == BASE + "id/municipality/06411000")
    assert node["type"] == "Municipality"  # a term of the context, not an IRI
    assert node["label"]["de"]  # a language map from the context
    assert node["ags"] == "06411000"


@pytest.mark.parametrize("ext", ["ttl", "rdf", "nt", "html"])
def test_every_format_is_byte_stable(client: FlaskClient, ext: str) -> None:
    bodies = {client.get(f"/doc/district/06631.{ext}").data for _ in range(3)}
    assert len(bodies) == 1


# -- validators, 304, HEAD -------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/doc/municipality/06411000", "/doc/municipality/06411000.ttl",
                                  "/doc/district/06631.jsonld"])
def test_etag_and_last_modified_give_304(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    by_tag = client.get(path, headers={"If-None-Match": etag})
    assert by_tag.status_code == 304
    assert by_tag.data == b""
    assert by_tag.headers["ETag"] == etag
    by_date = client.get(path, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_etag_differs_per_variant_and_language(client: FlaskClient) -> None:
    tags = {
        client.get("/doc/district/06631", headers=h).headers["ETag"]
        for h in ({"Accept": "text/turtle"}, {"Accept": "text/html"},
                  {"Accept": "text/html", "Accept-Language": "en"})
    }
    assert len(tags) == 3


@pytest.mark.parametrize("path", ["/doc/district/06631", "/doc/district/06631.ttl",
                                  "/id/district/06631", "/doc/project/nope"])
def test_head_works(client: FlaskClient, path: str) -> None:
    head = client.head(path)
    get = client.get(path)
    assert head.status_code == get.status_code
    assert head.data == b""
    for name in ("Content-Type", "ETag", "Content-Location", "Location", "Link"):
        assert head.headers.get(name) == get.headers.get(name)


# -- inverse links, paged without dropping any -----------------------------------------------
@pytest.fixture
def small_pages(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    paging_app = create_app(loaded_settings.replace(inverse_page_size=3), loaded_backend)
    paging_app.testing = True
    return paging_app.test_client()


def test_inverse_links_are_paged_with_counts_and_onward_links(
    small_pages: FlaskClient, client: FlaskClient
) -> None:
    thing = URIRef(BASE + "id/district/06631")
    contained = SCHEMA.containedInPlace
    complete = parse(client.get("/doc/district/06631.nt").data, "nt")
    everyone = set(complete.subjects(contained, thing))
    assert len(everyone) > 3  # the Landkreis Fulda has more municipalities than a page
    first = parse(small_pages.get("/doc/district/06631.nt").data, "nt")
    assert len(set(first.subjects(contained, thing))) == 3
    collection = next(c for c in first.subjects(RDF.type, HYDRA.Collection)
                      if "schema%3AcontainedInPlace" in str(c))
    assert int(str(first.value(collection, HYDRA.totalItems))) == len(everyone)
    view = first.value(collection, HYDRA.view)
    seen: set[object] = set()
    page = 1
    while True:
        token = "schema:containedInPlace"
        body = small_pages.get("/doc/district/06631.nt",
                               query_string={"inverse": token, "page": page}).data
        graph = parse(body, "nt")
        seen |= set(graph.subjects(contained, thing))
        views = list(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
        nexts = [graph.value(v, HYDRA.next) for v in views if "containedInPlace" in str(v)]
        if not any(nexts):
            break
        page += 1
    assert view is not None
    assert seen == everyone  # no link is silently dropped


def test_inverse_page_html_says_how_many_and_links_onward(small_pages: FlaskClient) -> None:
    html = small_pages.get("/doc/district/06631", headers={"Accept": "text/html"}).get_data(
        as_text=True)
    assert "1–3 von" in html
    assert 'rel="next"' in html
    assert "inverse=schema%3AcontainedInPlace&amp;page=2" in html


@pytest.mark.parametrize("query", [{"inverse": "srh:noSuchLink"},
                                   {"inverse": "schema:containedInPlace", "page": "999"}])
def test_unknown_inverse_group_or_page_is_404(client: FlaskClient, query: dict[str, str]) -> None:
    assert client.get("/doc/district/06631", query_string=query).status_code == 404


def test_bad_page_number_is_400(client: FlaskClient) -> None:
    response = client.get("/doc/district/06631", query_string={"page": "x", "inverse": "a:b"})
    assert response.status_code == 400


def test_unknown_thing_is_404_even_when_conditional(client: FlaskClient) -> None:
    known = client.get("/doc/district/06631")
    response = client.get("/doc/district/00000", headers={
        "If-Modified-Since": known.headers["Last-Modified"], "If-None-Match": "*"})
    assert response.status_code == 404
