"""SPARQL 1.1 Protocol through the Flask test client: the case table of tests/sparql_cases.py,
the refusals (updates, ambiguous parameters, SERVICE, oversized requests, wrong methods),
the service description, the UI, validators, CORS and compression."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from tests.sparql_cases import CASES, CONSTRUCT, DIRECT, FORM, SELECT, SRJ, Case, problem_accept

PROBLEM = f"{SRJ}, application/problem+json;q=0.1"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")


def send(client: FlaskClient, case: Case):  # type: ignore[no-untyped-def]
    headers = {"Accept": accept} if (accept := problem_accept(case)) else {}
    params = {"format": case.format} if case.format else {}
    if case.method == "GET":
        return client.get("/sparql", query_string={"query": case.query, **params},
                          headers=headers)
    if case.content_type == FORM:
        return client.post("/sparql", data={"query": case.query, **params}, headers=headers)
    return client.post("/sparql", query_string=params, data=case.query.encode(),
                       content_type=case.content_type, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_protocol_case(client: FlaskClient, case: Case) -> None:
    response = send(client, case)
    assert response.status_code == case.status, response.get_data(as_text=True)
    assert response.mimetype == case.media_type
    assert "Accept" in response.headers.get("Vary", "")
    if case.check is not None:
        case.check(response.get_data())
    if case.status == 406:
        problem = response.get_json()
        assert problem["status"] == 406
        assert "application/sparql-results+json" in problem["detail"] or (
            "text/turtle" in problem["detail"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": SELECT, "update": "CLEAR ALL"}, "SPARQL Update"),
        ({"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}, "SPARQL Update"),
        ({"query": [SELECT, SELECT]}, "Exactly one"),
        ({"query": SELECT, "timeout": "soon"}, "timeout"),
        ({"query": SELECT, "timeout": "-1"}, "timeout"),
        ({"query": SELECT, "default-graph-uri": "not an iri"}, "not a valid"),
        ({"query": SELECT, "default-graph-uri": "http://testserver/graph/nothing"},
         "No published graph"),
        ({"query": "   "}, "empty"),
        ({"default-graph-uri": "http://testserver/graph/administrative"}, "need a 'query'"),
    ],
    ids=["query+update", "update", "two-queries", "timeout-text", "timeout-negative",
         "bad-graph-iri", "unknown-graph", "empty-query", "dataset-without-query"],
)
def test_bad_parameter_combinations_are_400(
    client: FlaskClient, params: dict[str, object], message: str
) -> None:
    response = client.get("/sparql", query_string=params, headers={"Accept": PROBLEM})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert message in response.get_json()["detail"]


def test_direct_post_with_query_parameter_too_is_400(client: FlaskClient) -> None:
    response = client.post("/sparql", query_string={"query": SELECT}, data=SELECT,
                           content_type=DIRECT, headers={"Accept": PROBLEM})
    assert response.status_code == 400
    assert "request body" in response.get_json()["detail"]


def test_syntax_error_names_line_and_column(client: FlaskClient) -> None:
    query = "SELECT ?s\nWHERE { ?s ?p }"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": PROBLEM})
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["title"] == "SPARQL syntax error"
    assert problem["line"] == 2 and problem["column"] >= 12
    assert f"line 2, column {problem['column']}" in problem["detail"]


def test_syntax_error_as_text_for_curl(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELEKT * {}"},
                          headers={"Accept": "*/*"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "line 1, column 1" in response.get_data(as_text=True)


def test_service_is_refused(client: FlaskClient) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": PROBLEM})
    assert response.status_code == 400
    assert "SERVICE <http://127.0.0.1:9/sparql> is refused" in response.get_json()["detail"]


def test_oversized_body_is_413(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    for content_type in (DIRECT, FORM):
        body = b"query=" + b"x" * size if content_type == FORM else b"#" * size
        response = client.post("/sparql", data=body, content_type=content_type,
                               headers={"Accept": PROBLEM})
        assert response.status_code == 413, content_type


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_method_is_405_with_allow(client: FlaskClient, method: str) -> None:
    response = getattr(client, method)("/sparql", headers={"Accept": PROBLEM})
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
     ("application/ld+json", "json-ld"), ("*/*", "turtle")],
    ids=["turtle", "rdfxml", "jsonld", "wildcard"],
)
def test_service_description(client: FlaskClient, accept: str, fmt: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(), format=fmt)
    service = URIRef("http://testserver/sparql")
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert {FORMATS.SPARQL_Results_JSON, FORMATS.SPARQL_Results_XML, FORMATS.SPARQL_Results_CSV,
            FORMATS.SPARQL_Results_TSV, FORMATS.Turtle, FORMATS["N-Triples"], FORMATS.RDF_XML,
            FORMATS["JSON-LD"], FORMATS["N-Quads"], FORMATS.TriG} <= formats
    dataset = graph.value(service, SD.defaultDataset)
    names = {str(graph.value(n, SD.name)) for n in graph.objects(dataset, SD.namedGraph)}
    assert "http://testserver/graph/administrative" in names
    assert graph.value(dataset, SD.defaultGraph) is not None
    comments = " ".join(str(c) for c in graph.objects(service, URIRef(
        "http://www.w3.org/2000/01/rdf-schema#comment")))
    assert "100000" in comments and "30 s" in comments
    links = {str(o) for o in graph.objects(service, URIRef(
        "http://www.w3.org/2000/01/rdf-schema#seeAlso"))}
    assert links == {"http://testserver/.well-known/void", "http://testserver/catalog"}


def test_browser_gets_the_query_ui(client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'id="sparql-form"' in page and 'name="query"' in page
    assert "data-example=" in page
    assert "cdn" not in page.lower() and "https://" not in page.split("<main")[0]


def test_browser_link_with_query_opens_the_ui_prefilled(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT},
                          headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "text/html"
    assert "ORDER BY ?m LIMIT 3" in response.get_data(as_text=True)


def test_etag_and_304(client: FlaskClient) -> None:
    first = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": SRJ})
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get("/sparql", query_string={"query": SELECT},
                       headers={"Accept": SRJ, "If-None-Match": etag})
    assert again.status_code == 304
    other = client.get("/sparql", query_string={"query": SELECT},
                       headers={"Accept": "text/csv", "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_repeated_request_is_identical(client: FlaskClient) -> None:
    bodies = {client.get("/sparql", query_string={"query": CONSTRUCT}).get_data()
              for _ in range(3)}
    assert len(bodies) == 1


def test_cors_for_any_origin(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT},
                          headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


def test_large_results_are_compressed(client: FlaskClient) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 500"
    plain = client.get("/sparql", query_string={"query": query}, headers={"Accept": SRJ})
    zipped = client.get("/sparql", query_string={"query": query},
                        headers={"Accept": SRJ, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["ETag"].startswith('W/"')
    revalidated = client.get("/sparql", query_string={"query": query}, headers={
        "Accept": SRJ, "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert revalidated.status_code == 304
    json.loads(plain.get_data())


def test_brotli_when_preferred(client: FlaskClient) -> None:
    brotli = pytest.importorskip("brotli", reason="br needs the brotli package")
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 500"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": SRJ, "Accept-Encoding": "gzip;q=0.5, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(response.get_data()))["results"]["bindings"]


def test_dataset_parameters_restrict_the_dataset(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = client.get("/sparql", query_string={"query": query}).get_json()
    admin = client.get("/sparql", query_string={
        "query": query, "default-graph-uri": "http://testserver/graph/administrative"}).get_json()

    def count(result: dict[str, object]) -> int:
        return int(result["results"]["bindings"][0]["n"]["value"])  # type: ignore[index]

    assert 0 < count(admin) < count(union)
    named = client.post("/sparql", query_string={
        "named-graph-uri": "http://testserver/graph/administrative"},
        data="SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", content_type=DIRECT,
    ).get_json()
    graphs = [b["g"]["value"] for b in named["results"]["bindings"]]
    assert graphs == ["http://testserver/graph/administrative"]


EXAMPLES = sorted((Path(__file__).parents[2] / "endpoint" / "queries" / "examples").glob("*.rq"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_queries_answer_with_data(client: FlaskClient, path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("# de: ") and "\n# en: " in raw  # titled in both languages
    page = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    config = json.loads(page.split('id="sparql-config">')[1].split("</script>")[0])
    text = config["examples"][path.stem]  # as the UI offers it: under the configured base
    response = client.post("/sparql", data=text.encode(), content_type=DIRECT,
                           headers={"Accept": f"{SRJ}, text/turtle"})
    assert response.status_code == 200, response.get_data(as_text=True)
    if response.mimetype == SRJ:
        assert response.get_json()["results"]["bindings"]
    else:
        assert len(Graph().parse(data=response.get_data(), format="turtle")) > 0
