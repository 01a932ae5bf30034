"""Curated sources: ``data/<source>/*.yaml`` in YAML-LD, mapped to RDF with the JSON-LD
context ``ontology/context.jsonld``.

Every entity is a YAML mapping with ``id`` and ``type``; a file holds one mapping or a list
of them. The record of a replaced IRI has no ``type`` but ``replacedBy`` (and ``deprecated:
true``), so the old IRI stays resolvable and names its successor. Identifiers are relative to
``{base}id/`` (``id: project/smart-kassel``). The JSON-LD processor silently drops keys it does
not know, so this module checks every key and every type against the context first, and
remembers the file and line of each entity for error messages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, URIRef
from rdflib.term import Node

from loaders.source import Progress, SourceError, SourceGraph, no_progress
from smartregion import __version__
from smartregion.settings import Settings

LINE_KEY = "__line__"
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
RELATIVE_ID = re.compile(r"^[a-z][a-z-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that records the line (1-based) of every mapping."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate key {sorted(duplicates)[0]!r}", node.start_mark
        )
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> object:
    """A date as YAML reads it, or its text when there is no such day (``2023-02-30``): the
    shapes then report it with its file and line, as for a quoted date."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass(frozen=True)
class Context:
    """The JSON-LD context and what it allows in a curated file."""

    document: dict[str, Any]
    properties: dict[str, dict[str, Any]]
    classes: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> Context:
        document = json.loads(path.read_text(encoding="utf-8"))["@context"]
        properties: dict[str, dict[str, Any]] = {}
        classes = set()
        for term, definition in document.items():
            if term.startswith("@") or term in ("id", "type"):
                continue
            if isinstance(definition, str):
                if definition.endswith(("#", "/")):
                    continue  # a namespace prefix, not a term
                if term[:1].isupper():
                    classes.add(term)
                    continue
                definition = {"@id": definition}
            properties[term] = definition
        return cls(document, properties, frozenset(classes))


class CuratedSource:
    """One folder of curated YAML-LD files published as one named graph."""

    loader_version = __version__
    loads_by_default = True

    def __init__(self, name: str, folder: Path, files: list[Path] | None = None) -> None:
        self.name = name
        self.folder = folder
        self._files = files

    def files(self) -> list[Path]:
        """The YAML files of this source (given, or all under its folder), in a stable order."""
        if self._files is not None:
            return list(self._files)
        return sorted(p for p in self.folder.rglob("*") if p.suffix in (".yaml", ".yml"))

    def fingerprint(self, settings: Settings) -> str:
        """The input fingerprint :meth:`extract` would record (the files as they are now)."""
        digest = hashlib.sha256()
        digest.update((settings.ontology_dir / "context.jsonld").read_bytes())
        for path in self.files():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return "sha256:" + digest.hexdigest()

    def locations(self, settings: Settings) -> dict[Node, str]:
        """``file:line`` of every entity, read from the files without mapping them to RDF."""
        context = Context.load(settings.ontology_dir / "context.jsonld")
        id_base = settings.base_uri + "id/"
        found: dict[Node, str] = {}
        for path in self.files():
            for entity in read_entities(path, path.read_bytes(), context):
                for entity_id, line in _ids(entity):
                    found.setdefault(URIRef(id_base + entity_id), f"{display_path(path)}:{line}")
        return found

    def extract(self, settings: Settings, progress: Progress = no_progress) -> SourceGraph:
        context = Context.load(settings.ontology_dir / "context.jsonld")
        files = self.files()
        digest = hashlib.sha256()
        digest.update((settings.ontology_dir / "context.jsonld").read_bytes())
        entities: list[dict[str, Any]] = []
        locations: dict[str, str] = {}
        for done, path in enumerate(files):
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw)
            for entity in read_entities(path, raw, context):
                for entity_id, line in _ids(entity):
                    here = f"{display_path(path)}:{line}"
                    if entity_id in locations:
                        raise SourceError(
                            here, "unique-id",
                            f"id {entity_id!r} is already defined at {locations[entity_id]}",
                        )
                    locations[entity_id] = here
                entities.append(entity)
            progress(f"read {self.name}", done + 1, len(files))
        graph = to_graph(entities, context, settings.base_uri)
        id_base = settings.base_uri + "id/"
        origins: dict[Node, str] = {
            URIRef(id_base + key): where for key, where in locations.items()
        }
        return SourceGraph(
            name=self.name,
            graph=graph,
            fingerprint="sha256:" + digest.hexdigest(),
            inputs=[display_path(p) for p in files],
            origins=origins,
            title_de=f"Kuratierte Daten: {self.name}",
            title_en=f"Curated data: {self.name}",
        )


def read_entities(path: Path, raw: bytes, context: Context) -> list[dict[str, Any]]:
    """The entities of one YAML file, checked against the context."""
    location = display_path(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{location}:{line}", "utf-8", f"not UTF-8 (byte 0x{raw[exc.start]:02x})", 2
        ) from exc
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed quote, say);
        # the problem mark is where the parser noticed, which may be the end of the file.
        start = exc.context_mark or exc.problem_mark
        line = start.line + 1 if start else 0
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if exc.problem_mark is not None and exc.problem_mark is not start:
            message += f" (noticed at line {exc.problem_mark.line + 1})"
        raise SourceError(f"{location}:{line}", "yaml-syntax", message, 2) from exc
    if document is None:
        return []
    items = document if isinstance(document, list) else [document]
    for item in items:
        if not isinstance(item, dict):
            raise SourceError(location, "entity-mapping", "each entity must be a YAML mapping")
        check_entity(item, context, location)
    return items


