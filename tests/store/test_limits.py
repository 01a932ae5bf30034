"""The SPARQL lexer's readers (query form, SERVICE policy; smartregion/store/sparql_lexer.py)
and the native-result row counters (smartregion/store/limits.py)."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from smartregion.formats import RESULTS_FORMATS
from smartregion.store.limits import row_counter
from smartregion.store.sparql_lexer import (
    ServiceRefused,
    check_services,
    query_form,
    service_targets,
)

E = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize(
    ("query", "targets"),
    [
        ("SELECT * { ?s ?p ?o }", []),
        (f"SELECT * {{ SERVICE <{E}> {{ ?s ?p ?o }} }}", [E]),
        (f"select * {{ service silent <{E}> {{ }} }}", [E]),
        (f"SELECT * {{ sErViCe#comment\n<{E}> {{ }} }}", [E]),
        (f"SELECT * {{ SERVICE<{E}>{{}} }}", [E]),
        ("PREFIX e: <http://127.0.0.1:9/> SELECT * { SERVICE e:sparql {} }", [E]),
        ("BASE <http://127.0.0.1:9/> SELECT * { SERVICE <sparql> {} }", [E]),
        ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", [None]),
        (f"SELECT * {{ \\u0053ERVICE <{E}> {{}} }}", [E]),
        ("SELECT * { SERVICE <relative> {} }", ["unresolvable <relative>"]),
        ('SELECT * { ?s ?p "SERVICE <http://a/>" }', []),
        ("SELECT * { ?s ?p '''multi\nSERVICE <http://a/>''' }", []),
        ("SELECT * { ?s <http://x/SERVICE> ?service } # SERVICE <http://a/>", []),
        ("PREFIX service: <http://s/> SELECT * { ?s service:x ?o . ?s ex:SERVICE ?o }", []),
        (f"SELECT * {{ FILTER(?a<?b) SERVICE <{E}> {{}} }}", [E]),
    ],
    ids=["none", "iri", "silent-lowercase", "comment-between", "no-spaces", "prefixed",
         "relative-with-base", "variable", "codepoint-escape", "relative-without-base",
         "in-string", "in-long-string", "in-iri-var-comment", "names", "after-less-than"],
)
def test_service_targets(query: str, targets: list[str | None]) -> None:
    assert service_targets(query) == targets


def test_check_services_policy() -> None:
    assert check_services("ASK {}", ()) is False
    assert check_services(f"ASK {{ SERVICE <{E}> {{}} }}", (E,)) is True
    with pytest.raises(ServiceRefused, match="calls no other endpoints"):
        check_services(f"ASK {{ SERVICE <{E}> {{}} }}", ())
    with pytest.raises(ServiceRefused, match="Allowed endpoints: http://other/"):
        check_services(f"ASK {{ SERVICE <{E}> {{}} }}", ("http://other/",))
    with pytest.raises(ServiceRefused, match="variable"):
        check_services("ASK { SERVICE ?x {} }", (E,))


@pytest.mark.parametrize(
    ("query", "form"),
    [("SELECT * {}", "SELECT"), ("  # c\nPREFIX a: <http://a#>\nBASE <http://b/> ask {}", "ASK"),
     ("construct where {}", "CONSTRUCT"), ("DESCRIBE <http://a>", "DESCRIBE"),
     ("INSERT DATA {}", None), ("", None)],
)
def test_query_form(query: str, form: str | None) -> None:
    assert query_form(query) == form


NASTY = [
    'plain', 'quote " inside', '},{"x":{"type":"uri"', "line\nbreak", "crlf\r\nbreak",
    "<result>&lt;", "comma, and \"\"doubled\"\"", "tab\tsep", "back\\slash\\", "[{", ",{}",
    "trailing quote\"", '"', "", "{}", "ü€𝄞 unicode",
]


@pytest.fixture(scope="module")
def nasty_store() -> ox.Store:
    store = ox.Store()
    for index, text in enumerate(NASTY * 20):
        store.add(ox.Quad(ox.NamedNode(f"http://e/{index}"), ox.NamedNode("http://e/p"),
                          ox.Literal(text), ox.DefaultGraph()))
        store.add(ox.Quad(ox.NamedNode(f"http://e/{index}"), ox.NamedNode("http://e/q"),
                          ox.Literal(text, language="de"), ox.DefaultGraph()))
    return store


@pytest.mark.parametrize("fmt", RESULTS_FORMATS, ids=[f.name for f in RESULTS_FORMATS])
@pytest.mark.parametrize("query", [
    "SELECT ?s ?o WHERE { ?s ?p ?o }",
    "SELECT ?o ?x WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/none> ?x } }",
    "SELECT ?x WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/none> ?x } }",
    "SELECT * WHERE { } ",
    "SELECT ?s WHERE { ?s <http://e/none> ?o }",
], ids=["two-vars", "with-unbound", "all-unbound", "one-empty-row", "no-rows"])
def test_row_counter_is_exact_for_any_chunking(nasty_store: ox.Store, fmt, query: str) -> None:  # type: ignore[no-untyped-def]
    expected = sum(1 for _ in nasty_store.query(query))
    data = nasty_store.query(query).serialize(format=fmt.oxigraph)
    assert data is not None
    rng = random.Random(7)
    for _ in range(25):
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 40))))
        counter = row_counter(fmt.name)
        counted = 0
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            counted += counter.feed(data[start:end])
        assert counter.rows(counted) == expected
    byte_by_byte = row_counter(fmt.name)
    assert byte_by_byte.rows(sum(byte_by_byte.feed(data[i:i + 1]) for i in range(len(data)))) \
        == expected
