"""Provably cheap queries, answered in the web process without the executor hop.

Client queries normally run in killable executor processes (:mod:`smartregion.store.executor`)
because a query running inside pyoxigraph cannot be interrupted. For lookups that hop costs
several times the query itself. :func:`run_bounded` answers a query in-process only when its
cost is bounded by small constants *whatever the data*, and otherwise returns ``None`` (the
caller then uses the executor, which is always correct). Its answer is byte for byte the
executor's: the same ``Store.query`` call and the same serialization
(:func:`~smartregion.store.executor_process.serialize_result`).

The accepted queries (read by :mod:`smartregion.store.bounded_query_syntax`) have one basic
graph pattern shaped as a *star*: every triple pattern has the same subject S, and every
variable other than S occurs once (so patterns are joined on S only, and nothing filters
solutions). In the bound below, W is ``max_work``, R = min(``row_limit``, W) the rows (or
triples) an answer may have, B is ``max_bytes`` and k ≤ 16 the number of patterns.

*Streaming shapes*: one triple pattern in ``SELECT``/``ASK`` (any subject), and ``DESCRIBE
<iri>``. The engine reads one index range lazily. As no variable repeats, every entry read
is a solution (the union default graph is not deduplicated: a triple held by two graphs is
two entries and two solutions), and every solution is one result row, except the first
OFFSET ≤ W. pyoxigraph hands serialized rows to the writer in chunks of at most 8 KiB, every
row at least one byte long, and the writer stops the evaluation (it raises) once there are
more than B bytes: at most OFFSET + B + 8192 entries are read. (Rows are counted afterwards,
and only when the answer has more than R bytes, so could have more than R rows.) ``ASK`` stops at
its first solution. ``DESCRIBE`` reads the triples of the IRI and of each blank node reached
from them (each node once) and emits every triple it reads; the serializer pulls them one
at a time and stops after R + 1. (The tests check these pyoxigraph behaviours.)

*Counted shapes*: everything else (several patterns; any ``CONSTRUCT``, which drops
duplicate triples, so its output does not bound its work). S must then be constant: written
as an IRI, or a variable with an *anchor* pattern (constant predicate and object) whose
entries (at most 64 are read) all have one subject s. Then s is substituted for S (SEP-0007,
``Store.query(..., substitutions=...)``): pyoxigraph plans the written query before
substituting, and binds S in every pattern it evaluates, so the answer is the written
query's, solutions in the same order, S still projected (pyoxigraph substitutes projected
variables only). If no entry matches the anchor, the query has no solutions; a placeholder
IRI is substituted (the anchor cannot match it either), so the engine still writes the empty
answer. Each pattern is now one index range with S bound; its entries c_i are counted
beforehand with ``quads_for_pattern(S, p, o, any graph)`` (exactly the union default graph;
the anchor's were counted by its scan), reading at most 256 entries in all (decoding them
for Python is slow), and the query runs only if Π max(c_i, 1) ≤ W. Whatever join order and
algorithm (hash, nested loop) the engine uses, its partial solutions then number at most W
per join and each range is read at most once per partial solution: at most 2kW steps.
``CONSTRUCT`` needs Π max(c_i, 1) · t ≤ W for its t ≤ 16 template triples: it builds at most
W of them.

So an accepted query does at most c·(k·W + B + 8192) engine steps for a small constant c,
plus at most 64 + 256 entries decoded for Python, whatever the data, and holds at most
B + 8 KiB of output plus O(W) of join state. The store must not change meanwhile (served
versions are read-only). Query texts are at most 8 KiB long; their plans are cached
(data-independent, 1024 texts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

import pyoxigraph as ox

from smartregion.formats import GraphFormat, ResultsFormat
from smartregion.store.bounded_query_syntax import QueryShape, read_query
from smartregion.store.executor_process import ResultWriter, serialize_result
from smartregion.store.limits import row_counter

__all__ = ["BoundedAnswer", "Bounds", "run_bounded"]

_ANCHOR_SCAN = 64
"""Anchor entries read to find the one subject (one per graph holding the anchor triple)."""
_COUNT_BUDGET = 256
"""Entries counted in Python per query: pyoxigraph decodes every quad it hands to Python
(about 5 µs each, measured on the 1M-triple benchmark store, 15 µs cold), some 20 times the
engine's cost per entry, so counting stays far below ``max_work``."""
_NO_SUBJECT = ox.NamedNode("urn:x-smartregion:bounded-query:no-subject")
"""Substituted when no subject has the anchor triple: the answer is empty either way."""

