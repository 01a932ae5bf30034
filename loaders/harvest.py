"""``smartregion harvest``: fetch the configured remote sources, each through the pipeline.

Each source is extracted, validated with everything published and published as its own store
version, one after the other. A source that fails (unreachable, unreadable, or breaking a
shape) publishes nothing and leaves the served data as it was; the others still run. All
sources of one run share one :class:`~loaders.web_sources.WebClient`, so requests to the same
host are paced across sources too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loaders import available_sources
from loaders.harvest_config import HarvestEntry, load_config
from loaders.pipeline import LoadFailed, load
from loaders.remote_source import RemoteContext
from loaders.source import Progress, SourceError, no_progress
from loaders.validation import ValidationReport
from loaders.web_sources import WebClient, user_agent
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.publication import StoreVersion


@dataclass
class SourceOutcome:
    """What happened to one configured source."""

    name: str
    graph_name: str
    url: str
    status: str  # "published", "unchanged" or "failed"
    triples: int = 0
    version: StoreVersion | None = None
    error: str | None = None
    exit_code: int = 0
    report: ValidationReport | None = None
    requests: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class HarvestSummary:
    """The outcome of every source of one harvest run."""

    outcomes: list[SourceOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all fine (published or unchanged), 1 a shape was broken, 2 a source unreadable."""
        return max((o.exit_code for o in self.outcomes), default=0)


def run_harvest(
    names: Sequence[str],
    settings: Settings,
    backend: StoreBackend,
    *,
    config_path: Path | None = None,
    force: bool = False,
    progress: Progress = no_progress,
    client: WebClient | None = None,
) -> HarvestSummary:
    """Harvest the sources ``names`` (all configured ones when empty).

    Raises :class:`~loaders.source.SourceError` (exit code 2) for a broken configuration or an
    unknown name; every problem of a single source is reported in its outcome instead.
    """
    config = load_config(config_path or settings.harvest_config)
    entries = config.select(names)
    _check_names(entries, settings, str(config.path))
    summary = HarvestSummary()
    own_client = client is None
    web = client or WebClient(user_agent(settings.base_uri))
    try:
        for entry in entries:
            summary.outcomes.append(
                _harvest_one(entry, settings, backend, web, force=force, progress=progress)
            )
    finally:
        if own_client:
            web.close()
    return summary


def _harvest_one(
    entry: HarvestEntry,
    settings: Settings,
    backend: StoreBackend,
    client: WebClient,
    *,
    force: bool,
    progress: Progress,
) -> SourceOutcome:
    outcome = SourceOutcome(entry.name, entry.graph_name, entry.url, "failed")
    source = entry.build(RemoteContext(backend, client, entry.fetch, force=force))
    sent_before = client.requests_sent
    try:
        result = load([source], settings, backend, force=force, progress=progress,
                      holder=f"smartregion harvest {entry.name}")
    except LoadFailed as exc:
        outcome.error = str(exc)
        outcome.exit_code = exc.exit_code
        outcome.report = exc.report
    else:
        if entry.graph_name in result.triples:
            outcome.status = "published"
            outcome.triples = result.triples[entry.graph_name]
            outcome.version = result.version
        else:
            outcome.status = "unchanged"
    outcome.requests = client.requests_sent - sent_before
    outcome.notes = list(source.notes)
    return outcome


def _check_names(entries: Sequence[HarvestEntry], settings: Settings, where: str) -> None:
    """A harvest must not publish into the graph of a curated or built-in source."""
    taken = set(available_sources(settings))
    for entry in entries:
        if entry.graph_name in taken:
            raise SourceError(where, "config", f"source {entry.name!r} would replace the graph "
                              f"of the loader {entry.graph_name!r}; choose another name", 2)
