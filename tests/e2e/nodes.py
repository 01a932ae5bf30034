"""Helpers of the multi-node tests: the ``smartregion`` command as an operator runs it, a
modified copy of the shipped data, and what a node serves when asked directly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from smartregion.settings import PROJECT_DIR

EDITED = "data/projects/smart-kassel.yaml"


def smartregion(environment: dict[str, str], *args: str,
                timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m smartregion ARGS`` with exactly the ``SMARTREGION_*`` settings given."""
    child = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    child.update(environment)
    return subprocess.run([sys.executable, "-m", "smartregion", *args], cwd=PROJECT_DIR,
                          env=child, capture_output=True, text=True, timeout=timeout,
                          check=False)


def data_copy(folder: Path) -> Path:
    """A copy of the shipped ``data/`` folder under ``folder`` (edited by :func:`relabel`)."""
    target = folder / "data"
    shutil.copytree(PROJECT_DIR / "data", target)
    return target


def relabel(data: Path, label: str) -> None:
    """Give the Smart Kassel project of the copy ``data`` the German label ``label``."""
    path = data.parent / EDITED if data.name == "data" else data / EDITED
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("  de: Smart Kassel")]
    assert lines, f"{EDITED} changed: pick another line to edit"
    path.write_text(text.replace(lines[0], f"  de: {label}", 1), encoding="utf-8")


def served_version(url: str) -> str:
    """The version a node (its base URL) says it serves on ``/healthz``."""
    version: str = requests.get(url + "healthz", timeout=10).json()["version"]
    return version
