"""Relaying a remote store's query answer under the endpoint's deadline and result cap.

The answer is parsed by pyoxigraph *while it arrives* and its rows or triples are counted; one
past the cap stops reading (the connection is dropped, the rest is never transferred) and
raises :class:`~smartregion.store.executor.ResultTooLarge` before a byte reaches the client, so
a capped result is never passed off as complete (the same error as on the embedded store).
The bytes read are kept in a spooled temporary file: relayed unchanged when the client asked
for the format the store sent, re-serialized natively by pyoxigraph otherwise.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

import pyoxigraph as ox
import requests

from smartregion.formats import GraphFormat, ResultsFormat, graph_format, results_format
from smartregion.store.backend import QueryResult, StoreError
from smartregion.store.executor import QueryStopped, ResultTooLarge
from smartregion.store.remote_http import CHUNK_BYTES, DeadlinePassed, StreamReader, media_type

SPOOL_MEMORY = 8 << 20  # bytes of an answer kept in memory before the spool goes to disk


def relay(
    response: requests.Response,
    results: ResultsFormat,
    graph: GraphFormat,
    *,
    deadline_at: float,
    budget: float,
    limit: int,
) -> QueryResult:
    """The store's answer as a :class:`QueryResult` in the client's format, or a limit error."""
    mime = media_type(response)
    source_r, source_g = results_format(mime), graph_format(mime)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115
    raw = StreamReader(response, spool, deadline_at)
    reader = io.BufferedReader(raw, CHUNK_BYTES)
    try:
        if source_r is not None:
            parsed = ox.parse_query_results(reader, format=source_r.oxigraph)
            kind = "boolean" if isinstance(parsed, ox.QueryBoolean) else "solutions"
            if isinstance(parsed, ox.QuerySolutions):
                _count(parsed, limit)
        elif source_g is not None and not source_g.quads:
            kind = "graph"
            _count(ox.parse(reader, format=source_g.oxigraph), limit)
        else:
            raise StoreError(f"unexpected result type {mime!r} from the store")
        raw.drain()
    except DeadlinePassed:
        spool.close()
        raise deadline_error(budget) from None
    except SyntaxError as exc:
        spool.close()
        raise StoreError(f"the store's answer does not parse as {mime}: {exc}") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    if kind == "graph":
        assert source_g is not None
        if source_g == graph:
            return _spooled(kind, graph.media_type, spool)
        with spool:
            triples = (q.triple for q in ox.parse(spool, format=source_g.oxigraph))
            body = ox.serialize(triples, format=graph.oxigraph) or b""
        return QueryResult.of_bytes(kind, graph.media_type, body)
    assert source_r is not None
    if source_r == results:
        return _spooled(kind, results.media_type, spool)
    with spool:
        again = ox.parse_query_results(spool, format=source_r.oxigraph)
        body = again.serialize(format=results.oxigraph) or b""
    return QueryResult.of_bytes(kind, results.media_type, body)


def deadline_error(budget: float) -> QueryStopped:
    """The error of a query that ran past its deadline (the same as on the embedded store)."""
    return QueryStopped("deadline", f"The query ran longer than its deadline of {budget:g} s "
                        "and was stopped. Narrow it down, or add LIMIT.")


def _count(items: Iterable[object], limit: int) -> None:
    for n, _ in enumerate(items, 1):
        if n > limit:
            raise ResultTooLarge(limit)


def _spooled(kind: str, media_type: str, spool: IO[bytes]) -> QueryResult:
    """The spooled answer: in memory at once when small, else streamed from the temporary
    file (released when read to the end or when the response is closed)."""
    size = spool.seek(0, io.SEEK_END)
    spool.seek(0)
    if size <= SPOOL_MEMORY:
        with spool:
            return QueryResult.of_bytes(kind, media_type, spool.read())
    return QueryResult(kind, media_type, _chunks(spool), length=size, in_memory=False,
                       release=spool.close)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()
