"""SPARQL endpoint throughput: our ``smartregion serve`` vs pyoxigraph in-process vs Rust
``oxigraph serve-read-only``, on the same data, in the same run (``make bench``; not a test).

    .venv/bin/python -m bench.bench_sparql [--sizes 100000,1000000] [--seconds 3]

For each dataset size (bench/dataset.py, shaped like ours) and each scenario, 1 and 4
concurrent clients (bench/http_load.py) send queries for ``--seconds``; the script prints
queries/s and p50/p95/p99 latency per target, the ratio ours/Rust, and checks the targets
of issue 3. Scenarios:

* ``mix``: distinct queries of every kind: resource lookup, listings by field of action
  and by Kreis (ORDER BY/LIMIT), text filter, aggregate per Kreis, multi-hop join (project →
  funding → programme/funder), catalogue page. Each text is unique (a ``# n`` comment), so
  no cache can answer it.
* ``lookup``: distinct lookups by IRI (all statements of a project) and by key (AGS).
* ``trivial``: ``ASK {}`` repeated: the HTTP floor (ours answers it from the result cache).
* ``trivial-uncached``: distinct ``ASK {}`` texts: the floor with a query run each time
  (in-process: ``ASK {}`` is provably cheap).
* ``listing-uncached`` / ``listing-cached``: one Kreis listing, distinct vs repeated.

Our server runs as shipped (gunicorn managing 2 asyncio workers with the SPARQL fast lane,
2 executors + 1 reserve each, access log on);
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
from bench.http_load import Measurement, get_request, run_http, run_threads

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


def start_ours(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``smartregion serve`` as shipped, on the dataset directory."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    environment.update({"SMARTREGION_DATA_DIR": str(data_dir), "SMARTREGION_WORKERS": "2",
                        "SMARTREGION_QUERY_EXECUTORS": "2"})
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "smartregion", "serve", "--port", str(port)], cwd=ROOT,
            env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(f"http://127.0.0.1:{port}/healthz", process, "smartregion serve")
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


def measure_size(triples: int, seconds: float, work: Path,
                 only: set[str] | None = None) -> list[dict[str, object]]:
    """All scenarios on one dataset size; returns result rows."""
    started = time.monotonic()
    info = build(work / f"data-{triples}", triples)
    data_dir = work / f"data-{triples}"
    store_path = data_dir / os.readlink(data_dir / "current")
    print(f"\n## {info.triples:,} triples, {info.projects:,} projects "
          f"(dataset ready in {time.monotonic() - started:.0f} s)")
    ours_port, rust_port = free_port(), free_port()
    ours = start_ours(data_dir, ours_port, work / "ours.log")
    rust = start_rust(store_path, rust_port, work / "rust.log")
    store = ox.Store.read_only(str(store_path))

    def in_process(query: str) -> object:
        return store.query(query, use_default_graph_as_union=True).serialize(
            format=ox.QueryResultsFormat.JSON)

    rows: list[dict[str, object]] = []
    try:
        for name, queries in scenarios(info).items():
            if only and name not in only:
                continue
            ours_requests = [get_request("127.0.0.1", ours_port, "/sparql", q, JSON)
                             for q in queries]
            rust_requests = [get_request("127.0.0.1", rust_port, "/query", q, JSON)
                             for q in queries]
            run_http("127.0.0.1", ours_port, ours_requests[:8], 4, 0.5)  # warm both workers
            for clients in (1, 4):
                results: dict[str, Measurement] = {
                    "ours": run_http("127.0.0.1", ours_port, ours_requests, clients, seconds),
                    "rust": run_http("127.0.0.1", rust_port, rust_requests, clients, seconds),
                    "in-process": run_threads(in_process, queries, clients, seconds),
                }
                for target, measurement in results.items():
                    row = {"triples": triples, "scenario": name, "clients": clients,
                           "target": target, **measurement.summary()}
                    rows.append(row)
                    print(f"{name:<17}{clients:>3}  {target:<11}{row['qps']:>9.1f} q/s  "
                          f"p50 {row['p50']:>8.2f}  p95 {row['p95']:>8.2f}  "
                          f"p99 {row['p99']:>8.2f} ms  errors {row['errors']}")
                if len(queries) > 1 and results["ours"].requests > len(queries):
                    print(f"{'':<22}WARNING: {results['ours'].requests:,} requests but only "
                          f"{len(queries):,} distinct texts: repeats were cache hits")
                ratio = results["ours"].rate / results["rust"].rate if results["rust"].rate else 0
                print(f"{'':<22}ours/rust = {ratio:.2f}")
    finally:
        stop(ours)
        stop(rust)
    return rows


def rate(rows: list[dict[str, object]], triples: int, scenario: str, clients: int,
         target: str) -> float:
    """q/s of one row."""
    for row in rows:
        if (row["triples"], row["scenario"], row["clients"], row["target"]) == (
                triples, scenario, clients, target):
            return float(row["qps"])  # type: ignore[arg-type]
    return 0.0


def check_targets(rows: list[dict[str, object]], sizes: list[int]) -> None:
    """Print issue 3's targets with the measured figures (no pass/fail exit: a benchmark)."""
    largest = max(sizes)
    print("\n## Targets (4 clients)")
    for triples in sizes:
        mix = rate(rows, triples, "mix", 4, "ours") / max(rate(rows, triples, "mix", 4, "rust"),
                                                          1e-9)
        print(f"{triples:>9,}  mix ours/rust {mix:.2f} (target >= 0.90)")
    lookup = rate(rows, largest, "lookup", 4, "ours") / max(
        rate(rows, largest, "lookup", 4, "rust"), 1e-9)
    print(f"{largest:>9,}  lookups ours/rust {lookup:.2f} (target >= 0.80)")
    for triples in sizes:
        trivial = rate(rows, triples, "trivial", 4, "ours")
        cached = rate(rows, triples, "listing-cached", 4, "ours")
        uncached = rate(rows, triples, "listing-uncached", 4, "ours")
        print(f"{triples:>9,}  trivial {trivial:,.0f} q/s (target >= 3,000); cache "
              f"{cached / max(uncached, 1e-9):,.1f}x uncached (target >= 5x)")


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
    arguments = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    sizes = [int(s) for s in arguments.sizes.split(",")]
    arguments.work.mkdir(parents=True, exist_ok=True)
    print(f"bench_sparql: {os.cpu_count()} cores, {arguments.seconds:g} s per run")
    print(f"{'scenario':<17}{'cl':>3}  {'target':<11}{'rate':>13}")
    only = {s for s in arguments.scenarios.split(",") if s} or None
    rows = [row for size in sizes
            for row in measure_size(size, arguments.seconds, arguments.work, only)]
    check_targets(rows, sizes)
    results = ROOT / "bench-results"
    results.mkdir(exist_ok=True)
    (results / "bench_sparql.json").write_text(json.dumps(rows, indent=1))
    print(f"\nrows written to {results / 'bench_sparql.json'}")


if __name__ == "__main__":
    main()
