"""SHACL validation of data against ``shapes/`` with the ontology and schemes, reported so
that an editor finds the file, the line, the entity and the rule at once."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph, Literal, URIRef, Variable
from rdflib.namespace import NamespaceManager
from rdflib.query import Result
from rdflib.term import Identifier, Node

from smartregion.namespaces import PREFIXES, RDF, SH
from smartregion.settings import Settings
from smartregion.store.terms import to_oxigraph, to_quad, to_rdflib

# The ontology and the SKOS schemes are added to the data graph itself: pyshacl's ont_graph
# mixin only brings RDFS/OWL axioms, and the shapes also need the concepts' skos:inScheme.
# sh:class then sees rdfs:subClassOf in the data graph, so no inference pass is needed
# (and skipping it keeps validation fast).
INFERENCE = "none"


class ShapesError(RuntimeError):
    """The shapes themselves cannot be used (a broken shape, not broken data)."""


class _NativeSparqlGraph(Graph):
    """A data graph whose SPARQL queries run in an Oxigraph copy of it.

    pySHACL runs each SPARQL-based constraint once per focus node through ``Graph.query``
    with ``$this`` bound. rdflib parses the query text anew every time and binds ``$this``
    late, which made validating the 10,751 German municipalities take most of an hour;
    pyoxigraph substitutes the bindings (SEP-0007) before evaluation and answers in
    microseconds. The copy is rebuilt whenever the graph's size changed (SHACL rules add
    triples). A query Oxigraph cannot take falls back to rdflib, so nothing is checked less.
    """

    _mirror: ox.Store | None = None
    _mirror_size = -1
    # A store holding the whole data (and the ontology) in its default graph, given by the
    # caller, instead of a copy of this graph made here.
    external: ox.Store | None = None

    def query(
        self,
        query_object: Any,
        processor: Any = "sparql",
        result: Any = "sparql",
        initNs: Any = None,  # noqa: N803 - rdflib's parameter names
        initBindings: Any = None,  # noqa: N803
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Result:
        answer = None
        if isinstance(query_object, str) and not initNs and not kwargs:
            try:
                answer = self._native(query_object, initBindings or {})
            except (SyntaxError, ValueError, TypeError):
                answer = None  # not SPARQL 1.1 as Oxigraph reads it: let rdflib try
        if answer is not None:
            return answer
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )

    def _native(self, text: str, bindings: dict[str, Identifier]) -> Result | None:
        substitutions = {ox.Variable(str(k)): to_oxigraph(v) for k, v in bindings.items()}
        if self.external is not None:
            answer = self.external.query(text, substitutions=substitutions)  # type: ignore[arg-type]
        else:
            if self._mirror is None or self._mirror_size != len(self):
                mirror = ox.Store()
                mirror.bulk_extend(to_quad(triple) for triple in self)
                self._mirror, self._mirror_size = mirror, len(self)
            answer = self._mirror.query(text, substitutions=substitutions)  # type: ignore[arg-type]
        if isinstance(answer, ox.QueryBoolean):
            ask = Result("ASK")
            ask.askAnswer = bool(answer)
            return ask
        if isinstance(answer, ox.QuerySolutions):
            names = [v.value for v in answer.variables]
            select = Result("SELECT")
            select.vars = [Variable(n) for n in names]
            select.bindings = [
                {Variable(n): to_rdflib(row[n]) for n in names if row[n] is not None}
                for row in answer
            ]
            return select
        return None  # CONSTRUCT/DESCRIBE: not used by constraints, leave them to rdflib


@dataclass
class Violation:
    """One SHACL result, with the place in the input it concerns.

    ``origin`` is ``file:line`` (a Destatis line, a URL) of the focus node; ``note`` adds
    what the reader needs beyond it (e.g. that the linked entity was removed, and where).
    """

    focus: str
    path: str | None
    value: str | None
    shape: str
    severity: str
    message_de: str
    message_en: str
    origin: str | None
    note: str | None = None
    removed_from: str | None = None  # where the entity it links to was, before this change
    focus_node: Node | None = field(default=None, compare=False, repr=False)
    value_node: Node | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """One line: where, which entity, which property, what is wrong (de / en)."""
        where = self.origin or f"<{self.focus}>"
        prop = f" {self.path}" if self.path else ""
        shown = self.value is not None and self.value != f"<{self.focus}>"
        value = f" = {self.value}" if shown else ""
        message = self.message_de
        if self.message_en and self.message_en != self.message_de:
            message = f"{self.message_de} / {self.message_en}"
        note = f" ({self.note})" if self.note else ""
        return f"{where}: <{self.focus}>{prop}{value}: {message} [{self.shape}]{note}"


@dataclass
class ValidationReport:
    """The outcome of one validation run."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    def text(self) -> str:
        """Every violation and warning, one per line."""
        lines = [f"Violation: {v.describe()}" for v in self.violations]
        lines += [f"Warning: {w.describe()}" for w in self.warnings]
        return "\n".join(lines)


def _load_turtle_dir(paths: Iterable[Path]) -> Graph:
    graph = Graph()
    for path in sorted(paths):
        graph.parse(path, format="turtle")
    return graph


OUTPUT_SHAPES_SUFFIX = "-output.ttl"


def input_shape_files(shapes_dir: Path) -> list[Path]:
    """The shapes loaded data must meet: every ``shapes/*.ttl`` except ``*-output.ttl``.

    Output shapes (``dcat-output.ttl``) describe what the endpoint produces from the data
    (the DCAT catalogue); applying them to loaded data would demand catalogue metadata from
    third-party datasets that a harvest brings in.
    """
    return sorted(
        p for p in shapes_dir.glob("*.ttl") if not p.name.endswith(OUTPUT_SHAPES_SUFFIX)
    )


