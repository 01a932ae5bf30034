"""QueryExecutorPool: deadlines, memory cap, result limit, crash isolation, fair use, SERVICE,
and following the store's current version. Real executor processes on a real store."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from smartregion.formats import graph_format, results_format
from smartregion.settings import Settings
from smartregion.store.backend import QuerySyntaxError
from smartregion.store.client_query import current_store_path
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.executor import (
    ClientOverLimit,
    PoolConfig,
    QueryExecutorPool,
    QueryJob,
    QueryStopped,
    ResultTooLarge,
)
from smartregion.store.publication import Publication
from smartregion.store.sparql_lexer import ServiceRefused
from tests.conftest import make_settings

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUNGRY = ("SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?a), STR(?c), STR(?d), STR(?f), STR(?i))))"
          " AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
SIMPLE = "ASK { ?s ?p ?o }"
JSON = results_format("json")
TURTLE = graph_format("turtle")


def job(path: str, text: str, **changes: object) -> QueryJob:
    values: dict[str, object] = {"store_path": path, "text": text, "results_format": "json",
                                 "graph_format": "turtle", "timeout": 10.0, "row_limit": 1000}
    values.update(changes)
    return QueryJob(**values)  # type: ignore[arg-type]


def wait_ready(pool: QueryExecutorPool, count: int) -> None:
    give_up = time.monotonic() + 60
    while pool.ready_count() < count:
        assert time.monotonic() < give_up, "executors did not start"
        time.sleep(0.02)


def publish_triples(backend: EmbeddedBackend, count: int, prefix: str = "n") -> None:
    graph = Graph()
    for index in range(count):
        graph.add((URIRef(f"http://e/{prefix}{index}"), URIRef("http://e/p"),
                   Literal(f"value {index} " + "x" * 40)))
    backend.publish(Publication(graphs={"http://testserver/graph/test": graph}))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(make_settings(tmp_path_factory.mktemp("executor")))
    publish_triples(backend, 400)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def pool(store: EmbeddedBackend) -> Iterator[QueryExecutorPool]:
    config = PoolConfig(executors=2, reserve=1, memory_mb=128, queue_timeout=0.5,
                        client_queries=2)
    pool = QueryExecutorPool(config, lambda: current_store_path(store))
    wait_ready(pool, 3)
    yield pool
    pool.close()


def run_in_thread(pool: QueryExecutorPool, the_job: QueryJob, client: str) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def target() -> None:
        started = time.monotonic()
        try:
            outcome["result"] = pool.run(the_job, client)
        except Exception as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_runaway_query_hits_deadline_while_others_answer(
    pool: QueryExecutorPool, store: EmbeddedBackend
) -> None:
    path = current_store_path(store)
    runaway = run_in_thread(pool, job(path, RUNAWAY, timeout=1.5), "a")
    time.sleep(0.2)
    simple = pool.run(job(path, SIMPLE), "b")
    assert b'"boolean":true' in b"".join(simple.body)
    runaway["thread"].join()  # type: ignore[attr-defined]
    error = runaway["error"]
    assert isinstance(error, QueryStopped) and error.limit == "deadline"
    assert "1.5 s" in str(error)
    wait_ready(pool, 3)  # the killed executor was replaced
    assert pool.run(job(path, SIMPLE), "a").kind == "boolean"


def test_memory_cap_stops_the_query(pool: QueryExecutorPool, store: EmbeddedBackend) -> None:
    with pytest.raises(QueryStopped) as stopped:
        pool.run(job(current_store_path(store), HUNGRY, timeout=60), "a")
    assert stopped.value.limit == "memory"
    assert "memory" in str(stopped.value)
    wait_ready(pool, 3)
    assert pool.run(job(current_store_path(store), SIMPLE), "a").kind == "boolean"


def test_crashed_executor_is_isolated(pool: QueryExecutorPool, store: EmbeddedBackend) -> None:
    path = current_store_path(store)
    before = {s.process.pid for s in pool._slots if s.process is not None}
    running = run_in_thread(pool, job(path, RUNAWAY, timeout=30), "a")
    time.sleep(0.3)
    busy = [s for s in pool._slots if s.client == "a"]
    assert len(busy) == 1 and busy[0].process is not None
    os.kill(busy[0].process.pid, signal.SIGTERM)
    running["thread"].join()  # type: ignore[attr-defined]
    error = running["error"]
    assert isinstance(error, QueryStopped) and error.limit == "crash"
    wait_ready(pool, 3)
    after = {s.process.pid for s in pool._slots if s.process is not None}
    assert len(before - after) == 1
    assert pool.run(job(path, SIMPLE), "a").kind == "boolean"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_result_limit_is_exact(pool: QueryExecutorPool, store: EmbeddedBackend, fmt: str) -> None:
    path = current_store_path(store)
    query = "SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT {n}"
    exact = pool.run(job(path, query.replace("{n}", "50"), results_format=fmt, row_limit=50), "a")
    assert exact.rows == 50
    with pytest.raises(ResultTooLarge, match="more than 50 rows"):
        pool.run(job(path, query.replace("{n}", "51"), results_format=fmt, row_limit=50), "a")


def test_graph_result_limit(pool: QueryExecutorPool, store: EmbeddedBackend) -> None:
    path = current_store_path(store)
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert pool.run(job(path, query, row_limit=400), "a").rows == 400
    with pytest.raises(ResultTooLarge):
        pool.run(job(path, query, row_limit=399), "a")


def test_syntax_error(pool: QueryExecutorPool, store: EmbeddedBackend) -> None:
    with pytest.raises(QuerySyntaxError, match=r"1:\d+"):
        pool.run(job(current_store_path(store), "SELECT * WHERE { ?s"), "a")


def test_fair_use(pool: QueryExecutorPool, store: EmbeddedBackend) -> None:
    path = current_store_path(store)
    hogs = [run_in_thread(pool, job(path, RUNAWAY, timeout=3), "hog") for _ in range(2)]
    time.sleep(0.3)
    # the hog holds both regular executors and has its quota of 2 queries in flight
    with pytest.raises(ClientOverLimit) as over:
        pool.run(job(path, SIMPLE), "hog")
    assert over.value.retry_after >= 1
    # another client is still served, by the reserve executor
    started = time.monotonic()
    assert pool.run(job(path, SIMPLE), "other").kind == "boolean"
    assert time.monotonic() - started < 2.5
    for hog in hogs:
        hog["thread"].join()  # type: ignore[attr-defined]
        assert isinstance(hog["error"], QueryStopped)
    wait_ready(pool, 3)


def test_waiting_client_of_busy_executors_gets_429(
    store: EmbeddedBackend,
) -> None:
    config = PoolConfig(executors=1, reserve=0, memory_mb=128, queue_timeout=0.3,
                        client_queries=3)
    small = QueryExecutorPool(config, lambda: current_store_path(store))
    try:
        wait_ready(small, 1)
        path = current_store_path(store)
        hog = run_in_thread(small, job(path, RUNAWAY, timeout=2), "hog")
        time.sleep(0.3)
        with pytest.raises(ClientOverLimit):
            small.run(job(path, SIMPLE), "hog")
        hog["thread"].join()  # type: ignore[attr-defined]
    finally:
        small.close()


def test_queries_follow_the_current_version(tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path, query_executors=1)
    backend = EmbeddedBackend(settings)
    try:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

        def total() -> int:
            result = backend.query(count, results_format=JSON, graph_format=TURTLE)
            import json

            return int(json.loads(b"".join(result.body))["results"]["bindings"][0]["n"]["value"])

        assert total() == 0  # before the first publish: an empty store
        publish_triples(backend, 5)
        assert total() == 5
        publish_triples(backend, 7, prefix="m")
        assert total() == 7
    finally:
        backend.close()


def test_service_never_connects_unless_allowed(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1.0)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    backend = EmbeddedBackend(make_settings(tmp_path))
    try:
        for query in (f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                      f"SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
                      f"PREFIX x: <{url[:-6]}> SELECT * {{ service#\nx:sparql {{ }} }}"):
            with pytest.raises(ServiceRefused):
                backend.query(query, results_format=JSON, graph_format=TURTLE)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()
        backend.close()


def test_a_client_within_its_quota_is_never_refused(store: EmbeddedBackend) -> None:
    # regression: a request granted an executor was counted as running and still queued
    # until its thread woke up, so a client's next request could be refused with 429
    config = PoolConfig(executors=1, reserve=0, memory_mb=128, queue_timeout=10,
                        client_queries=3)
    small = QueryExecutorPool(config, lambda: current_store_path(store))
    refused: list[Exception] = []
    try:
        wait_ready(small, 1)
        path = current_store_path(store)

        def steady() -> None:
            for number in range(150):
                try:
                    small.run(job(path, f"ASK {{}} # {number}"), "steady")
                except ClientOverLimit as exc:
                    refused.append(exc)

        threads = [threading.Thread(target=steady) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        small.close()
    assert refused == []