_Constant = ox.NamedNode | ox.Literal
_Substitutions = dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]


@dataclass(frozen=True)
class BoundedAnswer:
    """A complete answer computed in-process."""

    kind: str
    """``boolean``, ``solutions`` or ``graph`` (as the executor's ``QueryOutcome.kind``)."""
    body: bytes
    """The complete serialized result."""
    rows: int | None
    """Rows or triples; ``None`` when not counted (a small body: at most its size)."""


@dataclass(frozen=True)
class Bounds:
    """Hard limits of an in-process query; past any of them :func:`run_bounded` gives up."""

    max_bytes: int = 256 * 1024
    """Output larger than this is not answered in-process."""
    max_work: int = 20_000
    """Upper bound on index entries the engine may touch (and on rows or triples answered)."""
    row_limit: int = 100_000
    """The endpoint's result limit (``settings.result_limit``): larger results are left to
    the executor, which refuses them."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to bound one query text (data-independent, so cached per text)."""

    shape: QueryShape
    streaming: bool
    """One index range read lazily, or DESCRIBE: work bounded through the output."""
    subject: ox.NamedNode | str | None
    """The star's subject: a constant, a variable name, or ``None`` (no pattern)."""
    lookups: tuple[tuple[ox.NamedNode | None, _Constant | None], ...]
    """(predicate, object) of each pattern, ``None`` for a variable."""
    anchors: tuple[int, ...]
    """Patterns with a constant predicate and object (variable subject only)."""
    variable: ox.Variable | None
    """The subject variable to substitute (counted shapes with a variable subject)."""


class _TooLarge(Exception):
    """The answer has more bytes than allowed in-process."""


