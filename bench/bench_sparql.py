"""SPARQL endpoint throughput: our ``smartregion serve`` vs Rust ``oxigraph serve-read-only``
(and pyoxigraph in-process), on the same data, in the same run (``make bench``; not a test).

    .venv/bin/python -m bench.bench_sparql [--sizes 100000,1000000] [--seconds 3]
        [--clients 4] [--methods GET,POST] [--servers granian,gunicorn]

For each dataset size (bench/dataset.py, shaped like ours), each scenario and each method
(GET ``?query=``, POST of a form as YASGUI sends it), ``--clients`` concurrent clients
(bench/http_load.py) send queries for ``--seconds``; the script prints queries/s and
p50/p95/p99 latency per target, the ratio ours/Rust, and the goals of issue 12. Scenarios:

* ``mix``: distinct queries of every kind: resource lookup, listings by field of action
  and by Kreis (ORDER BY/LIMIT), text filter, aggregate per Kreis, multi-hop join (project →
  funding → programme/funder), catalogue page. Each text is unique (a ``# n`` comment), so
  no cache can answer it.
* ``mix-repeated``: the same kinds, 14 texts cycled (sent to every worker before the run):
  what a result cache answers.
* ``lookup``: distinct lookups by IRI (all statements of a project) and by key (AGS).
* ``trivial``: ``ASK {}`` repeated: the HTTP floor (ours answers it from the result cache).
* ``trivial-uncached``: distinct ``ASK {}`` texts: the floor with a query run each time
  (in-process: ``ASK {}`` is provably cheap).
* ``listing-uncached`` / ``listing-cached``: one Kreis listing, distinct vs repeated.

Our server runs as shipped (``smartregion serve``: granian, 2 WSGI workers with 8 blocking
threads, 2 executors + 1 reserve each, JSON access log to a file); ``--servers`` adds the
same app under gunicorn's ``gthread`` worker (if gunicorn is installed) for comparison.
Rust runs without a deadline (its ``--timeout-s`` starts a thread per query that waits out
the timeout, which exhausts threads at these rates in 0.5.13), which favours it; in-process
uses threads on one ``Store.read_only``. Figures are this machine's, from one run: compare
within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import requests

from bench.dataset import BASE, DatasetInfo, build
from bench.http_load import (
    Measurement,
    get_request,
    post_request,
    run_http,
    run_threads,
    warm,
)

ROOT = Path(__file__).resolve().parent.parent

PREFIXES = """PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
JSON = "application/sparql-results+json"
DISTINCT = 100_000


def _lookups(info: DatasetInfo, count: int) -> list[str]:
    queries = []
    for n in range(count):
        if n % 2:
            project = f"{BASE}id/project/project-{(n * 7919) % info.projects}"
            queries.append(f"SELECT ?p ?o WHERE {{ <{project}> ?p ?o }}")
        else:
            ags = info.municipalities[(n * 31) % len(info.municipalities)]
            queries.append(PREFIXES + f'SELECT ?m ?name WHERE {{ ?m srh:ags "{ags}" ; '
                           "skos:prefLabel ?name }")
    return queries


def _listing(district: str) -> str:
    return PREFIXES + (
        f'SELECT ?p ?title WHERE {{ ?d srh:districtKey "{district}" . '
        "?m schema:containedInPlace ?d . ?p srh:municipality ?m ; skos:prefLabel ?title "
        'FILTER(LANG(?title) = "de") } ORDER BY ?title LIMIT 20')


