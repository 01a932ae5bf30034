"""The official DCAT-AP / DCAT-AP.de SHACL profiles of ``../shared/conformance`` and the
vocabulary facts their validators import, assembled for pySHACL (no network).

Which files make a profile, and which data-graph additions the shapes expect, follow
``shared/conformance/README.md``: the shapes check vocabulary membership (``skos:inScheme``)
and ``sh:class`` through ``rdfs:subClassOf``, which GovData's and SEMIC's validators get by
``owl:imports`` of the vocabularies and ontologies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

PROFILES: dict[str, tuple[str, ...]] = {
    # what GovData's validator runs as "DCAT-AP.de 3.0 Spezifikation"
    "DCAT-AP.de 3.0": (
        "dcat-ap-3/3.0.0/dcat-ap-SHACL.ttl",
        "dcat-ap-de/3.0/dcat-ap-SHACL-DE.ttl",
        "dcat-ap-de/3.0/dcat-ap-de-deprecated.ttl",
        "dcat-ap-de/3.0/dcat-ap-spec-german-additions.ttl",
        "dcat-ap-de/3.0/dcat-ap-de-controlledvocabularies.ttl",
    ),
    # SEMIC's current DCAT-AP (data.europa.eu)
    "DCAT-AP 3.0.1": ("dcat-ap-3/3.0.1/dcat-ap-SHACL.ttl",),
    # terms SEMIC deprecated in 3.0.1
    "DCAT-AP 3.0.1 deprecated terms": ("dcat-ap-3/3.0.1/deprecateduris.ttl",),
    # GovData's delivery conventions (contributor ID, licence and file-type lists, publisher)
    "GovData conventions": ("dcat-ap-de/2.0/dcat-ap-konventionen.ttl",),
    # key patterns of the political-geocoding URIs and the level list
    "political geocoding": ("local/political-geocoding.ttl",),
}
# Vocabulary copies in the kit (concept scheme IRI → file), loaded for membership facts.
VOCABULARY_FILES = (
    "vocabularies/dcat-ap-de/contributors.rdf",
    "vocabularies/dcat-ap-de/licenses-open.rdf",
    "vocabularies/dcat-ap-de/political-geocoding-level.ttl",
    "vocabularies/eu/data-theme-skos.rdf",
    "vocabularies/eu/filetypes-skos.rdf",
    "vocabularies/eu/frequencies-skos.rdf",
    "vocabularies/adms/ADMS_SKOS_v1.00.rdf",
)
ONTOLOGY_FILES = ("ontologies/foaf_0_1.rdf", "ontologies/vcard.ttl", "ontologies/org.ttl")
# EU tables of which the kit has no copy: a referenced code is accepted by its namespace.
BY_NAMESPACE = (
    "http://publications.europa.eu/resource/authority/language",
    "http://publications.europa.eu/resource/authority/access-right",
    "http://publications.europa.eu/resource/authority/planned-availability",
    "http://publications.europa.eu/resource/authority/distribution-status",
    "http://publications.europa.eu/resource/authority/dataset-type",
)


@dataclass
class Outcome:
    """Violations and warnings of one validation (as readable lines)."""

    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def shapes_graph(conformance: Path, profile: str) -> Graph:
    """The shapes of ``profile``, with SEMIC 3.0.1's links to undefined shapes dropped."""
    shapes = Graph()
    for name in PROFILES[profile]:
        path = conformance / name
        shapes.parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    for node, prop in list(shapes.subject_objects(SH.property)):
        if (prop, None, None) not in shapes:  # a link to a shape nobody defined
            shapes.remove((node, SH.property, prop))
    return shapes


def vocabulary(conformance: Path) -> tuple[Graph, Graph]:
    """(concept facts of the kit's vocabularies, subclass axioms of FOAF/vCard/ORG)."""
    concepts = Graph()
    for name in VOCABULARY_FILES:
        path = conformance / name
        concepts.parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    axioms = Graph()
    for name in ONTOLOGY_FILES:
        path = conformance / name
        ontology = Graph().parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
        axioms += ontology.triples((None, RDFS.subClassOf, None))
    return concepts, axioms


def with_imports(data: Graph, concepts: Graph, axioms: Graph) -> tuple[Graph, list[str]]:
    """``data`` plus what the validators import for the IRIs it references.

    Returns the augmented graph and the IRIs accepted by namespace only (no copy of their
    table is available).
    """
    merged = Graph()
    merged += data
    merged += axioms
    by_namespace: list[str] = []
    for iri in sorted({o for o in data.objects() if isinstance(o, URIRef)}):
        facts = list(concepts.triples((iri, None, None)))
        if facts:
            for s, p, o in facts:
                if p in (SKOS.inScheme, RDF.type, SKOS.prefLabel):
                    merged.add((s, p, o))
            continue
        scheme = next((ns for ns in BY_NAMESPACE if str(iri).startswith(ns + "/")), None)
        if scheme:
            merged.add((iri, SKOS.inScheme, URIRef(scheme)))
            by_namespace.append(str(iri))
    return merged, by_namespace


def run(data: Graph, shapes: Graph) -> Outcome:
    """pySHACL as the official validators run it (no inference, no meta-validation)."""
    _conforms, results, _text = validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        meta_shacl=False,
    )
    outcome = Outcome()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        line = " | ".join(str(results.value(result, p) or "") for p in (
            SH.focusNode, SH.resultPath, SH.value, SH.resultMessage, SH.sourceShape))
        if severity == SH.Violation:
            outcome.violations.append(line)
        elif severity == SH.Warning:
            outcome.warnings.append(line)
    return outcome


def iris(graph: Graph, predicate: URIRef) -> Iterable[URIRef]:
    """The IRI objects of ``predicate``."""
    return (o for o in graph.objects(None, predicate) if isinstance(o, URIRef))


__all__ = ["OWL", "PROFILES", "Outcome", "run", "shapes_graph", "vocabulary", "with_imports"]
