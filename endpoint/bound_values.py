"""``VALUES`` blocks with several rows, for the APIs whose filters are lists (NGSI-LD ids and
types, feature ids, saved-query parameters).

:func:`smartregion.store.terms.bind` binds one value per variable; a list of ids needs one row
per value. Values are written by rdflib's escaping N3 writer, as ``bind`` does, and IRIs are
checked for the characters SPARQL does not allow in ``<…>``, so no request value can change the
shape of a query: it is always a term in a ``VALUES`` row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rdflib import BNode, URIRef
from rdflib.term import Identifier

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_IRI_CHARS = frozenset('<>"{}|^`\\ \n\r\t')


class UnsafeTerm(ValueError):
    """A value that cannot be written into a query as a term (e.g. an IRI with ``>``)."""


def safe_iri(value: str) -> URIRef | None:
    """``value`` as an IRI if SPARQL can carry it in ``<…>``, else ``None``."""
    if not value or any(c in _BAD_IRI_CHARS or ord(c) < 0x20 for c in value):
        return None
    return URIRef(value)


def term_text(term: Identifier) -> str:
    """The SPARQL text of one bound term (rdflib's escaping writer; IRIs checked)."""
    if isinstance(term, BNode):
        raise UnsafeTerm("blank nodes cannot be bound")
    if isinstance(term, URIRef) and safe_iri(str(term)) is None:
        raise UnsafeTerm(f"not a usable IRI: {str(term)[:80]!r}")
    return str(term.n3())


def values_rows(variables: Sequence[str], rows: Iterable[Sequence[Identifier | None]]) -> str:
    """``VALUES (?a ?b) { (…) (…) }``; ``None`` in a row is ``UNDEF``.

    >>> from rdflib import Literal
    >>> values_rows(["e"], [[URIRef("http://ex.org/a")], [URIRef("http://ex.org/b")]])
    'VALUES (?e) { (<http://ex.org/a>) (<http://ex.org/b>) }'
    >>> values_rows(["s"], [[Literal('x"} UNION {')]])
    'VALUES (?s) { ("x\\\\"} UNION {") }'
    """
    for name in variables:
        if not _VARIABLE.match(name):
            raise ValueError(f"invalid variable name {name!r}")
    rendered = []
    for row in rows:
        if len(row) != len(variables):
            raise ValueError("row length differs from the variables")
        cells = " ".join("UNDEF" if term is None else term_text(term) for term in row)
        rendered.append(f"({cells})")
    names = " ".join(f"?{name}" for name in variables)
    return f"VALUES ({names}) {{ {' '.join(rendered)} }}"


def values_list(variable: str, terms: Iterable[Identifier]) -> str:
    """``VALUES (?v) { (…) … }`` with one row per term."""
    return values_rows([variable], ([term] for term in terms))
