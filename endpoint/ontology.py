"""The platform's vocabulary as the web tier reads it: the ontology, the SKOS schemes and the
published JSON-LD context, parsed from ``ontology/`` and reloaded when a file changes.

Vocabulary IRIs are fixed (``https://data.smarte-region-hessen.de/def/…``), independent of the
configured base; the app serves them under ``/def/…`` on whatever host it runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from smartregion.namespaces import SCHEMA, SRH

DEF_BASE = "https://data.smarte-region-hessen.de/def/"
ONTOLOGY_IRI = DEF_BASE + "srh"
SCHEME_BASE = DEF_BASE + "scheme/"

# Properties whose values name a thing, in order of preference.
LABEL_PROPERTIES: tuple[URIRef, ...] = (
    SKOS.prefLabel, RDFS.label, DCTERMS.title, FOAF.name, SCHEMA.name,
)
DESCRIPTION_PROPERTIES: tuple[URIRef, ...] = (
    DCTERMS.description, SKOS.definition, RDFS.comment, SCHEMA.description,
)

# Labels of the external terms the platform uses (our own terms carry theirs in the ontology).
_W = {
    "rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL), "skos": str(SKOS), "dct": str(DCTERMS),
    "foaf": str(FOAF), "schema": str(SCHEMA), "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#", "dcat": "http://www.w3.org/ns/dcat#",
    "vann": "http://purl.org/vocab/vann/", "hydra": "http://www.w3.org/ns/hydra/core#",
}
KNOWN_TERMS: dict[str, tuple[str, str]] = {
    _W["rdf"] + "type": ("Typ", "type"),
    _W["skos"] + "prefLabel": ("Bezeichnung", "name"),
    _W["skos"] + "altLabel": ("weitere Bezeichnung", "alternative name"),
    _W["skos"] + "hiddenLabel": ("Suchbezeichnung", "hidden label"),
    _W["skos"] + "definition": ("Definition", "definition"),
    _W["skos"] + "note": ("Anmerkung", "note"),
    _W["skos"] + "scopeNote": ("Anwendungshinweis", "scope note"),
    _W["skos"] + "notation": ("Notation", "notation"),
    _W["skos"] + "inScheme": ("in Begriffsschema", "in scheme"),
    _W["skos"] + "topConceptOf": ("Oberbegriff in", "top concept of"),
    _W["skos"] + "hasTopConcept": ("Oberbegriffe", "top concepts"),
    _W["skos"] + "broader": ("Oberbegriff", "broader"),
    _W["skos"] + "narrower": ("Unterbegriffe", "narrower"),
    _W["skos"] + "related": ("verwandt mit", "related"),
    _W["skos"] + "exactMatch": ("entspricht", "exact match"),
    _W["skos"] + "closeMatch": ("ähnlich", "close match"),
    _W["rdfs"] + "label": ("Bezeichnung", "label"),
    _W["rdfs"] + "comment": ("Erläuterung", "comment"),
    _W["rdfs"] + "seeAlso": ("siehe auch", "see also"),
    _W["rdfs"] + "isDefinedBy": ("definiert in", "defined by"),
    _W["rdfs"] + "subClassOf": ("Unterklasse von", "subclass of"),
    _W["rdfs"] + "subPropertyOf": ("Untereigenschaft von", "subproperty of"),
    _W["rdfs"] + "domain": ("Definitionsbereich", "domain"),
    _W["rdfs"] + "range": ("Wertebereich", "range"),
    _W["owl"] + "sameAs": ("identisch mit", "same as"),
    _W["owl"] + "versionInfo": ("Version", "version"),
    _W["owl"] + "versionIRI": ("Versions-IRI", "version IRI"),
    _W["owl"] + "inverseOf": ("invers zu", "inverse of"),
    _W["dct"] + "title": ("Titel", "title"),
    _W["dct"] + "description": ("Beschreibung", "description"),
    _W["dct"] + "source": ("Quelle", "source"),
    _W["dct"] + "license": ("Lizenz", "licence"),
    _W["dct"] + "publisher": ("Herausgeber", "publisher"),
    _W["dct"] + "creator": ("Urheber", "creator"),
    _W["dct"] + "created": ("erstellt", "created"),
    _W["dct"] + "modified": ("geändert", "modified"),
    _W["dct"] + "issued": ("veröffentlicht", "issued"),
    _W["dct"] + "date": ("Datum", "date"),
    _W["dct"] + "subject": ("Thema", "subject"),
    _W["dct"] + "spatial": ("räumlicher Bezug", "spatial coverage"),
    _W["dct"] + "type": ("Art", "type"),
    _W["foaf"] + "homepage": ("Webseite", "homepage"),
    _W["foaf"] + "name": ("Name", "name"),
    _W["foaf"] + "primaryTopic": ("Hauptthema", "primary topic"),
    _W["schema"] + "name": ("Name", "name"),
    _W["schema"] + "containedInPlace": ("liegt in", "contained in"),
    _W["schema"] + "location": ("Standort", "location"),
    _W["schema"] + "isPartOf": ("Teil von", "part of"),
    _W["schema"] + "founder": ("Gründer", "founder"),
    _W["schema"] + "foundingDate": ("Gründungsdatum", "founding date"),
    _W["schema"] + "startDate": ("Beginn", "start date"),
    _W["schema"] + "endDate": ("Ende", "end date"),
    _W["org"] + "subOrganizationOf": ("Teil der Organisation", "sub-organisation of"),
    _W["org"] + "unitOf": ("Einheit von", "unit of"),
    _W["org"] + "resultedFrom": ("hervorgegangen aus", "resulted from"),
    _W["org"] + "originalOrganization": ("ursprüngliche Organisation", "original organisation"),
    _W["prov"] + "wasDerivedFrom": ("abgeleitet von", "derived from"),
    _W["prov"] + "wasGeneratedBy": ("erzeugt durch", "generated by"),
    _W["prov"] + "endedAtTime": ("beendet", "ended at"),
    _W["vann"] + "preferredNamespacePrefix": ("bevorzugtes Präfix", "preferred prefix"),
    _W["vann"] + "preferredNamespaceUri": ("Namensraum", "namespace"),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or the last ``/``)."""
    tail = iri.rstrip("/#")
    for sep in ("#", "/", ":"):
        if sep in tail:
            tail = tail.rsplit(sep, 1)[1]
            break
    return tail or iri


