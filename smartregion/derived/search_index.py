"""The full-text search index of one store version (tantivy: BM25, German and English stems).

Per thing of the platform (``{base}id/{kind}/{key}``) the index holds its names, other names
and descriptions (German, English, untagged) and the names of what it links to: its field of
action, its municipalities, its Kreis (also through its municipalities), the programmes that
fund it, its organisations. So a project is found by "Mobilität" (its field of action) and by
"Fulda" (its Kreis). Everything is read with SPARQL from the union of the named graphs
(``queries/search_*.rq``); concept labels the store lacks come from the SKOS scheme files.

Text is analysed twice: German (lower case, Snowball German stem, ASCII folding: "Mobilität",
"Mobilitaet", "mobilitat" and "Mobilitat" are one term) and English (ASCII folding, Snowball
English stem). A query word matches any of its forms, words of five letters or more also one
edit away; every word must match. Facets (kind, field of action, Kreis, programme) are raw
fast fields, counted by a terms aggregation.

The index is part of the version: it is built into ``{data_dir}/search/.build-*`` and renamed
to ``{data_dir}/search/{version}`` in one step, so a killed build never leaves a half index in
place, and a rollback finds the old version's index. Readers open it read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from smartregion.derived.dumps import VersionChanged, exclusive_lock, prune_version_folders
from smartregion.derived.queries import load_query
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.publication import StoreVersion
from smartregion.uris import parse_thing_path

FACETS = ("kind", "field", "kreis", "programme")
SKIPPED_KINDS = frozenset({"funding", "membership", "relation-period"})
"""Parts of other things (a funding of a project…): their names go into what they belong to."""
MAX_WORDS = 8
FUZZY_FROM = 5  # words this long or longer also match one edit away
_WORD = re.compile(r"\w+", re.UNICODE)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TEXT_FIELDS = (("name", 4.0), ("context", 1.5), ("body", 1.0))
FORMAT = "2"  # bumped when the schema or analysis changes; older indexes are rebuilt


def _analyzer(language: str) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(
        tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
    if language == "german":  # stem first: the German stemmer folds ae/oe/ue and ä/ö/ü itself
        return builder.filter(tantivy.Filter.stemmer("german")).filter(
            tantivy.Filter.ascii_fold()).build()
    return builder.filter(tantivy.Filter.ascii_fold()).filter(
        tantivy.Filter.stemmer("english")).build()


ANALYZERS = {"srh_de": _analyzer("german"), "srh_en": _analyzer("english")}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("iri", stored=True, tokenizer_name="raw")
    for facet in FACETS:
        builder.add_text_field(facet, stored=True, tokenizer_name="raw", fast=True)
    for name, _boost in _TEXT_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="srh_de")
        builder.add_text_field(f"{name}_en", stored=False, tokenizer_name="srh_en")
    builder.add_bytes_field("display", stored=True, indexed=False)
    return builder.build()


SCHEMA = _schema()


@dataclass
class Thing:
    """What the index holds of one thing, gathered from the store."""

    iri: str
    kind: str
    names: dict[str, list[str]] = field(default_factory=dict)  # language ("" untagged) → names
    alt: list[str] = field(default_factory=list)
    body: dict[str, list[str]] = field(default_factory=dict)
    context: list[str] = field(default_factory=list)
    facets: dict[str, set[str]] = field(default_factory=dict)


def gather(backend: StoreBackend, settings: Settings) -> tuple[dict[str, Thing],
                                                               dict[str, dict[str, str]]]:
    """The things to index and the facet values' names (facet key → {"de", "en"}), by SPARQL."""
    prefix = {"prefix": Literal(settings.base_uri + "id/")}
    things: dict[str, Thing] = {}
    labels: dict[str, dict[str, str]] = {}  # IRI → language → name (of anything named)
    for row in backend.select(load_query("search_texts"), prefix):
        text, role, iri = row["text"], str(row["role"]), str(row["item"])
        if not isinstance(text, Literal):
            continue
        lang = (text.language or "")[:2]
        if role == "name":
            labels.setdefault(iri, {}).setdefault(lang, str(text))
        thing = _thing(things, iri, settings.base_uri)
        if thing is None:
            continue
        if role == "name":
            thing.names.setdefault(lang, []).append(str(text))
        elif role == "alt":
            thing.alt.append(str(text))
        else:
            thing.body.setdefault(lang, []).append(str(text))
    for row in backend.select(load_query("search_labels"), prefix):
        label = row["label"]
        if isinstance(label, Literal):
            labels.setdefault(str(row["target"]), {}).setdefault((label.language or "")[:2],
                                                                str(label))
    links: list[tuple[Thing, str, str]] = []
    parents: dict[str, set[str]] = {}
    for row in backend.select(load_query("search_links"), prefix):
        item, facet, target = str(row["item"]), str(row["facet"]), str(row["target"])
        if facet == "partOf":
            parents.setdefault(item, set()).add(target)
        elif item in things:
            links.append((things[item], facet, target))
    links += [(thing, "programme", up) for thing, facet, target in links
              if facet == "programme" for up in _ancestors(target, parents)]
    if any(target not in labels for _thing_, _facet, target in links):
        for iri, names in scheme_labels(settings.ontology_dir).items():
            labels.setdefault(iri, names)
    for thing, facet, target in links:
        names = labels.get(target, {})
        thing.context.extend(v for v in names.values() if v not in thing.context)
        if facet:
            thing.facets.setdefault(facet, set()).add(_key(target))
    facet_names = {f"{facet}/{_key(t)}": labels.get(t, {}) for _thing_, facet, t in links
                   if facet}
    return things, facet_names


