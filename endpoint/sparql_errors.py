"""What a failed query tells its client: the HTTP problem for each store error.

A syntax error names the line and column; an undefined prefix (the most common mistake of
people who paste a query from elsewhere) is named with its position and, when it is one of the
platform's prefixes, the ``PREFIX`` line to add, instead of the parser's list of expected
characters.
"""

from __future__ import annotations

import re

from endpoint.errors import Problem
from endpoint.observability import QUERIES_STOPPED
from smartregion.namespaces import PREFIXES
from smartregion.store.backend import QueryLimitError, QuerySyntaxError, StoreError
from smartregion.store.executor import (
    ClientOverLimit,
    ExecutorsBusy,
    QueryStopped,
    ResultTooLarge,
)
from smartregion.store.sparql_lexer import ServiceRefused

SYNTAX_POSITION = re.compile(r"(?:error at )?(\d+):(\d+)(?:-\d+:\d+)?:\s*(.*)", re.S)
# A prefixed name ending where the parser stopped: PN_PREFIX ':' PN_LOCAL (approximately).
_PREFIXED_NAME = re.compile(r"([A-Za-z\u00C0-\uFFFD][\w.\u00B7-]*)?:[\w.:%\\\u00B7-]*$")


def undefined_prefix(query: str, line: int, column: int) -> tuple[str, str, int] | None:
    """``(prefix, prefixed name, column where it starts)`` of the prefixed name that ends
    at ``line``:``column`` (1-based, where the parser reported "Prefix not found").

    >>> undefined_prefix("SELECT * WHERE { ?s srh:name ?o }", 1, 29)
    ('srh', 'srh:name', 21)
    """
    lines = query.splitlines()
    if not 1 <= line <= len(lines):
        return None
    before = lines[line - 1][:max(0, column - 1)]
    match = _PREFIXED_NAME.search(before)
    if match is None:
        return None
    return match.group(1) or "", match.group(0), match.start() + 1


def syntax_problem(exc: QuerySyntaxError, query: str) -> Problem:
    """400 naming where the query is wrong (and which prefix is undefined, if that is it)."""
    match = SYNTAX_POSITION.match(str(exc))
    if not match:
        return Problem(400, "SPARQL syntax error", f"Syntax error: {exc}")
    line, column, what = int(match.group(1)), int(match.group(2)), match.group(3).strip()
    found = undefined_prefix(query, line, column) if "Prefix not found" in what else None
    if found is None:
        return Problem(400, "SPARQL syntax error",
                       f"Syntax error at line {line}, column {column}: {what}",
                       line=line, column=column)
    prefix, name, start = found
    detail = (f"Undefined prefix '{prefix}:' at line {line}, column {start} ({name}): the "
              "query has no PREFIX line for it.")
    if prefix not in PREFIXES:
        return Problem(400, "SPARQL syntax error", detail, line=line, column=start,
                       prefix=prefix)
    declaration = f"PREFIX {prefix}: <{PREFIXES[prefix]}>"
    return Problem(400, "SPARQL syntax error", f"{detail} Add at the top: {declaration}",
                   line=line, column=start, prefix=prefix, suggestion=declaration)


def query_problem(exc: Exception, query: str) -> Exception:
    """The HTTP problem for an exception from a query (others are returned unchanged);
    limits that stopped or refused a query are counted for the metrics."""
    if isinstance(exc, QueryLimitError):
        QUERIES_STOPPED.labels(exc.limit).inc()
    if isinstance(exc, QuerySyntaxError):
        return syntax_problem(exc, query)
    if isinstance(exc, ServiceRefused):
        return Problem(400, "SERVICE refused", str(exc))
    if isinstance(exc, ResultTooLarge):
        return Problem(422, "Result too large", str(exc), limit="result-size",
                       result_limit=exc.limit_rows)
    if isinstance(exc, ClientOverLimit):
        return Problem(429, "Too Many Requests", str(exc), limit=exc.limit,
                       headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, QueryStopped) and exc.limit == "crash":
        return Problem(500, "Query executor failed", str(exc), limit=exc.limit)
    if isinstance(exc, QueryStopped | ExecutorsBusy):
        return Problem(503, "Query stopped" if isinstance(exc, QueryStopped) else
                       "Service busy", str(exc), limit=exc.limit,
                       headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, QueryLimitError):
        return Problem(503, "Query stopped", str(exc), limit=exc.limit,
                       headers={"Retry-After": "5"})
    if isinstance(exc, StoreError):
        return Problem(500, "Query failed", str(exc))
    return exc
