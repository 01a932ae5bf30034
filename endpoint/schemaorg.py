"""schema.org JSON-LD for embedding in pages (search engines read it), serialized safely.

Data can never end the ``<script>`` element or inject markup: ``<``, ``>`` and ``&`` (and the
JavaScript line separators) are written as ``\\uXXXX`` escapes, which JSON parsers read back as
the same characters.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, SKOS

from endpoint.describe import Description
from endpoint.ontology import pick
from endpoint.pages import Linker, ResourcePage
from smartregion.namespaces import SCHEMA, SRH

# Our classes → the schema.org type that fits; the first match in this order wins.
SCHEMA_TYPES: tuple[tuple[URIRef, str], ...] = (
    (SRH.SmartRegionProject, "Project"),
    (SRH.Event, "Event"),
    (SRH.FundingProgramme, "FundingScheme"),
    (SRH.Funding, "MonetaryGrant"),
    (SRH.Offer, "Service"),
    (SRH.Land, "State"),
    (SRH.DistrictFreeCity, "City"),
    (SRH.Municipality, "AdministrativeArea"),
    (SRH.District, "AdministrativeArea"),
    (SRH.GovernmentDistrict, "AdministrativeArea"),
    (SRH.PublicBody, "GovernmentOrganization"),
    (SRH.Company, "Corporation"),
    (SRH.Organisation, "Organization"),
    (SRH.Association, "Organization"),
    (SRH.Initiative, "Organization"),
)
# Our links → schema.org properties whose value is another thing.
LINKS: tuple[tuple[URIRef, str], ...] = (
    (SCHEMA.containedInPlace, "containedInPlace"),
    (SCHEMA.location, "location"),
    (SCHEMA.isPartOf, "isPartOf"),
    (SRH.leadOrganisation, "sponsor"),
    (SRH.organizer, "organizer"),
    (SRH.funder, "funder"),
    (SRH.provider, "provider"),
    (SRH.municipality, "areaServed"),
    (SRH.district, "areaServed"),
)
DATES: tuple[tuple[URIRef, str], ...] = (
    (SCHEMA.startDate, "startDate"), (SRH.startYear, "startDate"),
    (SCHEMA.endDate, "endDate"), (SRH.endYear, "endDate"),
    (SCHEMA.foundingDate, "foundingDate"), (SRH.foundingYear, "foundingDate"),
)

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}


def script_safe(document: Any) -> Markup:
    """JSON text that is safe inside ``<script type="application/ld+json">``.

    >>> str(script_safe({"name": "</script><b>"}))
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)  # safe: every markup-significant character is escaped above


def embedded_jsonld(
    description: Description, page: ResourcePage, linker: Linker, lang: str
) -> Markup:
    """The schema.org description of a thing, ready to embed in its page."""
    return script_safe(schema_node(description, page, linker, lang))


def schema_node(
    description: Description, page: ResourcePage, linker: Linker, lang: str
) -> dict[str, Any]:
    """The schema.org description of a thing (JSON-LD with the context ``https://schema.org``):
    what its page embeds, and its document in the schema.org profile."""
    graph, thing = description.graph, description.thing
    types = set(graph.objects(thing, RDF.type))
    schema_type = next((name for cls, name in SCHEMA_TYPES if cls in types), "Thing")
    node: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": schema_type,
        "@id": str(thing),
        "name": page.title,
        "inLanguage": lang,
    }
    document_path = linker.local_path(str(description.document))
    if document_path:
        node["mainEntityOfPage"] = str(description.document)
    if page.description:
        node["description"] = page.description[0]
    alternates = sorted({str(v) for p in (SKOS.altLabel,) for v in graph.objects(thing, p)
                         if isinstance(v, Literal) and (v.language or lang) == lang})
    if alternates:
        node["alternateName"] = alternates
    same = sorted({str(o) for p in (OWL.sameAs, SKOS.exactMatch) for o in graph.objects(thing, p)
                   if isinstance(o, URIRef)})
    if same:
        node["sameAs"] = same
    homepage = graph.value(thing, FOAF.homepage)
    if isinstance(homepage, URIRef):
        node["url"] = str(homepage)
    for prop, name in LINKS:
        targets = sorted(o for o in graph.objects(thing, prop) if isinstance(o, URIRef))
        if targets:
            values = [_named(description, target, lang) for target in targets]
            node.setdefault(name, [])
            node[name].extend(values)
    for prop, name in DATES:
        value = graph.value(thing, prop)
        if isinstance(value, Literal) and name not in node:
            node[name] = str(value)
    sources = sorted(str(o) for o in graph.objects(thing, DCTERMS.source))
    if sources:
        node["citation"] = sources
    return node


def _named(description: Description, target: URIRef, lang: str) -> dict[str, str]:
    names: dict[str, list[str]] = {}
    for value in description.graph.objects(target, SKOS.prefLabel):
        if isinstance(value, Literal):
            names.setdefault(value.language or "", []).append(str(value))
    found = pick(names, lang)
    return {"@id": str(target), "name": found[0]} if found else {"@id": str(target)}
