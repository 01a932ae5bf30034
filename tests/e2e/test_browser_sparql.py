"""The query editor on ``/sparql`` in a real browser: YASGUI (self-hosted) replaces the plain
form, opens with a platform example, completes the platform's prefixes, runs a typed query
and shows the result as a table; every shipped example query gives rows; without
JavaScript the plain form answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from endpoint.sparql import EXAMPLES_DIR
from tests.e2e.browsing import Visit, browser, visit

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer

__all__ = ["browser", "visit"]  # fixtures used by the tests below

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TYPED_QUERY = ("SELECT ?name WHERE { ?m a srh:Municipality ; skos:prefLabel ?name } "
               "ORDER BY ?name LIMIT 5")
RESULT_ROWS = ".yasr table.dataTable tbody tr"
# the response view YASR falls back to for CONSTRUCT/DESCRIBE results (Turtle text)
RESPONSE_LINES = ".yasr .CodeMirror-code pre"


def editor_text(visit: Visit) -> str:
    return str(visit.page.evaluate(
        "document.querySelector('#yasgui .CodeMirror').CodeMirror.getValue()"))


def test_editor_replaces_the_form_and_runs_a_typed_query(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.sparql)
    page.wait_for_selector("#yasgui[data-ready] .CodeMirror")
    assert page.locator("#sparql-form").is_hidden()  # one editor, not two
    assert page.locator("#yasgui .CodeMirror-code").is_visible()
    opened_with = editor_text(visit)
    assert "srh:SmartRegionProject" in opened_with  # the platform's first example
    assert "?sub ?pred ?obj" not in opened_with  # not YASGUI's default query
    # the editor draws its text (it stayed blank when started in a hidden holder)
    assert "SmartRegionProject" in page.locator("#yasgui .CodeMirror-code").inner_text()
    first_line = page.locator("#yasgui .CodeMirror-line").first.bounding_box()
    assert first_line is not None and first_line["height"] > 5 and first_line["width"] > 100
    visit.shot("sparql-editor", keep=True)

    page.locator("#yasgui .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(TYPED_QUERY)
    page.keyboard.press("Escape")  # close a completion list, if one is open
    typed = editor_text(visit)
    # the prefixes come from the platform's context: typing srh: and skos: declared them
    assert "PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>" in typed
    assert "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in typed

    with page.expect_response(lambda r: "/sparql?" in r.url or r.request.method == "POST"):
        page.locator("#yasgui .yasqe_queryButton").click()
    page.wait_for_selector(RESULT_ROWS)
    header = page.locator(".yasr table.dataTable thead").inner_text()
    assert "name" in header
    rows = page.locator(RESULT_ROWS).all_inner_texts()
    assert len(rows) == 5
    names = [row.split("\t")[-1].strip() for row in rows]
    assert all(name.endswith("@de") for name in names), names
    visit.shot("sparql-typed-query-result", keep=True)
    problems = visit.accessibility_problems()
    assert problems == [], "\n".join(problems)


def test_long_queries_go_as_post(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.sparql)
    page.wait_for_selector("#yasgui[data-ready] .CodeMirror")
    padding = "# " + "x" * 3000 + "\n"
    page.evaluate("text => document.querySelector('#yasgui .CodeMirror').CodeMirror"
                  ".setValue(text)", padding + "SELECT (1 AS ?one) WHERE {}")
    with page.expect_request(lambda r: r.url.startswith(visit.server.sparql)) as sent:
        page.locator("#yasgui .yasqe_queryButton").click()
    assert sent.value.method == "POST"
    page.wait_for_selector(RESULT_ROWS)
    assert page.locator(RESULT_ROWS).count() == 1


def example_names() -> list[str]:
    return sorted(path.stem for path in EXAMPLES_DIR.glob("*.rq"))


def test_every_shipped_example_gives_rows(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.sparql)
    page.wait_for_selector("#yasgui[data-ready] .CodeMirror")
    config = json.loads(page.locator("#sparql-config").inner_text())
    assert sorted(config["examples"]) == example_names()
    empty = []
    for name in example_names():
        link = page.locator(f'[data-example="{name}"]')
        with page.expect_response(lambda r: r.url.startswith(visit.server.sparql + "?")
                                  or r.request.method == "POST"):
            link.click()
        page.wait_for_selector(f"{RESULT_ROWS}, {RESPONSE_LINES}")
        assert editor_text(visit) == config["examples"][name]
        rows = page.locator(RESULT_ROWS)
        count = rows.count() if rows.count() else page.locator(RESPONSE_LINES).count()
        first = rows.first.inner_text() if rows.count() else ""
        if count == 0 or "No data available" in first or "Keine Daten" in first:
            empty.append(name)
    assert empty == [], f"examples without rows: {empty}"


def test_without_javascript_the_plain_form_answers(browser: object, live_server: LiveServer,
                                                   tmp_path: Path) -> None:
    session = Visit(browser, live_server, tmp_path, "de-DE", javascript=False)
    try:
        page = session.page
        page.goto(live_server.sparql)
        assert page.locator("#sparql-form").is_visible()
        assert page.locator("#yasgui").is_hidden()
        query = page.get_by_label("Abfrage", exact=True)
        assert "srh:SmartRegionProject" in query.input_value()  # the first example
        query.fill("SELECT ?name WHERE { ?m a <https://data.smarte-region-hessen.de/def/srh#"
                   "Municipality> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?name } "
                   "ORDER BY ?name LIMIT 3")
        page.get_by_label("Ergebnisformat").select_option(
            label="application/sparql-results+json")
        session.shot("sparql-no-javascript")
        with page.expect_navigation():
            page.get_by_role("button", name="Abfrage ausführen").click()
        answer = json.loads(page.locator("body").inner_text())
        assert [b["name"]["xml:lang"] for b in answer["results"]["bindings"]] == ["de"] * 3
    finally:
        session.close()
    session.check_clean()
