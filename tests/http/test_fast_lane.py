"""The SPARQL fast lane answers exactly as the Flask view does, or passes the request on.

Each case sends the same request to :class:`endpoint.fast_lane.FastLane` and through the
Flask test client; status, body and every header but ``Date``/``Content-Length`` (the
server adds those) must be equal. Each query text is made unique per run, so the first
answer of a pair is computed (in-process) and the second comes from the result cache: both
orders are checked. On the remote store the fast lane only answers from the cache.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from endpoint.fast_lane import FastLane
from smartregion.server.protocol import Request

BASE = "http://testserver/"
LOOKUP = f"SELECT ?p ?o WHERE {{ <{BASE}id/project/schlaues-wasser-darmstadt> ?p ?o }}"
KEY = ("PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>\n"
       "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
       'SELECT ?m ?name WHERE { ?m srh:ags "06411000" ; skos:prefLabel ?name }')
CONSTRUCT = f"CONSTRUCT WHERE {{ <{BASE}id/municipality/06411000> ?p ?o }}"
_unique = itertools.count()


def _request(query: dict[str, str], headers: dict[str, str], method: str = "GET") -> Request:
    encoded = urlencode(query)
    return Request(method=method, target=f"/sparql?{encoded}", path="/sparql", query=encoded,
                   version="1.1", headers=[(k.lower(), v) for k, v in headers.items()],
                   body=b"", client="127.0.0.1")


def _comparable(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers if k.lower() not in ("date", "content-length")}


def _unique_query(text: str) -> str:
    return f"{text}\n# fast lane test {next(_unique)}"


CASES = [
    ({"query": LOOKUP}, {"Accept": "application/sparql-results+json"}),
    ({"query": LOOKUP}, {"Accept": "application/sparql-results+xml"}),
    ({"query": LOOKUP}, {"Accept": "text/csv"}),
    ({"query": LOOKUP}, {"Accept": "text/tab-separated-values"}),
    ({"query": LOOKUP, "format": "json"}, {}),
    ({"query": LOOKUP}, {"Accept": "application/json", "Accept-Encoding": "gzip"}),
    ({"query": LOOKUP}, {"Accept": "*/*", "Accept-Encoding": "br, gzip;q=0.5"}),
    ({"query": KEY}, {"Accept": "application/sparql-results+json"}),
    ({"query": "ASK {}"}, {}),
    ({"query": CONSTRUCT}, {"Accept": "text/turtle"}),
    ({"query": CONSTRUCT}, {"Accept": "application/n-triples", "Accept-Encoding": "gzip"}),
    ({"query": CONSTRUCT}, {"Accept": "application/ld+json"}),
]


@pytest.mark.parametrize("order", ["fast first", "flask first"])
@pytest.mark.parametrize(("query", "headers"), CASES)
def test_fast_lane_answers_like_the_view(app: Flask, client: FlaskClient, order: str,
                                         query: dict[str, str], headers: dict[str, str],
                                         store_kind: str) -> None:
    query = {**query, "query": _unique_query(query["query"])}
    lane = FastLane(app)
    request = _request(query, headers)
    if order == "fast first":
        fast = lane(request)
        flask = client.get("/sparql", query_string=query, headers=headers)
    else:
        flask = client.get("/sparql", query_string=query, headers=headers)
        fast = lane(request)
    if store_kind != "embedded" and order == "fast first":
        assert fast is None, "a remote store is asked by the view, never on the event loop"
        return
    assert fast is not None, "a cheap or cached query must be answered on the fast lane"
    assert flask.status_code == fast.status == 200
    assert fast.body == flask.get_data()
    assert _comparable(fast.headers) == _comparable(list(flask.headers.items()))


def test_head_is_answered_with_the_get_headers(app: Flask, client: FlaskClient,
                                               store_kind: str) -> None:
    query = {"query": _unique_query(LOOKUP)}
    request = _request(query, {"Accept": "text/csv"}, method="HEAD")
    if store_kind == "embedded":  # computed on the fast lane, then the view
        fast = FastLane(app)(request)
        flask = client.head("/sparql", query_string=query, headers={"Accept": "text/csv"})
    else:  # a remote store: the view asks it, the fast lane answers from the cache
        flask = client.head("/sparql", query_string=query, headers={"Accept": "text/csv"})
        fast = FastLane(app)(request)
    assert fast is not None and fast.status == flask.status_code == 200
    assert _comparable(fast.headers) == _comparable(list(flask.headers.items()))
    assert int(flask.headers["Content-Length"]) == len(fast.body)  # the server sends no body


PASSED_ON = [
    pytest.param({"query": LOOKUP}, {"If-None-Match": '"x"'}, id="conditional"),
    pytest.param({"query": LOOKUP, "default-graph-uri": BASE + "graph/x"}, {}, id="dataset"),
    pytest.param({"query": "SELECT * WHERE { ?s ?p ?o FILTER(?o > 3) } LIMIT 1"}, {},
                 id="not provably cheap"),
    pytest.param({"query": "SELECT * WHERE { ?s ?p }"}, {}, id="syntax error"),
    pytest.param({"query": LOOKUP}, {"Accept": "text/html"}, id="browser"),
    pytest.param({"query": LOOKUP, "format": "pdf"}, {}, id="not acceptable"),
    pytest.param({"query": LOOKUP, "update": "x"}, {}, id="update"),
    pytest.param({}, {}, id="service description"),
]


@pytest.mark.parametrize(("query", "headers"), PASSED_ON)
def test_everything_else_goes_to_the_view(app: Flask, query: dict[str, str],
                                          headers: dict[str, str]) -> None:
    assert FastLane(app)(_request(query, headers)) is None


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_go_to_the_view(app: Flask, method: str) -> None:
    assert FastLane(app)(_request({"query": LOOKUP}, {}, method=method)) is None


def test_other_paths_go_to_the_view(app: Flask) -> None:
    request = _request({"query": LOOKUP}, {})
    request.path = "/sparql/"
    assert FastLane(app)(request) is None


def test_query_parameters_decode_exactly_as_werkzeug() -> None:
    """The fast decoder agrees with ``request.args`` wherever it answers (seeded fuzz)."""
    import random

    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request as WerkzeugRequest

    from endpoint.fast_lane import query_parameters

    alphabet = "%%%=&&+abcAF09f_.~;=?/#!'()*,:@$" + "%C3%9F%E2%82%AC%20%2B%3D%26%25"
    chances = random.Random(2026)
    answered = 0
    for _ in range(5000):
        query = "".join(chances.choice(alphabet) for _ in range(chances.randint(0, 30)))
        if chances.random() < 0.5:
            query = "query=" + quote(chances.choice([LOOKUP, KEY, "ASK {}"]) + query, safe="")
        expected = WerkzeugRequest(EnvironBuilder(query_string=query).get_environ()).args
        decoded = query_parameters(query)
        if decoded is not None:
            answered += 1
            assert list(decoded.items(multi=True)) == list(expected.items(multi=True)), query
    assert answered > 2500  # the fast decoder answers the common case
