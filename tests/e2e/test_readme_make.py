"""The README's first commands: ``make serve`` serves the shipped data; ``make test`` is CI.

``make serve`` runs as the README shows it (with the store, port and base URI pointed at a
temporary directory through the settings' environment variables) until the server answers;
``make test`` is what ``.ci/run`` runs, so every CI run runs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from smartregion.settings import PROJECT_DIR
from tests.e2e.conftest import free_port, wait_until_responds
from tests.readme_commands import readme_commands

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_readme_make_commands_work(tmp_path: Path) -> None:
    for command in readme_commands("make"):
        if command.argv == ["make", "test"]:
            ci = (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
            assert "make test" in ci, ".ci/run no longer runs 'make test'"
        elif command.argv == ["make", "serve"]:
            _make_serve(tmp_path)
        else:
            pytest.fail(f"README.md:{command.line}: no test runs {command.text!r} yet")


def _make_serve(tmp: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    environment.update({
        "SMARTREGION_DATA_DIR": str(tmp / "store"), "SMARTREGION_PORT": str(port),
        "SMARTREGION_BASE_URI": f"http://127.0.0.1:{port}/", "SMARTREGION_WORKERS": "1",
        "SMARTREGION_QUERY_EXECUTORS": "1",
    })
    log = tmp / "make-serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(["make", "serve"], cwd=PROJECT_DIR, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/healthz", process, log, timeout=300)
        page = requests.get(f"http://127.0.0.1:{port}/doc/project/smart-kassel", timeout=30,
                            headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Smart Kassel" in page.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
