"""Operations and edge cases of every route: readiness, metrics, trusted proxies, paging."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from endpoint import create_app
from smartregion.settings import Settings
from smartregion.store import StoreBackend

HUGE = "99999999999999999999"


def test_healthz_and_readyz_name_the_served_version(client: FlaskClient,
                                                    loaded_backend: StoreBackend) -> None:
    loaded_backend.start()
    version = loaded_backend.version()
    assert version is not None
    assert client.get("/healthz").get_json() == {"status": "ok", "version": version.id}
    give_up = time.monotonic() + 30
    ready = client.get("/readyz")
    while ready.status_code != 200 and time.monotonic() < give_up:  # executors starting
        time.sleep(0.1)
        ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["version"] == version.id
    assert ready.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_without_a_published_version(settings: Settings,
                                                   backend: StoreBackend) -> None:
    response = create_app(settings, backend).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "not ready"


def test_metrics_count_requests_by_route_and_status_and_cache_hits(client: FlaskClient) -> None:
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "format": "json"}
    for _ in range(2):
        response = client.get("/sparql", query_string=query)
        assert response.status_code == 200
        response.close()  # (the server closes the body; then the request is recorded)
    client.get("/doc/no-such-kind/x").close()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'smartregion_http_requests_total{method="GET",route="/sparql",status="200"}' in text
    assert 'route="(unmatched)",status="404"' in text or 'status="404"' in text
    assert 'smartregion_result_cache_total{outcome="hit"}' in text
    assert "smartregion_http_request_duration_seconds_bucket" in text
    assert "smartregion_served_version{" in text


@pytest.mark.parametrize("path", [
    "/projects", "/municipalities", "/organisations", "/events", "/search?q=smart&",
    "/catalog", "/catalog.ttl", "/doc/district/06411?inverse=srh:district&",
])
@pytest.mark.parametrize("page", [HUGE, "0", "-1", "x", "1e3", "²"])
def test_out_of_range_page_numbers_get_400(client: FlaskClient, path: str, page: str) -> None:
    separator = "" if path.endswith("&") else "?"
    response = client.get(f"{path}{separator}page={page}", headers={"Accept": "text/html"})
    assert response.status_code == 400, (path, page, response.status_code)
    assert "page" in response.get_data(as_text=True)


@pytest.fixture
def proxied_app(loaded_settings: Settings, loaded_backend: StoreBackend) -> Flask:
    app = create_app(loaded_settings.replace(trusted_proxies="10.0.0.0/8"), loaded_backend)
    app.testing = True
    return app


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "data.example.org",
             "X-Forwarded-For": "203.0.113.7"}


def test_a_trusted_proxy_decides_scheme_host_and_client(proxied_app: Flask) -> None:
    client = proxied_app.test_client()
    robots = client.get("/robots.txt", headers=FORWARDED,
                        environ_base={"REMOTE_ADDR": "10.1.2.3"}).get_data(as_text=True)
    assert "Sitemap: https://data.example.org/sitemap.xml" in robots


def test_forwarded_headers_from_anyone_else_are_ignored(proxied_app: Flask) -> None:
    client = proxied_app.test_client()
    robots = client.get("/robots.txt", headers=FORWARDED,
                        environ_base={"REMOTE_ADDR": "192.0.2.1"}).get_data(as_text=True)
    assert "data.example.org" not in robots and "https://" not in robots


def test_fair_use_counts_the_forwarded_client(proxied_app: Flask) -> None:
    """The address a query is accounted to is the forwarded one, not the proxy's."""
    seen: list[str] = []

    @proxied_app.get("/_whoami")
    def whoami() -> str:
        from flask import request

        seen.append(request.remote_addr or "")
        return "ok"

    proxied_app.test_client().get("/_whoami", headers=FORWARDED,
                                  environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert seen == ["203.0.113.7"]
