"""Scale-out benchmark: the query mix and the page mix through the platform on the embedded
store, on a remote Oxigraph server and on Virtuoso 7, and the query mix against each store
server directly, in one run per dataset size; prints queries/s, latencies, the ratios, the
lookup's added cost per backend and the heavy mix against the goals.

    .venv/bin/python -m bench.bench_remote [--triples 100000,1000000] [--requests 60]
                                           [--clients 1,4] [--stores embedded,oxigraph,virtuoso]

What runs: a deterministic dataset shaped like ours (districts, municipalities, projects with
fields of action, bilingual titles) is published through the store interface into a fresh
embedded store, a fresh ``oxigraph serve --union-default-graph`` process and a fresh Virtuoso
7 (Debian's ``virtuoso-t`` with the tests' ``virtuoso.ini``, skipped when missing);
``smartregion serve`` (granian, 2 workers) is started on each. The same requests (SPARQL 1.1
Protocol GET, same Accept) go to the platform's ``/sparql`` and to the store directly; the
page mix (project HTML and Turtle, municipality HTML) goes to the platform. Every request is
distinct (a varying IRI, offset or limit), so the platform's result and page caches (keyed
by store version) do not hide the store round trip. Client, platform and store share this
machine's cores, so absolute figures are lower than on separate machines; the ratio is what
the run is for.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from smartregion.namespaces import SCHEMA, SRH
from smartregion.settings import load_settings
from smartregion.store import open_backend
from smartregion.store.publication import Publication

ROOT = Path(__file__).resolve().parent.parent

BASE = "http://bench.example/"
TOPICS = ["mobilitaet", "energie", "umwelt", "verwaltung", "gesundheit", "bildung",
          "wirtschaft", "sicherheit", "kultur", "wohnen"]
WORDS = ["Sensor", "Plattform", "Bürger", "Daten", "Verkehr", "Wasser", "Licht", "Parken",
         "Abfall", "Klima", "Netz", "Portal", "App", "Kataster", "Zwilling"]
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


# -- data ----------------------------------------------------------------------------------------
def dataset(triples: int, seed: int = 7) -> Graph:
    """About ``triples`` triples: 26 districts, municipalities and projects linked like ours."""
    rng = random.Random(seed)
    g = Graph()
    ident = f"{BASE}id/"
    districts = [URIRef(f"{ident}district/06{400 + i:03d}") for i in range(26)]
    for i, d in enumerate(districts):
        g.add((d, RDF.type, SCHEMA.AdministrativeArea))
        g.add((d, RDFS.label, Literal(f"Landkreis {i}", lang="de")))
    topics = [URIRef(f"{BASE}def/scheme/field-of-action/{t}") for t in TOPICS]
    for t, name in zip(topics, TOPICS, strict=True):
        g.add((t, RDF.type, SKOS.Concept))
        g.add((t, SKOS.prefLabel, Literal(name.capitalize(), lang="de")))
    municipalities = max(10, triples // 60)
    for i in range(municipalities):
        m = URIRef(f"{ident}municipality/06{i:06d}")
        g.add((m, RDF.type, SCHEMA.City))
        g.add((m, RDFS.label, Literal(f"Gemeinde {i}", lang="de")))
        g.add((m, SCHEMA.containedInPlace, districts[i % len(districts)]))
        g.add((m, SRH.ags, Literal(f"06{i:06d}")))
        g.add((m, SCHEMA.population, Literal(rng.randint(800, 250_000), datatype=XSD.integer)))
    project = 0
    while len(g) < triples:
        p = URIRef(f"{ident}project/p{project}")
        words = " ".join(rng.sample(WORDS, 3))
        g.add((p, RDF.type, SCHEMA.Project))
        g.add((p, DCTERMS.title, Literal(f"{words} {project}", lang="de")))
        g.add((p, DCTERMS.title, Literal(f"Project {project}: {words}", lang="en")))
        g.add((p, DCTERMS.description, Literal(f"Ein Vorhaben zu {words.lower()}.", lang="de")))
        g.add((p, SRH.fieldOfAction, topics[project % len(topics)]))
        home = URIRef(f"{ident}municipality/06{project % municipalities:06d}")
        g.add((p, SRH.municipality, home))
        g.add((p, SCHEMA.startDate, Literal(f"20{15 + project % 10}-0{1 + project % 9}-01",
                                            datatype=XSD.date)))
        project += 1
    return g


def query_mix(projects: int) -> dict[str, tuple[str, Callable[[int], str]]]:
    """Query kinds → (Accept, text for request number i); every i gives a distinct request."""
    p = f"<{BASE}id/project/p{{}}>"
    prefixes = (f"PREFIX schema: <{SCHEMA}> PREFIX srh: <{SRH}> PREFIX dct: <{DCTERMS}> "
                f"PREFIX rdfs: <{RDFS}> ")
    return {
        "lookup": (TURTLE, lambda i: "CONSTRUCT { ?s ?p ?o } WHERE { VALUES ?s { "
                   + p.format(i * 7919 % projects) + " } ?s ?p ?o }"),
        "listing": (JSON, lambda i: prefixes + "SELECT ?p ?title WHERE { ?p srh:fieldOfAction "
                    f"<{BASE}def/scheme/field-of-action/{TOPICS[i % 10]}> ; dct:title ?title "
                    "FILTER(lang(?title) = 'de') } ORDER BY ?title LIMIT 20 "
                    f"OFFSET {(i // 10) % 20 * 20}"),
        "text": (JSON, lambda i: prefixes + "SELECT ?p ?t WHERE { ?p dct:title ?t "
                 f"FILTER(CONTAINS(LCASE(?t), '{WORDS[i % len(WORDS)].lower()} {i % 97}')) }} "
                 "LIMIT 50"),
        "aggregate": (JSON, lambda i: prefixes + "SELECT ?d (COUNT(?p) AS ?n) WHERE { "
                      "?p srh:municipality ?m . ?m schema:containedInPlace ?d } GROUP BY ?d "
                      f"ORDER BY DESC(?n) LIMIT {1 + i % 26}"),
        "join": (JSON, lambda i: prefixes + "SELECT ?p ?label WHERE { ?p srh:municipality ?m . "
                 f"?m schema:containedInPlace <{BASE}id/district/06{400 + i % 26:03d}> ; "
                 f"rdfs:label ?label }} LIMIT {50 + i % 50}"),
        "trivial": (JSON, lambda i: "ASK { " + p.format(i % projects) + " ?p ?o }"),
    }


# -- processes -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer on {url}")


# -- measuring -----------------------------------------------------------------------------------
Job = tuple[str, str, dict[str, str]]  # (Accept, URL, query-string parameters)
Rate = tuple[float, float, float]  # (per second, p50 ms, p95 ms)


def sparql_jobs(endpoint: str, mix: dict[str, tuple[str, Callable[[int], str]]],
                kinds: list[str], first: int, count: int) -> list[Job]:
    """``count`` requests of each kind, interleaved; a trailing comment makes each text unique,
    so neither the platform's result cache nor anything else can answer from memory."""
    return [(mix[kind][0], endpoint, {"query": f"{mix[kind][1](i)}\n# request {i}"})
            for i in range(first, first + count) for kind in kinds]


