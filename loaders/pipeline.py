"""The one write path: extract → stage → validate (in the store's form) → publish.

Nothing is published unless the whole new state conforms to the shapes; a failure of any
kind leaves the served version exactly as it was. Validation covers what the change can
affect (see :mod:`loaders.staged_validation`) and names the file and line of every problem.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rdflib import Literal, URIRef

from loaders import available_sources
from loaders.locations import keep_locations, save_locations
from loaders.provenance import record
from loaders.source import (
    SHIPPED_INPUT,
    Progress,
    Source,
    SourceError,
    SourceGraph,
    no_progress,
)
from loaders.staged_validation import (
    Scope,
    shapes_fingerprint,
    validate_change,
    validated_with,
    validation_record,
    validation_record_key,
)
from loaders.validation import ShapesError, ValidationReport
from smartregion.namespaces import DCTERMS, SRH
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.publication import StoreVersion, now
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
    kept: list[str] = field(default_factory=list)
    report: ValidationReport | None = None
    scope: Scope | None = None
    seconds: float = 0.0


def resolve_sources(names: Sequence[str], settings: Settings) -> list[Source]:
    """The sources named (those that load by default when ``names`` is empty: the curated
    folders, the outlines and the shipped GV100AD extract)."""
    known = available_sources(settings)
    if not names:
        return [s for s in known.values() if s.loads_by_default]
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
    full_validation: bool = False,
    keep_operator_inputs: bool = False,
    progress: Progress = no_progress,
    holder: str = "",
) -> LoadSummary:
    """Load ``sources`` as one new store version (or nothing, if all are unchanged).

    The inputs are read first; then, as the store's only writer (waiting, with a notice
    through ``progress``, while another one runs), the changed graphs are staged in an
    unserved copy of the store, validated there and published. ``force`` publishes unchanged
    inputs too and, like ``full_validation``, validates everything instead of what the change
    can affect. ``keep_operator_inputs`` (a plain ``smartregion load``): a source's shipped
    input does not replace a graph the operator loaded from an input of their own.
    """
    started_clock = time.monotonic()
    started = now()
    extracted = [extract(source, settings, progress) for source in sources]
    summary = LoadSummary(version=backend.version())
    names = " ".join(s.name for s in sources) or "nothing"
    with backend.writer(holder or f"smartregion load {names}",
                        on_wait=lambda notice: progress(notice, 0, None)) as writer:
        published = _published_fingerprints(backend, settings)
        changed = []
        for source_graph in extracted:
            uri = graph_uri(settings.base_uri, source_graph.name)
            if not force and published.get(uri) == source_graph.fingerprint:
                summary.unchanged.append(source_graph.name)
            elif keep_operator_inputs and _keeps_operator_input(source_graph, published.get(uri)):
                summary.kept.append(source_graph.name)
            else:
                changed.append(source_graph)
        if not changed:
            summary.seconds = time.monotonic() - started_clock
            return summary
        fingerprint = shapes_fingerprint(settings)
        full_because = full_validation_reason(backend, settings, fingerprint,
                                              force=force, full=full_validation)
        issued = _issued_dates(backend, settings)
        graphs = {graph_uri(settings.base_uri, s.name): s.graph for s in changed}
        with writer.stage(graphs) as staged:
            progress("validate", 0, None)
            try:
                report, scope = validate_change(staged, changed, settings,
                                                full_because=full_because)
            except ShapesError as exc:
                raise LoadFailed(str(exc), 2) from exc
            summary.report, summary.scope = report, scope
            if not report.conforms:
                raise LoadFailed(failure_message(report), 1, report)
            ended = now()
            records = {validation_record_key(settings): validation_record(settings, fingerprint)}
            for source_graph in changed:
                uri = graph_uri(settings.base_uri, source_graph.name)
                source = next(s for s in sources if s.name == source_graph.name)
                records[uri] = record(
                    source_graph, uri, loader_version=source.loader_version, started=started,
                    ended=ended, report=report, issued=issued.get(uri),
                )
                summary.triples[source_graph.name] = len(source_graph.graph)
                save_locations(settings, uri, source_graph)
            progress("publish", 0, None)
            summary.version = staged.commit(records)
        in_use = {**published, **{graph_uri(settings.base_uri, s.name): s.fingerprint
                                  for s in changed}}
        oldest = min((v.created for v in backend.history()), default=ended)
        keep_locations(settings, in_use, oldest.timestamp() - 86_400)
    summary.seconds = time.monotonic() - started_clock
    return summary


def _keeps_operator_input(source_graph: SourceGraph, published: str | None) -> bool:
    """A shipped input never replaces what an operator loaded from an input of their own
    (``load gv100ad --source`` for all of Germany stays through later plain loads)."""
    return (source_graph.shipped_input and published is not None
            and not published.endswith(SHIPPED_INPUT))


def failure_message(report: ValidationReport) -> str:
    """The summary line of a rejected load: how many problems, in which files, and which
    changed files removed what the problems link to."""
    files = sorted({_file_of(v.origin) for v in report.violations})
    removed = sorted({_file_of(v.removed_from) for v in report.violations if v.removed_from})
    text = f"{len(report.violations)} SHACL violation(s) in {', '.join(files)}"
    if removed:
        text += f"; they link to what the change removed from {', '.join(removed)}"
    return text + "; nothing was published"


def _file_of(origin: str | None) -> str:
    """``data/x.yaml`` of ``data/x.yaml:12`` (a URL stays whole)."""
    where = (origin or "").split(" (", 1)[0].split(" and ", 1)[0]
    if where.startswith(("http://", "https://")):
        return where
    return where.rsplit(":", 1)[0] if where.rsplit(":", 1)[-1].split(",")[0].isdigit() else where


def full_validation_reason(backend: StoreBackend, settings: Settings, fingerprint: str,
                           *, force: bool, full: bool) -> str | None:
    """Why everything must be validated this time (``None``: what changed is enough)."""
    if force:
        return "--force"
    if full:
        return "--full-validation"
    if backend.version() is None:
        return "first load"
    recorded = validated_with(backend, settings)
    if recorded is None:
        return "the served data has no record of a validation"
    if recorded != fingerprint:
        return "the shapes or the ontology changed since the served data was validated"
    return None


def extract(source: Source, settings: Settings, progress: Progress) -> SourceGraph:
    """The source's graph; its problems as :class:`LoadFailed`."""
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
