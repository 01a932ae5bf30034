"""Several web nodes: a real nginx load balancer in front of two ``smartregion serve`` nodes on
one remote store (a real ``oxigraph serve --union-default-graph``).

nginx runs the shipped ``deploy/nginx/smartregion.conf`` with
``deploy/nginx/smartregion-cluster.conf`` included as its upstream (only the lines marked
``# test:`` are rewritten: addresses, ports, certificate and cache paths). The nodes run
with the settings of the README block marked ``run by test: cluster-node`` (store URLs,
ports and trusted proxy pointed at this test). Clients of several addresses (127.0.0.2 …)
send mixed traffic through nginx while ``smartregion load`` publishes a modified copy of the
data; the test checks that no request failed, that each node (asked directly) serves the
new version within ``SMARTREGION_STORE_VERSION_TTL`` + 1 s of the store's switch, that both
nodes give the same ``ETag`` for the same URL and version, and where fair use is counted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from smartregion.settings import PROJECT_DIR, load_settings
from smartregion.store import open_backend
from tests.e2e.conftest import free_port, serving
from tests.e2e.nginx import (
    PUBLIC_HOST,
    certificate,
    nginx_conf,
    require_nginx,
    site_config,
    start_nginx,
)
from tests.e2e.nodes import data_copy, relabel, served_version, smartregion
from tests.oxigraph_server import OxigraphServer, start_oxigraph, stop_oxigraph
from tests.readme_commands import README, readme_commands, readme_settings

pytestmark = [pytest.mark.e2e, pytest.mark.remote]
CLUSTER_CONFIG = PROJECT_DIR / "deploy" / "nginx" / "smartregion-cluster.conf"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = "application/sparql-results+json"
# (method, path, headers, form or body): pages, SPARQL GET/POST, catalogue, conneg.
MIX: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", "/doc/project/smart-kassel", {"Accept": "text/html"}, None),
    ("GET", "/doc/district/06411", {"Accept": "text/turtle"}, None),
    ("GET", "/doc/district/06411.jsonld", {}, None),
    ("GET", "/id/municipality/06411000", {"Accept": "text/html"}, None),
    ("GET", "/projects", {"Accept": "text/html"}, None),
    ("GET", "/sparql?query=" + requests.utils.quote(COUNT), {"Accept": JSON}, None),
    ("POST", "/sparql", {"Accept": JSON}, {"query": COUNT}),
    ("POST", "/sparql", {"Accept": JSON, "Content-Type": "application/sparql-query"},
     COUNT.encode()),
    ("GET", "/catalog", {"Accept": "text/turtle"}, None),
    ("GET", "/catalog", {"Accept": "application/ld+json"}, None),
    ("GET", "/.well-known/void", {"Accept": "text/turtle"}, None),
]
SAME_ETAG = ["/doc/project/smart-kassel", "/doc/district/06411", "/projects", "/catalog",
             "/.well-known/void"]


class _FromAddress(HTTPAdapter):
    """Connections from one local address: nginx sees a client of its own."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class Cluster:
    """nginx on ``https://127.0.0.1:{port}`` in front of two nodes on one store."""

    port: int
    certificate: Path
    nodes: list[str]
    logs: list[Path]
    store: OxigraphServer
    loader: dict[str, str]
    data: Path
    ttl: float
    errors: list[str] = field(default_factory=list)

    def client(self, address: str) -> requests.Session:
        session = requests.Session()
        session.mount("https://", _FromAddress(address))
        session.headers["Host"] = PUBLIC_HOST
        return session

    def send(self, session: requests.Session, method: str, path: str,
             headers: dict[str, str], data: Any) -> requests.Response:
        return session.request(method, f"https://127.0.0.1:{self.port}{path}", data=data,
                               headers=headers, timeout=60, allow_redirects=False,
                               verify=str(self.certificate))

    def direct(self, node: str, path: str, **headers: str) -> requests.Response:
        """Ask one node itself, as nginx would (the node trusts 127.0.0.1)."""
        return requests.get(node + path.lstrip("/"), timeout=30, headers={
            "Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", **headers})

    def etags(self, node: str) -> dict[str, str]:
        return {p: self.direct(node, p, Accept="text/html").headers["ETag"] for p in SAME_ETAG}

    def store_version(self) -> str | None:
        settings = load_settings(environ={**self.loader, "SMARTREGION_STORE_VERSION_TTL": "0"})
        backend = open_backend(settings)
        try:
            version = backend.version()
        finally:
            backend.close()
        return version.id if version else None