def page_jobs(platform: str, kind: str, first: int, count: int, projects: int,
              municipalities: int) -> list[Job]:
    """``count`` distinct Linked Data pages of one kind (distinct documents, so the
    platform's per-version page cache does not answer from memory)."""
    paths: dict[str, tuple[str, Callable[[int], str]]] = {
        "project html": ("text/html", lambda i: f"/doc/project/p{i * 7919 % projects}.html"),
        "project ttl": (TURTLE, lambda i: f"/doc/project/p{i * 7919 % projects}.ttl"),
        "municipality html": ("text/html",
                              lambda i: f"/doc/municipality/06{i * 31 % municipalities:06d}.html"),
    }
    accept, path = paths[kind]
    return [(accept, platform + path(i), {}) for i in range(first, first + count)]


PAGE_KINDS = ["project html", "project ttl", "municipality html"]


def run(jobs: list[Job], clients: int) -> tuple[float, list[float]]:
    """Send ``jobs`` from ``clients`` threads; (wall seconds, latencies in seconds)."""
    local = threading.local()
    latencies: list[float] = []
    lock = threading.Lock()

    def one(job: Job) -> None:
        accept, url, params = job
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = session.get(url, params=params, headers={"Accept": accept}, timeout=120)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, jobs))
    return time.perf_counter() - started, latencies


def figures(wall: float, latencies: list[float]) -> Rate:
    """(queries/s, p50 ms, p95 ms)."""
    ordered = sorted(latencies)
    return (len(ordered) / wall, statistics.median(ordered) * 1000,
            ordered[int(0.95 * (len(ordered) - 1))] * 1000)


HEAVY = ["listing", "text", "aggregate", "join"]


