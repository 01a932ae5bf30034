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

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef

from bench import dataset  # the shared synthetic data
from bench.runs import shipped_store, size_parser, timed
from endpoint import create_app
from endpoint.queries import load_query
from smartregion.settings import load_settings
from smartregion.store.embedded import EmbeddedBackend

BASE = dataset.BASE


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
    parser = size_parser(__doc__)
    parser.add_argument("--samples", type=int, default=200,
                        help="distinct documents per kind and measure (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        shipped = shipped_store(Path(tmp) / "shipped")
        measure("shipped data", shipped.data_dir, BASE, args.samples)
    started = time.perf_counter()
    synthetic = args.work / f"data-{args.triples}"
    info = dataset.build(synthetic, args.triples)
    print(f"\n(synthetic store of {info.triples:,} triples, {info.projects:,} projects, ready in "
          f"{time.perf_counter() - started:.1f} s)")
    measure("synthetic data", synthetic, BASE, args.samples)


if __name__ == "__main__":
    main()