def _mix(info: DatasetInfo, count: int) -> list[str]:
    kinds: list[Callable[[int], str]] = [
        lambda n: _lookups(info, n + 1)[n],
        lambda n: PREFIXES + (
            f"SELECT ?p ?title WHERE {{ ?p srh:fieldOfAction "
            f"<{BASE}def/scheme/field-of-action/{info.fields[n % len(info.fields)]}> ; "
            'skos:prefLabel ?title FILTER(LANG(?title) = "de") } ORDER BY ?title '
            f"LIMIT 20 OFFSET {20 * (n % 5)}"),
        lambda n: _listing(info.districts[n % len(info.districts)]),
        lambda n: PREFIXES + (
            "SELECT ?p ?title WHERE { ?p a srh:SmartRegionProject ; skos:prefLabel ?title "
            f'FILTER(LANG(?title) = "de" && CONTAINS(LCASE(?title), '
            f'"{info.words[n % len(info.words)].lower()}")) }} LIMIT 20'),
        lambda n: PREFIXES + (
            "SELECT ?d (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p srh:municipality ?m ; "
            "srh:startYear ?y . ?m schema:containedInPlace ?d "
            f'FILTER(?y >= "{2015 + n % 12}"^^xsd:gYear) }} GROUP BY ?d ORDER BY DESC(?n)'),
        lambda n: PREFIXES + (
            f'SELECT ?p ?programme ?funder WHERE {{ ?d srh:districtKey '
            f'"{info.districts[n % len(info.districts)]}" . ?m schema:containedInPlace ?d . '
            "?p srh:municipality ?m ; srh:funding ?f . ?f srh:programme/skos:prefLabel "
            "?programme ; srh:funder/skos:prefLabel ?funder "
            'FILTER(LANG(?programme) = "de") } LIMIT 50'),
        lambda n: PREFIXES + (
            f"SELECT ?g ?title ?modified ?triples WHERE {{ GRAPH <{BASE}graph/meta> {{ "
            "?g dct:title ?title ; dct:modified ?modified ; void:triples ?triples } } "
            f"ORDER BY ?g LIMIT 10 OFFSET {n % 3}"),
    ]
    return [kinds[n % len(kinds)](n // len(kinds)) for n in range(count)]


def scenarios(info: DatasetInfo) -> dict[str, list[str]]:
    """Scenario name → the query texts its clients cycle through."""

    def unique(queries: list[str]) -> list[str]:
        return [f"{q}\n# {n}" for n, q in enumerate(queries)]

    listing = _listing(info.districts[3])
    return {
        "mix": unique(_mix(info, 7000)),
        "mix-repeated": _mix(info, 14),
        # More distinct texts than 4 clients send in a run at 30,000 q/s, so none repeats.
        "lookup": unique(_lookups(info, DISTINCT)),
        "trivial": ["ASK {}"],
        "trivial-uncached": unique(["ASK {}"] * DISTINCT),
        "listing-uncached": unique([listing] * 5000),
        "listing-cached": [listing],
    }


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    """Poll ``url`` until it answers."""
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def start_ours(data_dir: Path, port: int, log: Path, server: str = "granian"
               ) -> subprocess.Popen[bytes]:
    """``smartregion serve`` as shipped (granian), or the same app under gunicorn gthread."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    environment.update({"SMARTREGION_DATA_DIR": str(data_dir), "SMARTREGION_WORKERS": "2",
                        "SMARTREGION_QUERY_EXECUTORS": "2", "SMARTREGION_PORT": str(port),
                        "SMARTREGION_ACCESS_LOG": str(log.with_suffix(".access.log")),
                        "SMARTREGION_METRICS_DIR": str(log.with_suffix(".metrics"))})
    command = [sys.executable, "-m", "smartregion", "serve"]
    if server == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
                   "--workers", "2", "--threads", "8", "--bind", f"127.0.0.1:{port}",
                   "endpoint.serving:app_from_environment()"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(f"http://127.0.0.1:{port}/readyz", process, f"smartregion ({server})")
    return process


def start_rust(store_path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Rust ``oxigraph serve-read-only`` on the same store version."""
    binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, "serve-read-only", "--location", str(store_path), "--bind",
             f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(f"http://127.0.0.1:{port}/", process, "oxigraph serve-read-only")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server and its children (its own process group)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure_size(triples: int, seconds: float, work: Path, only: set[str] | None,
                 options: argparse.Namespace) -> list[dict[str, object]]:
    """All scenarios on one dataset size; returns result rows."""
    started = time.monotonic()
    info = build(work / f"data-{triples}", triples)
    data_dir = work / f"data-{triples}"
    store_path = data_dir / os.readlink(data_dir / "current")
    print(f"\n## {info.triples:,} triples, {info.projects:,} projects "
          f"(dataset ready in {time.monotonic() - started:.0f} s)")
    ports = {name: free_port() for name in (*options.servers, "rust")}
    processes = {name: start_ours(data_dir, ports[name], work / f"ours-{name}.log", name)
                 for name in options.servers}
    processes["rust"] = start_rust(store_path, ports["rust"], work / "rust.log")
    store = ox.Store.read_only(str(store_path))

    def in_process(query: str) -> object:
        return store.query(query, use_default_graph_as_union=True).serialize(
            format=ox.QueryResultsFormat.JSON)

    builders = {"GET": get_request, "POST": post_request}
    rows: list[dict[str, object]] = []
    try:
        for name, queries in scenarios(info).items():
            if only and name not in only:
                continue
            for method in options.methods:
                make = builders[method]
                prepared = {target: [make("127.0.0.1", port, "/query" if target == "rust"
                                          else "/sparql", q, JSON) for q in queries]
                            for target, port in ports.items()}
                for target in ports:  # warm every worker (and, for repeats, its cache)
                    if name == "mix-repeated":
                        warm("127.0.0.1", ports[target], prepared[target])
                    run_http("127.0.0.1", ports[target], prepared[target][:8], 4, 0.5)
                for clients in options.clients:
                    results: dict[str, Measurement] = {
                        target: run_http("127.0.0.1", ports[target], prepared[target],
                                         clients, seconds)
                        for target in ports}
                    if method == "GET" and name in ("lookup", "mix"):
                        results["in-process"] = run_threads(in_process, queries, clients,
                                                            seconds)
                    for target, measurement in results.items():
                        row = {"triples": triples, "scenario": name, "method": method,
                               "clients": clients, "target": target, **measurement.summary()}
                        rows.append(row)
                        print(f"{name:<17}{method:<5}{clients:>3}  {target:<11}"
                              f"{row['qps']:>9.1f} q/s  p50 {row['p50']:>8.2f}  "
                              f"p95 {row['p95']:>8.2f}  p99 {row['p99']:>8.2f} ms  "
                              f"errors {row['errors']}")
                    first = results[options.servers[0]]
                    if name != "mix-repeated" and len(queries) > 1 and \
                            first.requests > len(queries):
                        print(f"{'':<27}WARNING: {first.requests:,} requests but only "
                              f"{len(queries):,} distinct texts: repeats were cache hits")
                    for target in options.servers:
                        ratio = results[target].rate / max(results["rust"].rate, 1e-9)
                        print(f"{'':<27}{target}/rust = {ratio:.2f}")
    finally:
        for process in processes.values():
            stop(process)
    return rows


def rate(rows: list[dict[str, object]], triples: int, scenario: str, clients: int,
         target: str, method: str = "GET") -> float:
    """q/s of one row."""
    for row in rows:
        if (row["triples"], row["scenario"], row["clients"], row["target"],
                row["method"]) == (triples, scenario, clients, target, method):
            return float(row["qps"])  # type: ignore[arg-type]
    return 0.0


def check_targets(rows: list[dict[str, object]], sizes: list[int], clients: int,
                  servers: list[str]) -> None:
    """Print issue 12's goals with the measured figures (no pass/fail exit: a benchmark)."""
    largest = max(sizes)
    print(f"\n## Goals ({clients} clients; ratio = ours / Rust in the same run)")
    for server in servers:
        for triples in sizes:
            for scenario in ("mix", "mix-repeated", "lookup", "trivial"):
                figures = []
                for method in ("GET", "POST"):
                    ours = rate(rows, triples, scenario, clients, server, method)
                    rust = rate(rows, triples, scenario, clients, "rust", method)
                    if ours:
                        figures.append(f"{method} {ours:,.0f} q/s = {ours / max(rust, 1e-9):.2f}x")
                get = rate(rows, triples, scenario, clients, server, "GET")
                post = rate(rows, triples, scenario, clients, server, "POST")
                balance = f"; POST/GET {post / get:.2f} (goal >= 0.90)" if get and post else ""
                print(f"{server:<9}{triples:>10,}  {scenario:<13}{', '.join(figures)}{balance}")
        repeated = rate(rows, largest, "mix-repeated", clients, server) / max(
            rate(rows, largest, "mix-repeated", clients, "rust"), 1e-9)
        lookup = rate(rows, largest, "lookup", clients, server) / max(
            rate(rows, largest, "lookup", clients, "rust"), 1e-9)
        print(f"{server:<9}{largest:>10,}  repeated mix {repeated:.2f}x Rust (goal >= 1.0); "
              f"distinct lookups {lookup:.2f}x Rust (goal >= 0.38)")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="dataset sizes in triples, comma-separated")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each run")
    parser.add_argument("--scenarios", default="",
                        help="run only these scenarios (comma-separated; default: all)")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench",
                        help="where datasets (reused across runs) and logs go")
    parser.add_argument("--clients", default="4", help="client counts, comma-separated")
    parser.add_argument("--methods", default="GET,POST", help="GET, POST or both")
    parser.add_argument("--servers", default="granian",
                        help="granian (as shipped) and/or gunicorn (gthread, if installed)")
    arguments = parser.parse_args()
    arguments.clients = [int(c) for c in arguments.clients.split(",")]
    arguments.methods = [m.strip().upper() for m in arguments.methods.split(",")]
    arguments.servers = [s.strip() for s in arguments.servers.split(",")]
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    sizes = [int(s) for s in arguments.sizes.split(",")]
    arguments.work.mkdir(parents=True, exist_ok=True)
    print(f"bench_sparql: {os.cpu_count()} cores, {arguments.seconds:g} s per run")
    print(f"{'scenario':<17}{'verb':<5}{'cl':>3}  {'target':<11}{'rate':>13}")
    only = {s for s in arguments.scenarios.split(",") if s} or None
    rows = [row for size in sizes
            for row in measure_size(size, arguments.seconds, arguments.work, only, arguments)]
    check_targets(rows, sizes, max(arguments.clients), arguments.servers)
    results = ROOT / "bench-results"
    results.mkdir(exist_ok=True)
    (results / "bench_sparql.json").write_text(json.dumps(rows, indent=1))
    print(f"\nrows written to {results / 'bench_sparql.json'}")


if __name__ == "__main__":
    main()
