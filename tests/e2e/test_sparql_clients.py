"""The SPARQL endpoint of a real ``smartregion serve``: the protocol case table over HTTP, and
the standard clients SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import pytest
import requests
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, RDFXML, TURTLE, XML, SPARQLWrapper

from tests.e2e.conftest import LiveServer
from tests.sparql_cases import (
    ASK,
    CASES,
    CONSTRUCT,
    FORM,
    MUNICIPALITY,
    SELECT,
    Case,
    problem_accept,
)

pytestmark = pytest.mark.e2e


def send(server: LiveServer, case: Case) -> requests.Response:
    headers = {"Accept": accept} if (accept := problem_accept(case)) else {}
    params = {"format": case.format} if case.format else {}
    if case.method == "GET":
        return requests.get(server.sparql, params={"query": case.query, **params},
                            headers=headers, timeout=30)
    if case.content_type == FORM:
        return requests.post(server.sparql, data={"query": case.query, **params},
                             headers=headers, timeout=30)
    return requests.post(server.sparql, params=params, data=case.query.encode(),
                         headers={**headers, "Content-Type": case.content_type or ""},
                         timeout=30)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_protocol_case_live(live_server: LiveServer, case: Case) -> None:
    response = send(live_server, case)
    assert response.status_code == case.status, response.text
    assert response.headers["Content-Type"].split(";")[0] == case.media_type
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if case.check is not None:
        case.check(response.content)


def wrapper(server: LiveServer, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


@pytest.mark.parametrize("method", [None, POST], ids=["get", "post"])
def test_sparqlwrapper_select_json(live_server: LiveServer, method: str | None) -> None:
    result = wrapper(live_server, SELECT, JSON, method).queryAndConvert()
    bindings = result["results"]["bindings"]  # type: ignore[index]
    assert len(bindings) == 3 and all(b["m"]["type"] == "uri" for b in bindings)


def test_sparqlwrapper_select_xml_and_csv(live_server: LiveServer) -> None:
    document = wrapper(live_server, SELECT, XML).queryAndConvert()
    assert len(document.getElementsByTagName("result")) == 3  # type: ignore[union-attr]
    table = wrapper(live_server, SELECT, CSV).queryAndConvert()
    assert table.decode().splitlines()[0] == "m"  # type: ignore[union-attr]


def test_sparqlwrapper_ask(live_server: LiveServer) -> None:
    assert wrapper(live_server, ASK, JSON).queryAndConvert()["boolean"] is True  # type: ignore[index]


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD])
def test_sparqlwrapper_construct(live_server: LiveServer, fmt: str) -> None:
    converted = wrapper(live_server, CONSTRUCT, fmt).queryAndConvert()
    graph = converted if isinstance(converted, Graph) else Graph().parse(
        data=converted, format={TURTLE: "turtle", JSONLD: "json-ld"}.get(fmt, "xml"))
    assert len(graph) == 3


def test_sparqlwrapper_syntax_error(live_server: LiveServer) -> None:
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    with pytest.raises(QueryBadFormed, match="line 1, column"):
        wrapper(live_server, "SELECT * WHERE {", JSON).queryAndConvert()


@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_rdflib_sparqlstore(live_server: LiveServer, return_format: str) -> None:
    store = SPARQLStore(live_server.sparql, returnFormat=return_format)
    # rdflib sends no default-graph-uri for a union-default dataset (a plain Graph would name
    # its own identifier, which is no graph of ours: 400 unknown graph)
    graph = Dataset(store, default_union=True)
    rows = list(graph.query(SELECT))
    assert len(rows) == 3
    assert bool(graph.query(ASK)) is True
    assert (None, None, URIRef(MUNICIPALITY)) in graph
    if return_format == "xml":  # rdflib asks for results *and* RDF/XML: fits CONSTRUCT too
        assert len(list(graph.query(CONSTRUCT))) == 3