def start_oxigraph_store(work: Path, processes: list[subprocess.Popen[bytes]]
                         ) -> tuple[str, dict[str, str]]:
    """A fresh ``oxigraph serve --union-default-graph``: (direct query URL, platform env)."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        binary = Path(shutil.which("oxigraph") or "oxigraph")
    port = free_port()
    store = f"http://127.0.0.1:{port}"
    processes.append(subprocess.Popen(
        [str(binary), "serve", "--location", str(work / "oxigraph"), "--bind",
         f"127.0.0.1:{port}", "--union-default-graph", "--timeout-s", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_until(f"{store}/query?query=ASK%7B%7D", processes[-1], "oxigraph serve")
    return f"{store}/query", {
        "SMARTREGION_STORE": "remote", "SMARTREGION_BASE_URI": BASE,
        "SMARTREGION_QUERY_URL": f"{store}/query", "SMARTREGION_UPDATE_URL": f"{store}/update",
        "SMARTREGION_GSP_URL": f"{store}/store", "SMARTREGION_DATA_DIR": str(work / "platform")}


def start_virtuoso_store(work: Path, processes: list[subprocess.Popen[bytes]]
                         ) -> tuple[str, dict[str, str]] | None:
    """A fresh Virtuoso 7 (the tests' own ``virtuoso.ini``, README *Virtuoso* settings):
    (direct query URL, platform env), or ``None`` when Debian's package is missing."""
    from tests.virtuoso_server import start_virtuoso, virtuoso_missing

    if virtuoso_missing():
        print(f"virtuoso: skipped ({virtuoso_missing()})")
        return None
    # The switch of a publish is one DELETE/INSERT operation, bounded by MaxQueryExecutionTime
    # and TransactionAfterImageLimit: a million triples need more than the tests' 10 s and
    # Virtuoso's default 50 MB. 2.6 GB of page cache (NumberOfBuffers) instead of the tests'
    # 80 MB, as an operator gives a store of this size.
    server = start_virtuoso(work / "virtuoso", query_timeout=1800, buffers=320_000,
                            after_image=2_000_000_000)
    processes.append(server.process)
    env = server.environment(work, base_uri=BASE)
    env["SMARTREGION_DATA_DIR"] = str(work / "platform")
    return server.query_url, env


def start_embedded_store(work: Path, processes: list[subprocess.Popen[bytes]]
                         ) -> tuple[str | None, dict[str, str]]:
    """The embedded store in a fresh data directory: (no direct URL, platform env)."""
    return None, {"SMARTREGION_STORE": "embedded", "SMARTREGION_BASE_URI": BASE,
                  "SMARTREGION_DATA_DIR": str(work / "platform")}


Figures = dict[tuple[int, str], tuple[Rate, Rate | None]]
"""(clients, kind) → (through the platform; the store directly, or None without a server)."""


def measure(name: str, started: tuple[str | None, dict[str, str]], work: Path, graph: Graph,
            args: argparse.Namespace, processes: list[subprocess.Popen[bytes]]) -> Figures:
    """Publish ``graph`` to the store, serve the platform on it, run the query mix through
    both and the page mix through the platform; prints the tables."""
    direct, store_env = started
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    env.update(store_env)
    env.update({"SMARTREGION_METRICS_DIR": str(work / "metrics"),
                "SMARTREGION_ACCESS_LOG": str(work / "access.log")})
    # The loader waits for one request up to 30 min: switching a 1M-triple staging graph in
    # (Oxigraph's MOVE, Virtuoso's DELETE/INSERT) takes longer than the default 60 s; an
    # operator publishing graphs this large sets the same (README, *Scaling out*).
    backend = open_backend(load_settings(environ={**env, "SMARTREGION_STORE_TIMEOUT": "1800"}))
    started_at = time.perf_counter()
    version = backend.publish(Publication(graphs={f"{BASE}graph/bench": graph}))
    published = time.perf_counter() - started_at
    backend.close()
    print(f"\n== {name}: published {len(graph):,} triples in {published:.1f} s "
          f"(version {version.id})")
    web_port = free_port()
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "smartregion", "serve", "--port", str(web_port),
         "--workers", str(args.workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    platform = f"http://127.0.0.1:{web_port}"
    wait_until(f"{platform}/readyz", processes[-1], "smartregion serve")
    projects = sum(1 for _ in graph.subjects(RDF.type, SCHEMA.Project))
    municipalities = sum(1 for _ in graph.subjects(RDF.type, SCHEMA.City))
    mix = query_mix(projects)
    kinds = list(mix)
    targets = [f"{platform}/sparql", *([direct] if direct else [])]
    first = 1_000_000
    for url in targets:  # warm up connections and the store's pages
        run(sparql_jobs(url, mix, kinds, first, 3), 1)
    store = name if direct else "(no server)"
    print(f"{'clients':>7} {'query':<10} {'platform q/s':>12} {'p50 ms':>7} "
          f"{'p95 ms':>7} {store + ' q/s':>12} {'p50 ms':>7} {'p95 ms':>7} {'ratio':>6}")
    first = 0
    rates: Figures = {}
    for clients in (int(c) for c in args.clients.split(",")):
        for kind in [*kinds, "heavy", "mix"]:
            chosen = kinds if kind == "mix" else HEAVY if kind == "heavy" else [kind]
            ours = figures(*run(sparql_jobs(targets[0], mix, chosen, first, args.requests),
                                clients))
            theirs = (figures(*run(sparql_jobs(direct, mix, chosen, first, args.requests),
                                   clients)) if direct else None)
            first += args.requests
            rates[(clients, kind)] = (ours, theirs)
            store_columns = (f"{theirs[0]:>12.0f} {theirs[1]:>7.1f} {theirs[2]:>7.1f} "
                             f"{ours[0] / theirs[0]:>6.2f}" if theirs else f"{'-':>12}")
            print(f"{clients:>7} {kind:<10} {ours[0]:>12.0f} {ours[1]:>7.1f} "
                  f"{ours[2]:>7.1f} {store_columns}", flush=True)
    print(f"{'clients':>7} {'page':<18} {'pages/s':>8} {'p50 ms':>7} {'p95 ms':>7}")
    for clients in (int(c) for c in args.clients.split(",")):
        for kind in PAGE_KINDS:
            jobs = page_jobs(platform, kind, first, args.requests, projects, municipalities)
            first += args.requests
            rate, p50, p95 = figures(*run(jobs, clients))
            rates[(clients, kind)] = ((rate, p50, p95), None)
            print(f"{clients:>7} {kind:<18} {rate:>8.0f} {p50:>7.1f} {p95:>7.1f}", flush=True)
    return rates


def summary(results: dict[str, Figures]) -> None:
    """The heavy mix against the goals and the platform's added cost on lookups."""
    print("\nplatform's added cost on lookups (p50, 1 client):")
    for name, rates in results.items():
        ours, theirs = rates[(1, "lookup")]
        if theirs is not None:
            print(f"  {name}: {ours[1]:.1f} ms through the platform, {theirs[1]:.1f} ms direct "
                  f"(+{ours[1] - theirs[1]:.1f} ms)")
        else:
            print(f"  {name}: {ours[1]:.1f} ms through the platform (no store round trip)")
    if not {"oxigraph", "virtuoso"} <= results.keys():
        return
    print("\nheavy mix (aggregates, text filters, ORDER BY listings, joins), q/s:")
    for clients, kind in [key for key in results["virtuoso"] if key[1] == "heavy"]:
        ours, theirs = results["virtuoso"][(clients, kind)]
        oxigraph = results["oxigraph"][(clients, kind)][1]
        assert theirs is not None and oxigraph is not None
        line = (f"  {clients} clients: platform on Virtuoso {ours[0]:.1f}, Virtuoso direct "
                f"{theirs[0]:.1f} ({ours[0] / theirs[0]:.2f}x, goal >= 0.9x); Oxigraph "
                f"server direct {oxigraph[0]:.1f} (platform on Virtuoso = "
                f"{ours[0] / oxigraph[0]:.1f}x it, goal >= 5x)")
        if "embedded" in results:
            line += f"; platform on embedded {results['embedded'][(clients, kind)][0][0]:.1f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default=os.environ.get("BENCH_TRIPLES", "100000,1000000"),
                        help="dataset sizes, comma-separated (default 100000,1000000)")
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", 60)),
                        help="requests per query or page kind, target and client count")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--workers", type=int, default=2, help="platform web workers")
    parser.add_argument("--stores", default="embedded,oxigraph,virtuoso")
    args = parser.parse_args()
    # The publish says how long its upload and its switch took.
    logging.basicConfig(format="   %(asctime)s %(message)s", level=logging.WARNING)
    logging.getLogger("smartregion.store.remote_publish").setLevel(logging.INFO)
    summaries: list[tuple[int, dict[str, Figures]]] = []
    for size in (int(n) for n in args.triples.split(",")):
        started_at = time.perf_counter()
        graph = dataset(size)
        print(f"\n#### dataset: {len(graph):,} triples, generated in "
              f"{time.perf_counter() - started_at:.1f} s")
        summaries.append((len(graph), {name: figures for name in args.stores.split(",")
                                       if (figures := measure_store(name, graph, args))}))
    for triples, results in summaries:
        print(f"\n#### {triples:,} triples")
        summary(results)


def measure_store(name: str, graph: Graph, args: argparse.Namespace) -> Figures | None:
    """Start store ``name`` in a fresh folder, measure, stop it; ``None`` when it is missing."""
    starters = {"embedded": start_embedded_store, "oxigraph": start_oxigraph_store,
                "virtuoso": start_virtuoso_store}
    work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = starters[name](work, processes)
        return measure(name, started, work, graph, args, processes) if started else None
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
