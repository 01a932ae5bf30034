"""Loaders: every kind of source the platform reads, and the one pipeline that publishes.

``available_sources(settings)`` is the registry: the curated folders of ``data/`` and the
built-in loaders are registered the same way an extension would be.
"""

from __future__ import annotations

from collections.abc import Callable

from loaders.curated import curated_sources
from loaders.geometry import geometry_sources
from loaders.gv100ad import gv100ad_sources
from loaders.source import Source
from loaders.vocabulary import vocabulary_sources
from smartregion.settings import Settings

SourceFactory = Callable[[Settings], dict[str, Source]]

# geometry_sources after curated_sources: data/geometry holds GeoJSON, not curated YAML
SOURCE_FACTORIES: list[SourceFactory] = [
    curated_sources, gv100ad_sources, geometry_sources, vocabulary_sources]  # type: ignore[list-item]


def available_sources(settings: Settings) -> dict[str, Source]:
    """Every source known under its name (curated folders, then registered loaders)."""
    sources: dict[str, Source] = {}
    for factory in SOURCE_FACTORIES:
        sources.update(factory(settings))
    return sources
