"""A real browser (Debian's chromium driven by Playwright) on a real server: home → project →
municipality → Kreis by following links, switching language, searching, keyboard use; with
screenshots of every step. Any request to a host other than the local server fails the test
(and is never sent: the browser context aborts it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browsing import Visit, browser, visit

if TYPE_CHECKING:  # the fixture's type only; conftest modules are not imported by tests
    from tests.e2e.conftest import LiveServer

__all__ = ["browser", "visit"]  # fixtures used by the tests below

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_home_project_municipality_kreis_language_and_search(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.url)
    assert visit.lang() == "de"
    assert "offene Daten" in visit.h1()
    visit.shot("home")

    visit.follow(page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Projekte").click)
    assert visit.h1() == "Projekte"
    visit.shot("projects")

    # follow the first project that names a municipality
    projects = [a.get_attribute("href") for a in page.locator("table.listing th a").all()]
    assert projects
    for href in projects:
        visit.follow(page.locator(f'table.listing th a[href="{href}"]').click)
        if page.locator('a[href^="/doc/municipality/"]').count():
            break
        visit.follow(page.go_back)
    project_title = visit.h1()
    assert "/doc/project/" in page.url
    visit.shot("project")

    municipality = page.locator('main a[href^="/doc/municipality/"]').first
    visit.follow(municipality.click)
    assert "/doc/municipality/" in page.url
    municipality_title = visit.h1()
    assert page.get_by_role("link", name=project_title).count()  # the inverse link back
    visit.shot("municipality")

    visit.follow(page.locator('main dd a[href^="/doc/district/"]').first.click)
    assert "/doc/district/" in page.url
    assert page.locator("main").get_by_text(municipality_title).count()  # listed in its Kreis
    visit.shot("kreis")

    # switch language: the page, its headings and the links it offers turn English
    visit.follow(page.get_by_role("link", name="English").click)
    assert visit.lang() == "en"
    assert page.get_by_role("heading", name="Name and description").count()
    assert "lang=en" in str(page.locator('main a[href^="/doc/"]').first.get_attribute("href"))
    visit.shot("kreis-en")

    # search (in English now), by keyboard
    visit.follow(page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Search").click)
    page.get_by_label("Search term").fill("Darmstadt")
    visit.follow(lambda: page.keyboard.press("Enter"))
    assert visit.lang() == "en"
    results = page.locator("ol.results li a")
    assert results.count() > 0
    assert re.search(r"\d+ results", page.locator("main").inner_text())
    visit.shot("search")
    visit.follow(results.first.click)
    assert "/doc/" in page.url
    visit.shot("search-result")


def test_keyboard_users_can_skip_to_the_content(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.url + "doc/municipality/06411000")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator("a.skip-link").is_visible()
    visit.shot("skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_english_browser_gets_english_pages(browser: object, live_server: LiveServer,
                                            tmp_path: Path) -> None:
    session = Visit(browser, live_server, tmp_path, "en-GB")
    try:
        session.page.goto(live_server.url + "projects")
        assert session.lang() == "en"
        assert session.h1() == "Projects"
        session.page.get_by_label("Field of action").select_option(index=1)
        session.follow(session.page.get_by_role("button", name="Apply").click)
        assert "field=" in session.page.url
        session.shot("projects-filtered-en")
    finally:
        session.close()
    session.check_clean()