def _node_environment(store: OxigraphServer, folder: Path, port: int) -> dict[str, str]:
    """The README's node settings, with this test's store, port and proxy address."""
    environment = readme_settings("cluster-node")
    assert [c.argv for c in readme_commands("cluster-node")] == [["smartregion", "serve"]]
    pointed = {"SMARTREGION_QUERY_URL": store.query_url,
               "SMARTREGION_UPDATE_URL": store.update_url,
               "SMARTREGION_GSP_URL": store.gsp_url,
               "SMARTREGION_TRUSTED_PROXIES": "127.0.0.1",
               "SMARTREGION_HOST": "127.0.0.1"}
    assert set(pointed) <= set(environment), "the README's node settings changed"
    environment.update(pointed)
    environment.update({"SMARTREGION_PORT": str(port), "SMARTREGION_WORKERS": "1",
                        "SMARTREGION_DATA_DIR": str(folder / "store"),
                        "SMARTREGION_ACCESS_LOG": str(folder / "access.log"),
                        "SMARTREGION_METRICS_DIR": str(folder / "metrics")})
    return environment


def _nginx_config(folder: Path, nodes: list[int], port: int, cert: Path, key: Path) -> Path:
    members = []
    for line in CLUSTER_CONFIG.read_text(encoding="utf-8").splitlines():
        if line.rstrip().endswith("# test: node1") or line.rstrip().endswith("# test: node2"):
            number = int(line.rstrip()[-1])
            line = line.replace(line.split()[1], f"127.0.0.1:{nodes[number - 1]}", 1)
        members.append(line)
    (folder / "cluster.conf").write_text("\n".join(members) + "\n")
    site = site_config("CLUSTER", port, free_port(), cert, key, folder / "cache")
    assert "    server CLUSTER;" in site
    return nginx_conf(folder, site.replace("    server CLUSTER;",
                                           f"    include {folder / 'cluster.conf'};"),
                      connections=512)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import signal
    import subprocess

    require_nginx()
    folder = tmp_path_factory.mktemp("cluster")
    store = start_oxigraph(folder / "oxigraph")
    with ExitStack() as stack:
        stack.callback(stop_oxigraph, store)
        data = data_copy(folder)
        ports = [free_port(), free_port()]
        environments = [_node_environment(store, folder / f"node{i + 1}", port)
                        for i, port in enumerate(ports)]
        loader = {**environments[0], "SMARTREGION_DATA_DIR": str(folder / "loader"),
                  "SMARTREGION_SOURCE_DIR": str(data), "SMARTREGION_ACCESS_LOG": ""}
        loaded = smartregion(loader, "load")
        assert loaded.returncode == 0, loaded.stderr[-2000:]
        for number, (environment, port) in enumerate(zip(environments, ports, strict=True)):
            stack.enter_context(serving(environment, port, folder / f"node{number + 1}.log"))
        cert, key = certificate(folder)
        nginx_port = free_port()
        config = _nginx_config(folder, ports, nginx_port, cert, key)
        process = start_nginx(folder, config)

        def stop_nginx() -> None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        stack.callback(stop_nginx)
        built = Cluster(nginx_port, cert, [f"http://127.0.0.1:{p}/" for p in ports],
                        [Path(e["SMARTREGION_ACCESS_LOG"]) for e in environments], store,
                        loader, data, float(environments[0]["SMARTREGION_STORE_VERSION_TTL"]))
        probe = built.client("127.0.0.1")
        give_up = time.monotonic() + 20
        answer: object = None
        while True:
            assert process.poll() is None, (folder / "error.log").read_text()[-2000:]
            try:
                answer = built.send(probe, "GET", "/readyz", {}, None).status_code
                if answer == 200:
                    break
            except requests.RequestException as exc:
                answer = exc
            assert time.monotonic() < give_up, (answer, (folder / "error.log").read_text())
            time.sleep(0.2)
        yield built


def _traffic(cluster: Cluster, address: str, stop: threading.Event,
             results: list[tuple[str, int | str]]) -> None:
    session = cluster.client(address)
    turn = 0
    while not stop.is_set():
        method, path, headers, data = MIX[turn % len(MIX)]
        turn += 1
        try:
            status: int | str = cluster.send(session, method, path, headers, data).status_code
        except requests.RequestException as exc:
            status = f"{type(exc).__name__}: {exc}"
        results.append((f"{method} {path} {headers.get('Accept', '')}", status))
        time.sleep(0.02)  # a busy client, below nginx's 20 requests/s per address on /sparql


def _watch(probe: Any, stop: threading.Event, seen: list[tuple[float, str | None]]) -> None:
    while not stop.is_set():
        asked = time.monotonic()
        try:
            seen.append((asked, probe()))
        except requests.RequestException:
            seen.append((asked, "unreachable"))
        time.sleep(0.05)


def _first(seen: list[tuple[float, str | None]], version: str) -> float | None:
    return next((t for t, v in seen if v == version), None)