def readable_name(iri: str) -> str:
    """A readable name from an IRI's local name: ``containedInPlace`` → ``contained in place``.

    >>> readable_name("https://schema.org/containedInPlace")
    'contained in place'
    >>> readable_name("https://example.org/id/project/smart-kassel")
    'smart-kassel'
    """
    name = local_name(iri)
    if name[:1].islower() and any(c.isupper() for c in name):
        return _CAMEL.sub(" ", name).lower()
    return name


AREA_TYPE_BASE = SCHEME_BASE + "municipality-type/"
# The GV100AD record type an area-type code belongs to (its first digit; see the scheme's
# skos:Collections): which level of area a thing of that type is.
AREA_LEVELS = {"4": ("Kreis", "district"), "5": ("Gemeindeverband", "municipal association"),
               "6": ("Gemeinde", "municipality")}


def area_qualifier(vocabulary: Vocabulary, area_type: str, lang: str) -> str | None:
    """How a link to an area says what it is: ``Kreis: kreisfreie Stadt``, ``Gemeinde``
    (the district Darmstadt and the city of Darmstadt share name and type label; the level
    tells them apart). ``None`` for anything but an area-type concept."""
    code = area_type[len(AREA_TYPE_BASE):] if area_type.startswith(AREA_TYPE_BASE) else ""
    level = AREA_LEVELS.get(code[:1])
    if level is None:
        return None
    name = level[1] if lang == "en" else level[0]
    if code[:1] == "6":
        return name
    found = vocabulary.label(area_type, lang)
    return f"{name}: {found[0]}" if found else name


def pick(values: dict[str, list[str]], lang: str) -> tuple[str, str] | None:
    """``(text, language)`` of the best value: ``lang``, then de → en → untagged → any."""
    for code in (lang, "de", "en", ""):
        if values.get(code):
            return sorted(values[code])[0], code
    for code in sorted(values):
        if values[code]:
            return sorted(values[code])[0], code
    return None


def literal_index(graph: Graph, properties: tuple[URIRef, ...]) -> dict[str, dict[str, list[str]]]:
    """IRI → language → texts for the given literal properties (first property that has any
    value wins, so a ``skos:prefLabel`` is preferred over an ``rdfs:label``)."""
    index: dict[str, dict[str, list[str]]] = {}
    for prop in properties:
        seen: set[str] = set()
        for subject, value in graph.subject_objects(prop):
            if not isinstance(value, Literal) or not isinstance(subject, URIRef):
                continue
            key = str(subject)
            if key in index and key not in seen:
                continue  # a more preferred property already named it
            seen.add(key)
            index.setdefault(key, {}).setdefault(value.language or "", []).append(str(value))
    return index


