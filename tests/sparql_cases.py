"""SPARQL 1.1 Protocol cases shared by the Flask-client and the live-server tests.

Each case: how the query is sent (method × content type), what is asked for (Accept and/or
``format=``), and what must come back (status, media type, and a check of the parsed body).
The checks parse bodies with standard parsers (rdflib's SPARQL result parsers and RDF
parsers, the json and xml modules), never by string matching.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree

from rdflib import Graph
from rdflib.query import Result

MUNICIPALITY = "https://data.smarte-region-hessen.de/def/srh#Municipality"
ASK = f"ASK {{ ?m a <{MUNICIPALITY}> }}"
# Curated Gemeinden are also GV100AD Gemeinden: the same type triple sits in two named graphs,
# and the union default graph answers it once per graph, so the queries ask for distinct ones.
SELECT = f"SELECT DISTINCT ?m WHERE {{ ?m a <{MUNICIPALITY}> }} ORDER BY ?m LIMIT 3"
CONSTRUCT = (f"CONSTRUCT {{ ?m a <{MUNICIPALITY}> }} "
             f"WHERE {{ {{ SELECT DISTINCT ?m WHERE {{ ?m a <{MUNICIPALITY}> }} LIMIT 3 }} }}")
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
SRJ = "application/sparql-results+json"
SRX = "application/sparql-results+xml"


def rows(fmt: str) -> Callable[[bytes], None]:
    """Check: a SELECT result in ``fmt`` with three municipality rows."""

    def check(body: bytes) -> None:
        result = Result.parse(io.BytesIO(body), format=fmt)
        found = [str(row[0]) for row in result]  # type: ignore[index]
        assert len(found) == 3
        assert all(iri.startswith("http") for iri in found)

    return check


def boolean(body: bytes) -> None:
    """Check: an ASK result that is true (SPARQL JSON)."""
    assert json.loads(body)["boolean"] is True


def boolean_xml(body: bytes) -> None:
    """Check: an ASK result that is true (SPARQL XML)."""
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert ElementTree.fromstring(body).find(f"{ns}boolean").text == "true"  # type: ignore[union-attr]


def graph(fmt: str) -> Callable[[bytes], None]:
    """Check: an RDF graph in ``fmt`` with three municipality type triples."""

    def check(body: bytes) -> None:
        if fmt in ("nquads", "trig"):
            from rdflib import Dataset

            data = Dataset()
            data.parse(data=body, format=fmt)
            triples = list(data.triples((None, None, None)))
        else:
            triples = list(Graph().parse(data=body, format=fmt))
        assert len(triples) == 3

    return check


def csv_header(body: bytes) -> None:
    """Check: CSV with the header ``m`` and three rows."""
    table = list(csv.reader(io.StringIO(body.decode())))
    assert table[0] == ["m"] and len(table) == 4


@dataclass(frozen=True)
class Case:
    """One protocol case."""

    id: str
    method: str
    content_type: str | None
    query: str
    accept: str | None
    format: str | None
    status: int
    media_type: str
    check: Callable[[bytes], None] | None = None


CASES: list[Case] = [
    Case("get-default-json", "GET", None, SELECT, None, None, 200, SRJ, rows("json")),
    Case("get-accept-json", "GET", None, SELECT, SRJ, None, 200, SRJ, rows("json")),
    Case("get-accept-app-json", "GET", None, SELECT, "application/json", None, 200, SRJ,
         rows("json")),
    Case("get-accept-xml", "GET", None, SELECT, SRX, None, 200, SRX, rows("xml")),
    Case("get-accept-csv", "GET", None, SELECT, "text/csv", None, 200, "text/csv", csv_header),
    Case("get-accept-tsv", "GET", None, SELECT, "text/tab-separated-values", None, 200,
         "text/tab-separated-values", rows("tsv")),
    Case("get-accept-qvalues", "GET", None, SELECT, f"text/csv;q=0.5, {SRX}", None, 200, SRX,
         rows("xml")),
    Case("get-accept-list-wildcard", "GET", None, SELECT, "text/turtle, */*;q=0.1", None, 200,
         SRJ, rows("json")),
    Case("get-accept-text-wildcard", "GET", None, SELECT, "text/*", None, 200, "text/csv",
         csv_header),
    Case("get-format-xml", "GET", None, SELECT, None, "xml", 200, SRX, rows("xml")),
    Case("get-format-beats-accept", "GET", None, SELECT, SRJ, "tsv", 200,
         "text/tab-separated-values", rows("tsv")),
    Case("get-format-media-type", "GET", None, SELECT, None, "text/csv", 200, "text/csv",
         csv_header),
    Case("get-ask-json", "GET", None, ASK, None, None, 200, SRJ, boolean),
    Case("get-ask-xml", "GET", None, ASK, SRX, None, 200, SRX, boolean_xml),
    Case("get-construct-default-turtle", "GET", None, CONSTRUCT, None, None, 200,
         "text/turtle", graph("turtle")),
    Case("get-construct-jsonld", "GET", None, CONSTRUCT, "application/ld+json", None, 200,
         "application/ld+json", graph("json-ld")),
    Case("get-construct-rdfxml", "GET", None, CONSTRUCT, "application/rdf+xml", None, 200,
         "application/rdf+xml", graph("xml")),
    Case("get-construct-ntriples", "GET", None, CONSTRUCT, "application/n-triples", None, 200,
         "application/n-triples", graph("nt")),
    Case("get-construct-nquads", "GET", None, CONSTRUCT, "application/n-quads", None, 200,
         "application/n-quads", graph("nquads")),
    Case("get-construct-trig", "GET", None, CONSTRUCT, "application/trig", None, 200,
         "application/trig", graph("trig")),
    Case("get-construct-format-json", "GET", None, CONSTRUCT, None, "json", 200,
         "application/ld+json", graph("json-ld")),
    Case("get-construct-wildcard", "GET", None, CONSTRUCT, "*/*", None, 200, "text/turtle",
         graph("turtle")),
    Case("post-form-json", "POST", FORM, SELECT, SRJ, None, 200, SRJ, rows("json")),
    Case("post-form-construct", "POST", FORM, CONSTRUCT, "text/turtle", None, 200,
         "text/turtle", graph("turtle")),
    Case("post-direct-xml", "POST", DIRECT, SELECT, SRX, None, 200, SRX, rows("xml")),
    Case("post-direct-ask", "POST", DIRECT, ASK, SRJ, None, 200, SRJ, boolean),
    Case("post-direct-format", "POST", DIRECT, SELECT, None, "csv", 200, "text/csv",
         csv_header),
    Case("select-as-turtle-406", "GET", None, SELECT, "text/turtle", None, 406,
         "application/problem+json"),
    Case("construct-as-results-406", "GET", None, CONSTRUCT, SRJ, None, 406,
         "application/problem+json"),
    Case("unknown-format-406", "GET", None, SELECT, None, "yaml", 406,
         "application/problem+json"),
    Case("post-text-plain-415", "POST", "text/plain", SELECT, None, None, 415,
         "application/problem+json"),
    Case("post-update-400", "POST", "application/sparql-update", "CLEAR ALL", None, None, 400,
         "application/problem+json"),
]


def problem_accept(case: Case) -> str | None:
    """The Accept header to send: error cases ask for problem+json besides their types."""
    if case.status < 400:
        return case.accept
    extra = "application/problem+json;q=0.1"
    return f"{case.accept}, {extra}" if case.accept else extra