def test_mixed_traffic_while_publishing_and_every_node_follows(cluster: Cluster) -> None:
    before = cluster.store_version()
    assert before is not None
    assert [served_version(n) for n in cluster.nodes] == [before, before]
    old_etags = [cluster.etags(node) for node in cluster.nodes]
    assert old_etags[0] == old_etags[1]
    stop, watching = threading.Event(), threading.Event()
    results: list[tuple[str, int | str]] = []
    seen: dict[str, list[tuple[float, str | None]]] = {"store": []}
    threads = [threading.Thread(target=_traffic, args=(cluster, f"127.0.0.{n}", stop, results))
               for n in range(2, 6)]
    store = open_backend(load_settings(environ={**cluster.loader,
                                                "SMARTREGION_STORE_VERSION_TTL": "0"}))
    threads.append(threading.Thread(target=_watch, args=(
        lambda: getattr(store.version(), "id", None), watching, seen["store"])))
    for node in cluster.nodes:
        seen[node] = []
        threads.append(threading.Thread(target=_watch, args=(
            lambda node=node: served_version(node), watching, seen[node])))
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        relabel(cluster.data, "Smart Kassel – Lastverteilungstest")
        published = smartregion(cluster.loader, "load")
        assert published.returncode == 0, published.stderr[-2000:]
        time.sleep(cluster.ttl + 2)
    finally:
        stop.set()
        watching.set()
        for thread in threads:
            thread.join(timeout=60)
        store.close()
    after = cluster.store_version()
    assert after is not None and after != before
    failed = [(what, status) for what, status in results
              if not isinstance(status, int) or status >= 500 or status == 429]
    assert not failed, failed[:10]
    assert len(results) > 50 and {s for _, s in results} <= {200, 303}, \
        sorted({s for _, s in results}, key=str)
    print(f"\n{len(results)} requests through nginx during the publish, none failed")
    # The switch happened after the last look that still found the old version: measuring
    # from there overstates each node's delay by at most one look at the store.
    switched = max((t for t, v in seen["store"] if v == before), default=None)
    assert switched is not None and _first(seen["store"], after), "no switch seen in the store"
    for node in cluster.nodes:
        followed = _first(seen[node], after)
        assert followed is not None, f"{node} never served {after}"
        # Asked from then on, the node served the new version (no flapping back).
        assert all(v == after for t, v in seen[node] if t >= followed), seen[node][-20:]
        lag = followed - switched
        print(f"\n{node} serves {after} at most {lag:.2f} s after the store switched "
              f"(TTL {cluster.ttl:g} s)")
        assert lag <= cluster.ttl + 1, f"{node} followed {lag:.2f} s after the switch"
    new_etags = [cluster.etags(node) for node in cluster.nodes]
    assert new_etags[0] == new_etags[1]
    assert new_etags[0]["/doc/project/smart-kassel"] != old_etags[0]["/doc/project/smart-kassel"]
    for node in cluster.nodes:
        page = cluster.direct(node, "/doc/project/smart-kassel", Accept="text/html").text
        assert "Lastverteilungstest" in page
    for log in cluster.logs:  # nginx sent the traffic to both nodes
        clients = {json.loads(line)["client"] for line in log.read_text().splitlines()}
        assert {"127.0.0.2", "127.0.0.3"} & clients, (log, clients)


def test_fair_use_is_counted_per_client_by_the_load_balancer(cluster: Cluster) -> None:
    """nginx's limit_req zone (20 requests/s, burst 40, per address) is one for all nodes;
    the nodes on a remote store count no client queries themselves (README)."""
    greedy, results = "127.0.0.20", []
    lock = threading.Lock()
    started = time.monotonic()

    def burst() -> None:
        session = cluster.client(greedy)
        for turn in range(20):  # each one different: nothing comes from nginx's micro-cache
            status = cluster.send(session, "GET", "/sparql?query=" + requests.utils.quote(
                f"{COUNT} # burst {threading.get_ident()} {turn}"), {"Accept": JSON},
                None).status_code
            with lock:
                results.append(status)

    threads = [threading.Thread(target=burst) for _ in range(6)]
    for thread in threads:
        thread.start()
    other = cluster.send(cluster.client("127.0.0.21"), "GET", "/sparql?query="
                         + requests.utils.quote(COUNT), {"Accept": JSON}, None)
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    assert other.status_code == 200  # another client is not limited by the greedy one
    assert set(results) <= {200, 429} and results.count(429) > 0, results
    passed = results.count(200)
    assert passed <= 40 + 20 * elapsed + 2, (passed, elapsed)  # one budget, not one per node
    served = []
    for log in cluster.logs:
        served.append(sum(1 for line in log.read_text().splitlines()
                          if json.loads(line)["client"] == greedy
                          and "%23%20burst" in json.loads(line)["path"]))
    print(f"\nburst of {len(results)} in {elapsed:.2f} s: {passed} passed (per node {served}), "
          f"{results.count(429)} got 429")
    assert sum(served) == passed and all(served), served  # both nodes shared one budget


def test_the_readme_shows_the_cluster_configuration_the_test_runs() -> None:
    readme = README.read_text(encoding="utf-8")
    shipped = CLUSTER_CONFIG.read_text(encoding="utf-8")
    body = "\n".join(line for line in shipped.splitlines() if not line.startswith("#"))
    assert body.strip() in readme, "README 'Scaling out' must show smartregion-cluster.conf"
    assert "include /etc/nginx/smartregion-cluster.conf;" in readme
