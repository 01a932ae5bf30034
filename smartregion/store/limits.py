"""What a public query may do: the SERVICE policy and exact row counting of native results.

SERVICE (SSRF). pyoxigraph fetches any endpoint a query names in ``SERVICE`` (internal
addresses included), and offers no switch to turn that off, so every client query is scanned
before it runs. The scanner follows the lexical grammar of SPARQL 1.1 (§19.8): strings, IRIs,
comments, variables and prefixed names are skipped as the parser skips them, so ``SERVICE``
inside a literal, an IRI or a comment is not mistaken for the keyword and no spelling of the
keyword (any case, comments or escapes around it) slips through. Where it is unsure it
refuses: a variable endpoint, an unresolvable name, an endpoint not on the allow-list.

Result rows. pyoxigraph serializes results natively in chunks; the counters below count rows
in those chunks exactly, without parsing them into Python objects, so the result-size limit
costs a few C-level scans per 8 KiB chunk. Each counter relies on a property of the format
that literal content cannot fake (JSON strings never hold a raw quote, XML text never holds a
raw ``<``, TSV escapes line breaks, CSV quotes any field holding one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

__all__ = [
    "RowCounter",
    "ServiceRefused",
    "check_services",
    "query_form",
    "row_counter",
    "service_targets",
]


class ServiceRefused(ValueError):
    """A query names a SERVICE endpoint that the endpoint will not call."""


# -- query form ------------------------------------------------------------------------------
_PROLOGUE_FORM = re.compile(
    r"""(?:\s+|\#[^\n]*(?:\n|$)
        |(?i:PREFIX)\s*[^\s:]*:\s*<[^<>\s]*>
        |(?i:BASE)\s*<[^<>\s]*>)*
        (?P<form>(?i:SELECT|ASK|CONSTRUCT|DESCRIBE))(?![\w:])""",
    re.X,
)


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (``None`` if the text is no query).

    >>> query_form("PREFIX ex: <http://ex/#> # comment\\nconstruct { ?s ?p ?o } WHERE {}")
    'CONSTRUCT'
    >>> query_form("INSERT DATA {}") is None
    True
    """
    match = _PROLOGUE_FORM.match(text)
    return match.group("form").upper() if match else None


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


def _tokens(text: str) -> list[tuple[str, str]]:
    return [
        (match.lastgroup or "other", match.group())
        for match in _TOKEN.finditer(text)
        if match.lastgroup not in ("ws", "comment")
    ]


def _scan(text: str) -> list[str | None]:
    tokens = _tokens(text)
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

    for index, (kind, value) in enumerate(tokens):
        following = tokens[index + 1 : index + 4]
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


# -- row counting ----------------------------------------------------------------------------
class RowCounter:
    """Counts result rows in successive chunks of one serialized result."""

    header_lines = 0

    def feed(self, chunk: bytes) -> int:
        """Rows completed or started in ``chunk`` (the header line included for CSV/TSV)."""
        raise NotImplementedError

    def rows(self, counted: int) -> int:
        """Rows of the result, given the sum of what :meth:`feed` returned."""
        return max(0, counted - self.header_lines)


class _JsonRows(RowCounter):
    """SPARQL JSON: with all strings removed, a row starts at ``[{`` or ``,{``."""

    _string = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # unrolled: 2x faster

    def __init__(self) -> None:
        self._carry = b""
        self._last = b""

    def feed(self, chunk: bytes) -> int:
        stripped = self._string.sub(b"", self._carry + chunk)
        # What is left of a quote is a string that goes on in the next chunk.
        cut = stripped.find(b'"')
        self._carry, stripped = (stripped[cut:], stripped[:cut]) if cut >= 0 else (b"", stripped)
        scan = self._last + stripped
        if stripped:
            self._last = stripped[-1:]
        return scan.count(b"[{") + scan.count(b",{")


class _XmlRows(RowCounter):
    """SPARQL XML: a row is a ``<result>`` element; text and attributes never hold ``<``."""

    _tag = b"<result>"

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> int:
        data = self._tail + chunk
        self._tail = data[-(len(self._tag) - 1) :]
        return data.count(self._tag)


class _TsvRows(RowCounter):
    """SPARQL TSV: one line per row after the header; literals escape line breaks."""

    header_lines = 1

    def feed(self, chunk: bytes) -> int:
        return chunk.count(b"\n")


class _CsvRows(RowCounter):
    """SPARQL CSV (RFC 4180): line breaks outside quoted fields end rows."""

    header_lines = 1
    _quoted = re.compile(rb'"(?:[^"]|"")*"', re.S)

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, chunk: bytes) -> int:
        data = self._carry + chunk
        # Trailing quotes may be half of an escaped "" pair: decide on them next time.
        kept = len(data.rstrip(b'"'))
        data, held = data[:kept], data[kept:]
        stripped = self._quoted.sub(b"", data)
        cut = stripped.find(b'"')
        self._carry, stripped = (stripped[cut:], stripped[:cut]) if cut >= 0 else (b"", stripped)
        self._carry += held
        return stripped.count(b"\n")


def row_counter(results_format_name: str) -> RowCounter:
    """A fresh counter for a results format named as in :mod:`smartregion.formats`."""
    counters: dict[str, type[RowCounter]] = {
        "json": _JsonRows, "xml": _XmlRows, "csv": _CsvRows, "tsv": _TsvRows,
    }
    return counters[results_format_name]()
