"""Search: the full-text index of a version against the substring SPARQL query it replaced.

    .venv/bin/python -m bench.bench_search [--triples 1000000] [--rounds 3]

For the shipped data (loaded through the real pipeline) and the synthetic dataset of
``bench/dataset.py`` it reports the time to build the index (SPARQL reads of texts and links,
then tantivy writing) and, over a fixed list of one- and two-word queries, p50/p95 of:

* substring: ``bench/search_substring.rq`` and its count (the search of earlier releases:
  ``CONTAINS`` over every name and description, names first) for the first page of 50,
* index: the first page of 50 from the tantivy index with the total, facet counts and
  highlighted snippets (what ``/search`` shows), and
* /search.json: the same through the whole Flask app.

Figures are wall-clock on this machine, so compare rows of the same run, not across machines.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import Literal
from rdflib.term import Identifier

from bench import dataset
from bench.runs import shipped_store, size_parser, timed
from endpoint import create_app
from endpoint.queries import paged
from smartregion.derived.search import search
from smartregion.derived.search_index import SearchIndexes, build, gather
from smartregion.settings import Settings, load_settings
from smartregion.store.embedded import EmbeddedBackend

BASE = dataset.BASE
QUERIES = ["Sensor", "Verkehr", "Ladesäule", "Hochwasser", "Daten Plattform", "Bus Wetter",
           "Mobilität", "Darmstadt", "Kassel", "Klima Netz"]
SUBSTRING = (Path(__file__).parent / "search_substring.rq").read_text(encoding="utf-8")
SUBSTRING_COUNT = (Path(__file__).parent / "search_substring_count.rq").read_text(
    encoding="utf-8")


def _substring(backend: EmbeddedBackend, base: str) -> Callable[[str], object]:
    def run(text: str) -> object:
        words = [w.lower() for w in text.split()][:4]
        bindings: dict[str, Identifier] = {
            f"w{i + 1}": Literal(words[i] if i < len(words) else "") for i in range(4)}
        bindings["prefix"] = Literal(base + "id/")
        backend.select(SUBSTRING_COUNT, bindings)
        return backend.select(paged(SUBSTRING, 50, 0), bindings)
    return run


def measure(label: str, settings: Settings, rounds: int) -> None:
    """Print the build time and the query rows for one store."""
    backend = EmbeddedBackend(settings)
    version = backend.version()
    assert version is not None
    print(f"\n{label}: {len(backend.reader()):,} quads")
    started = time.perf_counter()
    things, names = gather(backend, settings)
    read = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        started = time.perf_counter()
        count = build(Path(tmp) / "index", things.values(), names, version.id)
        written = time.perf_counter() - started
    print(f"index build: {read + written:.2f} s ({count:,} documents; SPARQL reads "
          f"{read:.2f} s, tantivy {written:.2f} s)")
    shutil.rmtree(settings.data_dir / "search", ignore_errors=True)
    index, meta = SearchIndexes(settings, backend).open(version)
    client = create_app(settings, backend).test_client()

    def indexed(text: str) -> object:
        return search(index, meta, text, {}, 0, 50)

    def http(text: str) -> object:
        response = client.get("/search.json", query_string={"q": text})
        assert response.status_code == 200, response.status_code
        return response.data

    print(f"{'measure':<14}{'p50 ms':>10}{'p95 ms':>10}")
    rows = {}
    for name, action in (("substring", _substring(backend, settings.base_uri)),
                         ("index", indexed), ("/search.json", http)):
        rows[name] = timed(action, QUERIES * rounds)
        print(f"{name:<14}{rows[name][0]:>10.2f}{rows[name][1]:>10.2f}")
    ratio = rows["substring"][0] / max(rows["index"][0], 1e-9)
    print(f"index p50 is {ratio:,.0f}x faster than substring p50 (same run)")
    backend.close()


def main() -> None:
    parser = size_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=3,
                        help="passes over the query list (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        measure("shipped data", shipped_store(Path(tmp) / "shipped"), args.rounds)
    synthetic = args.work / f"data-{args.triples}"
    info = dataset.build(synthetic, args.triples)
    print(f"\n(synthetic store of {info.triples:,} triples, {info.projects:,} projects)")
    measure("synthetic data", load_settings(environ={}, data_dir=synthetic, base_uri=BASE),
            args.rounds)


if __name__ == "__main__":
    main()