class _BufferWriter(ResultWriter):
    """Keeps the answer in memory; stops the evaluation past ``max_bytes``."""

    def __init__(self, limit: int, max_bytes: int) -> None:
        super().__init__(limit)
        self.buffer = bytearray()
        self.max_bytes = max_bytes

    def emit(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > self.max_bytes:
            raise _TooLarge


def run_bounded(
    store: ox.Store,
    text: str,
    *,
    results_format: ResultsFormat,
    graph_format: GraphFormat,
    prefixes: Mapping[str, str],
    bounds: Bounds,
) -> BoundedAnswer | None:
    """Answer ``text`` in-process when its cost is provably bounded; ``None`` otherwise.

    Never raises for bad queries: a syntax error or anything unexpected gives ``None``, and
    the executor path reports it. The query is evaluated like the executor does it without
    dataset parameters (``use_default_graph_as_union=True``, no default prefixes: names
    resolve through the query's own ``PREFIX`` declarations); ``prefixes`` abbreviate
    Turtle, TriG and JSON-LD output, as the executor's. ``store`` must not change meanwhile.
    """
    try:
        plan = _plan(text)
        if plan is None or plan.shape.offset > bounds.max_work:
            return None
        substitutions: _Substitutions | None = None
        if not plan.streaming:
            known = (-1, 0)  # (pattern, entries) already counted
            subject: ox.NamedNode | ox.BlankNode | None
            if plan.variable is not None:
                anchored = _anchored_subject(store, plan)
                if anchored is None:
                    return None
                subject, known = anchored[0], anchored[1:]
                substitutions = {plan.variable: subject}
            else:
                assert not isinstance(plan.subject, str)
                subject = plan.subject
            # Each solution instantiates the whole CONSTRUCT template.
            solutions = bounds.max_work // max(len(plan.shape.template), 1)
            if not _counted_within(store, subject, plan.lookups, solutions, known):
                return None
        result = store.query(text, use_default_graph_as_union=True, substitutions=substitutions)
        most = min(bounds.row_limit, bounds.max_work)
        writer = _BufferWriter(most, bounds.max_bytes)
        # Solutions are counted only when their bytes could hold more than ``most`` rows
        # (every row takes at least one byte): counting costs as much as the lookup.
        kind, rows = serialize_result(result, writer, results_format, graph_format, prefixes,
                                      count_rows=False)
        if rows is None and len(writer.buffer) > most:
            counter = row_counter(results_format.name)
            rows = counter.rows(counter.feed(bytes(writer.buffer)))
            if rows > most:
                return None
    except Exception:  # any failure means "not here": the executor path decides and reports
        return None
    except BaseException as exc:
        # A Rust panic reaches Python as pyo3's PanicException, a BaseException: it must not
        # take the web worker's event loop down; the executor (a process) may crash instead.
        if type(exc).__name__ == "PanicException":
            return None
        raise
    return BoundedAnswer(kind, bytes(writer.buffer), rows)


@lru_cache(maxsize=1024)
def _plan(text: str) -> _Plan | None:
    """The plan for ``text``, or ``None`` if its shape is not one whose cost is bounded."""
    shape = read_query(text)
    if shape is None:
        return None
    if shape.form == "DESCRIBE":
        return _Plan(shape, True, None, (), (), None)
    patterns = shape.patterns
    subjects = {pattern[0] for pattern in patterns}
    if len(subjects) > 1:
        return None  # not a star: a join on some other variable, or a cartesian product
    subject = next(iter(subjects), None)
    seen: set[str] = set()
    for _, predicate, obj in patterns:
        for slot in (predicate, obj):
            if isinstance(slot, str):
                if slot == subject or slot in seen:
                    return None  # a repeated variable: a hidden join or filter
                seen.add(slot)
    lookups = tuple(
        (None if isinstance(predicate, str) else predicate, None if isinstance(obj, str) else obj)
        for _, predicate, obj in patterns
    )
    streaming = len(patterns) == 1 and shape.form in ("SELECT", "ASK")
    if streaming or not isinstance(subject, str):
        return _Plan(shape, streaming, subject, lookups, (), None)
    if shape.projection is not None and subject not in shape.projection:
        return None  # pyoxigraph substitutes projected variables only
    anchors = tuple(
        index for index, (predicate, obj) in enumerate(lookups)
        if predicate is not None and obj is not None
    )
    if not anchors:
        return None
    return _Plan(shape, False, subject, lookups, anchors, ox.Variable(subject))


def _anchored_subject(
    store: ox.Store, plan: _Plan
) -> tuple[ox.NamedNode | ox.BlankNode, int, int] | None:
    """(subject, anchor pattern, its entries) if an anchor pattern has one subject, else ``None``.

    A subject without any anchor triple is :data:`_NO_SUBJECT` (0 entries).
    """
    for index in plan.anchors:
        predicate, obj = plan.lookups[index]
        found: object = None
        seen = 0
        for seen, quad in enumerate(store.quads_for_pattern(None, predicate, obj, None), 1):
            if seen > _ANCHOR_SCAN or (found is not None and quad.subject != found):
                break  # several subjects (or too many graphs): try the next anchor
            found = quad.subject
        else:
            if found is None:
                return _NO_SUBJECT, index, 0
            if isinstance(found, ox.NamedNode | ox.BlankNode):
                return found, index, seen
    return None


def _counted_within(
    store: ox.Store,
    subject: ox.NamedNode | ox.BlankNode | None,
    lookups: tuple[tuple[ox.NamedNode | None, _Constant | None], ...],
    max_work: int,
    known: tuple[int, int],
) -> bool:
    """Whether Π max(c_i, 1) ≤ ``max_work`` for the entries c_i of each pattern with ``subject``.

    ``known`` is (pattern, entries) of a pattern counted already (the anchor), or (-1, 0).
    Counting stops as soon as the product is known to be too large or more than
    :data:`_COUNT_BUDGET` entries would be read.
    """
    if subject is None:
        return not lookups  # no pattern, one empty solution; never count whole indexes
    known_index, known_entries = known
    product = max(known_entries, 1)
    budget = _COUNT_BUDGET
    for index, (predicate, obj) in enumerate(lookups):
        if index == known_index:
            continue
        cap = min(max_work // product, budget)
        entries = store.quads_for_pattern(subject, predicate, obj, None)
        count = sum(1 for _ in islice(entries, cap + 1))
        if count > cap:
            return False
        budget -= count
        product *= max(count, 1)
    return product <= max_work
