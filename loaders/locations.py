"""Where every published entity was read from, so that every problem names a file and line.

A load knows the origin of the entities it reads (``SourceGraph.origins``: ``file:line``, the
Destatis line, the URL of a harvested page). A later load of another source must name them
too: a project edit that breaks a link from an unchanged file, a truncated file whose
entities others still link to. So each publish keeps the origins of every source it
publishes beside the store, in ``{data_dir}/locations/``, one file per graph and input
fingerprint (the fingerprint the load record holds, so rollbacks find theirs). Where no such
file exists (the data directory was moved, another loader host published), curated sources
are read again for their lines if their files are still those published, and otherwise the
inputs the load record names are given.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib.term import Node

from loaders.curated import curated_sources
from loaders.source import SourceGraph
from smartregion.namespaces import PROV, SRH
from smartregion.settings import Settings
from smartregion.store.backend import StagedChange
from smartregion.store.terms import to_oxigraph
from smartregion.uris import graph_uri, meta_graph_uri

LOCATIONS_DIR = "locations"
_MAX_HOPS = 3
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def location_file(settings: Settings, graph: str, fingerprint: str) -> Path:
    """The file keeping the origins of ``graph`` as loaded from input ``fingerprint``."""
    key = hashlib.sha256(f"{graph}\n{fingerprint}".encode()).hexdigest()[:32]
    return settings.data_dir / LOCATIONS_DIR / f"{key}.json.gz"


def save_locations(settings: Settings, graph: str, source: SourceGraph) -> None:
    """Keep the origins of a source about to be published (blank nodes are located through
    the entities that link to them)."""
    path = location_file(settings, graph, source.fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    origins = {str(n): where for n, where in source.origins.items() if isinstance(n, URIRef)}
    body = json.dumps({"graph": graph, "fingerprint": source.fingerprint,
                       "inputs": source.inputs, "origins": origins})
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(gzip.compress(body.encode(), compresslevel=5))
    os.replace(temporary, path)


def keep_locations(settings: Settings, fingerprints: dict[str, str], older_than: float) -> None:
    """Mark the files of the published sources as in use; remove files no version used
    since ``older_than`` (a POSIX time)."""
    folder = settings.data_dir / LOCATIONS_DIR
    if not folder.is_dir():
        return
    now = time.time()
    used = {location_file(settings, g, f) for g, f in fingerprints.items()}
    for path in used:
        if path.exists():
            os.utime(path, (now, now))
    for path in folder.glob("*.json.gz"):
        if path not in used and path.stat().st_mtime < older_than:
            path.unlink(missing_ok=True)


class Locator:
    """Names the place in the input of any node of a staged change."""

    def __init__(self, settings: Settings, staged: StagedChange,
                 changed: Sequence[SourceGraph]) -> None:
        self.settings = settings
        self.staged = staged
        self.changed = {graph_uri(settings.base_uri, s.name): s for s in changed}
        self._graphs = set(staged.data_graphs())
        self._records = _records(staged.store, meta_graph_uri(settings.base_uri))
        self._maps: dict[tuple[str, str], dict[str, str]] = {}

    def locate(self, node: Node, hops: int = 0) -> str:
        """``file:line`` (or URL, or Destatis line) of ``node``; several places joined."""
        for source in self.changed.values():
            if node in source.origins:
                return source.origins[node]
        places: list[str] = []
        if not isinstance(node, BNode):
            for graph in self._defining_graphs(node):
                places.append(self._in_graph(graph, node))
        if places:
            return " and ".join(dict.fromkeys(places))
        if hops < _MAX_HOPS:
            for owner in self._linking(node):
                return f"{self.locate(owner, hops + 1)} (via <{owner}>)"
        return f"<{node}>, which no published source describes"

    def removed_from(self, node: Node | None) -> str | None:
        """Where a node this change removed was defined before (``None``: not removed)."""
        if node is None or isinstance(node, BNode) or self._typed(node):
            return None
        term = to_oxigraph(node)  # type: ignore[arg-type]
        for graph in self.changed:
            if any(t.subject == term for t in self.staged.previous(graph)):
                record = self._records.get(graph)
                was = self._lookup(graph, record[0], str(node)) if record else None
                return was or ", ".join(self.changed[graph].inputs[:3])
        return None

    def _in_graph(self, graph: str, node: Node) -> str:
        if graph in self.changed:
            source = self.changed[graph]
            return f"{', '.join(source.inputs[:3])} (source {source.name})"
        record = self._records.get(graph)
        if record is None:
            return f"graph <{graph}>"
        fingerprint, name, inputs = record
        found = self._lookup(graph, fingerprint, str(node))
        if found:
            return found
        shown = ", ".join(inputs[:3]) or f"graph <{graph}>"
        return f"{shown} (source {name}; line not kept)"

    def _lookup(self, graph: str, fingerprint: str, node: str) -> str | None:
        key = (graph, fingerprint)
        if key not in self._maps:
            self._maps[key] = self._read(graph, fingerprint)
        return self._maps[key].get(node)

    def _read(self, graph: str, fingerprint: str) -> dict[str, str]:
        path = location_file(self.settings, graph, fingerprint)
        if path.is_file():
            origins: dict[str, str] = json.loads(gzip.decompress(path.read_bytes()))["origins"]
            return origins
        record = self._records.get(graph)
        curated = curated_sources(self.settings).get(record[1]) if record else None
        if (curated is not None and graph_uri(self.settings.base_uri, curated.name) == graph
                and curated.fingerprint(self.settings) == fingerprint):
            return {str(n): w for n, w in curated.locations(self.settings).items()}
        return {}

    def _typed(self, node: Node) -> bool:
        """Whether some published graph still says what ``node`` is (its ``rdf:type``): a
        thing whose defining statements went away is removed even if another source still
        adds facts about it (e.g. an outline in the geometry graph)."""
        term = to_oxigraph(node)  # type: ignore[arg-type]
        if isinstance(term, ox.Literal):
            return False
        return any(q.graph_name in self._graphs
                   for q in self.staged.store.quads_for_pattern(term, _RDF_TYPE, None, None))

    def _defining_graphs(self, node: Node) -> list[str]:
        term = to_oxigraph(node)  # type: ignore[arg-type]
        if isinstance(term, ox.Literal):
            return []
        graphs = {q.graph_name for q in self.staged.store.quads_for_pattern(term, None, None, None)
                  if q.graph_name in self._graphs}
        return sorted(g.value for g in graphs if isinstance(g, ox.NamedNode))

    def _linking(self, node: Node) -> Iterable[Node]:
        term = to_oxigraph(node)  # type: ignore[arg-type]
        if isinstance(term, ox.Literal):
            return
        for quad in self.staged.store.quads_for_pattern(None, None, term, None):
            if quad.graph_name in self._graphs and isinstance(quad.subject, ox.NamedNode):
                yield URIRef(quad.subject.value)
            elif quad.graph_name in self._graphs and isinstance(quad.subject, ox.BlankNode):
                yield BNode(quad.subject.value)


def _records(store: ox.Store, meta: str) -> dict[str, tuple[str, str, list[str]]]:
    """Graph → (input fingerprint, source name, inputs) from the load records."""
    query = f"""
        SELECT ?graph ?fingerprint ?name ?used WHERE {{ GRAPH <{meta}> {{
            ?graph <{SRH.inputFingerprint}> ?fingerprint ; <{SRH.sourceName}> ?name .
            OPTIONAL {{ ?graph <{PROV.wasGeneratedBy}> ?load . ?load <{PROV.used}> ?used }}
        }} }}"""
    found: dict[str, tuple[str, str, list[str]]] = {}
    answer = store.query(query)
    assert isinstance(answer, ox.QuerySolutions)
    for row in answer:
        graph = row["graph"]
        if not isinstance(graph, ox.NamedNode):
            continue
        entry = found.setdefault(graph.value, (str(row["fingerprint"].value),
                                               str(row["name"].value), []))
        used = row["used"]
        if isinstance(used, ox.Literal | ox.NamedNode) and used.value not in entry[2]:
            entry[2].append(used.value)
    return found