@dataclass
class Vocabulary:
    """The parsed ontology and schemes, with indexes the pages need."""

    ontology: Graph
    schemes: dict[str, Graph]  # scheme IRI → scheme with its concepts
    terms: Graph  # ontology and schemes together, for look-ups of linked vocabulary terms
    context: dict[str, Any]  # the published JSON-LD context document
    context_bytes: bytes
    digest: str  # changes whenever a vocabulary file changes
    modified: datetime  # the newest vocabulary file's modification time (UTC, whole seconds)
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    comments: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    object_properties: frozenset[str] = frozenset()
    datatype_properties: frozenset[str] = frozenset()
    identifier_properties: frozenset[str] = frozenset()
    concept_scheme: dict[str, str] = field(default_factory=dict)  # concept → scheme

    def label(self, iri: str, lang: str) -> tuple[str, str] | None:
        """``(text, language)`` for a vocabulary term, ontology and well-known terms included."""
        found = pick(self.labels.get(iri, {}), lang)
        if found:
            return found
        known = KNOWN_TERMS.get(iri)
        if known:
            return (known[0], "de") if lang == "de" else (known[1], "en")
        return None

    def comment(self, iri: str, lang: str) -> tuple[str, str] | None:
        """The best ``rdfs:comment``/``skos:definition`` of a term."""
        return pick(self.comments.get(iri, {}), lang)

    def graph_of(self, iri: str) -> Graph | None:
        """The graph documenting a vocabulary IRI: the ontology, a scheme, or a concept's
        scheme (``None`` when it is not ours)."""
        base = iri.split("#", 1)[0]
        if base == ONTOLOGY_IRI:
            return self.ontology
        if base in self.schemes:
            return self.schemes[base]
        scheme = self.concept_scheme.get(base)
        return self.schemes.get(scheme) if scheme else None

    def label_triples(self, iri: URIRef) -> list[tuple[URIRef, URIRef, Literal]]:
        """The naming statements the vocabulary makes about ``iri`` (for documents linking it)."""
        found = []
        for prop in LABEL_PROPERTIES:
            for value in self.terms.objects(iri, prop):
                if isinstance(value, Literal):
                    found.append((iri, prop, value))
        return found


def _files(directory: Path) -> list[Path]:
    return [directory / "smartregion.ttl", directory / "context.jsonld",
            *sorted((directory / "schemes").glob("*.ttl"))]


def _build(directory: Path) -> Vocabulary:
    files = [path for path in _files(directory) if path.is_file()]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    ontology = Graph()
    ontology_file = directory / "smartregion.ttl"
    if ontology_file.is_file():
        ontology.parse(ontology_file, format="turtle")
    all_schemes = Graph()
    for path in sorted((directory / "schemes").glob("*.ttl")):
        all_schemes.parse(path, format="turtle")
    schemes: dict[str, Graph] = {}
    concept_scheme: dict[str, str] = {}
    for scheme in sorted(all_schemes.subjects(RDF.type, SKOS.ConceptScheme), key=str):
        concepts = sorted({c for c in all_schemes.subjects(SKOS.inScheme, scheme)}, key=str)
        graph = Graph()
        for subject in (scheme, *concepts):
            _copy_closure(all_schemes, subject, graph)
            if subject != scheme:
                concept_scheme[str(subject)] = str(scheme)
        schemes[str(scheme)] = graph
    context_file = directory / "context.jsonld"
    context_bytes = context_file.read_bytes() if context_file.is_file() else b'{"@context": {}}'
    merged = ontology + all_schemes
    identifiers = {str(p) for p in merged.transitive_subjects(RDFS.subPropertyOf, SKOS.notation)}
    identifiers.discard(str(SKOS.notation))
    return Vocabulary(
        ontology=ontology,
        schemes=schemes,
        terms=merged,
        context=json.loads(context_bytes),
        context_bytes=context_bytes,
        digest=digest.hexdigest()[:16],
        modified=datetime.fromtimestamp(
            max((p.stat().st_mtime for p in files), default=0), UTC
        ).replace(microsecond=0),
        labels=literal_index(merged, (RDFS.label, SKOS.prefLabel)),
        comments=literal_index(merged, (RDFS.comment, SKOS.definition)),
        object_properties=frozenset(str(p) for p in merged.subjects(RDF.type, OWL.ObjectProperty)),
        datatype_properties=frozenset(
            str(p) for p in merged.subjects(RDF.type, OWL.DatatypeProperty)
        ),
        identifier_properties=frozenset(identifiers | {str(SKOS.notation)}),
        concept_scheme=concept_scheme,
    )


def _copy_closure(source: Graph, subject: Node, target: Graph) -> None:
    """Copy the statements about ``subject`` with their blank-node closure."""
    for _, predicate, obj in source.triples((subject, None, None)):
        target.add((subject, predicate, obj))
        if not isinstance(obj, URIRef | Literal) and (obj, None, None) not in target:
            _copy_closure(source, obj, target)


_cache: dict[Path, tuple[tuple[tuple[str, float], ...], Vocabulary]] = {}
_cache_lock = threading.Lock()


def vocabulary(directory: Path) -> Vocabulary:
    """The vocabulary in ``directory``, parsed once and again only when a file changed."""
    stamp = tuple((str(p), p.stat().st_mtime) for p in _files(directory) if p.is_file())
    with _cache_lock:
        cached = _cache.get(directory)
        if cached and cached[0] == stamp:
            return cached[1]
    built = _build(directory)
    with _cache_lock:
        _cache[directory] = (stamp, built)
    return built


__all__ = [
    "DEF_BASE", "DESCRIPTION_PROPERTIES", "KNOWN_TERMS", "LABEL_PROPERTIES", "ONTOLOGY_IRI",
    "SCHEME_BASE", "SRH", "Vocabulary", "literal_index", "local_name", "pick", "readable_name",
    "vocabulary",
]
