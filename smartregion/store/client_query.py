"""Client queries of the embedded backend: SERVICE policy, deadline, then the executor pool.

:meth:`EmbeddedBackend.query <smartregion.store.embedded.EmbeddedBackend.query>` calls
:func:`run_client_query`. Each process (each web worker) gets its own
:class:`~smartregion.store.executor.QueryExecutorPool`, created on first use or at worker
start (:func:`query_pool`), never inherited through a fork.
"""

from __future__ import annotations

import functools
import os
import weakref
from typing import TYPE_CHECKING

import pyoxigraph as ox

from smartregion.formats import GraphFormat, ResultsFormat
from smartregion.settings import Settings
from smartregion.store.backend import QueryResult
from smartregion.store.bounded_query import Bounds, run_bounded
from smartregion.store.executor import PoolConfig, QueryExecutorPool, QueryJob
from smartregion.store.sparql_lexer import check_services

if TYPE_CHECKING:
    from smartregion.store.embedded import EmbeddedBackend


def pool_config(settings: Settings) -> PoolConfig:
    """Pool sizes and limits from the settings."""
    from smartregion.namespaces import PREFIXES

    return PoolConfig(
        executors=settings.query_executors, reserve=1, memory_mb=settings.query_memory_mb,
        queue_timeout=settings.queue_timeout, client_queries=settings.client_queries,
        prefixes=dict(PREFIXES),
    )


def run_client_query(
    backend: EmbeddedBackend,
    text: str,
    *,
    results_format: ResultsFormat,
    graph_format: GraphFormat,
    default_graph_uris: tuple[str, ...] = (),
    named_graph_uris: tuple[str, ...] = (),
    timeout: float | None = None,
    client: str = "-",
) -> QueryResult:
    """Run a client's query for ``backend`` under the SERVICE policy and all limits
    (fair use counts ``client``, an address).

    The deadline is ``query_timeout``, lowered (never raised) by ``timeout`` and, for a
    query that calls an allowed SERVICE, by ``service_timeout`` (pyoxigraph has no
    per-call timeout, so the whole query gets it). Raises :class:`ServiceRefused` (a
    ``ValueError``) before anything runs when a SERVICE is not allowed.
    """
    settings = backend.settings
    deadline = settings.query_timeout if timeout is None else min(settings.query_timeout, timeout)
    if check_services(text, settings.service_allowlist):
        deadline = min(deadline, settings.service_timeout)
    elif not default_graph_uris and not named_graph_uris:
        cheap = run_cheap_query(backend, text, results_format=results_format,
                                graph_format=graph_format)
        if cheap is not None:
            return cheap
    outcome = _pool_of(backend).run(QueryJob(
        store_path=current_store_path(backend), text=text,
        results_format=results_format.name, graph_format=graph_format.name,
        default_graphs=tuple(default_graph_uris), named_graphs=tuple(named_graph_uris),
        timeout=deadline, row_limit=settings.result_limit,
    ), client=client)
    media_type = graph_format.media_type if outcome.kind == "graph" else results_format.media_type
    body = outcome.body
    return QueryResult(outcome.kind, media_type, body, length=body.size,
                       in_memory=body.in_memory, release=body.close)


def run_cheap_query(
    backend: EmbeddedBackend, text: str, *, results_format: ResultsFormat,
    graph_format: GraphFormat, store: ox.Store | None = None,
) -> QueryResult | None:
    """The answer to ``text`` computed in this process when its cost is provably bounded
    (:mod:`smartregion.store.bounded_query`: lookups by IRI or key and the like), else
    ``None`` (the query needs an executor). No executor hop, no fair-use accounting: such a
    query costs about what its HTTP request does. ``store`` is the served version's reader
    when the caller has it at hand (default: :meth:`EmbeddedBackend.reader`)."""
    from smartregion.namespaces import PREFIXES

    answer = run_bounded(store if store is not None else backend.reader(), text,
                         results_format=results_format, graph_format=graph_format,
                         prefixes=PREFIXES, bounds=_bounds(backend.settings.result_limit))
    if answer is None:
        return None
    media_type = graph_format.media_type if answer.kind == "graph" else results_format.media_type
    return QueryResult.of_bytes(answer.kind, media_type, answer.body)


@functools.lru_cache(maxsize=8)
def _bounds(result_limit: int) -> Bounds:
    return Bounds(row_limit=result_limit)


def current_store_path(backend: EmbeddedBackend) -> str:
    """The directory of the served version ("" before the first publish): one readlink."""
    try:
        target = os.readlink(backend.versions.pointer)
    except FileNotFoundError:
        return ""
    return str(backend.versions.root / target)


def _pool_of(backend: EmbeddedBackend) -> QueryExecutorPool:
    pool: QueryExecutorPool | None = backend.__dict__.get("_query_pool")
    if pool is None or pool.pid != os.getpid():  # none yet, or inherited through a fork
        with backend._lock:
            pool = backend.__dict__.get("_query_pool")
            if pool is None or pool.pid != os.getpid():
                pool = QueryExecutorPool(
                    pool_config(backend.settings), lambda: current_store_path(backend)
                )
                backend.__dict__["_query_pool"] = pool
                weakref.finalize(backend, pool.close)
    return pool


def query_pool(backend: EmbeddedBackend) -> QueryExecutorPool:
    """The backend's executor pool of this process, started if need be (e.g. at worker start)."""
    return _pool_of(backend)


def started_pool(backend: EmbeddedBackend) -> QueryExecutorPool | None:
    """The backend's executor pool of this process if it was started, else ``None``."""
    pool: QueryExecutorPool | None = backend.__dict__.get("_query_pool")
    return pool if pool is not None and pool.pid == os.getpid() else None


def close_pool(backend: EmbeddedBackend) -> None:
    """End the executors of ``backend`` in this process, if it has started any."""
    pool: QueryExecutorPool | None = backend.__dict__.pop("_query_pool", None)
    if pool is not None and pool.pid == os.getpid():
        pool.close()
