"""Content negotiation by profile and listings as data against a real ``smartregion serve``
(granian, several workers, the shipped data), read with ``requests`` as any client would:
every profile × media type of one resource of each kind, by query string and by headers,
406 and the list of representations, a listing paged through in CSV by its Link headers,
its SPARQL query run at /sparql, the Dataspace Protocol catalogue, and the banner of serve."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time

import pytest
import requests
from rdflib import Graph, Namespace

from endpoint.negotiation import representation_url
from tests.e2e.conftest import LiveServer
from tests.http.test_profile_table import RESOURCES
from tests.readme_commands import readme_commands

pytestmark = pytest.mark.e2e
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
PARSERS = {"text/turtle": "turtle", "application/rdf+xml": "xml",
           "application/n-triples": "nt"}
CASES = [(kind, paths[0], profile, offer) for kind, (paths, alternatives) in RESOURCES.items()
         for profile, offer in alternatives.pairs()]


def check(response: requests.Response, media_type: str) -> None:
    assert response.headers["Content-Type"].split(";")[0] == media_type
    if media_type in PARSERS:
        assert len(Graph().parse(data=response.text, format=PARSERS[media_type])) > 0
    elif media_type == "text/html":
        assert response.text.lstrip().startswith("<!doctype html>")
    elif media_type == "text/csv":
        assert next(csv.reader(io.StringIO(response.text)))[:2] == ["id", "name"]
    elif media_type == "application/sparql-query":
        assert "SELECT" in response.text
    else:
        assert json.loads(response.text)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]}-{c[2].token}-{c[3].media_type}"
                                             for c in CASES])
def test_every_profile_and_media_type_end_to_end(live_server: LiveServer, case: tuple) -> None:
    kind, path, profile, offer = case
    alternatives = RESOURCES[kind][1]
    base = live_server.url.rstrip("/")
    for response in (
        requests.get(base + path, params={"_profile": profile.token,
                                          "_mediatype": offer.media_type}, timeout=30),
        requests.get(base + path, headers={"Accept-Profile": f"<{profile.uri}>",
                                           "Accept": offer.media_type}, timeout=30),
    ):
        assert response.status_code == 200, response.text[:300]
        assert response.headers["Content-Profile"] == f"<{profile.uri}>"
        assert response.headers["Content-Location"] == base + representation_url(
            path, alternatives, profile, offer)
        assert f'<{profile.uri}>; rel="profile"' in response.headers["Link"]
        check(response, offer.media_type)


def test_missing_profile_is_406_and_alt_lists_everything(live_server: LiveServer) -> None:
    base = live_server.url.rstrip("/")
    refused = requests.get(base + "/doc/organisation/ekom21",
                           headers={"Accept-Profile": "<https://www.rfc-editor.org/rfc/rfc7946>",
                                    "Accept": "application/problem+json"}, timeout=30)
    assert refused.status_code == 406
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert {a["token"] for a in refused.json()["alternatives"]} == {"srh", "schemaorg",
                                                                    "ngsi-ld"}
    listed = requests.get(base + "/catalog", params={"_profile": "alt"},
                          headers={"Accept": "application/json"}, timeout=30).json()
    assert [p["token"] for p in listed["profiles"]] == ["dcat-ap-de", "dcat-ap", "dsp",
                                                        "schemaorg"]


def test_a_listing_pages_through_as_csv_and_its_query_gives_the_rows(
    live_server: LiveServer
) -> None:
    base = live_server.url.rstrip("/")
    url: str | None = base + "/municipalities.csv?district=06631"
    rows: list[dict[str, str]] = []
    total = None
    while url:
        response = requests.get(url, timeout=30)
        assert response.status_code == 200
        total = int(response.headers["X-Total-Count"])
        rows += list(csv.DictReader(io.StringIO(response.text)))
        url = response.links.get("next", {}).get("url")
    assert rows and len(rows) == total
    assert all(r["district"] == live_server.url + "id/district/06631" for r in rows)
    page = requests.get(base + "/municipalities.csv?district=06631", timeout=30)
    query = requests.get(page.links["describedby"]["url"], timeout=30).text
    answer = requests.post(live_server.sparql, data={"query": query},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert [b["item"]["value"] for b in answer.json()["results"]["bindings"]] == \
        [r["id"] for r in csv.DictReader(io.StringIO(page.text))]


def test_dataspace_protocol_catalogue(live_server: LiveServer) -> None:
    response = requests.get(live_server.url + "catalog", params={"_profile": "dsp"},
                            headers={"Accept": "text/turtle"}, timeout=30)
    graph = Graph().parse(data=response.text, format="turtle")
    datasets = list(graph.objects(None, DCAT.dataset))
    assert datasets
    assert all(graph.value(d, ODRL.hasPolicy) is not None for d in datasets)


def test_serve_prints_where_to_open_it(live_server: LiveServer) -> None:
    wanted = f"Smarte Region Hessen läuft auf {live_server.url} – open this in your browser"
    give_up = time.monotonic() + 15
    while wanted not in live_server.log.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < give_up, live_server.log.read_text()[-2000:]
        time.sleep(0.2)


def test_the_readme_profile_examples_answer_as_described(live_server: LiveServer) -> None:
    """The README's curl examples, run with curl against the live server instead of :8000."""
    commands = readme_commands("profiles")
    assert commands
    for command in commands:
        argv = [a.replace("http://127.0.0.1:8000/", live_server.url) for a in command.argv]
        assert argv[0] == "curl"
        done = subprocess.run([*argv[:1], "-sS", "-D", "-", "-o", "/dev/null", *argv[1:]],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        status, *fields = done.stdout.splitlines()
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (f.partition(":") for f in fields if ":" in f)}
        assert " 200" in status, f"{command.text}: {status}"
        assert headers.get("content-profile"), f"{command.text}: no Content-Profile"
