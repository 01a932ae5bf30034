"""Search in a real browser (Debian's chromium driven by Playwright) on a real server: type a
German query, read ranked results with highlighted matches, narrow them with a facet, and get
the same hits as JSON; with screenshots of each step and the page's accessibility checked."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browsing import Visit, browser, visit
from tests.readme_commands import readme_commands

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer

__all__ = ["browser", "visit"]  # fixtures used by the tests below

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_type_a_query_read_highlights_and_click_a_facet(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.url + "search")
    page.get_by_label("Suchbegriff").fill("Mobilitaet")  # umlaut typed as ae
    visit.follow(lambda: page.keyboard.press("Enter"))
    results = page.locator("ol.results > li")
    total = results.count()
    assert total > 0
    marks = page.locator("ol.results mark")
    assert marks.count() > 0
    assert all(m.inner_text().lower().startswith("mobilit") for m in marks.all())
    visit.shot("search-mobilitaet", keep=True)

    facet = page.locator('nav.facets a[data-facet="field"][data-key="mobility"]')
    assert facet.inner_text() == "Mobilität"
    expected = int(facet.locator("xpath=..").locator(".count").inner_text().strip("()"))
    visit.follow(facet.click)
    assert "field=mobility" in page.url
    assert page.locator('nav.facets a[aria-current="true"]').inner_text() == "Mobilität"
    assert page.locator("ol.results > li").count() == expected <= total
    visit.shot("search-facet", keep=True)
    assert visit.accessibility_problems() == []

    data = page.request.get(visit.server.url + "search.json?q=Mobilitaet&field=mobility")
    names = [item["name"] for item in data.json()["items"]]
    shown = [a.inner_text() for a in page.locator("ol.results > li > a").all()]
    assert shown == names  # the page and the JSON API give the same ranked hits


def test_the_readme_search_examples_answer_as_described(live_server: LiveServer) -> None:
    """The README's curl examples of the search API, run against the live server."""
    commands = readme_commands("search")
    assert len(commands) == 2
    answers = []
    for command in commands:
        argv = [a.replace("http://127.0.0.1:8000/", live_server.url) for a in command.argv]
        done = subprocess.run([argv[0], "-sS", "--fail", *argv[1:]], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        answers.append(done.stdout)
    document = json.loads(answers[0])
    assert document["filters"] == {"kreis": "06631"} and document["items"]
    assert all("06631" in item["kreis"] for item in document["items"])
    rows = list(csv.DictReader(io.StringIO(answers[1])))
    assert rows and {row["kind"] for row in rows} == {"project"}
