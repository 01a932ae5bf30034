"""End-to-end fixtures: one real ``smartregion serve`` process per session.

``live_server`` loads the shipped data through the real pipeline into a temporary store,
starts ``python -m smartregion serve`` (granian, several workers, executor pools) on a free
port with ``SMARTREGION_*`` settings pointing at that store, waits until ``/readyz``
answers, and terminates it at the end of the session. The base URI is the server's own
address, so every link it writes can be followed. The query deadline is short (2 s) so the
hostile-query tests finish quickly; one SERVICE endpoint is allow-listed (a port reserved for
a stand-in server the tests start themselves).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from loaders.pipeline import load, resolve_sources
from smartregion.settings import PROJECT_DIR, load_settings
from smartregion.store.embedded import EmbeddedBackend

QUERY_TIMEOUT = 2.0


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL (ends with '/'), store directory and settings."""

    url: str
    data_dir: Path
    environment: dict[str, str]
    log: Path
    allowed_service_port: int

    @property
    def sparql(self) -> str:
        """The SPARQL endpoint URL."""
        return self.url + "sparql"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_responds(url: str, process: subprocess.Popen[bytes], log: Path,
                        timeout: float = 90.0) -> None:
    """Poll ``url`` until it answers 200; fail with the server log if it dies or hangs."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"server did not answer {url} in {timeout:.0f} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real ``smartregion serve`` over the shipped data, shared by the whole session."""
    root = tmp_path_factory.mktemp("live")
    port, service_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}/"
    environment = {
        "SMARTREGION_DATA_DIR": str(root / "store"),
        "SMARTREGION_BASE_URI": url,
        "SMARTREGION_PORT": str(port),
        "SMARTREGION_WORKERS": "2",
        "SMARTREGION_QUERY_EXECUTORS": "2",
        "SMARTREGION_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "SMARTREGION_SERVICE_ALLOWLIST": f"http://127.0.0.1:{service_port}/sparql",
        "SMARTREGION_METRICS_DIR": str(root / "metrics"),
    }
    settings = load_settings(environ=environment)
    backend = EmbeddedBackend(settings)
    try:
        load(resolve_sources([], settings), settings, backend)
    finally:
        backend.close()
    log = root / "server.log"
    with serving(environment, port, log):
        yield LiveServer(url, root / "store", environment, log, service_port)


@contextmanager
def serving(environment: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """A real ``smartregion serve`` on ``port`` with the ``SMARTREGION_*`` settings of
    ``environment`` (none inherited), ready (``/readyz``) until the block ends."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTREGION_")}
    child_env.update(environment)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "smartregion", "serve", "--port", str(port)],
            cwd=PROJECT_DIR, env=child_env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/readyz", process, log)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
