"""Running a saved query for a request: parameters checked and bound, one page fetched, the
result written as JSON, CSV or JSON-LD (SELECT) or JSON-LD/Turtle (CONSTRUCT)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Identifier

from endpoint.bound_values import safe_iri, values_rows
from endpoint.queries import paged
from endpoint.saved_queries.declarations import Parameter, SavedQuery
from smartregion.store.backend import Row, StoreBackend

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
PUBLIC_BASE = "https://data.smarte-region-hessen.de/"  # the base the query files are written for
_NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long,
            XSD.nonNegativeInteger, XSD.positiveInteger}


class BadParameter(ValueError):
    """A request value breaks its declaration (the message names parameter and rule)."""


def _check(parameter: Parameter, raw: str, base: str, *, default: bool = False) -> Identifier:
    if default and parameter.type == "key" and raw.startswith("urn:"):
        return URIRef(raw)  # the declared "no filter" value
    if len(raw) > parameter.max_length:
        raise BadParameter(f"{parameter.name}: longer than {parameter.max_length} characters")
    if parameter.pattern and not re.fullmatch(parameter.pattern, raw):
        raise BadParameter(f"{parameter.name}: {raw[:60]!r} does not match {parameter.pattern}")
    kind = parameter.type
    if kind == "string":
        return Literal(raw)
    if kind in ("integer", "decimal"):
        try:
            number = Decimal(raw)
        except InvalidOperation as exc:
            raise BadParameter(f"{parameter.name}: {raw[:60]!r} is not a number") from exc
        if kind == "integer" and number != number.to_integral_value():
            raise BadParameter(f"{parameter.name}: {raw!r} is not a whole number")
        if (parameter.minimum is not None and number < Decimal(str(parameter.minimum))) or \
                (parameter.maximum is not None and number > Decimal(str(parameter.maximum))):
            raise BadParameter(f"{parameter.name}: {raw} is outside "
                               f"[{parameter.minimum}, {parameter.maximum}]")
        return Literal(int(number)) if kind == "integer" else Literal(number)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise BadParameter(f"{parameter.name}: must be true or false")
        return Literal(raw == "true")
    if kind == "date":
        try:
            return Literal(date.fromisoformat(raw).isoformat(), datatype=XSD.date)
        except ValueError as exc:
            raise BadParameter(f"{parameter.name}: {raw!r} is not a date (YYYY-MM-DD)") from exc
    text = raw if kind == "iri" else (parameter.template or "").replace(
        "{base}", base).replace("{key}", raw)
    iri = safe_iri(text)
    if iri is None or ":" not in text:
        raise BadParameter(f"{parameter.name}: {raw[:60]!r} does not make a usable IRI")
    return iri


def bind_parameters(query: SavedQuery, args: Mapping[str, str], base: str
                    ) -> dict[str, Identifier]:
    """Variable → bound term for every declared parameter (request value or default)."""
    bindings: dict[str, Identifier] = {}
    for parameter in query.parameters:
        raw = args.get(parameter.name)
        if raw is None or raw == "":
            if parameter.default is None:
                raise BadParameter(f"{parameter.name}: required")
            bindings[parameter.variable] = _check(parameter, parameter.default, base,
                                                  default=True)
        else:
            bindings[parameter.variable] = _check(parameter, raw, base)
    return bindings


def query_text(query: SavedQuery, bindings: Mapping[str, Identifier], limit: int,
               offset: int, base: str = PUBLIC_BASE) -> tuple[str, dict[str, Identifier] | None]:
    """The text to run (with ``#PARAMS`` bound) and the bindings left for ``#VALUES``.

    Things and graphs the files name under the public base are served under ``base`` (as
    the SPARQL page's examples are)."""
    text, left = query.text, dict(bindings) or None
    for kind in ("id/", "graph/"):
        text = text.replace(PUBLIC_BASE + kind, base + kind)
    if query.marker == "#PARAMS":
        line = next(line for line in text.splitlines() if line.rstrip().endswith("#PARAMS"))
        names = list(bindings)
        text = text.replace(line, values_rows(names, [[bindings[n] for n in names]]), 1)
        left = None
    if "#PAGE" in text:
        return paged(text, limit + 1, offset), left
    return f"{text.rstrip()}\nLIMIT {int(limit) + 1} OFFSET {int(offset)}\n", left


@cache
def projection(query: SavedQuery) -> list[str]:
    """The variables a SELECT query projects, in order (for CSV columns)."""
    text = re.sub(r"(?m)^.*#PARAMS\s*$", "", query.text).replace("#VALUES", "")
    text = text.replace("#PAGE", "")
    variables = prepareQuery(text).algebra.get("PV") or []
    return [str(v) for v in variables]


@dataclass
class Page:
    """One page of a result: rows (SELECT) or a graph (CONSTRUCT), and whether more follow."""

    rows: list[Row] | None
    graph: Graph | None
    more: bool


def run(backend: StoreBackend, query: SavedQuery, bindings: Mapping[str, Identifier],
        limit: int, offset: int, base: str = PUBLIC_BASE) -> Page:
    """Fetch one page (one row more than asked, to know whether another page follows)."""
    text, left = query_text(query, bindings, limit, offset, base)
    if query.kind == "construct":
        graph = backend.construct(text, left)
        return Page(None, graph, False)
    rows = backend.select(text, left)
    return Page(rows[:limit], None, len(rows) > limit)


def _json_value(term: Identifier) -> Any:
    if isinstance(term, Literal) and term.datatype in _NUMERIC:
        number = Decimal(str(term))
        return int(number) if number == number.to_integral_value() else float(number)
    if isinstance(term, Literal) and term.datatype == XSD.boolean:
        return str(term) in ("true", "1")
    return str(term)


def as_json(query: SavedQuery, page: Page, links: dict[str, str]) -> str:
    """``{"results": [{variable: value}], "links": …}``: IRIs and strings as JSON strings,
    numbers and booleans as JSON values."""
    rows = [{k: _json_value(v) for k, v in row.items()} for row in page.rows or []]
    return json.dumps({"api": query.name, "results": rows, "links": links}, ensure_ascii=False)


def as_csv(query: SavedQuery, page: Page) -> str:
    """RFC 4180 CSV with one column per projected variable."""
    columns = projection(query)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in page.rows or []:
        writer.writerow([str(row[c]) if c in row else "" for c in columns])
    return out.getvalue()


def as_jsonld(query: SavedQuery, page: Page, api_url: str) -> str:
    """JSON-LD: for SELECT each row is a node whose keys are terms under ``{api_url}#``;
    IRIs stay IRIs and literals keep their datatype and language."""
    if page.graph is not None:
        return str(page.graph.serialize(format="json-ld"))
    nodes = []
    for row in page.rows or []:
        node: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, URIRef):
                node[key] = {"@id": str(value)}
            elif isinstance(value, Literal) and value.language:
                node[key] = {"@value": str(value), "@language": value.language}
            elif isinstance(value, Literal) and value.datatype and value.datatype != XSD.string:
                node[key] = {"@value": str(value), "@type": str(value.datatype)}
            else:
                node[key] = str(value)
        nodes.append(node)
    return json.dumps({"@context": {"@vocab": api_url + "#"}, "@graph": nodes},
                      ensure_ascii=False)
