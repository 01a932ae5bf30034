"""The mapping between the two groupings of the fields-of-action scheme, as the listings use it.

The scheme holds the Geschäftsstelle's fields of 2020 and the Themenfelder of "Starke Heimat
Hessen". They overlap (``mobility`` = ``shh-smart-mobility``); the scheme maps them with
``skos:exactMatch`` (same meaning) and ``skos:broadMatch``/``skos:narrowMatch`` (a narrower 2020
field inside a Themenfeld). The project listing follows that mapping:

* a field filter matches projects tagged with the field, with an exact match of it, or with a
  concept narrower than either (:func:`field_family`);
* the facet offers one entry per exact-match group, named by its preferred concept, the
  Themenfeld (:func:`preferred_field`), so "Energie" and "Smart Energy" are one choice.

The schemes are vocabulary files, not store data, so the mapping is resolved here and bound into
the fixed listing queries (``?wantField`` … ``?wantField8``).
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Identifier

from endpoint.ontology import SCHEME_BASE, Vocabulary
from smartregion.namespaces import FIELDS_PREFERRED_GROUP as PREFERRED_GROUP

FIELD_SCHEME = SCHEME_BASE + "field-of-action"

FIELD_VARIABLES = ("wantField", *(f"wantField{n}" for n in range(2, 9)))
"""The variables of the listing queries that carry the concepts a field filter accepts."""


class FieldFamilyTooLarge(ValueError):
    """The scheme maps more concepts to one field than the listing queries can bind."""


def _exact_group(terms: Graph, concept: URIRef) -> set[URIRef]:
    group = {concept}
    frontier = [concept]
    while frontier:  # exactMatch is symmetric and transitive: follow it both ways
        current = frontier.pop()
        for other in (*terms.objects(current, SKOS.exactMatch),
                      *terms.subjects(SKOS.exactMatch, current)):
            if isinstance(other, URIRef) and other not in group:
                group.add(other)
                frontier.append(other)
    return group


def field_family(vocabulary: Vocabulary, concept: str) -> list[URIRef]:
    """The concepts a filter on ``concept`` accepts, ``concept`` first: its exact-match group and
    every concept mapped as narrower to a member (``skos:broadMatch`` to it, or its
    ``skos:narrowMatch``), in a stable order."""
    terms = vocabulary.terms
    start = URIRef(concept)
    group = _exact_group(terms, start)
    narrower: set[URIRef] = set()
    for member in group:
        for other in (*terms.subjects(SKOS.broadMatch, member),
                      *terms.objects(member, SKOS.narrowMatch)):
            if isinstance(other, URIRef):
                narrower |= _exact_group(terms, other)
    rest = sorted((group | narrower) - {start}, key=str)
    return [start, *rest]


def preferred_field(vocabulary: Vocabulary, concept: str) -> str:
    """The concept that names ``concept``'s exact-match group: the member of the Themenfelder
    grouping, else the concept itself."""
    group = _exact_group(vocabulary.terms, URIRef(concept))
    preferred = sorted(str(c) for c in group
                       if (PREFERRED_GROUP, SKOS.member, c) in vocabulary.terms)
    return preferred[0] if preferred else concept


def field_bindings(
    vocabulary: Vocabulary, bindings: Mapping[str, Identifier]
) -> dict[str, Identifier]:
    """The bindings of ``?wantField2`` … ``?wantField8`` for the field bound to ``?wantField``:
    the rest of its family, padded with the field itself (a repeated value changes nothing)."""
    wanted = bindings[FIELD_VARIABLES[0]]
    family: list[Identifier] = [wanted]
    if isinstance(wanted, URIRef) and str(wanted).startswith(FIELD_SCHEME + "/"):
        family = list(field_family(vocabulary, str(wanted)))
    if len(family) > len(FIELD_VARIABLES):
        raise FieldFamilyTooLarge(
            f"{wanted} maps to {len(family)} concepts; the listing queries bind at most "
            f"{len(FIELD_VARIABLES)} (add variables to projects_list.rq)"
        )
    family += [wanted] * (len(FIELD_VARIABLES) - len(family))
    return dict(zip(FIELD_VARIABLES[1:], family[1:], strict=True))
