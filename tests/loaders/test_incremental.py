"""Incremental validation gives the verdicts of a full validation (issue 11).

On the shipped curated data, random edits are staged one after the other (add an entity,
change a value, delete an entity, break a link), each validated twice, once incrementally
and once in full, on the same staged store. The violations must be the same; the warnings
the incremental run reports must be among the full run's, and every warning that is new
since the last accepted state must be among them. An edit that conforms is published (so
later edits start from it), one that does not is discarded, as a load would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from loaders.pipeline import load, resolve_sources
from loaders.shape_reach import analyse
from loaders.source import SourceGraph
from loaders.staged_validation import validate_change
from loaders.validation import ValidationReport, Violation, shapes_and_ontology
from loaders.vocabulary import VocabularySource
from smartregion.namespaces import RDF
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import make_settings

Key = tuple[str, str | None, str | None, str, str]


def key(v: Violation) -> Key:
    return (v.focus, v.path, v.value, v.shape, v.message_en)


@dataclass
class World:
    """The graphs of the curated sources as the test edits them."""

    settings: Settings
    backend: EmbeddedBackend
    graphs: dict[str, Graph]

    def uri(self, name: str) -> str:
        return self.settings.base_uri + f"graph/{name}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = make_settings(tmp_path_factory.mktemp("incremental"))
    backend = EmbeddedBackend(settings)
    # The shipped data without the 6,500 GV100AD triples (they would slow every full
    # validation of the comparison, and add no kind of shape the curated Kreise lack).
    sources = [s for s in resolve_sources([], settings) if s.name != "gv100ad"]
    load(sources, settings, backend)
    # Edits of the vocabulary graphs validate everything by design (a changed subclass axiom
    # changes every shape's targets): the comparison edits the data graphs.
    graphs = {s.name: backend.graph(settings.base_uri + f"graph/{s.name}") for s in sources
              if not isinstance(s, VocabularySource)}
    yield World(settings, backend, graphs)
    backend.close()


def _entities(graph: Graph) -> list[URIRef]:
    return sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)})


def _links(world: World) -> list[URIRef]:
    return sorted({o for g in world.graphs.values() for o in g.objects()
                   if isinstance(o, URIRef) and "/id/" in str(o)})


def edit(world: World, rng: random.Random, step: int) -> tuple[str, Graph, str]:
    """A random edit of one source graph: (source name, new graph, what was done)."""
    name = rng.choice(sorted(world.graphs))
    graph = Graph()
    graph += world.graphs[name]
    entities = _entities(graph)
    kind = rng.choice(["add", "change", "delete", "break-link", "drop-property"])
    if not entities:
        kind = "add"
    if kind == "add":  # a copy of an entity of any source, under a new IRI, in this graph
        others = _entities(world.graphs[rng.choice(sorted(world.graphs))]) or entities
        model = rng.choice(others)
        copy = URIRef(f"{model}-copy{step}")
        source_graph = next(g for g in world.graphs.values() if (model, None, None) in g)
        for p, o in source_graph.predicate_objects(model):
            if rng.random() < 0.85:  # sometimes leave something required out
                graph.add((copy, p, o))
        return name, graph, f"add {copy} to {name} (copy of {model})"
    target = rng.choice(entities)
    triples = [(s, p, o) for s, p, o in graph.triples((target, None, None)) if p != RDF.type]
    if kind == "delete" or not triples:
        _remove_entity(graph, target)
        return name, graph, f"delete {target} from {name}"
    s, p, o = rng.choice(triples)
    if kind == "drop-property":
        graph.remove((s, p, None))
        return name, graph, f"drop {p} of {s} in {name}"
    graph.remove((s, p, o))
    if kind == "break-link":
        links = _links(world)
        new: Node = URIRef(f"{rng.choice(links)}-gone") if rng.random() < 0.6 else rng.choice(
            links)
    elif isinstance(o, Literal):
        candidates = [Literal(f"{o}x", datatype=o.datatype, lang=o.language),
                      Literal(str(o)), Literal("-5", datatype=o.datatype),
                      Literal("2031-02-30", datatype=o.datatype), o]
        if o.datatype in (XSD.date, XSD.dateTime):
            # pyshacl's sh:lessThanOrEquals raises TypeError on an ill-typed date (a known
            # gap, see the closing note of this wave); the comparison keeps to well-typed ones
            candidates = [c for c in candidates if not c.ill_typed]
        new = rng.choice(candidates)
    else:
        new = rng.choice(_links(world))
    graph.add((s, p, new))
    return name, graph, f"{kind}: {s} {p} {o.n3()} → {new.n3()} in {name}"


def _remove_entity(graph: Graph, node: Node) -> None:
    for _, _, o in list(graph.triples((node, None, None))):
        if isinstance(o, BNode):
            _remove_entity(graph, o)
    graph.remove((node, None, None))


def compare(world: World, seed: int, steps: int) -> None:
    rng = random.Random(seed)
    settings, backend = world.settings, world.backend
    with backend.writer("test") as writer, writer.stage({}) as staged:
        initial, _ = validate_change(staged, [], settings, full_because="test")
    assert initial.conforms, initial.text()
    baseline = {key(w) for w in initial.warnings}
    accepted = rejected = 0
    for step in range(steps):
        name, graph, what = edit(world, rng, step)
        changed = [SourceGraph(name, graph, f"test-{seed}-{step}", [f"edit {step}"])]
        with backend.writer("test") as writer, writer.stage({world.uri(name): graph}) as staged:
            incremental, scope = validate_change(staged, changed, settings)
            full, _ = validate_change(staged, changed, settings, full_because="test")
            assert not scope.full
            _agree(incremental, full, baseline, f"seed {seed}, step {step}: {what}")
            if full.conforms:
                staged.commit({})
                world.graphs[name] = graph
                baseline = {key(w) for w in full.warnings}
                accepted += 1
            else:
                rejected += 1
    assert accepted and rejected, (accepted, rejected)  # both kinds of verdict were compared


def _agree(incremental: ValidationReport, full: ValidationReport, baseline: set[Key],
           what: str) -> None:
    assert incremental.conforms == full.conforms, what
    assert {key(v) for v in incremental.violations} == {key(v) for v in full.violations}, what
    seen = {key(w) for w in incremental.warnings}
    assert seen <= {key(w) for w in full.warnings}, what
    assert {key(w) for w in full.warnings} - baseline <= seen, what
    for problem in [*incremental.violations, *incremental.warnings]:
        assert problem.origin and "(no file)" not in problem.describe(), what


def test_the_shapes_have_a_bounded_reach(world: World) -> None:
    """Otherwise every load validates everything and the comparison below shows nothing."""
    shapes, _ = shapes_and_ontology(world.settings)
    reach = analyse(shapes)
    assert reach.depth is not None, reach.unbounded_because
    assert reach.sparql_targets  # and the SPARQL-based targets were found


def test_incremental_verdicts_equal_full_ones(world: World) -> None:
    compare(world, seed=2, steps=10)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 3, 4])
def test_incremental_verdicts_equal_full_ones_on_many_edits(world: World, seed: int) -> None:
    # 12 edits a seed (46 with the test above): 30 took 2 minutes a seed, the time the
    # HTTP suite on Virtuoso needs in CI's 45 minutes.
    compare(world, seed=seed, steps=12)


def test_a_link_to_a_removed_entity_names_both_files(tmp_path: Path) -> None:
    """Deleting what others link to is reported at the linking entity, naming the file
    that removed it. (The organisation is only curated; a Kreis would still be defined by
    the GV100AD graph.)"""
    settings = make_settings(tmp_path)
    backend = EmbeddedBackend(settings)
    try:
        load(resolve_sources([], settings), settings, backend)
        graph = backend.graph(settings.base_uri + "graph/organisations")
        removed = URIRef(settings.base_uri + "id/organisation/bmwsb")
        graph.remove((removed, None, None))
        changed = [SourceGraph("organisations", graph, "edited", ["data/organisations/"])]
        with backend.writer("test") as writer, writer.stage(
                {settings.base_uri + "graph/organisations": graph}) as staged:
            report, scope = validate_change(staged, changed, settings)
    finally:
        backend.close()
    assert not scope.full and not report.conforms
    dangling = [v for v in report.violations if v.value == removed.n3()]
    assert dangling, report.text()
    text = dangling[0].describe()
    assert text.startswith("data/"), text  # the linking entity's file and line
    assert "bmwsb.yaml:" in text and "no longer defined" in text, text
