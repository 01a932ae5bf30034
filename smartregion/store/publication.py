"""What a publish carries (graphs to replace, a load record) and what a store version is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from rdflib import Graph


@dataclass(frozen=True)
class StoreVersion:
    """One published state of the store; its id is the HTTP validator of every response."""

    id: str
    created: datetime

    @property
    def etag(self) -> str:
        """The strong entity tag (quoted) for responses derived only from this version."""
        return f'"{self.id}"'

    @property
    def last_modified(self) -> str:
        """``Last-Modified`` header value."""
        return format_datetime(self.created.astimezone(UTC), usegmt=True)


@dataclass
class Publication:
    """A set of named graphs to replace wholesale, plus the records describing each load.

    ``graphs`` maps graph IRI → new content (an empty graph removes it). ``records`` maps
    graph IRI → triples for the metadata graph about that load; they replace the previous
    record whose subject is the same graph IRI.
    """

    graphs: dict[str, Graph]
    records: dict[str, Graph] = field(default_factory=dict)

    def triple_count(self) -> int:
        """Triples in all replaced graphs."""
        return sum(len(g) for g in self.graphs.values())


def now() -> datetime:
    """The current time in UTC, to the second (HTTP dates have no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)
