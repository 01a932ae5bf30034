"""RDF namespaces, and the one prefix map used for Turtle, SPARQL and JSON-LD output."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

SRH = Namespace("https://data.smarte-region-hessen.de/def/srh#")
SCHEME = Namespace("https://data.smarte-region-hessen.de/def/scheme/")
SCHEMA = Namespace("https://schema.org/")
CV = Namespace("http://data.europa.eu/m8g/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
NUTS = Namespace("http://data.europa.eu/nuts/code/")
GEOCODING = Namespace("http://dcat-ap.de/def/politicalGeocoding/")
SH = Namespace("http://www.w3.org/ns/shacl#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
SF = Namespace("http://www.opengis.net/ont/sf#")

FIELDS_PREFERRED_GROUP = SCHEME["field-of-action/group-starke-heimat-hessen"]
"""The grouping of the fields-of-action scheme whose concepts name an exact-match group: where a
field of 2020 and a Themenfeld of "Starke Heimat Hessen" mean the same, the Themenfeld is shown."""

PREFIXES: dict[str, str] = {
    "srh": str(SRH),
    "scheme": str(SCHEME),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "cv": str(CV),
    "dcat": str(DCAT),
    "dcatde": str(DCATDE),
    "dcatap": str(DCATAP),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "locn": str(LOCN),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "void": str(VOID),
    "sd": str(SD),
    "hydra": str(HYDRA),
    "spdx": str(SPDX),
    "xsd": str(XSD),
    "nuts": str(NUTS),
    "geocoding": str(GEOCODING),
    "geo": str(GEO),
    "sf": str(SF),
}

__all__ = [
    "CV",
    "DCAT",
    "DCATAP",
    "DCATDE",
    "DCTERMS",
    "FOAF",
    "GEO",
    "GEOCODING",
    "HYDRA",
    "LOCN",
    "NUTS",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SCHEME",
    "SD",
    "SF",
    "SH",
    "SKOS",
    "SPDX",
    "SRH",
    "VOID",
    "XSD",
]


def sparql_prologue() -> str:
    """``PREFIX`` lines for every prefix in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
