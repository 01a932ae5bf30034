"""The one SPARQL lexer of the platform, and what is read with it before a query runs.

The tokens follow the lexical grammar of SPARQL 1.1 (§19.8): strings, IRIs, comments,
variables and prefixed names are skipped as the parser skips them, so a keyword inside a
literal, an IRI or a comment is never mistaken for one. Two readers use it:

- :func:`query_form`: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (the first keyword
  after the prologue), which decides the offered formats (and :func:`parser_error`, the
  SPARQL parser's own message, where a remote store's refusal names no position);
- the SERVICE policy (SSRF). pyoxigraph fetches any endpoint a query names in ``SERVICE``
  (internal addresses included) and offers no switch to turn that off, so every client query
  is scanned before it runs: no spelling of the keyword (any case, comments or escapes around
  it) slips through, and where the scan is unsure it refuses (a variable endpoint, an
  unresolvable name, an endpoint not on the allow-list).

The in-process reader of provably cheap queries
(:mod:`smartregion.store.bounded_query_syntax`) is deliberately stricter: it accepts a small
unambiguous subset with its own token table and gives up on anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox

__all__ = ["ServiceRefused", "check_services", "dataset_clauses", "parser_error", "query_form",
           "service_targets", "tokens"]


class ServiceRefused(ValueError):
    """A query names a SERVICE endpoint that the endpoint will not call."""


# -- SERVICE ---------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<comment>\#[^\r\n]*)
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
               |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'
               |"(?:[^"\\\n\r]|\\.)*")
    |(?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
    |(?P<name>(?:[\w\-.:%\u00B7\u0300-\u036F\u203F-\u2040]|\\.)+)
    |(?P<other>.)""",
    re.X | re.S,
)
_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape_codepoints(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = int(match.group(1) or match.group(2), 16)
        return chr(value) if value <= 0x10FFFF else match.group(0)

    return _CODEPOINT_ESCAPE.sub(replace, text)


def tokens(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` of each token but blanks and comments; kinds: ``iri``, ``string``,
    ``var``, ``name`` (keywords, prefixed names, numbers) and ``other`` (one character)."""
    for match in _TOKEN.finditer(text):
        if match.lastgroup not in ("ws", "comment"):
            yield match.lastgroup or "other", match.group()


_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (``None`` if the text is no query).

    >>> query_form("PREFIX ex: <http://ex/#> # comment\\nconstruct { ?s ?p ?o } WHERE {}")
    'CONSTRUCT'
    >>> query_form("BASE <http://e/> ASK {}")
    'ASK'
    >>> query_form("INSERT DATA {}") is None
    True
    """
    expect = ""  # what the prologue needs next
    for kind, value in tokens(text):
        if expect == "prefix-name":
            if kind != "name" or not value.endswith(":"):
                return None
            expect = "iri"
        elif expect == "iri":
            if kind != "iri":
                return None
            expect = ""
        elif kind == "name" and value.upper() in ("PREFIX", "BASE"):
            expect = "prefix-name" if value.upper() == "PREFIX" else "iri"
        else:
            return value.upper() if kind == "name" and value.upper() in _FORMS else None
    return None


def parser_error(text: str) -> str | None:
    """Oxigraph's SPARQL 1.1 parser message for ``text`` ("error at LINE:COLUMN: …", as the
    embedded store and the Oxigraph server report it), or ``None`` when it parses.

    For the remote backend, whose store may refuse a query without a position (Virtuoso).
    Only SELECT, CONSTRUCT and DESCRIBE are parsed this way: pyoxigraph evaluates those lazily,
    so nothing runs; an ASK would be evaluated at once.

    >>> parser_error("SELEKT * WHERE {}")[:11]
    'error at 1:'
    >>> parser_error("SELECT * WHERE {}") is None
    True
    """
    if query_form(text) == "ASK":
        return None
    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        return str(exc)
    return None


def _scan(text: str) -> list[str | None]:
    found = list(tokens(text))
    base: str | None = None
    prefixes: dict[str, str] = {}
    targets: list[str | None] = []

    def resolve(kind: str, value: str) -> str | None:
        if kind == "iri":
            iri = value[1:-1]
            if not urlsplit(iri).scheme:
                return urljoin(base, iri) if base else None
            return iri
        if kind == "name" and ":" in value:
            prefix, _, local = value.partition(":")
            namespace = prefixes.get(prefix)
            return namespace + re.sub(r"\\(.)", r"\1", local) if namespace else None
        return None

    for index, (kind, value) in enumerate(found):
        following = found[index + 1 : index + 4]
        if kind != "name":
            continue
        keyword = value.casefold()
        if keyword == "base" and following and following[0][0] == "iri":
            base = resolve(*following[0]) or base
        elif (keyword == "prefix" and len(following) >= 2 and following[0][0] == "name"
              and following[0][1].endswith(":") and following[1][0] == "iri"):
            prefixes[following[0][1][:-1]] = resolve(*following[1]) or ""
        elif keyword == "service":
            rest = following
            if rest and rest[0][0] == "name" and rest[0][1].casefold() == "silent":
                rest = rest[1:]
            if not rest or rest[0][0] == "var":
                targets.append(None)
            else:
                targets.append(resolve(*rest[0]) or f"unresolvable {rest[0][1]}")
    return targets


def service_targets(text: str) -> list[str | None]:
    """The endpoints that the query's ``SERVICE`` clauses name, in order.

    ``None`` stands for a variable endpoint; a name that cannot be resolved is returned as
    ``"unresolvable <token>"`` (never on any allow-list). Codepoint escapes (``\\u0053``) are
    considered both unprocessed and processed, so neither reading hides a SERVICE.

    >>> service_targets('PREFIX e: <http://e.org/> SELECT * { SERVICE SILENT e:sparql {} }')
    ['http://e.org/sparql']
    >>> service_targets('SELECT * { ?s <http://x/SERVICE> "SERVICE <http://a/>" } # SERVICE')
    []
    """
    if "service" not in text.casefold() and "\\u" not in text.casefold():
        return []  # the keyword cannot be there: skip the scan (the common case)
    targets = _scan(text)
    unescaped = _unescape_codepoints(text)
    if unescaped != text:
        targets += [t for t in _scan(unescaped) if t not in targets]
    return targets


def check_services(text: str, allowlist: Sequence[str]) -> bool:
    """Refuse the query unless every SERVICE it names is on ``allowlist``.

    Returns whether the query calls any (allowed) SERVICE. Raises :class:`ServiceRefused`
    with a message naming the refused endpoint.
    """
    targets = service_targets(text)
    for target in targets:
        if target is None:
            raise ServiceRefused(
                "SERVICE with a variable endpoint is not allowed: name the endpoint's IRI."
            )
        if target not in allowlist:
            allowed = (
                "This endpoint calls no other endpoints."
                if not allowlist
                else "Allowed endpoints: " + ", ".join(allowlist) + "."
            )
            raise ServiceRefused(
                f"SERVICE <{target}> is refused: the endpoint never fetches a URL a query "
                f"names unless the operator allowed it. {allowed}"
            )
    return bool(targets)


def dataset_clauses(text: str) -> tuple[bool, bool]:
    """Whether the query names its default graph (``FROM``) and its named graphs
    (``FROM NAMED``) itself.

    >>> dataset_clauses("SELECT * FROM <http://e/a> FROM NAMED <http://e/b> {}")
    (True, True)
    >>> dataset_clauses("SELECT * { ?s <http://e/from> 'FROM' }")
    (False, False)
    """
    default = named = False
    found = list(tokens(text))
    for i, (kind, value) in enumerate(found):
        if kind == "name" and value.upper() == "FROM":
            after = found[i + 1] if i + 1 < len(found) else ("", "")
            if after[0] == "name" and after[1].upper() == "NAMED":
                named = True
            else:
                default = True
    return default, named
