"""The harvest configuration: which remote sources ``smartregion harvest`` fetches, and how.

A TOML file (``harvest.toml`` at the project root by default, setting ``harvest_config``)::

    [fetch]                 # optional: defaults of every source (see FetchPolicy)
    timeout = 30            # connect / read timeout, s
    min_interval = 1.0      # between two requests to the same host, s

    [[source]]
    name = "wikidata"       # [a-z0-9-]; the graph is {base}graph/<name> (sparql) or
    kind = "sparql"         #   {base}graph/harvest-<name> (dcat)
    url = "https://query.wikidata.org/sparql"
    batch_size = 50         # kind-specific options, see OPTIONS
    [source.fetch]          # optional: this source's own fetch settings
    min_interval = 2.0

Every mistake (unknown key, wrong type, duplicate name, a URL that is not absolute http(s))
is an error naming the file and the entry, exit code 2.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from loaders.dcat_harvest import DcatCatalogueSource
from loaders.remote_source import AGS, RemoteContext, RemoteSource
from loaders.source import SourceError
from loaders.web_sources import FetchPolicy
from loaders.wikidata import WikidataSource

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Options each kind accepts: name → (type, check, what the check requires).
_TEXT = (str, lambda v: bool(v.strip()), "a non-empty string")
_IRI = (str, lambda v: urlsplit(v).scheme in ("http", "https") and bool(urlsplit(v).netloc),
        "an absolute http(s) IRI")
OPTIONS: dict[str, dict[str, tuple[type, Any, str]]] = {
    "dcat": {
        "max_pages": (int, lambda v: 1 <= v <= 10_000, "an integer from 1 to 10000"),
        "municipality": (str, AGS.match, "an 8-digit AGS"),
        "title_de": _TEXT, "title_en": _TEXT, "licence": _IRI,
    },
    "sparql": {
        "batch_size": (int, lambda v: 1 <= v <= 500, "an integer from 1 to 500"),
        "title_de": _TEXT, "title_en": _TEXT, "licence": _IRI, "attribution": _TEXT,
    },
}
KINDS = tuple(OPTIONS)


@dataclass(frozen=True)
class HarvestEntry:
    """One configured remote source."""

    name: str
    kind: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)
    fetch: FetchPolicy = field(default_factory=FetchPolicy)

    @property
    def graph_name(self) -> str:
        """The source name its graph is published under (``{base}graph/<this>``)."""
        return f"harvest-{self.name}" if self.kind == "dcat" else self.name

    def build(self, context: RemoteContext) -> RemoteSource:
        """The loader for this entry."""
        options = dict(self.options)
        if self.kind == "dcat":
            return DcatCatalogueSource(self.name, self.url, context, **options)
        return WikidataSource(self.name, self.url, context, **options)


@dataclass(frozen=True)
class HarvestConfig:
    """Every configured source, in file order."""

    path: Path
    entries: tuple[HarvestEntry, ...]

    def select(self, names: Sequence[str]) -> list[HarvestEntry]:
        """The entries named (all when ``names`` is empty); unknown names are an error."""
        if not names:
            return list(self.entries)
        known = {e.name: e for e in self.entries}
        unknown = [n for n in names if n not in known]
        if unknown:
            listed = ", ".join(known) or "none"
            raise SourceError(str(self.path), "config",
                              f"no harvest source {unknown[0]!r} (configured: {listed})", 2)
        return [known[n] for n in dict.fromkeys(names)]


def load_config(path: Path) -> HarvestConfig:
    """Read and check a harvest configuration file."""
    where = str(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise SourceError(where, "config", f"cannot read: {exc.strerror or exc}", 2) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(where, "config", f"not valid TOML: {exc}", 2) from exc
    unknown = set(document) - {"fetch", "source"}
    if unknown:
        raise SourceError(where, "config", f"unknown top-level key {sorted(unknown)[0]!r} "
                          "(known: fetch, source)", 2)
    defaults = FetchPolicy.from_mapping(_table(document.get("fetch", {}), where, "[fetch]"),
                                        f"{where} [fetch]")
    raw_sources = document.get("source", [])
    if not isinstance(raw_sources, list):
        raise SourceError(where, "config", "'source' must be an array of tables ([[source]])", 2)
    entries: list[HarvestEntry] = []
    for number, raw in enumerate(raw_sources, start=1):
        entry = _entry(_table(raw, where, f"source #{number}"), defaults,
                       f"{where} [[source]] #{number}")
        if any(e.name == entry.name for e in entries):
            raise SourceError(where, "config", f"source name {entry.name!r} is used twice", 2)
        entries.append(entry)
    return HarvestConfig(path, tuple(entries))


def _entry(raw: Mapping[str, Any], defaults: FetchPolicy, where: str) -> HarvestEntry:
    for key in ("name", "kind", "url"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SourceError(where, "config", f"'{key}' is required (a string)", 2)
    name, kind, url = raw["name"], raw["kind"], raw["url"].strip()
    if not NAME.match(name):
        raise SourceError(where, "config", f"name {name!r}: use a-z, 0-9 and '-'", 2)
    where = f"{where} ({name})"
    if kind not in OPTIONS:
        raise SourceError(where, "config", f"kind {kind!r} is not one of {', '.join(KINDS)}", 2)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(where, "config", f"url {url!r} is not an absolute http(s) URL", 2)
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("name", "kind", "url", "fetch"):
            continue
        if key not in OPTIONS[kind]:
            known = ", ".join(OPTIONS[kind])
            raise SourceError(where, "config",
                              f"unknown option {key!r} for kind {kind} (known: {known})", 2)
        expected, check, wanted = OPTIONS[kind][key]
        if isinstance(value, bool) or not isinstance(value, expected) or not check(value):
            raise SourceError(where, "config", f"{key} must be {wanted}, not {value!r}", 2)
        options[key] = value
    fetch = defaults.merged(_table(raw.get("fetch", {}), where, "fetch"), f"{where} fetch")
    return HarvestEntry(name, kind, url, options, fetch)


def _table(value: object, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourceError(where, "config", f"{what} must be a table", 2)
    return value
