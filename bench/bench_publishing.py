"""Publishing speed on one data directory: GV100AD for all of Germany, then one-file edits.

    .venv/bin/python -m bench.bench_publishing [--file PATH] [--edits 3] [--profile]

In one run, on one store in a temporary directory (figures are wall-clock on this machine;
compare rows of one run):

1. **baseline**: the triples ``load gv100ad --land all`` publishes, written raw into a fresh
   on-disk pyoxigraph store: ``bulk_load`` of their N-Triples and ``bulk_extend`` of
   ready-made quads;
2. the shipped curated data is loaded (``smartregion load``), then **GV100AD for all of
   Germany** through the whole pipeline (read and map, stage, validate, publish), split by
   phase; goal (issue 11): at most 3× the raw ``bulk_load``;
3. **one-file edits**: a project file is changed and ``load projects`` runs (median of
   ``--edits``), against ``load --force`` of every curated folder (which validates
   everything); goal: the edit takes at most 0.25× of the full reload and under 3 s.

``--profile`` prints where the GV100AD load spends its time (cProfile, top functions).
Skips (exit 0) when the shared reference file is absent.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from loaders.gv100ad import GV100ADSource
from loaders.pipeline import LoadSummary, load, resolve_sources
from smartregion.settings import PROJECT_DIR, Settings, load_settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.terms import to_quad

DEFAULT_FILE = PROJECT_DIR.parent / "shared" / "reference-data" / "GV100AD_30112025.txt"
PROJECT = "projects/smart-kassel.yaml"


class Phases:
    """Times the pipeline's phases from its progress notices."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = [("read", time.perf_counter())]

    def __call__(self, what: str, done: int, total: int | None) -> None:
        if what in ("validate", "publish") and total is None:
            self.marks.append((what, time.perf_counter()))

    def split(self, end: float) -> dict[str, float]:
        marks = [*self.marks, ("end", end)]
        return {name: later - start for (name, start), (_, later) in itertools.pairwise(marks)}


def timed(run: Callable[[], LoadSummary]) -> tuple[float, LoadSummary]:
    started = time.perf_counter()
    summary = run()
    return time.perf_counter() - started, summary


def raw_baseline(triples: list[ox.Quad], workdir: Path) -> tuple[float, float]:
    """Seconds for ``bulk_load`` of the N-Triples and ``bulk_extend`` of the quads."""
    data = ox.serialize(triples, format=ox.RdfFormat.N_QUADS) or b""
    store = ox.Store(str(workdir / "raw-load"))
    started = time.perf_counter()
    store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    store.flush()
    bulk_load = time.perf_counter() - started
    del store
    store = ox.Store(str(workdir / "raw-extend"))
    started = time.perf_counter()
    store.bulk_extend(triples)
    store.flush()
    bulk_extend = time.perf_counter() - started
    del store
    return bulk_load, bulk_extend


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"skipped: GV100AD file {args.file} is absent")
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        shutil.copytree(PROJECT_DIR / "data", workdir / "data")
        settings = load_settings(environ={}, data_dir=workdir / "store",
                                 source_dir=workdir / "data",
                                 base_uri="https://data.smarte-region-hessen.de/")
        run(settings, workdir, args.file, args.edits, args.profile)


def run(settings: Settings, workdir: Path, path: Path, edits: int, profile: bool) -> None:
    source = GV100ADSource(str(path), "all")
    extracted = source.extract(settings)
    node = ox.NamedNode(settings.base_uri + "graph/gv100ad")
    quads = [to_quad(t, node) for t in extracted.graph]
    bulk_load, bulk_extend = raw_baseline(quads, workdir)
    triples = len(quads)
    print(f"baseline: {triples:,} triples of GV100AD (all of Germany) into a fresh store")
    print(f"  raw bulk_load   {bulk_load:7.2f} s   raw bulk_extend {bulk_extend:7.2f} s")

    backend = EmbeddedBackend(settings)
    curated = resolve_sources([], settings)
    seconds, _ = timed(lambda: load(curated, settings, backend))
    print(f"load (shipped curated data, first load): {seconds:.2f} s")

    phases = Phases()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    seconds, summary = timed(lambda: load([source], settings, backend, progress=phases))
    if profiler:
        profiler.disable()
    split = phases.split(phases.marks[0][1] + seconds)
    scope = summary.scope.describe() if summary.scope else ""
    print(f"load gv100ad --land all: {seconds:.2f} s ({scope})")
    print("  " + "   ".join(f"{name} {value:.2f} s" for name, value in split.items()))
    ratio = seconds / bulk_load
    print(f"  whole load / raw bulk_load: {ratio:.1f}x (goal <= 3x: "
          f"{'met' if ratio <= 3 else 'NOT met'})")

    project = settings.source_dir / PROJECT
    original = project.read_text(encoding="utf-8")
    times = []
    for n in range(edits):
        project.write_text(original.replace("Smart Kassel –", f"Smart Kassel ({n}) –", 1),
                           encoding="utf-8")
        seconds, summary = timed(lambda: load(resolve_sources(["projects"], settings),
                                              settings, backend))
        assert summary.scope is not None and summary.version is not None
        times.append(seconds)
    edit = statistics.median(times)
    seconds, summary = timed(lambda: load(curated, settings, backend, force=True))
    full = seconds
    print(f"one-file edit, all of Germany published: load projects {edit:.2f} s "
          f"(median of {edits}: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"full reload: load --force {full:.2f} s "
          f"({summary.scope.describe() if summary.scope else ''})")
    share = edit / full
    print(f"  edit / full reload: {share:.3f}x (goal <= 0.25x: "
          f"{'met' if share <= 0.25 else 'NOT met'}); edit under 3 s: "
          f"{'met' if edit < 3 else 'NOT met'}")
    backend.close()
    if profiler:
        print("where load gv100ad --land all spends its time (cumulative, top 25):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
