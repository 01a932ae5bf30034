"""How far from its focus node a SHACL shape can look: the ground of incremental validation.

Whether a focus node conforms depends only on the triples its shapes read. Reading starts at
the focus node and follows property paths; ``sh:class`` reads the value's ``rdf:type``,
``sh:node`` and the logical constraints apply further shapes to the values, ``sh:equals``
and its kin read the focus node's own values, and a SPARQL-based constraint reads what its
query's triple patterns reach from ``$this``. :func:`analyse` computes, for a shapes graph,
the largest **depth** ``d`` such that every constraint only reads the outgoing triples of nodes
at most ``d`` forward steps from the focus node. If some shape also reads triples backwards (an
inverse path, an incoming pattern in SPARQL) the reach is **undirected**: steps in both
directions count. Paths with ``*``/``+``, recursive shapes, SPARQL patterns not anchored at
``$this`` or a query that does not parse have no bound (``depth`` is ``None``), and then the
whole store is validated. Targets: ``sh:targetClass`` and ``sh:targetSubjectsOf`` depend on the
focus node's own triples, ``sh:targetObjectsOf p`` on incoming ``p`` triples (listed in
``object_target_predicates``), a SPARQL-based target on what its query reads around
``?this`` (counted in ``depth`` like a constraint).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, URIRef, Variable
from rdflib.collection import Collection
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from smartregion.namespaces import RDF, RDFS, SH

Depth = int | None  # None: no bound


@dataclass
class Reach:
    """What the validation of one focus node may read, for one shapes graph."""

    depth: Depth
    undirected: bool = False
    object_target_predicates: set[URIRef] = field(default_factory=set)
    target_nodes: set[Node] = field(default_factory=set)
    sparql_targets: list[str] = field(default_factory=list)
    unbounded_because: str | None = None


def reach_to_json(reach: Reach) -> str:
    """A reach as JSON (terms in N3)."""
    return json.dumps({
        "depth": reach.depth, "undirected": reach.undirected,
        "object_target_predicates": sorted(str(p) for p in reach.object_target_predicates),
        "target_nodes": sorted(n.n3() for n in reach.target_nodes if isinstance(n, URIRef)),
        "sparql_targets": reach.sparql_targets, "unbounded_because": reach.unbounded_because,
    })


def reach_from_json(text: str) -> Reach:
    """The reach :func:`reach_to_json` wrote."""
    data = json.loads(text)
    return Reach(
        depth=data["depth"], undirected=data["undirected"],
        object_target_predicates={URIRef(p) for p in data["object_target_predicates"]},
        target_nodes={URIRef(n[1:-1]) for n in data["target_nodes"]},
        sparql_targets=list(data["sparql_targets"]),
        unbounded_because=data["unbounded_because"],
    )


VALUE_SHAPES = (SH.node, SH.qualifiedValueShape, SH["not"])
LIST_SHAPES = (SH["and"], SH["or"], SH.xone)
OWN_VALUES = (SH["class"], SH.closed, SH.equals, SH.disjoint, SH.lessThan,
              SH.lessThanOrEquals)


class _Unbounded(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def analyse(shapes: Graph) -> Reach:
    """The reach of every shape in ``shapes`` (the largest one counts)."""
    walker = _Walker(shapes)
    reach = Reach(depth=-1)
    reach.object_target_predicates = {
        p for p in shapes.objects(None, SH.targetObjectsOf) if isinstance(p, URIRef)}
    reach.target_nodes = set(shapes.objects(None, SH.targetNode))
    for target in shapes.objects(None, SH.target):
        if (target, RDF.type, SH.SPARQLTarget) in shapes:
            reach.sparql_targets.append(sparql_text(shapes, target))
    shapes_found = set(shapes.subjects(RDF.type, SH.NodeShape))
    shapes_found |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    shapes_found |= set(shapes.objects(None, SH.property))
    try:
        depth = -1
        for shape in shapes_found:
            found = walker.shape(shape, ())
            depth = max(depth, found)
        for query in reach.sparql_targets:
            # Whether a node is selected depends on what the query reads around it; within
            # that reach of an affected node, the selection is evaluated anew.
            depth = max(depth, walker.query(query))
        reach.depth = max(depth, 0)
    except _Unbounded as exc:
        reach.depth = None
        reach.unbounded_because = exc.reason
    reach.undirected = walker.undirected
    return reach


def sparql_text(shapes: Graph, node: Node) -> str:
    """The query of a SPARQL-based target or constraint with its ``sh:prefixes`` declared."""
    prefixes = []
    for declarer in shapes.objects(node, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                prefixes.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join([*prefixes, str(shapes.value(node, SH.select))])


class _Walker:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.undirected = False
        self._cache: dict[Node, int] = {}

    def shape(self, shape: Node, stack: tuple[Node, ...]) -> int:
        if shape in stack:
            raise _Unbounded(f"shape {shape} refers to itself")
        if shape not in self._cache:
            inner = (*stack, shape)
            path = self.g.value(shape, SH.path)
            self._cache[shape] = (self._property(shape, path, inner) if path is not None
                                  else self._node(shape, inner))
        return self._cache[shape]

    def _node(self, shape: Node, stack: tuple[Node, ...]) -> int:
        found = [0 for p in OWN_VALUES if self.g.value(shape, p) is not None]
        found += [self._values(shape, 0, stack)]
        found += [self.shape(p, stack) for p in self.g.objects(shape, SH.property)]
        found += [self._sparql(c) for c in self.g.objects(shape, SH.sparql)]
        return max(found, default=-1)

    def _property(self, shape: Node, path: Node, stack: tuple[Node, ...]) -> int:
        length = self._path(path)
        found = [length - 1, self._values(shape, length, stack)]
        if self.g.value(shape, SH["class"]) is not None:
            found.append(length)
        if any(self.g.value(shape, p) is not None for p in OWN_VALUES[2:]):
            found.append(0)
        found += [length + self.shape(p, stack) for p in self.g.objects(shape, SH.property)]
        found += [max(self._sparql(c), length - 1) for c in self.g.objects(shape, SH.sparql)]
        return max(found)

    def _values(self, shape: Node, at: int, stack: tuple[Node, ...]) -> int:
        """Shapes applied to the value nodes (at distance ``at``) of ``shape``."""
        found = [-1]
        for predicate in VALUE_SHAPES:
            found += [at + self.shape(s, stack) for s in self.g.objects(shape, predicate)]
        for predicate in LIST_SHAPES:
            for members in self.g.objects(shape, predicate):
                found += [at + self.shape(s, stack) for s in Collection(self.g, members)]
        return max(found)

    def _path(self, path: Node) -> int:
        if isinstance(path, URIRef):
            return 1
        if (path, RDF.first, None) in self.g:
            return sum(self._path(step) for step in Collection(self.g, path))
        inverse = self.g.value(path, SH.inversePath)
        if inverse is not None:
            self.undirected = True
            return self._path(inverse)
        alternatives = self.g.value(path, SH.alternativePath)
        if alternatives is not None:
            return max(self._path(step) for step in Collection(self.g, alternatives))
        optional = self.g.value(path, SH.zeroOrOnePath)
        if optional is not None:
            return self._path(optional)
        raise _Unbounded(f"the path {path} has no length bound (sh:zeroOrMorePath, …)")

    def _sparql(self, constraint: Node) -> int:
        return self.query(sparql_text(self.g, constraint))

    def query(self, text: str) -> int:
        """The reach of a SPARQL-based constraint or target (``$this``/``?this``)."""
        try:
            algebra = prepareQuery(text).algebra
        except Exception as exc:  # rdflib raises many kinds of parse errors
            raise _Unbounded(f"a SPARQL query of the shapes does not parse: {exc}") from exc
        patterns = list(_patterns(algebra))
        depth, undirected = sparql_reach(patterns)
        self.undirected = self.undirected or undirected
        return depth


def sparql_reach(patterns: list[tuple[Node, Any, Node]]) -> tuple[int, bool]:
    """Depth and direction of what triple patterns read from ``$this``/``?this``."""
    this = Variable("this")
    distance: dict[Node, int] = {this: 0}
    undirected = False
    deepest = 0
    remaining = list(patterns)
    while remaining:
        progressed = False
        for pattern in list(remaining):
            s, p, o = pattern
            steps = _steps(p)
            if s in distance:
                deepest = max(deepest, distance[s] + steps - 1)
                if _is_var(o):
                    distance[o] = min(distance.get(o, 1 << 30), distance[s] + steps)
            elif o in distance:
                undirected = True
                deepest = max(deepest, distance[o] + steps - 1)
                if _is_var(s):
                    distance[s] = min(distance.get(s, 1 << 30), distance[o] + steps)
            elif not _is_var(s) and not _is_var(o):
                pass  # a fixed triple: its change is a change of the constant node itself
            else:
                continue
            remaining.remove(pattern)
            progressed = True
        if not progressed:
            raise _Unbounded("a SPARQL constraint reads patterns not linked to $this")
    return deepest, undirected


def _steps(predicate: Any) -> int:
    if isinstance(predicate, URIRef | Variable):
        return 1
    if isinstance(predicate, SequencePath):
        return sum(_steps(p) for p in predicate.args)
    if isinstance(predicate, AlternativePath):
        return max(_steps(p) for p in predicate.args)
    if isinstance(predicate, InvPath | NegatedPath):
        return _steps(predicate.arg) if isinstance(predicate, InvPath) else 1
    if isinstance(predicate, MulPath) and predicate.mod == "?":
        return _steps(predicate.path)
    if isinstance(predicate, MulPath) and predicate.path == RDFS.subClassOf:
        # The class hierarchy is the ontology's, never the data's (a change adding
        # rdfs:subClassOf triples is validated in full), so walking it reads no data.
        return 0
    raise _Unbounded(f"the SPARQL path {predicate} has no length bound")


def _is_var(node: Node) -> bool:
    return isinstance(node, Variable | BNode)


def _patterns(node: object) -> Iterable[tuple[Node, Any, Node]]:
    """Every triple pattern in a translated query, in filters and sub-queries too."""
    if isinstance(node, CompValue):
        if node.name in ("Graph", "ServiceGraphPattern"):
            raise _Unbounded(f"a SPARQL constraint uses {node.name}")
        if node.name == "BGP":
            for triple in node.get("triples") or []:
                if isinstance(triple[1], Path) and isinstance(triple[1], InvPath):
                    yield (triple[2], triple[1].arg, triple[0])
                else:
                    yield triple
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _patterns(item)
