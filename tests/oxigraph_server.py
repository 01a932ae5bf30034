"""A real ``oxigraph serve`` process (PyPI package ``oxigraph``) as the remote store of tests.

``start_oxigraph()`` starts one on a free port of 127.0.0.1, waits until it answers and returns
a handle; ``stop_oxigraph()`` ends it. The server runs with ``--union-default-graph``, the
configuration the platform needs from any remote store. Plain functions (no fixtures), so any
conftest can build session fixtures on them (``tests/store/conftest.py`` does).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from smartregion.settings import Settings, load_settings

# The store's own query timeout (seconds): bounds the work of a query the platform gave up on.
SERVER_QUERY_TIMEOUT = 10
START_TIMEOUT = 30.0


@dataclass
class OxigraphServer:
    """A running ``oxigraph serve`` process and its SPARQL/GSP URLs."""

    process: subprocess.Popen[bytes]
    url: str
    location: Path

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"

    @property
    def update_url(self) -> str:
        return f"{self.url}/update"

    @property
    def gsp_url(self) -> str:
        return f"{self.url}/store"

    def settings(self, tmp: Path, *, gsp: bool = True, **overrides: object) -> Settings:
        """Settings for a remote backend on this server (GSP URL unless ``gsp=False``), with
        the tests' base ``http://testserver/`` and no environment."""
        values: dict[str, object] = {
            "data_dir": tmp / "store",
            "base_uri": "http://testserver/",
            "store": "remote",
            "query_url": self.query_url,
            "update_url": self.update_url,
            "gsp_url": self.gsp_url if gsp else "",
            "store_timeout": 30.0,
        }
        values.update(overrides)
        return load_settings(environ={}, **values)

    def update(self, text: str) -> None:
        """Run a SPARQL update directly on the server (test set-up, not the platform's path)."""
        response = requests.post(self.update_url, data=text.encode(), timeout=30,
                                 headers={"Content-Type": "application/sparql-update"})
        response.raise_for_status()

    def graph_names(self) -> set[str]:
        """All named graphs as the server itself lists them (staging graphs included)."""
        response = requests.post(
            self.query_url, data=b"SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", timeout=30,
            headers={"Content-Type": "application/sparql-query",
                     "Accept": "application/sparql-results+json"})
        response.raise_for_status()
        return {b["g"]["value"] for b in response.json()["results"]["bindings"]}

    def clear(self) -> None:
        """Remove every graph (between tests that share the session server)."""
        self.update("DROP ALL")


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` command of this virtual environment (or on PATH)."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    return shutil.which("oxigraph")


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_oxigraph(location: Path, *, union_default_graph: bool = True) -> OxigraphServer:
    """Start ``oxigraph serve`` on a fresh store at ``location``; return once it answers.
    ``union_default_graph=False`` leaves out ``--union-default-graph`` (a misconfigured store,
    for the tests of the store check)."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the `oxigraph` command is missing (pip install oxigraph)")
    port = free_port()
    log = (location.parent / f"{location.name}.log").open("wb")
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         *(["--union-default-graph"] if union_default_graph else []),
         "--timeout-s", str(SERVER_QUERY_TIMEOUT)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    server = OxigraphServer(process, f"http://127.0.0.1:{port}", location)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = (location.parent / f"{location.name}.log").read_text(errors="replace")
            raise RuntimeError(f"oxigraph serve exited with {process.returncode}: {output}")
        try:
            if requests.get(server.query_url, params={"query": "ASK {}"}, timeout=2).ok:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop_oxigraph(server)
    raise RuntimeError(f"oxigraph serve did not answer on {server.url} within {START_TIMEOUT} s")


def stop_oxigraph(server: OxigraphServer) -> None:
    """Terminate the server process (kill it if it does not stop)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
