"""Validating a staged change: in the store's form, only what it can affect, every problem
located.

The data SHACL sees is read from the staged copy of the store (:class:`StagedChange`), so a
value is checked exactly as it will be served; the SPARQL-based targets and constraints run
natively in pyoxigraph over the same data plus the ontology. What is validated:

- **everything**, when asked (``load --force``, ``--full-validation``), when the shapes or the
  ontology changed since the served state was validated (or it never was), when a shape's
  reach has no bound, or when the change touches ``rdfs:subClassOf``;
- otherwise the nodes the change can affect (:mod:`loaders.incremental`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from loaders.incremental import affected, changes, everything, neighbourhood
from loaders.locations import Locator
from loaders.shape_reach import Reach, analyse, reach_from_json, reach_to_json
from loaders.source import SourceGraph
from loaders.validation import (
    ValidationReport,
    input_shape_files,
    shapes_and_ontology,
    validate,
)
from smartregion.namespaces import SRH
from smartregion.settings import Settings
from smartregion.store.backend import StagedChange, StoreBackend
from smartregion.store.terms import to_oxigraph, to_quad, to_rdflib
from smartregion.uris import graph_uri, meta_graph_uri


@dataclass
class Scope:
    """How much a validation covered, and why."""

    full: bool
    reason: str
    focus: int = 0

    def describe(self) -> str:
        """One line for the load's output."""
        if self.full:
            return f"validated everything ({self.reason})"
        return f"validated {self.focus} entities the change can affect ({self.reason})"


def validation_record_key(settings: Settings) -> str:
    """Subject of the record saying with which shapes the served state was validated."""
    return meta_graph_uri(settings.base_uri) + "#validation"


def shapes_fingerprint(settings: Settings) -> str:
    """Hash of the input shapes, the ontology and the schemes (what a verdict depends on)."""
    digest = hashlib.sha256()
    files = [*input_shape_files(settings.shapes_dir),
             *sorted(settings.ontology_dir.rglob("*.ttl"))]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return "sha256:" + digest.hexdigest()


def validated_with(backend: StoreBackend, settings: Settings) -> str | None:
    """The shapes fingerprint the served state was last validated with, if recorded."""
    rows = backend.select(
        "SELECT ?f WHERE {\n#VALUES\nGRAPH ?meta { ?key ?p ?f } }",
        {"meta": URIRef(meta_graph_uri(settings.base_uri)),
         "key": URIRef(validation_record_key(settings)), "p": SRH.shapesFingerprint},
    )
    return str(rows[0]["f"]) if rows else None


def validation_record(settings: Settings, fingerprint: str) -> Graph:
    """The record: this state conforms to the shapes with ``fingerprint``."""
    record = Graph()
    record.add((URIRef(validation_record_key(settings)), SRH.shapesFingerprint,
                Literal(fingerprint)))
    return record


@functools.lru_cache(maxsize=4)
def _reach(shapes: Graph, cache: Path) -> Reach:
    """The shapes' reach, kept in ``cache`` (parsing the SPARQL of the shapes with rdflib
    takes seconds; the file is named by the shapes' fingerprint)."""
    if cache.is_file():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return reach_from_json(cache.read_text())
    reach = analyse(shapes)
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache.with_name(f".{cache.name}.{os.getpid()}")
    temporary.write_text(reach_to_json(reach))
    os.replace(temporary, cache)
    return reach


def _copy(staged: StagedChange, ontology: Graph) -> ox.Store:
    """The published data and the ontology in the default graph of an in-memory store, where
    pyoxigraph answers the shapes' SPARQL far faster than over a list of named graphs."""
    copy = ox.Store()
    for graph in staged.data_graphs():
        copy.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                         for q in staged.store.quads_for_pattern(None, None, None, graph))
    copy.bulk_extend(to_quad(t) for t in ontology)
    return copy


def validate_change(
    staged: StagedChange, changed: Sequence[SourceGraph], settings: Settings,
    *, full_because: str | None = None,
) -> tuple[ValidationReport, Scope]:
    """Validate the new state of ``staged`` after replacing the graphs of ``changed``."""
    shapes, ontology = shapes_and_ontology(settings)
    cache = settings.data_dir / "validation" / f"reach-{shapes_fingerprint(settings)[7:23]}.json"
    reach = _reach(shapes, cache)
    replaced = [graph_uri(settings.base_uri, s.name) for s in changed]
    change = changes(staged, replaced, reach)
    reason = full_because or change.reason_for_full
    if reason is None and reach.depth is None:
        reason = f"a shape's reach has no bound: {reach.unbounded_because}"
    if reason is not None:
        scope = Scope(True, reason)
        report = validate(everything(staged), settings, native=_copy(staged, ontology))
    else:
        # SPARQL-based targets and constraints run on the neighbourhood too: what they read
        # around an affected node is within the reach, and for other nodes nothing changed.
        focus = affected(staged, change.seeds, reach)
        focus |= {t for t in (to_oxigraph(n) for n in reach.target_nodes  # type: ignore[arg-type]
                              ) if isinstance(t, ox.NamedNode | ox.BlankNode)}
        scope = Scope(False, "incremental", len(focus))
        report = validate(neighbourhood(staged, focus, reach), settings,
                          keep={to_rdflib(n) for n in focus})
    locator = Locator(settings, staged, changed)
    for result in [*report.violations, *report.warnings]:
        if result.focus_node is not None:
            result.origin = locator.locate(result.focus_node)
        result.removed_from = locator.removed_from(result.value_node)
        if result.removed_from:
            result.note = (f"{result.value} is no longer defined: it was in "
                           f"{result.removed_from}, changed by this load / wird nicht mehr "
                           f"definiert: stand in {result.removed_from}")
    report.violations.sort(key=lambda v: (v.origin or "", v.focus, v.path or ""))
    report.warnings.sort(key=lambda v: (v.origin or "", v.focus, v.path or ""))
    return report, scope
