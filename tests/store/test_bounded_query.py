"""In-process answers to provably cheap queries (smartregion/store/bounded_query*.py).

Every accepted query must answer byte for byte what the executor answers (computed here
independently with ``Store.query`` and pyoxigraph's serializers, and once through real
executor processes); every query outside the bounded class must be refused (``None``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import IO, cast

import pyoxigraph as ox
import pytest

from smartregion.formats import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    GraphFormat,
    ResultsFormat,
    graph_format,
    results_format,
)
from smartregion.store.backend import StoreBackend
from smartregion.store.bounded_query import Bounds, run_bounded
from smartregion.store.bounded_query_syntax import MAX_TEXT, read_query
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.executor import PoolConfig, QueryExecutorPool, QueryJob
from smartregion.store.limits import row_counter

E = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
P = f"PREFIX e: <{E}>\nPREFIX xsd: <{XSD}>\n"
PREFIXES = {"e": E, "xsd": XSD}


def results(name: str) -> ResultsFormat:
    fmt = results_format(name)
    assert fmt is not None
    return fmt


def graph(name: str) -> GraphFormat:
    fmt = graph_format(name)
    assert fmt is not None
    return fmt


JSON = results("json")
TURTLE = graph("turtle")
HUB_VALUES = 300


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(E + local)


def typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def fixture_quads() -> Iterator[ox.Quad]:
    """A few hundred quads in three named graphs and the default graph."""
    g1, g2, g3 = n("graph/one"), n("graph/two"), n("graph/three")
    s = n("s")
    yield ox.Quad(s, ox.NamedNode(RDF_TYPE), n("Town"), g1)
    yield ox.Quad(s, n("label"), ox.Literal("Stadt", language="de"), g1)
    yield ox.Quad(s, n("label"), ox.Literal("Town", language="en"), g1)
    yield ox.Quad(s, n("label"), ox.Literal("} FILTER(", language="de"), g1)
    yield ox.Quad(s, n("label"), ox.Literal("# no comment"), g1)
    yield ox.Quad(s, n("number"), typed("42", "integer"), g1)
    yield ox.Quad(s, n("number"), typed("-7", "integer"), g2)
    yield ox.Quad(s, n("ratio"), typed("1.5", "decimal"), g1)
    yield ox.Quad(s, n("double"), typed("1.0E3", "double"), g1)
    yield ox.Quad(s, n("flag"), typed("true", "boolean"), g1)
    yield ox.Quad(s, n("date"), typed("2024-01-31", "date"), g1)
    yield ox.Quad(s, n("note"), ox.Literal('multi\nline "quoted"\ttab'), g2)
    yield ox.Quad(s, n("link"), n("hub"), g2)
    yield ox.Quad(s, n("label"), ox.Literal("Stadt", language="de"), g2)  # same triple, 2 graphs
    yield ox.Quad(s, n("label"), ox.Literal("Stadt", language="de"), ox.DefaultGraph())
    for index in range(HUB_VALUES):  # a subject with many values of one predicate
        yield ox.Quad(n("hub"), n("p"), ox.Literal(f"value {index:03d}"), g2)
    yield ox.Quad(n("hub"), n("label"), ox.Literal("Hub"), g2)
    for index in range(200):  # fewer values than the counting budget
        yield ox.Quad(n("mid"), n("p"), ox.NamedNode(f"{E}value/{index}"), g1)
    yield ox.Quad(n("mid"), n("label"), ox.Literal("Mitte", language="de"), g1)
    for index in range(40):  # municipalities with unique keys
        m = n(f"m{index}")
        yield ox.Quad(m, ox.NamedNode(RDF_TYPE), n("Municipality"), g3)
        yield ox.Quad(m, n("key"), ox.Literal(f"K{index}"), g3)
        yield ox.Quad(m, n("label"), ox.Literal(f"Gemeinde {index}", language="de"), g3)
        yield ox.Quad(m, n("label"), ox.Literal(f"Municipality {index}", language="en"), g3)
        yield ox.Quad(m, n("number"), typed(str(index), "integer"), g3)
    for twin in ("twin1", "twin2"):  # two subjects share one key
        yield ox.Quad(n(twin), n("key"), ox.Literal("shared"), g3)
        yield ox.Quad(n(twin), n("label"), ox.Literal(twin), g3)
    blank = ox.BlankNode("place")  # a key on a blank node, and a chain to describe
    yield ox.Quad(blank, n("key"), ox.Literal("blank"), g1)
    yield ox.Quad(blank, n("label"), ox.Literal("Ort ohne IRI", language="de"), g1)
    yield ox.Quad(n("holder"), n("address"), blank, g1)
    yield ox.Quad(blank, n("geo"), ox.BlankNode("point"), g1)
    yield ox.Quad(ox.BlankNode("point"), n("lat"), typed("50.1", "decimal"), g1)
    for index in range(1500):  # big values: more than 256 KiB in any format
        yield ox.Quad(n("big"), n("p"), ox.Literal(f"{index:05d} " + "x" * 200), g2)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    memory = ox.Store()
    memory.extend(fixture_quads())
    return memory


def reference(
    store: ox.Store, text: str, results_fmt: ResultsFormat, graph_fmt: GraphFormat
) -> tuple[str, bytes, int]:
    """What the executor answers: the same query, serialized by pyoxigraph in one go."""
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return "boolean", result.serialize(format=results_fmt.oxigraph) or b"", 1
    if isinstance(result, ox.QuerySolutions):
        body = result.serialize(format=results_fmt.oxigraph) or b""
        again = store.query(text, use_default_graph_as_union=True)
        assert isinstance(again, ox.QuerySolutions)
        return "solutions", body, len(list(again))
    triples = list(result)
    items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples] \
        if graph_fmt.quads else triples
    prefixes = PREFIXES if graph_fmt.name in ("turtle", "trig", "jsonld") else None
    body = ox.serialize(items, format=graph_fmt.oxigraph, prefixes=prefixes) or b""
    return "graph", body, len(items)


def bounded(store: ox.Store, text: str, results_fmt: ResultsFormat = JSON,
            graph_fmt: GraphFormat = TURTLE, bounds: Bounds | None = None,
            ) -> tuple[str, bytes, int] | None:
    answer = run_bounded(store, text, results_format=results_fmt, graph_format=graph_fmt,
                         prefixes=PREFIXES, bounds=bounds or Bounds())
    if answer is None:
        return None
    rows = answer.rows
    if rows is None:  # small bodies are not counted in-process; count them to compare
        counter = row_counter(results_fmt.name)
        rows = counter.rows(counter.feed(answer.body))
    return answer.kind, answer.body, rows


SELECT_LIKE = [
    pytest.param(f"SELECT ?p ?o WHERE {{ <{E}s> ?p ?o }}", id="lookup-by-iri"),
    pytest.param(P + "SELECT ?t WHERE { e:s a ?t }", id="prefix-and-a"),
    pytest.param(P + "select $o where { e:s e:label ?o } limit 2", id="lower-case-dollar"),
    pytest.param(P + "SELECT * { e:s ?p ?o }", id="star-projection"),
    pytest.param(P + 'SELECT ?m ?name WHERE { ?m e:key "K7" ; e:label ?name }', id="key-lookup"),
    pytest.param(P + 'SELECT * WHERE { ?m e:label ?l ; e:key "K3" ; e:number ?n }',
                 id="key-lookup-star"),
    pytest.param(P + 'SELECT ?m ?l WHERE { ?m a e:Municipality ; e:key "K1" ; e:label ?l }',
                 id="second-anchor"),
    pytest.param(P + 'SELECT ?m ?name WHERE { ?m e:key "missing" ; e:label ?name }',
                 id="key-lookup-miss"),
    pytest.param(P + 'SELECT * WHERE { ?m e:key "blank" ; e:label ?name }',
                 id="key-lookup-blank-node"),
    pytest.param(P + "SELECT ?l ?n { e:s e:label ?l ; e:number ?n }", id="constant-star"),
    pytest.param(P + "SELECT ?o { e:hub e:p ?o } LIMIT 5 OFFSET 10", id="limit-offset"),
    pytest.param(P + "SELECT ?o { e:hub e:p ?o } OFFSET 295 LIMIT 10", id="offset-limit"),
    pytest.param(P + "SELECT ?a ?b { e:mid e:p ?a ; e:label ?b }", id="product-within"),
    pytest.param(P + "SELECT * { ?s e:key ?k } LIMIT 5", id="one-pattern-variable-subject"),
    pytest.param(P + "SELECT ?o { e:s e:label ?o }", id="triple-in-two-graphs"),
    pytest.param(P + 'SELECT * { e:s e:label "} FILTER(" @de }', id="brace-in-string"),
    pytest.param(P + 'SELECT ?p { e:s ?p "# no comment" } # } UNION { ?a ?b ?c }',
                 id="hash-in-string-and-comment"),
    pytest.param(P + "# comment\nSELECT ?x # more\n{ e:s e:nothing ?x }", id="comments"),
    pytest.param("ASK {}", id="trivial-ask"),
    pytest.param("SELECT * {}", id="empty-select"),
    pytest.param("SELECT * WHERE {} LIMIT 1", id="empty-select-limit"),
    pytest.param(P + 'ASK { e:s e:label "Stadt"@de , "Town"@EN }', id="ask-constant-list"),
    pytest.param(P + "ASK { e:s e:number 42 ; e:ratio 1.5 ; e:double 1.0e3 ; e:flag true }",
                 id="ask-numbers"),
    pytest.param(P + "ASK WHERE { e:s e:number -7 ; e:number 042 ; }", id="ask-negative"),
    pytest.param(P + 'ASK { e:s e:date "2024-01-31"^^xsd:date ; e:link e:hub }', id="ask-typed"),
    pytest.param(P + "ASK { e:s e:note '''multi\nline \"quoted\"\\ttab''' }", id="ask-long-string"),
    pytest.param(P + 'ASK { e:s e:note "multi\\nline \\"quoted\\"\\ttab" }', id="ask-escapes"),
    pytest.param(P + "ASK { ?s e:key 'K5' ; e:number 5 }", id="ask-key"),
    pytest.param(P + "ASK { e:s e:label ?l }", id="ask-one-pattern"),
]

GRAPH_LIKE = [
    pytest.param(P + "CONSTRUCT WHERE { e:s ?p ?o }", id="construct-where"),
    pytest.param(P + 'CONSTRUCT { ?m e:label ?name } WHERE { ?m e:key "K2" ; e:label ?name }',
                 id="construct-key"),
    pytest.param(P + "CONSTRUCT { e:x e:y ?o . ?o e:z e:s } { e:s e:label ?o } LIMIT 3",
                 id="construct-template"),
    pytest.param(P + "DESCRIBE e:s", id="describe"),
    pytest.param(f"DESCRIBE <{E}holder>", id="describe-blank-nodes"),
    pytest.param(P + "DESCRIBE e:nothing", id="describe-unknown"),
]


@pytest.mark.parametrize("fmt", RESULTS_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("text", SELECT_LIKE)
def test_accepted_results_match_the_executor(store: ox.Store, text: str,
                                             fmt: ResultsFormat) -> None:
    answer = bounded(store, text, fmt)
    assert answer is not None, "must be answered in-process"
    assert answer == reference(store, text, fmt, TURTLE)


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("text", GRAPH_LIKE)
def test_accepted_graphs_match_the_executor(store: ox.Store, text: str, fmt: GraphFormat) -> None:
    answer = bounded(store, text, JSON, fmt)
    assert answer is not None, "must be answered in-process"
    assert answer == reference(store, text, JSON, fmt)


def test_substitution_keeps_subject_and_order(store: ox.Store) -> None:
    text = P + 'SELECT * WHERE { ?m e:key "K9" ; e:label ?l ; a ?type }'
    kind, body, rows = bounded(store, text) or ("", b"", 0)
    assert (kind, rows) == ("solutions", 2)
    assert b'"m":{"type":"uri","value":"http://example.org/m9"}' in body
    assert body == reference(store, text, JSON, TURTLE)[1]


REFUSED = [
    "SELECT ?o { ?s ?p ?o FILTER(?o = 1) }",
    "SELECT * { e:s e:label ?o OPTIONAL { e:s e:number ?n } }",
    "SELECT * { { e:s e:label ?o } UNION { e:s e:number ?o } }",
    "SELECT * { e:s e:label ?o MINUS { e:s e:label 'x' } }",
    "SELECT * { e:s e:link/e:p ?o }",
    "SELECT * { e:s e:p* ?o }",
    "SELECT * { e:s e:p+ ?o }",
    f"SELECT * {{ <{E}s> <{E}p>+1 }}",
    "SELECT * { e:s ^e:p ?o }",
    "SELECT * { e:s e:p|e:q ?o }",
    "SELECT * { e:s !e:p ?o }",
    "SELECT * { e:s e:p? ?o }",
    "SELECT * { GRAPH ?g { e:s ?p ?o } }",
    "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { e:s ?p ?o } }",
    "SELECT * { { SELECT ?o { e:s e:label ?o } } }",
    "SELECT * { e:s e:label ?o } VALUES ?o { 'x' }",
    "SELECT * { VALUES ?o { 'x' } e:s e:label ?o }",
    "SELECT * { e:s e:label ?o BIND(1 AS ?x) }",
    "SELECT ?o { e:s e:label ?o } ORDER BY ?o",
    "SELECT ?o { e:s e:label ?o } GROUP BY ?o",
    "SELECT (COUNT(*) AS ?n) { e:s ?p ?o }",
    "SELECT (?o AS ?x) { e:s e:label ?o }",
    "SELECT DISTINCT ?o { e:s e:label ?o }",
    "SELECT REDUCED ?o { e:s e:label ?o }",
    "SELECT ?o FROM <http://example.org/graph/one> { e:s e:label ?o }",
    "SELECT ?o FROM NAMED <http://example.org/graph/one> { e:s e:label ?o }",
    "BASE <http://example.org/> SELECT ?o { <s> e:label ?o }",
    "SELECT ?o { <s> e:label ?o }",
    "SELECT ?o { [] e:label ?o }",
    "SELECT ?o { _:b e:label ?o }",
    "SELECT ?o { e:holder e:address [ e:label ?o ] }",
    "SELECT ?o { e:s e:list ( 1 2 ) }",
    "SELECT ?o { << e:s e:label ?o >> e:p ?x }",
    "SELECT ?o { <<( e:s e:label 'x' )>> e:p ?o }",
    "SELECT * { ?s ?p ?o . ?x ?y ?z }",
    "SELECT * { ?s e:link ?x . ?x e:p ?y }",
    "SELECT * { e:s ?p ?o ; ?p ?o2 }",
    "SELECT * { e:s e:label ?o ; e:number ?o }",
    "SELECT * { ?s e:link ?s }",
    "SELECT * { ?s e:label ?l ; e:number ?n }",
    "SELECT * { ?m e:key 'shared' ; e:label ?l }",
    "SELECT * { ?m a e:Municipality ; e:label ?l }",
    "SELECT ?l { ?m e:key 'K1' ; e:label ?l }",
    "SELECT * { e:hub e:p ?a ; e:p ?b }",
    "SELECT ?o { e:big e:p ?o }",
    "CONSTRUCT WHERE { e:big e:p ?o }",
    "DESCRIBE e:big",
    "SELECT ?o WHERE { e:s e:label ?o",
    "SELEC * {}",
    "SELECT ?x ?x {}",
    "SELECT ?o { e:s unknown:label ?o }",
    "SELECT ?o { e:hub e:p ?o } OFFSET 20001",
    "SELECT ?o { e:hub e:p ?o } LIMIT 1 LIMIT 2",
    "SELECT ?o { e:hub e:p ?o } LIMIT -1",
    "\\u0053ELECT ?o { e:s e:label ?o }",
    "SELECT ?o { e:s e:label 'St\\u0061dt'@de }",
    f"SELECT ?o {{ <{E}\\u0073> e:label ?o }}",
    "SELECT ?o { e:s e:lab\\el ?o }",
    "SELECT ?o { e:s e:label 'x'@en--ltr }",
    "SELECT ?o { e:s e:label 'x'@de-1- }",
    "SELECT ?o { e:s e:flag TRUE }",
    "SELECT ?o { e:s e:number +42 }",
    "SELECT ?o { e:s e:label ?o }\u00a0",
    "SELECT ?ö { e:s e:label ?ö }",
    "SELECT ?o { e:s e:läbel ?o }",
    "VERSION '1.2' SELECT ?o { e:s e:label ?o }",
    "INSERT DATA { e:s e:label 'x' }",
    "DESCRIBE ?s WHERE { ?s e:key 'K1' }",
    "DESCRIBE e:s e:hub",
    "DESCRIBE *",
    "DESCRIBE e:s LIMIT 1",
    "CONSTRUCT { _:b e:label ?o } WHERE { e:s e:label ?o }",
    "CONSTRUCT { [] e:label ?o } WHERE { e:s e:label ?o }",
    "ASK { 'x' e:label ?o }",
    "ASK { e:s e:label ?o . . }",
    "ASK { . }",
    "ASK { e:s e:label ?o , }",
    "ASK { e:s 'x' ?o }",
    "ASK { e:s e:label ?o } extra",
    "JSON { 'x': ?o } WHERE { e:s e:label ?o }",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused(store: ox.Store, text: str) -> None:
    assert bounded(store, P + text) is None


def test_refused_without_prologue(store: ox.Store) -> None:
    assert bounded(store, "SELECT ?o { e:s e:label ?o }") is None  # undeclared prefix
    assert bounded(store, "PREFIX e: <rel/> SELECT ?o { e:s e:label ?o }") is None
    assert bounded(store, P + f"SELECT ?o {{ e:s e:label ?o }} #{'x' * MAX_TEXT}") is None


def test_bounds_are_enforced(store: ox.Store) -> None:
    hub = P + "SELECT ?o { e:hub e:p ?o }"
    assert bounded(store, hub) is not None
    assert bounded(store, hub, bounds=Bounds(max_work=100)) is None  # 300 rows
    assert bounded(store, hub, bounds=Bounds(row_limit=299)) is None
    assert bounded(store, hub, bounds=Bounds(row_limit=300)) is not None
    assert bounded(store, hub, bounds=Bounds(max_bytes=1000)) is None
    offset = P + "SELECT ?o { e:hub e:p ?o } OFFSET 150"
    assert bounded(store, offset, bounds=Bounds(max_work=150)) is not None
    assert bounded(store, offset, bounds=Bounds(max_work=149)) is None
    product = P + "SELECT * { e:s e:label ?a ; e:number ?b }"  # 6 × 2 entries
    assert bounded(store, product, bounds=Bounds(max_work=12)) is not None
    assert bounded(store, product, bounds=Bounds(max_work=11)) is None
    construct = P + "CONSTRUCT WHERE { e:s e:label ?o }"  # counted: duplicates are dropped
    assert bounded(store, construct, bounds=Bounds(max_work=6)) is not None
    assert bounded(store, construct, bounds=Bounds(max_work=5)) is None
    template = P + "CONSTRUCT { e:a e:b e:c . e:a e:b e:d } WHERE { e:s e:label ?o }"  # 6 × 2
    assert bounded(store, template, bounds=Bounds(max_work=12)) is not None
    assert bounded(store, template, bounds=Bounds(max_work=11)) is None
    keyed = P + "SELECT * { ?m e:key 'K4' ; e:label ?l ; e:number ?n }"  # 1 × 2 × 1
    assert bounded(store, keyed, bounds=Bounds(max_work=2)) is not None
    assert bounded(store, keyed, bounds=Bounds(max_work=1)) is None
    # Counting decodes entries for Python (slow): at most 256 per query, whatever max_work.
    assert bounded(store, P + "SELECT * { e:mid e:p ?a ; e:label ?b }") is not None  # 201
    assert bounded(store, P + "SELECT * { e:hub e:p ?a ; e:label ?b }") is None  # 301
    assert bounded(store, P + "CONSTRUCT WHERE { e:hub e:p ?o }",
                   bounds=Bounds(max_bytes=10**6)) is None
    describe = P + "DESCRIBE e:hub"
    assert bounded(store, describe, bounds=Bounds(max_work=300, max_bytes=10**6)) is None
    assert bounded(store, describe, bounds=Bounds(max_work=301, max_bytes=10**6)) is not None


class _StopAtFirstWrite(Exception):
    pass


class _FirstWrite:
    """Records the size of the first write, then stops the serialization."""

    size = 0

    def write(self, data: bytes) -> int:
        self.size = len(data)
        raise _StopAtFirstWrite

    def flush(self) -> None:
        """Nothing buffered."""


@pytest.mark.parametrize("fmt", [*RESULTS_FORMATS, *GRAPH_FORMATS], ids=lambda f: f.name)
def test_pyoxigraph_writes_in_small_chunks(store: ox.Store, fmt: object) -> None:
    """The work bound of one-pattern queries relies on output reaching the writer early."""
    writer = _FirstWrite()
    with pytest.raises(_StopAtFirstWrite):
        if isinstance(fmt, GraphFormat):
            triples = store.query(P + "DESCRIBE e:big", use_default_graph_as_union=True)
            assert isinstance(triples, ox.QueryTriples)
            items = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                     if fmt.quads else t for t in triples)
            ox.serialize(items, cast(IO[bytes], writer), fmt.oxigraph)
        else:
            assert isinstance(fmt, ResultsFormat)
            solutions = store.query(P + "SELECT ?o { e:big e:p ?o }",
                                    use_default_graph_as_union=True)
            assert isinstance(solutions, ox.QuerySolutions)
            solutions.serialize(cast(IO[bytes], writer), fmt.oxigraph)
    assert 0 < writer.size <= 8192


def test_union_default_graph_keeps_duplicates(store: ox.Store) -> None:
    """The bound also relies on every index entry read becoming a solution (no dedup)."""
    solutions = store.query(P + 'SELECT ?o { e:s e:label "Stadt"@de }',
                            use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    assert len(list(solutions)) == 3  # graph one, graph two, default graph


def test_reader_keeps_tokens_apart() -> None:
    shape = read_query(P + 'SELECT * { e:s e:label "} FILTER(" ; e:x e:o.b. e:s e:n 1.}')
    assert shape is not None
    assert [str(term) for _, _, term in shape.patterns] == [
        '"} FILTER("', f"<{E}o.b>", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>']
    shape = read_query(P + "ASK { e:s e:p e:a%41 , 'it''s' }")
    assert shape is None  # 'it''s' is two strings side by side: not one object
    shape = read_query(P + "ASK { e:s e:p e:a%41 , '''it''s''' }")
    assert shape is not None
    assert [str(term) for _, _, term in shape.patterns] == [f"<{E}a%41>", '"it\'\'s"']


ALPHABET = {
    "subject": ["e:s", "e:hub", "e:m3", "e:twin1", "?s", "?m", f"<{E}s>"],
    "predicate": ["e:label", "e:key", "e:p", "a", "?p", "e:number", "e:link", "?q"],
    "object": ["?o", "?x", "?y", "'K3'", '"shared"', "e:Municipality", "e:hub", "42", "3",
               '"Stadt"@de', "'value 001'", "true", "?s", "1.5", '"x"^^xsd:string'],
}


def random_query(rng: random.Random) -> str:
    """A small query from the accepted grammar (and some just outside it)."""
    def term(kind: str) -> str:
        return rng.choice(ALPHABET[kind])

    subject = term("subject")
    parts = []
    for _ in range(rng.randint(0, 3)):
        subject = subject if rng.random() < 0.8 else term("subject")
        verbs = [f"{term('predicate')} " + " , ".join(term("object")
                                                      for _ in range(rng.randint(1, 2)))
                 for _ in range(rng.randint(1, 2))]
        parts.append(f"{subject} " + rng.choice([" ; ", ";\n", " ;; "]).join(verbs))
    where = "{ " + rng.choice([" . ", " .\n", " . # c\n"]).join(parts) + " }"
    variables = sorted({word for part in parts for word in part.split() if word[0] in "?$"})
    form = rng.choice(["select-star", "select-vars", "ask", "construct-where", "construct"])
    if form == "select-star":
        head = rng.choice(["SELECT *", "select * where"])
    elif form == "select-vars":
        chosen = rng.sample(variables, k=min(len(variables), rng.randint(1, 3))) or ["?z"]
        head = "SELECT " + " ".join(chosen) + rng.choice(["", " WHERE"])
    elif form == "ask":
        head = rng.choice(["ASK", "ASK WHERE"])
    elif form == "construct-where":
        head = "CONSTRUCT WHERE"
    else:
        template = " . ".join(f"{term('subject')} {term('predicate')} {term('object')}"
                              for _ in range(rng.randint(0, 2)))
        head = f"CONSTRUCT {{ {template} }} WHERE"
    tail = ""
    if rng.random() < 0.3:
        tail += f" LIMIT {rng.randint(0, 5)}"
    if rng.random() < 0.2:
        tail += f" OFFSET {rng.randint(0, 3)}"
    return f"{P}{head} {where}{tail}"


def test_random_queries_answer_like_the_executor(store: ox.Store) -> None:
    rng = random.Random(20260101)
    answered = 0
    for _ in range(400):
        text = random_query(rng)
        results_fmt = rng.choice(RESULTS_FORMATS)
        graph_fmt = rng.choice(GRAPH_FORMATS)
        answer = bounded(store, text, results_fmt, graph_fmt,
                         Bounds(max_work=rng.choice([50, 500, 20_000])))
        if answer is None:
            continue
        answered += 1
        try:
            expected = reference(store, text, results_fmt, graph_fmt)
        except SyntaxError:
            pytest.fail(f"answered a query pyoxigraph refuses: {text}")
        assert answer == expected, text
    assert answered >= 100  # the generator exercises the accepted class


def test_shipped_data_key_lookup(loaded_backend: StoreBackend) -> None:
    assert isinstance(loaded_backend, EmbeddedBackend)
    reader = loaded_backend.reader()
    srh = "https://data.smarte-region-hessen.de/def/srh#"
    quad = next(iter(reader.quads_for_pattern(None, ox.NamedNode(srh + "ags"), None, None)))
    assert isinstance(quad.object, ox.Literal) and isinstance(quad.subject, ox.NamedNode)
    text = (f"PREFIX srh: <{srh}>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            f'SELECT ?m ?name WHERE {{ ?m srh:ags "{quad.object.value}" ; '
            "skos:prefLabel ?name }")
    for fmt in RESULTS_FORMATS:
        answer = bounded(reader, text, fmt)
        assert answer is not None and answer == reference(reader, text, fmt, TURTLE)
        assert answer[2] >= 1
    lookup = f"SELECT ?p ?o WHERE {{ <{quad.subject.value}> ?p ?o }}"
    assert bounded(reader, lookup) == reference(reader, lookup, JSON, TURTLE)


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("bounded") / "store"
    writer = ox.Store(str(path))
    writer.extend(fixture_quads())
    writer.flush()
    del writer
    return str(path)


def test_answers_equal_real_executor_answers(disk_store: str) -> None:
    """The strongest check: the executor process itself, on the same store on disk."""
    reader = ox.Store.read_only(disk_store)
    config = PoolConfig(executors=1, reserve=0, memory_mb=256, queue_timeout=30.0,
                        client_queries=4, prefixes=PREFIXES)
    pool = QueryExecutorPool(config, lambda: disk_store)
    try:
        cases = [(param.values[0], fmt.name, TURTLE.name) for param in SELECT_LIKE
                 for fmt in RESULTS_FORMATS]
        cases += [(param.values[0], JSON.name, fmt.name) for param in GRAPH_LIKE
                  for fmt in GRAPH_FORMATS]
        for text, results_name, graph_name in cases:
            assert isinstance(text, str)
            outcome = pool.run(QueryJob(
                store_path=disk_store, text=text, results_format=results_name,
                graph_format=graph_name, default_graphs=(), named_graphs=(), timeout=30.0,
                row_limit=100_000), "test")
            answer = bounded(reader, text, results(results_name), graph(graph_name))
            assert answer == (outcome.kind, b"".join(outcome.body), outcome.rows), text
    finally:
        pool.close()


@pytest.mark.parametrize("text", ["", "   ", "ASK", "ASK {", "SELECT ?x WHERE { ?x ?y }",
                                  "\x00", "PREFIX", "PREFIX e:", "CONSTRUCT {", "DESCRIBE",
                                  "SELECT * {} OFFSET", "ASK { e:s e:label 'open }"])
def test_bad_queries_give_none(store: ox.Store, text: str) -> None:
    assert bounded(store, text) is None
    assert bounded(store, P + text) is None
