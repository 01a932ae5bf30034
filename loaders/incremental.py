"""Which entities a change can affect, and the triples needed to validate them.

A publish replaces whole graphs. The triples that differ between a replaced graph's old and
new content (both in the store's form) are the change; their subjects are the **seeds** (and
their objects too where shapes read backwards, or a ``sh:targetObjectsOf`` predicate makes
the object a target). By :mod:`loaders.shape_reach`, a focus node's verdict can only change
if a seed lies within the shapes' reach of it, so the **affected** nodes are found by walking
``depth`` steps back from the seeds, over the links of every published graph: the edited
project, and the projects, memberships and events in other graphs that link to it.

Validation then runs on the **neighbourhood** of the affected nodes (their own triples and
those of every node within reach); results for other nodes are dropped. A node outside the
affected set has the same surroundings as in the served state, which conformed, so its
verdict cannot have changed, whatever targets select it. ``tests/loaders/test_incremental.py``
compares these verdicts with a full validation over many random edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from loaders.shape_reach import Reach
from smartregion.store.backend import StagedChange
from smartregion.store.terms import to_rdflib

RDFS_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
Resource = ox.NamedNode | ox.BlankNode


@dataclass
class Change:
    """What a publish changes: seeds of the change, and the nodes it removed."""

    seeds: set[Resource]
    removed: set[Resource]  # subjects in an old graph that are subjects nowhere any more
    reason_for_full: str | None = None


def changes(staged: StagedChange, replaced: Iterable[str], reach: Reach) -> Change:
    """Seeds and removed nodes of replacing ``replaced`` graphs in ``staged``."""
    object_targets = {ox.NamedNode(str(p)) for p in reach.object_target_predicates}
    seeds: set[Resource] = set()
    old_subjects: set[Resource] = set()
    reason = None
    for graph_uri in replaced:
        old = set(staged.previous(graph_uri))
        new = {q.triple for q in staged.store.quads_for_pattern(
            None, None, None, ox.NamedNode(graph_uri))}
        old_subjects.update(t.subject for t in old if isinstance(t.subject, Resource))
        for triple in old ^ new:
            if triple.predicate == RDFS_SUBCLASS:
                reason = f"the change adds or removes rdfs:subClassOf in <{graph_uri}>"
            if isinstance(triple.subject, Resource):
                seeds.add(triple.subject)
            if isinstance(triple.object, Resource) and (
                    reach.undirected or triple.predicate in object_targets):
                seeds.add(triple.object)
    graphs = set(staged.data_graphs())
    removed = {s for s in old_subjects
               if not any(q.graph_name in graphs for q in staged.store.quads_for_pattern(
                   s, None, None, None))}
    return Change(seeds, removed, reason)


def affected(staged: StagedChange, seeds: set[Resource], reach: Reach) -> set[Resource]:
    """Every node within ``reach.depth`` steps back (or either way) of a seed."""
    assert reach.depth is not None
    graphs = set(staged.data_graphs())
    found = set(seeds)
    frontier = set(seeds)
    for _ in range(reach.depth):
        following: set[Resource] = set()
        for node in frontier:
            for quad in staged.store.quads_for_pattern(None, None, node, None):
                if quad.graph_name in graphs and isinstance(quad.subject, Resource):
                    following.add(quad.subject)
            if reach.undirected:
                for quad in staged.store.quads_for_pattern(node, None, None, None):
                    if quad.graph_name in graphs and isinstance(quad.object, Resource):
                        following.add(quad.object)
        frontier = following - found
        found |= frontier
        if not frontier:
            break
    return found


def neighbourhood(staged: StagedChange, focus: set[Resource], reach: Reach) -> Graph:
    """The triples validating ``focus`` may read: of every node within reach of it."""
    assert reach.depth is not None
    graphs = set(staged.data_graphs())
    object_targets = {ox.NamedNode(str(p)) for p in reach.object_target_predicates}
    triples: set[ox.Triple] = set()
    seen = set(focus)
    frontier = set(focus)
    for level in range(reach.depth + 1):
        following: set[Resource] = set()
        for node in frontier:
            for quad in _quads(staged.store, node, None, graphs):
                triples.add(quad.triple)
                if isinstance(quad.object, Resource):
                    following.add(quad.object)
            if not (reach.undirected or level == 0):
                continue
            for quad in _quads(staged.store, None, node, graphs):
                if reach.undirected:
                    triples.add(quad.triple)
                    following.add(quad.subject)  # type: ignore[arg-type]
                elif quad.predicate in object_targets:  # makes ``node`` a target
                    triples.add(quad.triple)
        frontier = following - seen
        seen |= frontier
    graph = Graph()
    for triple in triples:
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate),
                   to_rdflib(triple.object)))
    return graph


def everything(staged: StagedChange) -> Graph:
    """All published data of the new state, for a full validation."""
    graph = Graph()
    for node in staged.data_graphs():
        for quad in staged.store.quads_for_pattern(None, None, None, node):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                       to_rdflib(quad.object)))
    return graph


def _quads(store: ox.Store, subject: Resource | None, obj: Resource | None,
           graphs: set[ox.NamedNode]) -> Iterator[ox.Quad]:
    for quad in store.quads_for_pattern(subject, None, obj, None):
        if quad.graph_name in graphs:
            yield quad
