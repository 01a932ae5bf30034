"""A strict reader for the small SPARQL subset that may run in the web process.

:mod:`smartregion.store.bounded_query` decides from the query's *shape* whether its cost is
bounded, so the shape read here must be exactly the one pyoxigraph evaluates. The reader
therefore accepts only a narrow, unambiguous part of SPARQL 1.1 and gives up (``None``) on
anything else; giving up is always safe (the query then goes to an executor process).

Accepted: ``PREFIX`` declarations with absolute IRIs; ``SELECT (* | ?v …)``, ``ASK``,
``CONSTRUCT {template}`` / ``CONSTRUCT WHERE`` over one basic graph pattern, each with
optional ``LIMIT``/``OFFSET``; ``DESCRIBE`` of one constant IRI. Triples use ``.``, ``;``,
``,``; terms are absolute IRIs, prefixed names (declared prefixes only: the executor passes
no default prefixes to ``Store.query`` either), ``a``, variables, and literals (the four
string forms with the standard escapes, ``@lang``, ``^^datatype``, unsigned or negative
numbers, ``true``/``false``). Comments are skipped.

Refused on purpose, where SPARQL's own lexing could read the text differently than a
simple tokenizer does: any ``\\u``/``\\U`` (codepoint escapes apply to the whole query text
before parsing), backslash escapes in names, non-ASCII names, ``+`` before a number
(``<p>+1`` is the path ``<p>+`` followed by ``1``), directional language tags, and any
character outside the accepted tokens (paths, blank nodes, collections, expressions…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

__all__ = ["Node", "Pattern", "QueryShape", "Term", "read_query"]

Node = ox.NamedNode | str
"""A subject or predicate: an IRI, or a variable name (a ``str``, without ``?``/``$``)."""
Term = ox.NamedNode | ox.Literal | str
"""An object: an IRI, a literal or a variable name."""
Pattern = tuple[Node, Node, Term]

MAX_TEXT = 8192
"""Longer query texts are not read (cheap lookups are short; the work stays small)."""
MAX_PATTERNS = 16
"""At most this many triple patterns in the WHERE clause, and as many in a template."""

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_NUMBER_TYPES = {
    "integer": ox.NamedNode(_XSD + "integer"),
    "decimal": ox.NamedNode(_XSD + "decimal"),
    "double": ox.NamedNode(_XSD + "double"),
}
_BOOLEAN = ox.NamedNode(_XSD + "boolean")
_KEYWORDS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "LIMIT", "OFFSET"})

# One alternative per token kind, tried in order at each position (long strings before short
# ones, ``.5`` before ``.``); the last one takes any other character, which ends the reading.
# Comments end at CR or LF, as in pyoxigraph. Possessive quantifiers (``*+``, ``++``) keep
# failing attempts cheap.
_WS = r"(?:[ \t\r\n]|\#[^\r\n]*+)"
_PNAME_NS = r"(?:[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?:"
_IRIREF = r"""<(?P<iri>[^<>"{}|^`\\\x00-\x20]*+)>"""
_TOKEN = re.compile(
    r"""(?P<skip>[ \t\r\n]++|\#[^\r\n]*+)
    |[?$](?P<var>[A-Za-z0-9_]++)
    |(?P<pname>(?:[A-Za-z][A-Za-z0-9_.-]*+)?:
        (?:(?:[A-Za-z0-9_:]|%[0-9A-Fa-f]{2})
           (?:(?:[A-Za-z0-9_.:-]|%[0-9A-Fa-f]{2})*(?:[A-Za-z0-9_:-]|%[0-9A-Fa-f]{2}))?)?)
    |(?P<word>[A-Za-z]++)
    |""" + _IRIREF + r"""
    |(?P<string>\"\"\"(?:(?:"|"")?(?:[^"\\]|\\[tbnrf"'\\]))*\"\"\"
        |'''(?:(?:'|'')?(?:[^'\\]|\\[tbnrf"'\\]))*'''
        |"(?:[^"\\\n\r]|\\[tbnrf"'\\])*+"
        |'(?:[^'\\\n\r]|\\[tbnrf"'\\])*+')
    |(?P<double>-?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+)
    |(?P<decimal>-?[0-9]*\.[0-9]+)
    |(?P<integer>-?[0-9]+)
    |(?P<punct>\^\^|[{}.;,*])
    |@(?P<lang>[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    |(?P<other>[\s\S])""",
    re.X,
)
# The prologue (PREFIX declarations, blanks, comments) is read with one match and its
# prefixes are cached: clients send the same prologue again and again. Here a PREFIX must be
# followed by a blank or a comment; anything unusual is left to the token reader, which
# refuses it (PREFIX is no keyword there).
_PREFIX_DECL = r"(?i:PREFIX)" + _WS + r"++(?P<ns>" + _PNAME_NS + r")" + _WS + r"*+" + _IRIREF
_PROLOGUE = re.compile(r"(?:[ \t\r\n]++|\#[^\r\n]*+|" + _PREFIX_DECL + r")*+")
_PROLOGUE_ITEM = re.compile(r"[ \t\r\n]++|\#[^\r\n]*+|" + _PREFIX_DECL)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_ECHAR = re.compile(r"\\(.)")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
           "\\": "\\"}


@dataclass(frozen=True, slots=True)
class QueryShape:
    """What a query in the accepted subset asks for."""

    form: str
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``."""
    patterns: tuple[Pattern, ...]
    """The triple patterns of the WHERE clause (none for ``DESCRIBE``)."""
    projection: tuple[str, ...] | None = None
    """The selected variables; ``None`` for ``SELECT *`` and the other forms."""
    template: tuple[Pattern, ...] = ()
    """The ``CONSTRUCT`` template."""
    limit: int | None = None
    offset: int = 0
    described: ox.NamedNode | None = None
    """The IRI of ``DESCRIBE <iri>``."""


class _Refused(Exception):
    """The text is outside the accepted subset (or no valid query)."""


def read_query(text: str) -> QueryShape | None:
    """The shape of ``text`` if it is a query of the accepted subset, else ``None``.

    Never raises.

    >>> read_query("ASK { <http://e/s> a ?type }").patterns[0][2]
    'type'
    >>> read_query("SELECT * { ?s <http://e/p>+ ?o }") is None
    True
    """
    if len(text) > MAX_TEXT or "\\u" in text or "\\U" in text:
        return None
    prologue = _PROLOGUE.match(text)
    assert prologue is not None  # the pattern matches the empty string
    prefixes = _prefixes(prologue.group())
    if prefixes is None:
        return None
    try:
        return _Reader(text, prologue.end(), prefixes).query()
    except (_Refused, ValueError):  # ValueError: pyoxigraph refused an IRI or literal
        return None


@lru_cache(maxsize=64)
def _prefixes(prologue: str) -> dict[str, str] | None:
    """The prefixes a prologue declares (the last declaration wins, as in SPARQL)."""
    prefixes: dict[str, str] = {}
    for item in _PROLOGUE_ITEM.finditer(prologue):
        namespace = item.group("iri")
        if namespace is not None:
            if not _SCHEME.match(namespace):
                return None  # relative: resolved against a base, which is not mirrored
            prefixes[item.group("ns")[:-1]] = namespace
    return prefixes


class _Reader:
    """Recursive descent over the tokens (kind, text) that follow the prologue."""

    __slots__ = ("position", "prefixes", "tokens")

    def __init__(self, text: str, start: int, prefixes: dict[str, str]) -> None:
        tokens: list[tuple[str, str]] = []
        append = tokens.append
        for match in _TOKEN.finditer(text, start):
            kind = match.lastgroup
            if kind == "skip":
                continue
            if kind == "other" or kind is None:
                raise _Refused
            value = match.group(kind)
            if kind == "word":
                upper = value.upper()
                if upper in _KEYWORDS:
                    value = upper
            append((kind, value))
        append(("end", ""))
        self.tokens = tokens
        self.position = 0
        self.prefixes = prefixes  # shared with the cache of _prefixes: read only

    # -- token access ------------------------------------------------------------------------
    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        if token[0] != "end":
            self.position += 1
        return token

    def accept(self, kind: str, value: str) -> bool:
        if self.tokens[self.position] == (kind, value):
            self.position += 1
            return True
        return False

    def expect(self, kind: str, value: str) -> None:
        if not self.accept(kind, value):
            raise _Refused

    # -- query -------------------------------------------------------------------------------
    def query(self) -> QueryShape:
        kind, form = self.take()
        if kind != "word":
            raise _Refused
        if form == "DESCRIBE":
            described = self.iri(self.take())
            self.expect("end", "")
            return QueryShape("DESCRIBE", (), described=described)
        projection: tuple[str, ...] | None = None
        template: tuple[Pattern, ...] = ()
        if form == "SELECT":
            if not self.accept("punct", "*"):
                names: list[str] = []
                while self.peek()[0] == "var":
                    names.append(self.take()[1])
                if not names or len(set(names)) != len(names):
                    raise _Refused  # pyoxigraph refuses duplicates too
                projection = tuple(names)
            self.accept("word", "WHERE")
            patterns = self.group()
        elif form == "ASK":
            self.accept("word", "WHERE")
            patterns = self.group()
        elif form == "CONSTRUCT":
            if self.accept("word", "WHERE"):
                patterns = template = self.group()
            else:
                template = self.group()
                self.accept("word", "WHERE")
                patterns = self.group()
        else:
            raise _Refused
        limit, offset = self.modifiers()
        self.expect("end", "")
        return QueryShape(form, patterns, projection, template, limit, offset)

    def modifiers(self) -> tuple[int | None, int]:
        limit: int | None = None
        offset: int | None = None
        for _ in range(2):
            if limit is None and self.accept("word", "LIMIT"):
                limit = self.count()
            elif offset is None and self.accept("word", "OFFSET"):
                offset = self.count()
        return limit, offset or 0

    def count(self) -> int:
        kind, value = self.take()
        if kind != "integer" or value.startswith("-"):
            raise _Refused
        return int(value)

    # -- triples -----------------------------------------------------------------------------
    def group(self) -> tuple[Pattern, ...]:
        """``{ triples? }`` where triples are separated by ``.`` (one trailing ``.`` allowed)."""
        self.expect("punct", "{")
        patterns: list[Pattern] = []
        while not self.accept("punct", "}"):
            subject = self.subject()
            self.property_list(subject, patterns)
            if len(patterns) > MAX_PATTERNS:
                raise _Refused
            if not self.accept("punct", "."):
                self.expect("punct", "}")
                break
        return tuple(patterns)

    def property_list(self, subject: Node, patterns: list[Pattern]) -> None:
        """``verb objects (; (verb objects)?)*``: empty ``;`` items are allowed, as in SPARQL."""
        while True:
            predicate = self.verb()
            patterns.append((subject, predicate, self.object()))
            while self.accept("punct", ","):
                patterns.append((subject, predicate, self.object()))
            if not self.accept("punct", ";"):
                return
            while self.accept("punct", ";"):
                pass
            if self.peek() in (("punct", "."), ("punct", "}")):
                return

    def subject(self) -> Node:
        token = self.take()
        return token[1] if token[0] == "var" else self.iri(token)

    def verb(self) -> Node:
        token = self.take()
        if token == ("word", "a"):
            return _RDF_TYPE
        return token[1] if token[0] == "var" else self.iri(token)

    def object(self) -> Term:
        token = self.take()
        kind, value = token
        if kind == "var":
            return value
        if kind == "string":
            text = value[3:-3] if value[:3] in ('"""', "'''") else value[1:-1]
            if "\\" in text:
                text = _ECHAR.sub(lambda match: _ECHARS[match.group(1)], text)
            if self.peek()[0] == "lang":
                return ox.Literal(text, language=self.take()[1])
            if self.accept("punct", "^^"):
                return ox.Literal(text, datatype=self.iri(self.take()))
            return ox.Literal(text)
        if kind in _NUMBER_TYPES:
            return ox.Literal(value, datatype=_NUMBER_TYPES[kind])
        if kind == "word" and value in ("true", "false"):  # lower case only, as in pyoxigraph
            return ox.Literal(value, datatype=_BOOLEAN)
        return self.iri(token)

    # -- names -------------------------------------------------------------------------------
    def iri(self, token: tuple[str, str]) -> ox.NamedNode:
        kind, value = token
        if kind == "iri":
            return ox.NamedNode(self.absolute(value))
        if kind == "pname":
            prefix, _, local = value.partition(":")
            namespace = self.prefixes.get(prefix)
            if namespace is None:
                raise _Refused  # undeclared: pyoxigraph would report a syntax error
            return ox.NamedNode(namespace + local)  # %XX stays as written, as in SPARQL
        raise _Refused

    @staticmethod
    def absolute(iri: str) -> str:
        """Relative IRIs (resolved against a base) are refused: no resolution to mirror."""
        if not _SCHEME.match(iri):
            raise _Refused
        return iri
