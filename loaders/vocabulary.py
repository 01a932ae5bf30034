"""The ontology and the SKOS concept schemes of ``ontology/``, published as named graphs.

Each Turtle file is a source of its own: ``ontology`` (``ontology/smartregion.ttl``) and one
``scheme-…`` per file of ``ontology/schemes/``. They go through the one publish path like the
curated folders (validated, recorded, listed in the catalogue and VoID), so the labels of
classes, properties and concepts can be queried with SPARQL and example queries return names
instead of bare IRIs. The ``/def`` pages keep serving the files themselves.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from loaders.curated import display_path
from loaders.source import Progress, Source, SourceError, SourceGraph, no_progress
from smartregion import __version__
from smartregion.settings import Settings
from smartregion.uris import graph_uri

ONTOLOGY_SOURCE = "ontology"
SCHEME_PREFIX = "scheme-"
# The platform's own vocabulary: the same terms as the curated data (see catalog_metadata.ttl).
LICENCE = URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")
ATTRIBUTION = ("Geschäftsstelle Smarte Region, Hessisches Ministerium für Digitalisierung und "
               "Innovation")
# EU data theme "Government and public sector", as the platform's other vocabulary-like data
GOVERNMENT = URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE")
_LINE_OF = re.compile(r"line (\d+)")


class VocabularySource:
    """One Turtle file of ``ontology/`` as the named graph ``{base}graph/{name}``."""

    loader_version = __version__
    loads_by_default = True

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    def extract(self, settings: Settings, progress: Progress = no_progress) -> SourceGraph:
        """Parse the file; a syntax error names the file and line."""
        shown = display_path(self.path)
        raw = self.path.read_bytes()
        graph = Graph()
        try:
            graph.parse(data=raw, format="turtle")
        except (SyntaxError, ParserError, ValueError) as exc:
            found = _LINE_OF.search(str(exc))
            where = f"{shown}:{found.group(1)}" if found else shown
            raise SourceError(where, "turtle-syntax", str(exc).strip().splitlines()[0], 2) from exc
        progress(f"read {self.name}", 1, 1)
        main = _main_subject(graph)
        titles = {lit.language: str(lit) for lit in _labels(graph, main)}
        return SourceGraph(
            name=self.name,
            graph=graph,
            fingerprint="sha256:" + hashlib.sha256(raw).hexdigest(),
            inputs=[shown],
            origins=_origins(graph, raw.decode("utf-8"), shown),
            title_de=titles.get("de", self.name),
            title_en=titles.get("en", titles.get("de", self.name)),
            licence=LICENCE,
            attribution=ATTRIBUTION,
            extra_record=_record(settings, self.name, graph, main),
        )


def vocabulary_sources(settings: Settings) -> dict[str, Source]:
    """Registry entry: ``ontology`` and one ``scheme-{file}`` per SKOS scheme file."""
    found: dict[str, Source] = {}
    ontology = settings.ontology_dir / "smartregion.ttl"
    if ontology.is_file():
        found[ONTOLOGY_SOURCE] = VocabularySource(ONTOLOGY_SOURCE, ontology)
    for path in sorted((settings.ontology_dir / "schemes").glob("*.ttl")):
        found[SCHEME_PREFIX + path.stem] = VocabularySource(SCHEME_PREFIX + path.stem, path)
    return found


def _main_subject(graph: Graph) -> Node | None:
    """The owl:Ontology or the skos:ConceptScheme the file describes."""
    for kind in (OWL.Ontology, SKOS.ConceptScheme):
        for subject in graph.subjects(RDF.type, kind):
            return subject
    return None


def _labels(graph: Graph, subject: Node | None) -> list[Literal]:
    if subject is None:
        return []
    for prop in (DCTERMS.title, SKOS.prefLabel, RDFS.label):
        found = [o for o in graph.objects(subject, prop) if isinstance(o, Literal)]
        if found:
            return found
    return []


def _record(settings: Settings, name: str, graph: Graph, main: Node | None) -> Graph:
    """The description the catalogue shows: the file's own, else a sentence naming it."""
    dataset = URIRef(graph_uri(settings.base_uri, name))
    record = Graph()
    descriptions = [] if main is None else [
        o for prop in (DCTERMS.description, SKOS.definition, RDFS.comment)
        for o in graph.objects(main, prop) if isinstance(o, Literal)]
    if not descriptions:
        what = {lit.language: str(lit) for lit in _labels(graph, main)}
        descriptions = [
            Literal(f"Das SKOS-Begriffsschema „{what.get('de', name)}“ der Plattform.", lang="de"),
            Literal(f"The platform's SKOS concept scheme \"{what.get('en', name)}\".", lang="en"),
        ]
    for description in descriptions:
        record.add((dataset, DCTERMS.description, description))
    if main is not None:
        record.add((dataset, DCTERMS.subject, main))
    record.add((dataset, DCAT.theme, GOVERNMENT))
    for keyword in (Literal("Ontologie", lang="de"), Literal("Begriffsschema", lang="de"),
                    Literal("ontology", lang="en"), Literal("concept scheme", lang="en")):
        record.add((dataset, DCAT.keyword, keyword))
    return record


def _origins(graph: Graph, text: str, shown: str) -> dict[Node, str]:
    """``file:line`` of each subject: the first line that starts with its Turtle name."""
    lines = text.splitlines()
    starts: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        token = line.split(maxsplit=1)[0] if line and not line[0].isspace() else ""
        if token and not token.startswith(("#", "@")):
            starts.setdefault(token, number)
    origins: dict[Node, str] = {}
    for subject in set(graph.subjects()):
        if not isinstance(subject, URIRef):
            continue
        for name in (f"<{subject}>", graph.namespace_manager.normalizeUri(subject)):
            if name in starts:
                origins[subject] = f"{shown}:{starts[name]}"
                break
    return origins
