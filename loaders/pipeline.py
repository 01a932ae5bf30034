"""The one write path: extract → validate (with everything else that is published) → publish.

Nothing is published unless the whole new state conforms to the shapes; a failure of any
kind leaves the served version exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from loaders import available_sources
from loaders.curated import CuratedSource, curated_sources, display_path
from loaders.provenance import record
from loaders.source import Progress, Source, SourceError, SourceGraph, no_progress
from loaders.validation import ShapesError, ValidationReport, validate
from smartregion.namespaces import DCTERMS, SRH
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.publication import Publication, StoreVersion, now
from smartregion.uris import graph_uri, meta_graph_uri


class LoadFailed(Exception):
    """A load that published nothing. ``exit_code``: 1 rule broken, 2 unreadable input."""

    def __init__(self, message: str, exit_code: int, report: ValidationReport | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.report = report


@dataclass
class LoadSummary:
    """What a load did: triples per graph, the new version, what was unchanged."""

    version: StoreVersion | None
    triples: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    report: ValidationReport | None = None
    seconds: float = 0.0


def resolve_sources(names: Sequence[str], settings: Settings) -> list[Source]:
    """The sources named (all curated ones when ``names`` is empty)."""
    known = available_sources(settings)
    if not names:
        return [s for s in known.values() if isinstance(s, CuratedSource)]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LoadFailed(
            f"unknown source {unknown[0]!r} (known: {', '.join(sorted(known)) or 'none'})", 2
        )
    return [known[n] for n in names]


def load(
    sources: Sequence[Source],
    settings: Settings,
    backend: StoreBackend,
    *,
    force: bool = False,
    progress: Progress = no_progress,
) -> LoadSummary:
    """Load ``sources`` as one new store version (or nothing, if all are unchanged)."""
    started_clock = time.monotonic()
    started = now()
    extracted = [_extract(source, settings, progress) for source in sources]
    published = _published_fingerprints(backend, settings)
    summary = LoadSummary(version=backend.version())
    changed = []
    for source_graph in extracted:
        uri = graph_uri(settings.base_uri, source_graph.name)
        if not force and published.get(uri) == source_graph.fingerprint:
            summary.unchanged.append(source_graph.name)
        else:
            changed.append(source_graph)
    if not changed:
        summary.seconds = time.monotonic() - started_clock
        return summary

    progress("validate", 0, None)
    try:
        report = validate_with_published(changed, settings, backend)
    except ShapesError as exc:
        raise LoadFailed(str(exc), 2) from exc
    summary.report = report
    if not report.conforms:
        raise LoadFailed(
            f"{len(report.violations)} SHACL violation(s); nothing was published", 1, report
        )
    ended = now()
    issued = _issued_dates(backend, settings)
    publication = Publication(graphs={}, records={})
    for source_graph in changed:
        uri = graph_uri(settings.base_uri, source_graph.name)
        source = next(s for s in sources if s.name == source_graph.name)
        publication.graphs[uri] = source_graph.graph
        publication.records[uri] = record(
            source_graph, uri, loader_version=source.loader_version, started=started,
            ended=ended, report=report, issued=issued.get(uri),
        )
        summary.triples[source_graph.name] = len(source_graph.graph)
    progress("publish", 0, None)
    summary.version = backend.publish(publication)
    summary.seconds = time.monotonic() - started_clock
    return summary


def validate_with_published(
    changed: Sequence[SourceGraph], settings: Settings, backend: StoreBackend
) -> ValidationReport:
    """Validate the state the store would have: the changed graphs plus all other graphs."""
    replaced = {graph_uri(settings.base_uri, s.name) for s in changed}
    skip = replaced | {meta_graph_uri(settings.base_uri)}
    data = Graph()
    origins: dict[Node, str] = {}
    for uri in backend.graph_uris():
        if uri not in skip:
            data += backend.graph(uri)
    for source_graph in changed:
        data += source_graph.graph
        origins.update(source_graph.origins)
    return validate(data, settings, origins=origins)


def _extract(source: Source, settings: Settings, progress: Progress) -> SourceGraph:
    try:
        return source.extract(settings, progress)
    except SourceError as exc:
        raise LoadFailed(str(exc), exc.exit_code) from exc
    except OSError as exc:
        raise LoadFailed(f"{source.name}: cannot read input: {exc}", 2) from exc


def _published_fingerprints(backend: StoreBackend, settings: Settings) -> dict[str, str]:
    rows = backend.select(
        "SELECT ?dataset ?fingerprint WHERE {\n#VALUES\nGRAPH ?meta { ?dataset ?p ?fingerprint } }",
        {"meta": URIRef(meta_graph_uri(settings.base_uri)), "p": SRH.inputFingerprint},
    )
    return {str(r["dataset"]): str(r["fingerprint"]) for r in rows}


def _issued_dates(backend: StoreBackend, settings: Settings) -> dict[str, datetime]:
    rows = backend.select(
        "SELECT ?dataset ?issued WHERE {\n#VALUES\nGRAPH ?meta { ?dataset ?p ?issued } }",
        {"meta": URIRef(meta_graph_uri(settings.base_uri)), "p": DCTERMS.issued},
    )
    dates = {}
    for row in rows:
        value = row["issued"].toPython() if isinstance(row["issued"], Literal) else None
        if isinstance(value, datetime):
            dates[str(row["dataset"])] = value
    return dates



def check_paths(
    paths: Sequence[Path], settings: Settings, backend: StoreBackend
) -> ValidationReport:
    """Validate files or folders without publishing.

    The data checked is everything curated plus what the store serves (so links to other
    sources resolve), with the given files added; only problems of entities defined in the
    given paths are reported (all problems, if no path is given).
    """
    graphs: list[SourceGraph] = []
    covered: set[Path] = set()
    for source in curated_sources(settings).values():
        graphs.append(_extract(source, settings, no_progress))
        covered.update(p.resolve() for p in source.files())
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise LoadFailed(f"{missing[0]}: no such file or folder", 2)
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")))]
    extra = [f for f in files if f.resolve() not in covered]
    yaml_files = [f for f in extra if f.suffix in (".yaml", ".yml")]
    if yaml_files:
        review = CuratedSource("under-review", settings.source_dir, files=yaml_files)
        graphs.append(_extract(review, settings, no_progress))
    graphs.extend(_turtle_graph(f) for f in extra if f.suffix == ".ttl")
    try:
        report = validate_with_published(graphs, settings, backend)
    except ShapesError as exc:
        raise LoadFailed(str(exc), 2) from exc
    if paths:
        prefixes = tuple(display_path(p) for p in paths)
        report.violations = [v for v in report.violations if (v.origin or "").startswith(prefixes)]
        report.warnings = [w for w in report.warnings if (w.origin or "").startswith(prefixes)]
        report.conforms = not report.violations
    return report


def _turtle_graph(path: Path) -> SourceGraph:
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many unrelated exception types for bad Turtle
        raise LoadFailed(f"{display_path(path)}: not valid Turtle: {exc}", 2) from exc
    where = display_path(path)
    origins: dict[Node, str] = {s: where for s in set(graph.subjects())}
    return SourceGraph(path.stem, graph, "", [where], origins)