def _ancestors(programme: str, parents: Mapping[str, set[str]]) -> set[str]:
    """The programmes ``programme`` is part of, directly or further up."""
    found: set[str] = set()
    frontier = list(parents.get(programme, ()))
    while frontier:
        parent = frontier.pop()
        if parent not in found:
            found.add(parent)
            frontier.extend(parents.get(parent, ()))
    return found


def _thing(things: dict[str, Thing], iri: str, base: str) -> Thing | None:
    if iri in things:
        return things[iri]
    parsed = parse_thing_path(iri[len(base) - 1:]) if iri.startswith(base) else None
    if parsed is None or parsed[0] in SKIPPED_KINDS:
        return None
    things[iri] = Thing(iri, parsed[0], facets={"kind": {parsed[0]}})
    return things[iri]


def _key(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def scheme_labels(ontology_dir: Path) -> dict[str, dict[str, str]]:
    """Concept IRI → {language: preferred label}, read from ``ontology_dir/schemes/*.ttl``
    (used for concepts whose labels are not in the store)."""
    graph = Graph()
    for path in sorted((ontology_dir / "schemes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    labels: dict[str, dict[str, str]] = {}
    for concept, label in graph.subject_objects(SKOS.prefLabel):
        if isinstance(concept, URIRef) and isinstance(label, Literal):
            labels.setdefault(str(concept), {})[(label.language or "")[:2]] = str(label)
    return labels


def _document(thing: Thing) -> tantivy.Document:
    names = [n for lang in ("de", "en", "") for n in thing.names.get(lang, [])]
    body = [t for lang in ("de", "en", "") for t in thing.body.get(lang, [])]
    values: dict[str, Any] = {
        "iri": thing.iri, "name": names + thing.alt, "name_en": names + thing.alt,
        "context": " · ".join(thing.context), "context_en": " · ".join(thing.context),
        "body": body, "body_en": body,
        "display": json.dumps({"names": thing.names, "body": thing.body},
                              ensure_ascii=False).encode(),
    }
    for facet in FACETS:
        values[facet] = sorted(thing.facets.get(facet, ()))
    return tantivy.Document(**values)


def _register(index: tantivy.Index) -> tantivy.Index:
    for name, analyzer in ANALYZERS.items():
        index.register_tokenizer(name, analyzer)
    return index


def build(target: Path, things: Iterable[Thing], facet_names: Mapping[str, Mapping[str, str]],
          version_id: str) -> int:
    """Write the index of ``things`` to ``target`` atomically (built beside it, renamed into
    place); returns how many documents it holds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-"))
    try:
        count = _write(work, things)
        (work / "search-meta.json").write_text(json.dumps(
            {"version": version_id, "format": FORMAT, "documents": count,
             "facets": facet_names}, ensure_ascii=False), encoding="utf-8")
        os.rename(work, target)  # one step: the index is there whole, or not at all
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return count


def _write(work: Path, things: Iterable[Thing]) -> int:
    """Index ``things`` into the empty directory ``work``; on an error the writer's files are
    dropped (rolled back) before the error goes on, so the directory can be removed."""
    index = _register(tantivy.Index(SCHEMA, path=str(work)))
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    count = 0
    try:
        for thing in things:
            writer.add_document(_document(thing))
            count += 1
    except BaseException:
        writer.rollback()
        writer.wait_merging_threads()
        raise
    writer.commit()
    writer.wait_merging_threads()
    return count


class SearchIndexes:
    """The search indexes of the served versions under ``{data_dir}/search`` (one per version,
    built once: by the writer after a publish, else lazily here under a file lock)."""

    def __init__(self, settings: Settings, backend: StoreBackend) -> None:
        self.settings = settings
        self.backend = backend
        self.root = settings.data_dir / "search"
        self._open: tuple[str, tantivy.Index, dict[str, Any]] | None = None

    def directory(self, version: StoreVersion) -> Path:
        """Where the index of ``version`` lives."""
        name = version.id if _SAFE_ID.match(version.id) else hashlib.sha256(
            version.id.encode()).hexdigest()[:32]
        return self.root / name

    def ensure(self, version: StoreVersion) -> Path:
        """The index directory of ``version``, built first if it is missing or outdated."""
        target = self.directory(version)
        if _meta(target).get("format") == FORMAT:
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / ".lock"):
            if _meta(target).get("format") != FORMAT:
                things, names = gather(self.backend, self.settings)
                served = self.backend.version()
                if served is None or served.id != version.id:
                    raise VersionChanged(f"version {version.id} is no longer served")
                if target.exists():  # an index of an older format: replace it whole
                    shutil.rmtree(target)
                build(target, things.values(), names, version.id)
            self._prune(target)
        return target

    def open(self, version: StoreVersion) -> tuple[tantivy.Index, dict[str, Any]]:
        """The index of ``version``, opened once per process and reopened on a new version."""
        cached = self._open
        if cached is not None and cached[0] == version.id:
            return cached[1], cached[2]
        target = self.ensure(version)
        index = _register(tantivy.Index.open(str(target)))
        meta = _meta(target)
        self._open = (version.id, index, meta)
        return index, meta

    def _prune(self, current: Path) -> None:
        prune_version_folders(self.root, self.settings.keep_versions, current)
        for leftover in self.root.glob(".build-*"):  # builds killed midway (we hold the lock)
            shutil.rmtree(leftover, ignore_errors=True)


def _meta(target: Path) -> dict[str, Any]:
    try:
        meta = json.loads((target / "search-meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def words(text: str) -> list[str]:
    """The words of a query (letters and digits; at most :data:`MAX_WORDS`)."""
    return _WORD.findall(text)[:MAX_WORDS]


def word_query(word: str) -> tantivy.Query | None:
    """Any form of ``word`` in a name, a linked name or a description (German or English
    stem; one edit away for longer words), names weighing most."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for name, boost in _TEXT_FIELDS:
        for suffix, analyzer in (("", "srh_de"), ("_en", "srh_en")):
            for term in ANALYZERS[analyzer].analyze(word):
                query = tantivy.Query.term_query(SCHEMA, name + suffix, term)
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, boost)))
                if suffix == "" and len(word) >= FUZZY_FROM:
                    fuzzy = tantivy.Query.fuzzy_term_query(SCHEMA, name, term, 1, True, False)
                    clauses.append((tantivy.Occur.Should,
                                    tantivy.Query.boost_query(fuzzy, boost * 0.3)))
    return tantivy.Query.boolean_query(clauses) if clauses else None
