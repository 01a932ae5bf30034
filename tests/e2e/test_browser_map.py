"""Maps and accessibility in a real browser: the map page draws the platform's own outlines
of Hessen's Kreise and Gemeinden with the projects at their places (popups link to their
pages), a Kreis page highlights its Kreis, a project page shows its places; and axe-core finds
no serious or critical violation on the pages people use most."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import Visit, browser, visit

__all__ = ["browser", "visit"]  # fixtures used by the tests below

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DRAWN = ".srh-map[data-drawn]"
OUTLINES = ".srh-map .leaflet-overlay-pane path"
MARKERS = ".srh-map path.leaflet-interactive"


def outline_count(visit: Visit) -> int:
    return int(visit.page.locator(OUTLINES).count())


def test_map_page_shows_projects_on_the_platforms_outlines(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.url)
    visit.follow(page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Karte").click)
    assert visit.h1() == "Karte der Projekte"
    page.wait_for_selector(DRAWN)
    # 421 Gemeinden + 26 Kreise + the Land as the base layer, drawn from /map/areas.geojson
    assert outline_count(visit) - page.locator(MARKERS).count() == 421 + 26 + 1
    places = page.locator("table.srh-map-places tbody tr")
    assert places.count() > 10
    assert page.locator(MARKERS).count() == places.count()  # one marker per place listed
    assert "GeoBasis-DE / BKG" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".srh-map-legend").is_visible()
    problems = visit.accessibility_problems()
    assert problems == [], "\n".join(problems)
    visit.shot("map", keep=True)

    # a marker's popup names its place and projects, and links to them
    page.locator(MARKERS).first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    project_links = popup.locator('a[href*="/doc/project/"]')
    assert project_links.count() >= 1
    title = project_links.first.inner_text()
    visit.follow(project_links.first.click)
    assert "/doc/project/" in page.url
    assert visit.h1() == title


def test_kreis_page_highlights_its_kreis(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.url + "doc/district/06631")  # Landkreis Fulda
    page.wait_for_selector(DRAWN)
    assert outline_count(visit) > 400
    focus = page.locator('.srh-map[data-focus="district/06631"]')
    assert focus.count() == 1
    # the highlighted outline is drawn in the focus colour
    assert page.locator('.srh-map path[stroke="#003a66"]').count() == 1
    assert page.locator(".srh-map-list a").first.inner_text() == "Fulda"
    problems = visit.accessibility_problems()
    assert problems == [], "\n".join(problems)
    visit.shot("kreis", keep=True)


def test_project_page_shows_its_places_without_a_harvest(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.url + "doc/project/smart-kassel")
    page.wait_for_selector(DRAWN)
    listed = page.locator(".srh-map-list a").all_inner_texts()
    assert any("Kassel" in name for name in listed)
    assert page.locator(MARKERS).count() == len(listed)
    problems = visit.accessibility_problems()
    assert problems == [], "\n".join(problems)
    visit.shot("project-map", keep=True)


@pytest.mark.parametrize("path", ["", "projects", "search?q=Mobilit%C3%A4t", "sparql",
                                  "doc/municipality/06411000", "map?lang=en"])
def test_no_serious_accessibility_problems(visit: Visit, path: str) -> None:
    visit.page.goto(visit.server.url + path)
    visit.page.wait_for_load_state("networkidle")
    problems = visit.accessibility_problems()
    assert problems == [], "\n".join(problems)
