"""A real Virtuoso Open Source 7 server (Debian's ``virtuoso-t``) as the remote store of tests.

``start_virtuoso(directory)`` writes its own minimal ``virtuoso.ini`` there (database, log and
transaction files in the directory, SQL and HTTP ports on free loopback ports), runs
``virtuoso-t +foreground`` as a child process, waits until ``/sparql`` answers and then does
what an operator does once with ``isql-vt``: creates the loader's user and grants it
``SPARQL_UPDATE``, so that updates go through ``/sparql-auth`` with HTTP Digest
authentication. ``stop_virtuoso()`` ends the process by its id. Plain functions (no fixtures);
``tests/store/conftest.py`` and ``tests/conftest.py`` build session fixtures on them.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from requests.auth import HTTPDigestAuth

from smartregion.settings import Settings, load_settings
from tests.oxigraph_server import free_port

VIRTUOSO = "/usr/bin/virtuoso-t"
ISQL = "/usr/bin/isql-vt"
VAD_DIR = "/usr/share/virtuoso-opensource-7/vad"
# The store's own query timeout (seconds): bounds the work of a query the platform gave up on.
SERVER_QUERY_TIMEOUT = 10
START_TIMEOUT = 90.0
LOADER_USER = "smartregion"
LOADER_PASSWORD = "loader-secret-for-tests"
DBA_PASSWORD = "dba"  # the fresh database's default; only the test's own loopback server

INI = """\
; Written by tests/virtuoso_server.py: a small Virtuoso for the tests of the remote backend.
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode           = 2
DirsAllowed        = ., {dir}, {vad}
VADInstallDir      = {vad}/
NumberOfBuffers    = {buffers}
MaxDirtyBuffers    = {dirty_buffers}
; Bytes one transaction may change (SR325 above it); a publish's switch is one transaction.
TransactionAfterImageLimit = {after_image}
ThreadsPerQuery    = 2
MaxQueryMem        = 512M
; ORDER BY with LIMIT above this many rows is refused (SR353); the sitemap asks for 50000.
MaxSortedTopRows   = 100000

