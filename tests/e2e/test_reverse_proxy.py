"""A real nginx in front of ``smartregion serve``, configured by the file the README ships.

nginx (Debian's, with the brotli filter) runs ``deploy/nginx/smartregion.conf`` in its own
prefix directory on 127.0.0.1; only the lines marked ``# test:`` are rewritten (addresses,
ports, certificate and cache paths). It terminates TLS with a certificate made for the test
and forwards with ``X-Forwarded-Proto: https``. The platform behind it trusts 127.0.0.1
(``SMARTREGION_TRUSTED_PROXIES``), so every absolute URL it writes names the public
``https://`` host; the same headers sent by a client directly are ignored.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from loaders.pipeline import load, resolve_sources
from smartregion.settings import load_settings
from smartregion.store import open_backend
from tests.e2e.conftest import LiveServer, free_port, serving
from tests.e2e.nginx import (
    PUBLIC_HOST,
    certificate,
    nginx_conf,
    require_nginx,
    site_config,
    start_nginx,
)

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Proxied:
    """nginx on ``https://127.0.0.1:{port}`` in front of a platform server."""

    port: int
    plain_port: int
    certificate: Path
    upstream: str

    @property
    def public(self) -> str:
        """The public base the platform should write: scheme, host and nginx's port."""
        return f"https://{PUBLIC_HOST}:{self.port}/"

    def get(self, path: str, **headers: str) -> requests.Response:
        """GET ``path`` through nginx, as a browser asking for the public host would."""
        return requests.get(f"https://127.0.0.1:{self.port}{path}", timeout=30,
                            verify=str(self.certificate), allow_redirects=False,
                            headers={"Host": PUBLIC_HOST, **headers})


@pytest.fixture(scope="module")
def proxied(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Proxied]:
    require_nginx()
    folder = tmp_path_factory.mktemp("nginx")
    app_port, port, plain_port = free_port(), free_port(), free_port()
    environment = {**live_server.environment, "SMARTREGION_PORT": str(app_port),
                   "SMARTREGION_DATA_DIR": str(folder / "store"),
                   "SMARTREGION_WORKERS": "1",
                   "SMARTREGION_BASE_URI": f"https://{PUBLIC_HOST}/",
                   "SMARTREGION_TRUSTED_PROXIES": "127.0.0.1",
                   "SMARTREGION_ACCESS_LOG": str(folder / "access.log"),
                   "SMARTREGION_METRICS_DIR": str(folder / "metrics")}
    settings = load_settings(environ=environment)
    backend = open_backend(settings)
    try:  # the shipped data under the public base, as in production
        load(resolve_sources([], settings), settings, backend)
    finally:
        backend.close()
    cert, key = certificate(folder)
    upstream = f"127.0.0.1:{app_port}"
    config = nginx_conf(folder, site_config(upstream, port, plain_port, cert, key,
                                            folder / "cache"), connections=256)
    with serving(environment, app_port, folder / "server.log"):
        process = start_nginx(folder, config)
        proxy = Proxied(port, plain_port, cert, upstream)
        try:
            give_up = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    pytest.fail(f"nginx exited: {(folder / 'error.log').read_text()[-2000:]}")
                try:
                    if proxy.get("/healthz").status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > give_up:
                    pytest.fail(f"nginx did not answer: {(folder / 'error.log').read_text()}")
                time.sleep(0.2)
            yield proxy
        finally:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_plain_http_is_redirected_to_https(proxied: Proxied) -> None:
    response = requests.get(f"http://127.0.0.1:{proxied.plain_port}/projects",
                            headers={"Host": PUBLIC_HOST}, allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{PUBLIC_HOST}/projects"


def test_sitemap_and_robots_name_the_public_https_host(proxied: Proxied) -> None:
    sitemap = proxied.get("/sitemap.xml").text
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locations and all(loc.startswith(proxied.public) for loc in locations), locations[:3]
    robots = proxied.get("/robots.txt").text
    assert f"Sitemap: {proxied.public}sitemap.xml" in robots
    assert "http://" not in robots


def test_json_ld_context_link_and_content_location_say_https(proxied: Proxied) -> None:
    document = proxied.get("/doc/district/06411", Accept="application/ld+json")
    assert document.status_code == 200
    assert document.headers["Content-Location"] == f"{proxied.public}doc/district/06411.jsonld"
    targets = re.findall(r"<([^>]+)>", document.headers["Link"])
    assert targets and all(t.startswith(proxied.public) for t in targets), targets
    context = json.loads(document.text)["@context"]
    assert context == f"{proxied.public}context.jsonld" or (
        isinstance(context, list) and f"{proxied.public}context.jsonld" in context), context
    page = proxied.get("/doc/district/06411", Accept="text/html").text
    assert "http://127.0.0.1" not in page and "http://" + PUBLIC_HOST not in page


def test_the_platform_logs_the_real_client_not_the_proxy(proxied: Proxied) -> None:
    proxied.get("/healthz?probe=proxied")
    log = Path(proxied.certificate.parent / "access.log")
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        entries = [json.loads(line) for line in log.read_text().splitlines()] \
            if log.exists() else []
        found = [e for e in entries if e["path"] == "/healthz?probe=proxied"]
        if found:
            assert found[0]["client"] == "127.0.0.1"  # nginx's X-Forwarded-For entry
            return
        time.sleep(0.2)
    pytest.fail("the proxied request is not in the access log")


def test_untrusted_peers_cannot_pose_as_the_proxy(live_server: LiveServer) -> None:
    """The live server trusts no proxy: forwarded headers from a client change nothing."""
    robots = requests.get(live_server.url + "robots.txt", timeout=10, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}).text
    assert "evil.example" not in robots and f"Sitemap: {live_server.url}sitemap.xml" in robots


def test_the_micro_cache_revalidates_with_the_etag(proxied: Proxied) -> None:
    first = proxied.get("/projects", Accept="text/html")
    assert first.status_code == 200
    second = proxied.get("/projects", Accept="text/html")
    assert second.headers["X-Cache-Status"] == "HIT"
    time.sleep(2.5)  # past the 1 s micro-cache (whole seconds): nginx asks with If-None-Match
    third = proxied.get("/projects", Accept="text/html")
    assert third.headers["X-Cache-Status"] == "REVALIDATED"
    assert third.text == first.text


def test_compression_through_the_proxy(proxied: Proxied) -> None:
    response = proxied.get("/context.jsonld", **{"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "br"
    assert json.loads(response.content)  # requests decodes br with the brotli package


def test_metrics_count_requests_of_every_route(proxied: Proxied) -> None:
    text = proxied.get("/metrics").text
    assert 'smartregion_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "smartregion_served_version{" in text
