"""The NGSI-LD query language (``q=``, GS CIM 009 clause 4.9) read into a tree and written as
a SPARQL ``FILTER`` expression.

Supported: ``;`` (and, binds tighter), ``|`` (or), parentheses, ``attr`` (exists), ``!attr``
(does not exist), ``== != > >= < <=``, ``~=`` and ``!~=`` (regular expression), value lists
(``a==1,2``), ranges (``a==1..5``), quoted strings, numbers, ``true``/``false``, dates,
date-times and URIs (compared with Relationship objects), and ``attr[lang]`` to compare only the
values in one language. Sub-attribute paths (``a.b``) are refused: the only sub-attributes here
are ``unitCode`` and ``observedAt``.

The SPARQL text is built from fixed fragments chosen by the tree; every attribute IRI and
value is a term in a ``VALUES`` row (:mod:`endpoint.bound_values`), never spliced text.
Comparison semantics: a term matches when some value of the attribute satisfies it; ``!=`` and
``!~=`` match when the attribute exists and none of its values is equal / matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from endpoint.bound_values import safe_iri, values_rows

MAX_LENGTH = 4096
_OPERATORS = ("!~=", "==", "!=", ">=", "<=", "~=", ">", "<")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_STOP = ";|)"


class QuerySyntaxError(ValueError):
    """``q`` does not follow the grammar; the message names the position."""


@dataclass(frozen=True)
class Value:
    """A value of a query term: its kind (number, string, boolean, date, iri) and its term."""

    kind: str
    term: Identifier


@dataclass(frozen=True)
class Term:
    """``attr``, ``!attr`` or ``attr op value(s)``; ``values`` has two items for a range."""

    attribute: str
    language: str | None = None
    operator: str | None = None
    values: tuple[Value, ...] = ()
    is_range: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Group:
    """Terms joined by ``;`` (``and``) or ``|`` (``or``)."""

    operator: str
    parts: tuple[Term | Group, ...]


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, token: str = "") -> bool:
        return self.text.startswith(token, self.pos) if token else self.pos < len(self.text)

    def fail(self, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"q at position {self.pos + 1}: {message}")

    def parse(self) -> Term | Group:
        tree = self.either()
        if self.peek():
            raise self.fail(f"unexpected {self.text[self.pos]!r}")
        return tree

    def either(self) -> Term | Group:
        parts = [self.both()]
        while self.peek("|"):
            self.pos += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else Group("|", tuple(parts))

    def both(self) -> Term | Group:
        parts = [self.atom()]
        while self.peek(";"):
            self.pos += 1
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else Group(";", tuple(parts))

    def atom(self) -> Term | Group:
        if self.peek("("):
            self.pos += 1
            tree = self.either()
            if not self.peek(")"):
                raise self.fail("missing ')'")
            self.pos += 1
            return tree
        return self.term()

    def term(self) -> Term:
        negated = self.peek("!") and not self.peek("!=") and not self.peek("!~=")
        if negated:
            self.pos += 1
        start = self.pos
        while self.peek() and self.text[self.pos] not in _STOP and not any(
                self.peek(op) for op in _OPERATORS):
            self.pos += 1
        name = self.text[start:self.pos].strip()
        if not name:
            raise self.fail("an attribute name is missing")
        attribute, language = _attribute(name, self)
        operator = next((op for op in _OPERATORS if self.peek(op)), None)
        if operator is None:
            return Term(attribute, language, negated=negated)
        if negated:
            raise self.fail("'!' only negates an attribute's existence")
        self.pos += len(operator)
        return self.comparison(attribute, language, operator)

    def comparison(self, attribute: str, language: str | None, operator: str) -> Term:
        raw = self.raw_value()
        if operator in ("~=", "!~="):
            pattern = _unquote(raw, self) if raw.startswith('"') else raw
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(f"invalid regular expression: {exc}") from exc
            return Term(attribute, language, operator, (Value("string", Literal(pattern)),))
        parts = _split_outside_quotes(raw, "..")
        if len(parts) == 2:
            if operator not in ("==", "!="):
                raise self.fail("a range needs == or !=")
            low, high = (_value(p, self) for p in parts)
            return Term(attribute, language, operator, (low, high), is_range=True)
        items = tuple(_value(p, self) for p in _split_outside_quotes(raw, ","))
        if len(items) > 1 and operator not in ("==", "!="):
            raise self.fail("a list of values needs == or !=")
        if operator not in ("==", "!=") and any(v.kind in ("iri", "boolean") for v in items):
            raise self.fail(f"{operator} cannot compare URIs or booleans")
        return Term(attribute, language, operator, items)

    def raw_value(self) -> str:
        start, quoted = self.pos, False
        while self.peek():
            char = self.text[self.pos]
            if char == "\\" and quoted:
                self.pos += 2
                continue
            if char == '"':
                quoted = not quoted
            elif not quoted and char in _STOP:
                break
            self.pos += 1
        if quoted:
            raise self.fail("unterminated string")
        raw = self.text[start:self.pos].strip()
        if not raw:
            raise self.fail("a value is missing")
        return raw


def _attribute(name: str, reader: _Reader) -> tuple[str, str | None]:
    language = None
    if name.endswith("]") and "[" in name:
        name, _, rest = name.partition("[")
        language = rest[:-1]
        if not _LANG.match(language):
            raise reader.fail(f"[{language}] is not a language tag")
    if "://" not in name and "." in name:
        raise reader.fail(f"sub-attribute paths ({name}) are not supported")
    if not name or any(c in name for c in '"()<>{}'):
        raise reader.fail(f"invalid attribute name {name!r}")
    return name, language


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, start, quoted, i = [], 0, False, 0
    while i < len(text):
        if text[i] == "\\" and quoted:
            i += 2
            continue
        if text[i] == '"':
            quoted = not quoted
        elif not quoted and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _unquote(raw: str, reader: _Reader) -> str:
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        raise reader.fail(f"malformed string {raw!r}")
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


def _value(raw: str, reader: _Reader) -> Value:
    if raw.startswith('"'):
        return Value("string", Literal(_unquote(raw, reader)))
    if raw in ("true", "false"):
        return Value("boolean", Literal(raw == "true"))
    if _NUMBER.match(raw):
        try:
            return Value("number", Literal(Decimal(raw), datatype=XSD.decimal)
                         if "e" not in raw.lower() else Literal(float(raw)))
        except InvalidOperation as exc:
            raise reader.fail(f"bad number {raw!r}") from exc
    if _DATE.match(raw):
        return Value("date", Literal(raw, datatype=XSD.date))
    if _DATE_TIME.match(raw):
        return Value("date", Literal(raw, datatype=XSD.dateTime))
    if ":" in raw and safe_iri(raw) is not None:
        return Value("iri", URIRef(raw))
    raise reader.fail(f"{raw!r} is no number, date, URI or quoted string")


def parse(text: str) -> Term | Group:
    """The tree of a ``q`` expression; :class:`QuerySyntaxError` names what is wrong."""
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"q is longer than {MAX_LENGTH} characters")
    return _Reader(text).parse()


def attributes_of(tree: Term | Group) -> list[str]:
    """Every attribute name a tree mentions."""
    if isinstance(tree, Term):
        return [tree.attribute]
    return [name for part in tree.parts for name in attributes_of(part)]


class _Writer:
    def __init__(self, expand: Callable[[str], str], geometry_iri: str, location: str) -> None:
        self.expand = expand
        self.geometry_iri = geometry_iri
        self.location = location
        self.count = 0

    def write(self, tree: Term | Group) -> str:
        if isinstance(tree, Group):
            joiner = " && " if tree.operator == ";" else " || "
            return "(" + joiner.join(self.write(part) for part in tree.parts) + ")"
        return self.term(tree)

    def term(self, term: Term) -> str:
        self.count += 1
        n = self.count
        iri = self.expand(term.attribute)
        predicate = self.geometry_iri if iri == self.location else iri
        checked = safe_iri(predicate)
        if checked is None:
            raise QuerySyntaxError(f"attribute {term.attribute!r} is no usable IRI")
        variables: list[str] = [f"p{n}"]
        row: list[Identifier] = [checked]
        conditions: list[str] = []
        if term.language:
            variables.append(f"l{n}")
            row.append(Literal(term.language))
            conditions.append(f"LANGMATCHES(LANG(?x{n}), ?l{n})")
        exists = f"GRAPH ?g{n} {{ ?e ?p{n} ?x{n} }}"
        if term.operator is None:
            block = _exists(values_rows(variables, [row]), exists, conditions)
            return f"NOT {block}" if term.negated else block
        for i, value in enumerate(term.values):
            variables.append(f"v{n}_{i}")
            row.append(value.term)
        match = self.match(term, n)
        values = values_rows(variables, [row])
        if term.operator in ("!=", "!~="):
            present = _exists(values, exists, conditions)
            return f"({present} && NOT {_exists(values, exists, [*conditions, match])})"
        return _exists(values, exists, [*conditions, match])

    @staticmethod
    def match(term: Term, n: int) -> str:
        x = f"?x{n}"
        if term.operator in ("~=", "!~="):
            return f"REGEX(STR({x}), ?v{n}_0)"
        operator = "=" if term.operator in ("==", "!=") else term.operator
        assert operator is not None
        if term.is_range:
            low, high = term.values
            above = _compare(x, ">=", f"?v{n}_0", low)
            return f"({above} && {_compare(x, '<=', f'?v{n}_1', high)})"
        return "(" + " || ".join(_compare(x, operator, f"?v{n}_{i}", value)
                                 for i, value in enumerate(term.values)) + ")"


def _compare(x: str, operator: str, v: str, value: Value) -> str:
    if value.kind == "number":
        return f"(isNumeric({x}) && {x} {operator} {v})"
    if value.kind == "string":
        return f"(STR({x}) {operator} {v})"
    if value.kind == "date":
        return f"(isLiteral({x}) && DATATYPE({x}) = DATATYPE({v}) && {x} {operator} {v})"
    return f"({x} {operator} {v})"


def _exists(values: str, pattern: str, conditions: list[str]) -> str:
    condition = f" FILTER({' && '.join(conditions)})" if conditions else ""
    return f"EXISTS {{ {values} {pattern}{condition} }}"


def to_sparql(tree: Term | Group, expand: Callable[[str], str], *, geometry_iri: str,
              location_iri: str) -> str:
    """A SPARQL expression over ``?e`` that is true when the entity matches ``tree``."""
    return _Writer(expand, geometry_iri, location_iri).write(tree)
