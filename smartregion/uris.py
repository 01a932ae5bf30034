"""Minting and parsing of the platform's Cool URIs against the configured base.

>>> thing_uri("https://example.org/", "municipality", "06411000")
'https://example.org/id/municipality/06411000'
>>> document_path("municipality", "06411000")
'/doc/municipality/06411000'
>>> parse_thing_path("/id/project/smart-kassel")
('project', 'smart-kassel')
"""

from __future__ import annotations

import re

KINDS = (
    "state",
    "government-district",
    "district",
    "municipality",
    "organisation",
    "initiative",
    "programme",
    "funding",
    "project",
    "event",
    "offer",
    "membership",
    "organisation-change",
    "local-authority",
    "platform",
    "relation-period",
)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
META_GRAPH = "meta"


def thing_uri(base: str, kind: str, key: str) -> str:
    """The IRI of a thing: ``{base}id/{kind}/{key}``."""
    return f"{base}id/{kind}/{key}"


def document_path(kind: str, key: str) -> str:
    """The path of the document describing a thing (what ``/id/…`` redirects to)."""
    return f"/doc/{kind}/{key}"


def graph_uri(base: str, source: str) -> str:
    """The named graph a source publishes into: ``{base}graph/{source}``."""
    return f"{base}graph/{source}"


def meta_graph_uri(base: str) -> str:
    """The graph holding the load records of every source."""
    return graph_uri(base, META_GRAPH)


def parse_thing_path(path: str) -> tuple[str, str] | None:
    """``(kind, key)`` for ``/id/{kind}/{key}`` or ``/doc/{kind}/{key}``; ``None`` otherwise."""
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[0] not in ("id", "doc"):
        return None
    kind, key = parts[1], parts[2]
    if kind not in KINDS or not KEY_PATTERN.match(key):
        return None
    return kind, key
