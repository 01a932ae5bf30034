"""Load time of the Destatis GV100AD file, split by phase, next to pyoxigraph's raw write rate.

    .venv/bin/python -m bench.bench_gv100ad [--file PATH] [--land 06 --land all]

For each Land selection (default: Hessen and all of Germany) the three phases of
``smartregion load gv100ad`` are timed separately on an empty store in a temporary directory:

* parse: read the file, check every record, map the selection to RDF (``extract``),
* validate: SHACL over everything that would be published (``validate_with_published``),
* publish: write a new store version (checkpoint, ``bulk_extend``, optimize, pointer swap),

and, in the same run, pyoxigraph's raw ``bulk_extend`` of the same triples into a fresh
on-disk store (quads converted beforehand, so only the store's write is timed). The ratio
says how much of the raw write rate a whole load keeps. Figures are wall-clock on this machine;
compare rows of one run. Skips (exit 0) when the shared reference file is absent.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from loaders.gv100ad import GV100ADSource
from loaders.pipeline import validate_with_published
from loaders.provenance import record
from smartregion.settings import load_settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication, now
from smartregion.store.terms import to_quad
from smartregion.uris import graph_uri

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_FILE = ROOT.parent / "shared" / "reference-data" / "GV100AD_30112025.txt"


def measure(path: Path, land: str, workdir: Path) -> dict[str, float]:
    """Seconds per phase and the triple count for one Land selection."""
    settings = load_settings(environ={}, data_dir=workdir / f"store-{land}",
                             base_uri="https://data.smarte-region-hessen.de/")
    backend = EmbeddedBackend(settings)
    source = GV100ADSource(str(path), land)
    started = now()
    clock = time.perf_counter()
    extracted = source.extract(settings)
    parse = time.perf_counter() - clock

    clock = time.perf_counter()
    report = validate_with_published([extracted], settings, backend)
    validate = time.perf_counter() - clock
    if not report.conforms:
        raise SystemExit(f"GV100AD {land} does not conform:\n{report.text()}")

    uri = graph_uri(settings.base_uri, extracted.name)
    publication = Publication(
        graphs={uri: extracted.graph},
        records={uri: record(extracted, uri, loader_version=source.loader_version,
                             started=started, ended=now(), report=report, issued=None)},
    )
    clock = time.perf_counter()
    backend.publish(publication)
    publish = time.perf_counter() - clock
    backend.close()

    graph_node = ox.NamedNode(uri)
    quads = [to_quad(triple, graph_node) for triple in extracted.graph]
    raw_store = ox.Store(str(workdir / f"raw-{land}"))
    clock = time.perf_counter()
    raw_store.bulk_extend(quads)
    raw_store.flush()
    raw = time.perf_counter() - clock
    del raw_store
    return {"triples": float(len(extracted.graph)), "parse": parse, "validate": validate,
            "publish": publish, "raw": raw}


def main() -> None:
    """Run the benchmark and print one block of figures per Land selection."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--land", action="append", help="06 … 16 or all (repeatable)")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"skipped: GV100AD file {args.file} is absent")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for land in args.land or ["06", "all"]:
            f = measure(args.file, land, Path(tmp))
            total = f["parse"] + f["validate"] + f["publish"]
            triples = int(f["triples"])
            print(f"GV100AD land={land}: {triples} triples")
            for phase in ("parse", "validate", "publish"):
                print(f"  {phase:<9} {f[phase]:8.2f} s  {triples / f[phase]:>10,.0f} triples/s")
            print(f"  {'total':<9} {total:8.2f} s  {triples / total:>10,.0f} triples/s")
            print(f"  raw bulk_extend {f['raw']:6.2f} s  {triples / f['raw']:>10,.0f} triples/s"
                  f"  (publish/raw time ratio {f['publish'] / f['raw']:.1f}x, "
                  f"total/raw {total / f['raw']:.0f}x)")


if __name__ == "__main__":
    main()
