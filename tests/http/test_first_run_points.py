"""The smaller points of issue 13 that a person meets on first run: a project's description
once, an area link that says what kind of area it is, SPARQL errors in a format the client
reads (with a clear message for an undefined prefix), one charset on dumps, the serve banner."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from endpoint.serving import _announce_once, banner, public_url, run_serve
from endpoint.sparql_errors import undefined_prefix
from smartregion.settings import load_settings


def visible(html: str) -> str:
    """The text a reader sees (scripts, such as the embedded JSON-LD, left out)."""
    return re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_the_description_shows_once(client: FlaskClient) -> None:
    html = visible(client.get("/doc/project/smart-kassel",
                              headers={"Accept-Language": "de"}).get_data(as_text=True))
    assert html.count("Modellprojekt Smart Cities der Staffel 2020") == 1
    assert html.count("Model Project Smart Cities of the 2020 round") == 1  # other language


@pytest.mark.parametrize(("path", "lang", "expected"), [
    ("/doc/district/06411", "de", "Darmstadt, Wissenschaftsstadt (Gemeinde)"),
    ("/doc/municipality/06411000", "de",
     "Darmstadt, Wissenschaftsstadt (Kreis: kreisfreie Stadt)"),
    ("/doc/municipality/06411000", "en",
     "Darmstadt, Wissenschaftsstadt (district: District-free city)"),
    ("/doc/municipality/06631009", "de", "Fulda (Kreis: Landkreis)"),
    ("/doc/district/06631", "de", "Fulda, Stadt (Gemeinde)"),
])
def test_an_area_link_says_what_kind_of_area_it_is(
    client: FlaskClient, path: str, lang: str, expected: str
) -> None:
    html = client.get(path, query_string={"lang": lang}).get_data(as_text=True)
    assert f">{expected}</a>" in html


def test_the_page_of_an_area_keeps_its_own_name_plain(client: FlaskClient) -> None:
    html = client.get("/doc/district/06411").get_data(as_text=True)
    assert "<h1>Darmstadt, Wissenschaftsstadt</h1>" in html


BROKEN = "SELECT * WHERE { ?s ?p }"


def test_sparql_error_is_problem_json_for_a_json_results_client(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": BROKEN},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400 and "line 1" in problem["detail"]


def test_sparql_error_is_problem_xml_for_an_xml_results_client(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": BROKEN},
                          headers={"Accept": "application/sparql-results+xml"})
    assert response.mimetype == "application/problem+xml"
    root = ET.fromstring(response.data)
    assert root.tag == "{urn:ietf:rfc:7807}problem"
    assert root.findtext("{urn:ietf:rfc:7807}status") == "400"
    assert "column" in (root.findtext("{urn:ietf:rfc:7807}detail") or "")


def test_undefined_prefix_is_named_with_the_prefix_line_to_add(client: FlaskClient) -> None:
    query = "SELECT ?name WHERE {\n  ?p a srh:SmartRegionProject ; skos:prefLabel ?name }"
    problem = client.get("/sparql", query_string={"query": query},
                         headers={"Accept": "application/json"}).get_json()
    assert problem["prefix"] == "srh" and problem["line"] == 2 and problem["column"] == 8
    assert problem["suggestion"] == "PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>"
    assert "Undefined prefix 'srh:' at line 2, column 8" in problem["detail"]
    assert "'\\u{" not in problem["detail"] and "expected one of" not in problem["detail"]
    unknown = client.get("/sparql", query_string={"query": "SELECT * { ?s a foo:Bar }"},
                         headers={"Accept": "text/csv"}).get_data(as_text=True)
    assert "Undefined prefix 'foo:' at line 1, column 17 (foo:Bar)" in unknown
    assert "Add at the top" not in unknown


@pytest.mark.parametrize(("query", "line", "column", "expected"), [
    ("SELECT * { ?s ex:p ?o }", 1, 19, ("ex", "ex:p", 15)),
    ("SELECT * {\n?s a :Thing }", 2, 12, ("", ":Thing", 6)),
    ("SELECT * { ?s ?p ?o }", 5, 1, None),
])
def test_undefined_prefix_position(query: str, line: int, column: int,
                                   expected: tuple[str, str, int] | None) -> None:
    assert undefined_prefix(query, line, column) == expected


def test_dumps_declare_their_charset_once(client: FlaskClient) -> None:
    with client.get("/dump/organisations.ttl") as response:
        assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    with client.get("/dump/organisations.nt.gz") as response:
        assert response.headers["Content-Type"] == "application/gzip"


def test_serve_banner_names_the_address_to_open() -> None:
    settings = load_settings(environ={}, host="0.0.0.0", port=8123)
    assert public_url(settings) == "http://127.0.0.1:8123/"
    text = banner(settings)
    assert "Smarte Region Hessen läuft auf http://127.0.0.1:8123/ – open this in your browser" \
        in text


def test_the_banner_is_printed_once_per_serve(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(environ={"SMARTREGION_METRICS_DIR": str(tmp_path)}, port=8124)
    _announce_once(settings)  # the first worker ready
    _announce_once(settings)  # a second worker, or one replaced after a reload
    assert capsys.readouterr().err.count("läuft auf http://127.0.0.1:8124/") == 1


def test_serve_runs_no_thread_of_its_own_while_granian_forks_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread inside an import when granian forks leaves that module's lock held in every
    worker: the first request then hangs for ever (seen with a banner thread in urllib)."""
    import granian.server

    seen: list[list[str]] = []

    def serve(self: object, **_: object) -> None:
        seen.append([thread.name for thread in threading.enumerate()])

    monkeypatch.setattr(granian.server.Server, "serve", serve)
    before = {thread.name for thread in threading.enumerate()}
    run_serve(load_settings(environ={"SMARTREGION_METRICS_DIR": str(tmp_path / "m")}))
    assert len(seen) == 1 and set(seen[0]) <= before