[HTTPServer]
ServerPort         = 127.0.0.1:{http_port}
ServerRoot         = {dir}/vsp
MaxClientConnections = 20
ServerThreads      = 20
MaxKeepAlives      = 10
KeepAliveTimeout   = 10
Charset            = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryExecutionTime      = {timeout}
MaxQueryCostEstimationTime = 0
"""

# What an operator runs once with `isql-vt PORT dba PASSWORD`: a user for the loader that may
# run SPARQL Update through /sparql-auth (HTTP Digest). Readers use /sparql as "nobody".
OPERATOR_SETUP = f"""\
DB.DBA.USER_CREATE ('{LOADER_USER}', '{LOADER_PASSWORD}');
GRANT SPARQL_UPDATE TO "{LOADER_USER}";
"""


@dataclass
class VirtuosoServer:
    """A running ``virtuoso-t`` process, its ports and its directory."""

    process: subprocess.Popen[bytes]
    directory: Path
    sql_port: int
    http_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.url}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.url}/sparql-auth"

    @property
    def gsp_url(self) -> str:
        return f"{self.url}/sparql-graph-crud-auth"

    def settings(self, tmp: Path, *, gsp: bool = True, **overrides: object) -> Settings:
        """Settings for a remote backend on this server (the loader's Digest credentials; GSP
        for uploads and graph reads unless ``gsp=False``),
        with the tests' base ``http://testserver/`` and no environment."""
        values: dict[str, object] = {
            "data_dir": tmp / "store",
            "base_uri": "http://testserver/",
            "store": "remote",
            "query_url": self.query_url,
            "update_url": self.update_url,
            "gsp_url": self.gsp_url if gsp else "",
            "store_user": LOADER_USER,
            "store_password": LOADER_PASSWORD,
            "store_auth": "digest",
            "store_dataset": "named",
            "store_query_timeout_param": "timeout",
            "store_transaction": "operation",
            "store_timeout": 30.0,
            "store_batch_bytes": 4_000_000,
        }
        values.update(overrides)
        return load_settings(environ={}, **values)

    def environment(self, tmp: Path, base_uri: str = "http://testserver/") -> dict[str, str]:
        """The ``SMARTREGION_*`` variables an operator sets for this server (README,
        *Scaling out* → *Virtuoso*), with the store's local files under ``tmp``."""
        settings = self.settings(tmp, base_uri=base_uri)
        return {
            "SMARTREGION_STORE": "remote", "SMARTREGION_BASE_URI": base_uri,
            "SMARTREGION_DATA_DIR": str(settings.data_dir),
            "SMARTREGION_QUERY_URL": self.query_url, "SMARTREGION_UPDATE_URL": self.update_url,
            "SMARTREGION_GSP_URL": self.gsp_url,
            "SMARTREGION_STORE_USER": LOADER_USER, "SMARTREGION_STORE_PASSWORD": LOADER_PASSWORD,
            "SMARTREGION_STORE_AUTH": "digest", "SMARTREGION_STORE_DATASET": "named",
            "SMARTREGION_STORE_TRANSACTION": "operation",
            "SMARTREGION_STORE_QUERY_TIMEOUT_PARAM": "timeout",
            "SMARTREGION_STORE_BATCH_BYTES": str(settings.store_batch_bytes),
        }

    def update(self, text: str) -> None:
        """Run a SPARQL update directly on the server (test set-up, not the platform's path)."""
        response = requests.post(self.update_url, data=text.encode(), timeout=60,
                                 auth=HTTPDigestAuth(LOADER_USER, LOADER_PASSWORD),
                                 headers={"Content-Type": "application/sparql-update"})
        response.raise_for_status()

    def graph_names(self) -> set[str]:
        """All named graphs as the server itself lists them (its system graphs included)."""
        # A form POST: Virtuoso 7 does not answer a query POSTed directly.
        response = requests.post(
            self.query_url, data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            timeout=60, headers={"Accept": "application/sparql-results+json"})
        response.raise_for_status()
        return {b["g"]["value"] for b in response.json()["results"]["bindings"]}

    def clear(self, prefix: str = "http://testserver/") -> None:
        """Remove every graph under ``prefix`` (the system graphs stay: Virtuoso needs them)."""
        for name in self.graph_names():
            if name.startswith(prefix):
                self.update(f"DROP SILENT GRAPH <{name}>")

    def isql(self, script: str) -> str:
        """Run SQL as ``dba`` through ``isql-vt`` (what an operator does); returns its output."""
        done = subprocess.run(
            [ISQL, str(self.sql_port), "dba", DBA_PASSWORD, "VERBOSE=OFF", "BANNER=OFF",
             "PROMPT=OFF", "ERRORS=STDOUT"],
            input=script + "\n", capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql-vt failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout


def virtuoso_missing() -> str | None:
    """Why Virtuoso tests cannot run here (``None`` when they can)."""
    for tool in (VIRTUOSO, ISQL):
        if shutil.which(tool) is None:
            return (f"{tool} is missing: Debian's virtuoso-opensource is needed "
                    "('make virtuoso' installs it)")
    return None


def start_virtuoso(directory: Path, *, operator_setup: bool = True,
                   query_timeout: int = SERVER_QUERY_TIMEOUT, buffers: int = 10_000,
                   after_image: int = 50_000_000) -> VirtuosoServer:
    """Start ``virtuoso-t`` on a fresh database in ``directory``; return once ``/sparql``
    answers and (unless ``operator_setup=False``) the operator's set-up is done.

    ``query_timeout`` is ``MaxQueryExecutionTime`` and ``after_image`` is
    ``TransactionAfterImageLimit`` (Virtuoso's default): both bound a publish's switch too.
    ``buffers`` is ``NumberOfBuffers`` (8 KiB pages of cache: 80 MB for the tests)."""
    missing = virtuoso_missing()
    if missing:
        pytest.skip(missing)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vsp").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, vad=VAD_DIR, sql_port=sql_port,
                              http_port=http_port, timeout=query_timeout, buffers=buffers,
                              dirty_buffers=buffers * 3 // 4, after_image=after_image))
    server = VirtuosoServer(_run(directory), directory, sql_port, http_port)
    try:
        _wait_until_ready(server)
        if operator_setup:
            server.isql(OPERATOR_SETUP)
    except BaseException:
        stop_virtuoso(server)
        raise
    return server


def restart_virtuoso(server: VirtuosoServer) -> None:
    """Start ``virtuoso-t`` again on the same database and ports (after it stopped or was
    killed: it replays its transaction log) and wait until it answers."""
    if server.process.poll() is None:
        raise RuntimeError("virtuoso-t is still running")
    server.process = _run(server.directory)
    _wait_until_ready(server)


def _run(directory: Path) -> subprocess.Popen[bytes]:
    log = (directory / "console.log").open("ab")
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", str(directory / "virtuoso.ini")],
        cwd=directory, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


def _wait_until_ready(server: VirtuosoServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = (server.directory / "console.log").read_text(errors="replace")
            raise RuntimeError(f"virtuoso-t exited with {server.process.returncode}: {output}")
        try:
            if requests.get(server.query_url, params={"query": "ASK {}"}, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"virtuoso-t did not answer on {server.url} within {START_TIMEOUT} s")


def stop_virtuoso(server: VirtuosoServer) -> None:
    """Terminate the server process by its id (kill it if it does not stop)."""
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
