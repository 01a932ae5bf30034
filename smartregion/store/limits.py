"""Exact row counting of native query results (the result-size limit).

pyoxigraph serializes results natively in chunks; the counters below count rows in those
chunks exactly, without parsing them into Python objects, so the result-size limit costs a
few C-level scans per 8 KiB chunk. Each counter relies on a property of the format that
literal content cannot fake (JSON strings never hold a raw quote, XML text never holds a raw
``<``, TSV escapes line breaks, CSV quotes any field holding one).

The SPARQL lexer (query form, SERVICE policy) is :mod:`smartregion.store.sparql_lexer`.
"""

from __future__ import annotations

import re

__all__ = ["RowCounter", "row_counter"]


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
