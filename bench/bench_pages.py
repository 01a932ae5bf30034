"""Document latency of the Linked Data pages, next to the raw store look-up, in one run.

    .venv/bin/python -m bench.bench_pages [--triples 1000000] [--samples 200]

Two stores are measured: the shipped curated data (loaded through the real pipeline) and the
deterministic synthetic dataset of ``bench/dataset.py`` (shaped like ours: 26 Kreise, 421
municipalities, projects with bilingual names and descriptions, fields of action, status,
fundings, sources, organisations; cached under ``--work``). For each store and each kind of
document (project, municipality — at a million triples a municipality has about 120
projects, so its inverse links are paged) it reports p50/p95 over ``--samples`` distinct
documents of:

* raw: ``Store.quads_for_pattern(thing)`` materialised (the store's own look-up),
* describe: the describe query through ``backend.construct()`` (SPARQL, conversion),
* html / turtle: ``GET /doc/{kind}/{key}`` through the whole Flask app (queries, inverse
  pages, provenance, page model or serializer, template, ETag), without network.

Figures are wall-clock on this machine, so compare rows of the same run, not across machines.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef

from bench import dataset  # the shared synthetic data
from endpoint import create_app
from endpoint.queries import load_query
from loaders.pipeline import load, resolve_sources
from smartregion.settings import load_settings
from smartregion.store.embedded import EmbeddedBackend

ROOT = Path(__file__).resolve().parent.parent

BASE = dataset.BASE


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(action: Callable[[str], object], keys: list[str]) -> tuple[float, float]:
    """p50/p95 of ``action`` over ``keys`` (after one warm-up call)."""
    action(keys[0])
    samples = []
    for key in keys:
        start = time.perf_counter()
        action(key)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def measure(label: str, data_dir: Path, base: str, samples: int) -> None:
    """Print the rows for one store."""
    settings = load_settings(environ={}, data_dir=data_dir, base_uri=base)
    backend = EmbeddedBackend(settings)
    app = create_app(settings, backend)
    client = app.test_client()
    store = backend.reader()
    size = len(store)
    describe = load_query("describe_resource")
    print(f"\n{label}: {size:,} quads")
    print(f"{'document':<14}{'measure':<10}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in ("project", "municipality"):
        prefix = f"{base}id/{kind}/"
        things = sorted(str(r["s"]) for r in backend.select(
            "SELECT DISTINCT ?s WHERE { #VALUES\n GRAPH ?g { ?s a ?t } "
            "FILTER(STRSTARTS(STR(?s), ?p)) }", {"p": Literal(prefix)}))
        keys = random.Random(3).sample(things, min(samples, len(things)))
        keys = [k[len(prefix):] for k in keys]

        def raw(key: str, prefix: str = prefix) -> object:
            return list(store.quads_for_pattern(ox.NamedNode(prefix + key), None, None, None))

        def construct(key: str, prefix: str = prefix) -> object:
            return backend.construct(describe, {"thing": URIRef(prefix + key)})

        def page(ext: str, kind: str = kind) -> Callable[[str], object]:
            def get(key: str) -> object:
                response = client.get(f"/doc/{kind}/{key}.{ext}")
                assert response.status_code == 200, response.status_code
                return response.data
            return get

        for name, action in (("raw", raw), ("describe", construct), ("html", page("html")),
                             ("turtle", page("ttl"))):
            p50, p95 = timed(action, keys)
            print(f"{kind:<14}{name:<10}{p50:>9.2f}{p95:>9.2f}")
    backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000,
                        help="size of the synthetic dataset (default 1,000,000)")
    parser.add_argument("--samples", type=int, default=200,
                        help="distinct documents per kind and measure (default 200)")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench",
                        help="where the synthetic store is built and kept for reruns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        shipped = Path(tmp) / "shipped"
        settings = load_settings(environ={}, data_dir=shipped, base_uri=BASE)
        backend = EmbeddedBackend(settings)
        load(resolve_sources([], settings), settings, backend)
        backend.close()
        measure("shipped data", shipped, BASE, args.samples)
    started = time.perf_counter()
    synthetic = args.work / f"data-{args.triples}"
    info = dataset.build(synthetic, args.triples)
    print(f"\n(synthetic store of {info.triples:,} triples, {info.projects:,} projects, ready in "
          f"{time.perf_counter() - started:.1f} s)")
    measure("synthetic data", synthetic, BASE, args.samples)


if __name__ == "__main__":
    main()
