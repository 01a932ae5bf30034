"""What the embedded-store benchmarks share: their size arguments, the shipped data loaded
through the real pipeline, and p50/p95 timing."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench import dataset
from loaders.pipeline import load, resolve_sources
from smartregion.settings import Settings, load_settings
from smartregion.store.embedded import EmbeddedBackend

ROOT = Path(__file__).resolve().parent.parent


def size_parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--triples`` and ``--work`` (where the synthetic store is
    built and kept for reruns); the description is the first paragraph of ``doc``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000,
                        help="size of the synthetic dataset (default 1,000,000)")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench",
                        help="where the synthetic store is built and kept for reruns")
    return parser


def shipped_store(data_dir: Path) -> Settings:
    """Load the shipped data into a fresh embedded store at ``data_dir``; its settings."""
    settings = load_settings(environ={}, data_dir=data_dir, base_uri=dataset.BASE)
    backend = EmbeddedBackend(settings)
    load(resolve_sources([], settings), settings, backend)
    backend.close()
    return settings


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
