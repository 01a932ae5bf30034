"""``smartregion validate``: check files against the shapes as a load would, publish nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rdflib import Graph
from rdflib.term import Node

from loaders.curated import CuratedSource, curated_sources, display_path
from loaders.pipeline import LoadFailed, extract, full_validation_reason
from loaders.source import Progress, SourceGraph, no_progress
from loaders.staged_validation import shapes_fingerprint, validate_change
from loaders.validation import ShapesError, ValidationReport
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.uris import graph_uri


def check_paths(
    paths: Sequence[Path], settings: Settings, backend: StoreBackend,
    progress: Progress = no_progress,
) -> ValidationReport:
    """Validate files or folders without publishing.

    The data checked is everything curated plus what the store serves (so links to other
    sources resolve), with the given files added, staged like a load and discarded; only
    problems of entities defined in the given paths are reported (all problems of
    everything, if no path is given).
    """
    graphs: list[SourceGraph] = []
    covered: set[Path] = set()
    for source in curated_sources(settings).values():
        graphs.append(extract(source, settings, no_progress))
        covered.update(p.resolve() for p in source.files())
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise LoadFailed(f"{missing[0]}: no such file or folder", 2)
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")))]
    extra = [f for f in files if f.resolve() not in covered]
    yaml_files = [f for f in extra if f.suffix in (".yaml", ".yml")]
    if yaml_files:
        review = CuratedSource("under-review", settings.source_dir, files=yaml_files)
        graphs.append(extract(review, settings, no_progress))
    graphs.extend(_turtle_graph(f) for f in extra if f.suffix == ".ttl")
    staged_graphs = {graph_uri(settings.base_uri, g.name): g.graph for g in graphs}
    with backend.writer("smartregion validate",
                        on_wait=lambda notice: progress(notice, 0, None)) as writer:
        full_because = full_validation_reason(
            backend, settings, shapes_fingerprint(settings), force=not paths, full=False)
        with writer.stage(staged_graphs) as staged:  # left without commit: discarded
            try:
                report, _scope = validate_change(staged, graphs, settings,
                                                 full_because=full_because)
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
