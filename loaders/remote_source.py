"""What every remote loader shares: the municipalities it links to, the conditional re-check
of the previous load's answers, and the fingerprint that lets the pipeline skip an unchanged
source.

A remote source's fingerprint has two parts, ``remote:<hash of the answers>`` and
``local:<hash of what it was combined with>`` (our municipality keys, its options, the loader
version). When every answer of the previous load comes back ``304 Not Modified`` and the local
part is the same, the source hands the pipeline the previous fingerprint and an empty graph
marked ``unchanged``: the pipeline then publishes nothing. ``force`` skips the conditional
check altogether (and so can never publish that empty graph).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.term import Node

from loaders.provenance import RemoteInput, previous_remote_inputs, remote_inputs_record
from loaders.source import Progress, SourceGraph, no_progress
from loaders.web_sources import FetchPolicy, FetchResult, Validators, WebClient
from smartregion.namespaces import DCTERMS
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.uris import graph_uri, meta_graph_uri, thing_uri

AGS = re.compile(r"^[0-9]{8}$")
ARS = re.compile(r"^[0-9]{12}$")

_MUNICIPALITIES = """
PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
SELECT ?m ?ags ?ars WHERE {
  #VALUES
  GRAPH ?g { ?m srh:ags ?ags }
  FILTER (?g != ?own)
  OPTIONAL { GRAPH ?h { ?m srh:ars ?ars } FILTER (?h != ?own) }
}
"""


@dataclass
class Municipalities:
    """The municipalities the store publishes, by AGS and by ARS."""

    by_ags: dict[str, URIRef] = field(default_factory=dict)
    by_ars: dict[str, URIRef] = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of the keys (links made from them change when they change)."""
        text = "\n".join(sorted(self.by_ags)) + "\n--\n" + "\n".join(sorted(self.by_ars))
        return hashlib.sha256(text.encode()).hexdigest()


def published_municipalities(
    backend: StoreBackend, settings: Settings, own_graph: str
) -> Municipalities:
    """Every ``{base}id/municipality/{AGS}`` the store holds, outside ``own_graph``."""
    rows = backend.select(_MUNICIPALITIES, {"own": URIRef(own_graph)})
    found = Municipalities()
    for row in rows:
        ags = str(row["ags"])
        iri = URIRef(thing_uri(settings.base_uri, "municipality", ags))
        if not AGS.match(ags) or row["m"] != iri:
            continue  # a district-free city published as a district, or a malformed key
        found.by_ags[ags] = iri
        ars = str(row.get("ars", ""))
        if ARS.match(ars):
            found.by_ars[ars] = iri
    return found


def digest(parts: Iterable[bytes | str]) -> str:
    """SHA-256 over the parts, each length-prefixed (so boundaries cannot shift)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def fingerprint(answers: Sequence[FetchResult], local: str) -> str:
    """``remote:<hash of the answers' URLs and bodies>|local:<local digest>``."""
    remote = digest(part for a in answers for part in (a.url, a.body))
    return f"remote:{remote}|local:{local}"


@dataclass
class RemoteContext:
    """What a remote source needs at extraction time besides the settings."""

    backend: StoreBackend
    client: WebClient
    policy: FetchPolicy
    force: bool = False


class RemoteSource:
    """Base of the remote loaders: conditional re-check, record and fingerprint.

    Subclasses set ``name``, ``loader_version``, ``url``, ``accept`` and implement
    :meth:`local_digest` and :meth:`harvest`.
    """

    name: str
    loader_version: str
    loads_by_default = False  # harvests run by `smartregion harvest`, not by `load`
    url: str
    accept: str
    title_de: str = ""
    title_en: str = ""
    licence: URIRef | None = None
    attribution: str | None = None

    def __init__(self, context: RemoteContext) -> None:
        self.context = context
        self.notes: list[str] = []
        """Things worth telling the operator that did not stop the load (skipped items)."""
        self.requests = 0

    # -- for subclasses ------------------------------------------------------------------
    def local_digest(self, settings: Settings) -> str:
        """Hash of the local state and options the graph is built from."""
        raise NotImplementedError

    def harvest(
        self, settings: Settings, progress: Progress, reuse: dict[str, FetchResult]
    ) -> tuple[Graph, list[FetchResult], dict[Node, str]]:
        """Fetch everything (reusing answers in ``reuse`` by URL) and map it to RDF."""
        raise NotImplementedError

    # -- the Source protocol -------------------------------------------------------------
    def extract(self, settings: Settings, progress: Progress = no_progress) -> SourceGraph:
        """Fetch (conditionally, unless forced) and map; see the module docstring."""
        own = graph_uri(settings.base_uri, self.name)
        local = self.local_digest(settings)
        sent_before = self.context.client.requests_sent
        previous, last_fingerprint = previous_remote_inputs(
            self.context.backend, meta_graph_uri(settings.base_uri), own
        )
        reuse: dict[str, FetchResult] = {}
        if (not self.context.force and previous and last_fingerprint
                and last_fingerprint.endswith(f"|local:{local}")):
            unchanged, reuse = self._probe(previous, progress)
            if unchanged:
                self.requests = self.context.client.requests_sent - sent_before
                return SourceGraph(self.name, Graph(), last_fingerprint, [self.url],
                                   unchanged=True)
        graph, answers, origins = self.harvest(settings, progress, reuse)
        self.requests = self.context.client.requests_sent - sent_before
        inputs = [RemoteInput(a.url, a.retrieved, a.etag, a.last_modified) for a in answers]
        record = remote_inputs_record(own, inputs)
        record.add((URIRef(own), DCTERMS.source, URIRef(self.url)))
        return SourceGraph(
            name=self.name, graph=graph, fingerprint=fingerprint(answers, local),
            inputs=[self.url], origins=origins,
            title_de=self.title_de, title_en=self.title_en, licence=self.licence,
            attribution=self.attribution, extra_record=record,
        )

    def _probe(
        self, previous: Sequence[RemoteInput], progress: Progress
    ) -> tuple[bool, dict[str, FetchResult]]:
        """Ask again for each previous answer "only if changed"; stop at the first change.

        Returns whether all were unchanged, and the full answers got on the way (so the
        harvest that follows need not fetch them again).
        """
        fresh: dict[str, FetchResult] = {}
        for number, item in enumerate(previous, start=1):
            progress(f"{self.name}: check {item.url}", number - 1, len(previous))
            validators = Validators(item.etag, item.last_modified)
            answer = self.context.client.get(
                item.url, accept=self.accept, validators=validators or None,
                policy=self.context.policy,
            )
            if not answer.not_modified:
                fresh[item.url] = answer
                return False, fresh
        progress(f"{self.name}: check", len(previous), len(previous))
        return True, fresh

    def fetch(self, url: str, reuse: dict[str, FetchResult]) -> FetchResult:
        """The full answer for ``url``: reused from the probe, or fetched unconditionally."""
        if url in reuse:
            return reuse.pop(url)
        return self.context.client.get(url, accept=self.accept, policy=self.context.policy)
