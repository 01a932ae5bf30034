"""The collection's figures: ``smartregion stats`` (smartregion.stats) and the home page show the
same counts, and they agree with what the listings list."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from smartregion.stats import collection_stats
from smartregion.store import StoreBackend
from tests.http.test_pages import all_rows


def test_home_page_shows_the_stats(client: FlaskClient, loaded_backend: StoreBackend) -> None:
    stats = collection_stats(loaded_backend)
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    shown = dict(re.findall(r'<li><span class="number">([\d,]+)</span> ([^<]+)</li>', html))
    numbers = {int(n.replace(",", "")) for n in shown}
    assert set(stats.kinds.values()) <= numbers
    assert f"{stats.projects_with_date} of {stats.kinds['projects']}" in html
    rows = re.findall(r'<tr><th scope="row"><a href="/projects\?district=(\d{5})[^"]*">[^<]+</a>'
                      r'</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>', html)
    assert rows == [(d.key, str(d.projects), str(d.with_date), str(d.with_status))
                    for d in stats.districts]


def test_the_stats_agree_with_the_listings(
    client: FlaskClient, loaded_backend: StoreBackend
) -> None:
    stats = collection_stats(loaded_backend)
    assert stats.kinds["projects"] == len(all_rows(client, "/projects"))
    assert 0 < stats.projects_with_date < stats.kinds["projects"]
    assert len(stats.districts) == 26  # 21 Landkreise and 5 kreisfreie Städte of Hessen
    for district in stats.districts:
        listed = all_rows(client, "/projects", {"district": district.key})
        assert district.projects == len(listed), district
    # issue 14: every Kreis has at least one project where one exists, and one exists for each
    assert stats.districts_without_projects == []


def test_a_replaced_iri_is_not_counted(client: FlaskClient, loaded_backend: StoreBackend) -> None:
    stats = collection_stats(loaded_backend)
    programmes = loaded_backend.select(
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?p a "
        "<https://data.smarte-region-hessen.de/def/srh#FundingProgramme> } "
        "FILTER(!CONTAINS(STR(?p), 'civento')) }")
    assert stats.kinds["programmes"] == int(str(programmes[0]["n"]))
    assert stats.kinds["platforms"] == 1