def check_entity(entity: dict[str, Any], context: Context, location: str) -> None:
    """Reject keys, types and identifiers the context does not define."""
    where = f"{location}:{entity.get(LINE_KEY, 0)}"
    if "id" not in entity:
        raise SourceError(where, "required-id", "entity has no 'id'")
    if not isinstance(entity["id"], str) or not RELATIVE_ID.match(entity["id"]):
        raise SourceError(
            where, "id-form", f"id {entity['id']!r} must look like 'kind/key' (e.g. project/x)"
        )
    types = entity.get("type")
    if types is None and "replacedBy" not in entity:
        # Only the record of a replaced IRI has no type: it points to its replacement.
        raise SourceError(
            where, "required-type",
            f"entity {entity['id']!r} has no 'type' "
            "(only a replaced IRI with 'replacedBy' may omit it)",
        )
    for type_name in [] if types is None else types if isinstance(types, list) else [types]:
        if type_name not in context.classes:
            known = ", ".join(sorted(context.classes))
            raise SourceError(
                where, "unknown-class", f"unknown type {type_name!r} (known: {known})"
            )
    for key, value in entity.items():
        if key in ("id", "type", LINE_KEY):
            continue
        if key not in context.properties:
            raise SourceError(
                where, "unknown-property", f"unknown property {key!r} in {entity['id']!r}"
            )
        _check_value(key, value, context, location, entity)


def _check_value(
    key: str, value: Any, context: Context, location: str, entity: dict[str, Any]
) -> None:
    definition = context.properties[key]
    where = f"{location}:{entity.get(LINE_KEY, 0)}"
    if definition.get("@container") == "@language":
        if not isinstance(value, dict):
            raise SourceError(where, "language-map", f"{key!r} must map languages to text")
        for lang, text in value.items():
            if lang == LINE_KEY:
                continue
            if not LANGUAGE_TAG.match(str(lang)):
                raise SourceError(where, "language-tag", f"{key!r}: {lang!r} is no language tag")
            if not isinstance(text, str | list):
                raise SourceError(where, "language-map", f"{key!r}.{lang} must be text")
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            check_entity(item, context, location)


def source_gaps(entities: list[dict[str, Any]], context: Context) -> list[str]:
    """What lacks a source: entities (top level) without ``source``, and figures (amounts,
    rates, counts, dates, years) on an entity, nested or not, that has no ``source`` itself.

    Each gap reads ``line: id: what``. The shapes ask every top-level entity for
    ``dct:source``; this check also covers the nested entities (a funding inside a project,
    a dated relation) whose figures must be as traceable as the rest.
    """
    gaps: list[str] = []

    def visit(entity: dict[str, Any], top: bool) -> None:
        where = f"{entity.get(LINE_KEY, 0)}: {entity.get('id')}"
        figures = sorted(k for k in entity if _is_figure(k, context))
        if "source" not in entity:
            if top:
                gaps.append(f"{where}: no source")
            elif figures:
                gaps.append(f"{where}: {', '.join(figures)} without a source on the entity")
        for key, value in entity.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and key != LINE_KEY and "id" in item:
                    visit(item, top=False)

    for entity in entities:
        visit(entity, top=True)
    return gaps


def _is_figure(key: str, context: Context) -> bool:
    """A number, date or year (a boolean flag is no figure)."""
    datatype = context.properties.get(key, {}).get("@type")
    return _is_typed(key, context) and datatype != "xsd:boolean"


def _ids(entity: dict[str, Any]) -> list[tuple[str, int]]:
    """Identifiers defined by an entity and by the entities nested in it."""
    found = [(str(entity["id"]), int(entity.get(LINE_KEY, 0)))]
    for key, value in entity.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and "id" in item and key != LINE_KEY:
                found.extend(_ids(item))
    return found


def to_graph(entities: list[dict[str, Any]], context: Context, base_uri: str) -> Graph:
    """The RDF graph of checked entities (JSON-LD with ``@base`` = ``{base}id/``)."""
    document = {
        "@context": [context.document, {"@base": base_uri + "id/"}],
        "@graph": [_plain(e, context) for e in entities],
    }
    graph = Graph()
    graph.parse(data=json.dumps(document), format="json-ld")
    return graph


def _plain(value: Any, context: Context, typed: bool = False) -> Any:
    """Strip line markers; write YAML dates and numbers of typed terms as lexical strings.

    A JSON number under a term with a datatype would otherwise become a literal whose
    value is a Python int or float (``2250000`` as ``xsd:decimal``), which SHACL's datatype
    check rejects; editors should be able to write amounts without quotes.
    """
    if isinstance(value, dict):
        return {
            k: _plain(v, context, _is_typed(k, context))
            for k, v in value.items() if k != LINE_KEY
        }
    if isinstance(value, list):
        return [_plain(v, context, typed) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if typed and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _is_typed(key: str, context: Context) -> bool:
    datatype = context.properties.get(key, {}).get("@type")
    return isinstance(datatype, str) and datatype.startswith("xsd:")


def display_path(path: Path) -> str:
    """A path as shown in messages: relative to the working directory where possible."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def curated_sources(settings: Settings) -> dict[str, CuratedSource]:
    """One curated source per folder of ``settings.source_dir``."""
    if not settings.source_dir.is_dir():
        return {}
    return {
        folder.name: CuratedSource(folder.name, folder)
        for folder in sorted(settings.source_dir.iterdir())
        if folder.is_dir() and not folder.name.startswith((".", "_"))
    }
