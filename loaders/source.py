"""What every source hands to the pipeline: an RDF graph, where each entity came from, and
a fingerprint of the input (so an unchanged source is not published again)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from rdflib import Graph, URIRef
from rdflib.term import Node

from smartregion.settings import Settings

Progress = Callable[[str, int, int | None], None]
"""Progress callback: (what is happening, done so far, total or None)."""


def no_progress(what: str, done: int, total: int | None) -> None:
    """A progress callback that shows nothing."""


class SourceError(Exception):
    """An input cannot be read or mapped. ``location`` is ``file:line`` or a URL.

    ``exit_code`` follows pySHACL: 2 for unreadable input (bad encoding, syntax), 1 for
    content that breaks a rule of the data model.
    """

    def __init__(self, location: str, rule: str, message: str, exit_code: int = 1) -> None:
        super().__init__(f"{location}: {message} [{rule}]")
        self.location = location
        self.rule = rule
        self.message = message
        self.exit_code = exit_code


@dataclass
class SourceGraph:
    """The RDF of one source, ready to validate and publish."""

    name: str
    graph: Graph
    fingerprint: str
    inputs: list[str]
    origins: dict[Node, str] = field(default_factory=dict)
    title_de: str = ""
    title_en: str = ""
    licence: URIRef | None = None
    attribution: str | None = None
    extra_record: Graph | None = None
    unchanged: bool = False
    shipped_input: bool = False
    """The input is the one shipped in ``data/`` (not one the operator named): a plain
    ``smartregion load`` then keeps a graph the operator loaded from an input of their own."""

    def origin(self, node: Node) -> str | None:
        """``file:line`` (or URL) where an entity was defined, if known."""
        return self.origins.get(node)


SHIPPED_INPUT = ";input=shipped"
"""Fingerprint suffix of a graph published from the input shipped in ``data/``."""


class Source(Protocol):
    """A kind of input the pipeline can load into its own named graph."""

    name: str
    loader_version: str

    @property
    def loads_by_default(self) -> bool:
        """Loaded by ``smartregion load`` without source names."""

    def extract(self, settings: Settings, progress: Progress = no_progress) -> SourceGraph:
        """Read the input and map it to RDF; raise :class:`SourceError` on bad input."""