@functools.lru_cache(maxsize=4)
def _shapes_and_ontology(shapes_dir: Path, ontology_dir: Path, stamp: float) -> tuple[Graph, Graph]:
    del stamp  # part of the cache key only: files changed → parse again
    shapes = _load_turtle_dir(input_shape_files(shapes_dir))
    ontology = _load_turtle_dir(ontology_dir.rglob("*.ttl"))
    return shapes, ontology


def shapes_and_ontology(settings: Settings) -> tuple[Graph, Graph]:
    """The merged SHACL shapes and the ontology with its schemes (cached until they change)."""
    files = [*input_shape_files(settings.shapes_dir), *settings.ontology_dir.rglob("*.ttl")]
    stamp = max((p.stat().st_mtime for p in files), default=0.0)
    return _shapes_and_ontology(settings.shapes_dir, settings.ontology_dir, stamp)


def validate(
    data: Graph,
    settings: Settings,
    origins: Mapping[Node, str] | None = None,
    *,
    keep: set[Node] | None = None,
    native: ox.Store | None = None,
) -> ValidationReport:
    """Validate ``data`` (SHACL, shapes from ``shapes/``, ontology and schemes mixed in).

    ``keep``: report only results about these focus nodes (the others were validated with
    part of their surroundings only). ``native``: a store holding ``data`` and the ontology in
    its default graph, for SPARQL-based targets and constraints (else a copy is made).
    """
    shapes, ontology = shapes_and_ontology(settings)
    if keep is not None and not keep:
        return ValidationReport(conforms=True)
    ill_typed = [(s, p, o) for s, p, o in data
                 if isinstance(o, Literal) and o.ill_typed and (keep is None or s in keep)]
    combined = _NativeSparqlGraph()
    combined.external = native
    combined += data
    for triple in ill_typed:  # reported below; pySHACL's comparisons fail on them (TypeError)
        combined.remove(triple)
    combined += ontology
    # pySHACL's own ``focus_nodes`` option is not used: in 0.40.1 it also filters the value
    # nodes that sh:node and the logical constraints pass on to nested shapes, so a link to
    # a missing entity would pass. Every target in ``data`` is validated; ``keep`` filters.
    try:
        _conforms, results, _text = shacl_validate(
            combined,
            shacl_graph=shapes,
            inference=INFERENCE,
            advanced=True,
            allow_warnings=True,
            inplace=True,
        )
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the SHACL shapes in {settings.shapes_dir} are broken: {exc}") from exc
    report = ValidationReport(conforms=True)
    report.violations.extend(_ill_typed(triple, origins or {}) for triple in ill_typed)
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, result) in results:
            continue  # why a nested shape failed: its parent result is the one to report
        violation = _violation(results, result, origins or {})
        if keep is not None and violation.focus_node not in keep:
            continue
        if violation.severity == "Violation":
            report.violations.append(violation)
        else:
            report.warnings.append(violation)
    report.conforms = not report.violations
    report.violations.sort(key=lambda v: (v.origin or "", v.focus, v.path or ""))
    report.warnings.sort(key=lambda v: (v.origin or "", v.focus, v.path or ""))
    return report


def _violation(results: Graph, node: Node, origins: Mapping[Node, str]) -> Violation:
    focus = results.value(node, SH.focusNode)
    path = results.value(node, SH.resultPath)
    value = results.value(node, SH.value)
    shape = results.value(node, SH.sourceShape)
    severity = results.value(node, SH.resultSeverity)
    messages = {
        (m.language or ""): str(m)
        for m in results.objects(node, SH.resultMessage)
        if isinstance(m, Literal)
    }
    fallback = next(iter(messages.values()), "constraint not met")
    return Violation(
        focus=str(focus),
        path=_prefixed(path) if isinstance(path, URIRef) else None,
        value=value.n3() if value is not None else None,
        shape=_shape_name(shape),
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        message_de=messages.get("de", messages.get("", fallback)),
        message_en=messages.get("en", fallback),
        origin=origins.get(focus) if focus is not None else None,
        focus_node=focus,
        value_node=value,
    )


def _ill_typed(triple: tuple[Node, Node, Node], origins: Mapping[Node, str]) -> Violation:
    """The violation of a literal whose text is not a value of its datatype (``"2025-13-45"``
    as ``xsd:date``): SHACL's ``sh:datatype`` rule, checked here for every property."""
    focus, path, value = triple
    assert isinstance(value, Literal) and isinstance(path, URIRef)
    kind = _prefixed(value.datatype) if value.datatype is not None else "literal"
    return Violation(
        focus=str(focus), path=_prefixed(path), value=value.n3(), shape="datatype",
        severity="Violation",
        message_de=f"Der Wert ist kein gültiger Wert des Typs {kind}"
                   + (" (ein Datum JJJJ-MM-TT)." if kind == "xsd:date" else "."),
        message_en=f"The value is not a valid {kind}"
                   + (" (a date YYYY-MM-DD)." if kind == "xsd:date" else "."),
        origin=origins.get(focus), focus_node=focus, value_node=value,
    )


@functools.lru_cache(maxsize=1)
def _namespace_manager() -> NamespaceManager:
    manager = NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace)
    return manager


def _prefixed(iri: URIRef) -> str:
    return _namespace_manager().normalizeUri(iri)


def _shape_name(shape: Node | None) -> str:
    if isinstance(shape, URIRef):
        text = str(shape)
        return text.rsplit("#", 1)[-1] if "#" in text else text.rsplit("/", 1)[-1]
    return "anonymous shape"
