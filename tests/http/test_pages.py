"""The HTML site: language choice and label fall-back, resource pages (groups, links,
provenance, schema.org), escaping of hostile data, listings with filters and paging, search,
home, sitemap, robots, self-hosted assets and accessible structure."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS
from werkzeug.test import TestResponse

from endpoint import create_app
from smartregion.namespaces import SRH
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from smartregion.uris import graph_uri

BASE = "http://testserver/"
ID = Namespace(BASE + "id/")


class Page(HTMLParser):
    """What the checks need from a page: tags with attributes, headings, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headings: list[int] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def html_of(client: FlaskClient, path: str, **headers: str) -> str:
    response = client.get(path, headers={"Accept": "text/html", **headers})
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def check_structure(html: str, lang: str) -> Page:
    """Landmarks, one h1, no skipped heading level, labelled controls, local assets only."""
    page = Page(html)
    assert page.all("html")[0]["lang"] == lang
    assert page.all("main") and page.all("nav") and page.all("header") and page.all("footer")
    assert all(nav.get("aria-label") or nav.get("aria-labelledby") for nav in page.all("nav"))
    assert page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    labelled = {label.get("for") for label in page.all("label")}
    for control in page.all("select") + [i for i in page.all("input") if i.get("type") != "hidden"]:
        assert control.get("id") in labelled or control.get("aria-label"), control
    for tag, attr in (("link", "href"), ("script", "src"), ("img", "src"), ("form", "action"),
                      ("iframe", "src")):
        for attrs in page.all(tag):
            url = attrs.get(attr, "")
            assert not re.match(r"^(https?:)?//", url), f"third-party asset {url}"
    return page


# -- language --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "accept_language", "lang"),
    [("", None, "de"), ("", "en", "en"), ("", "en-GB,en;q=0.9", "en"), ("", "fr", "de"),
     ("", "fr, en;q=0.5, de;q=0.4", "en"), ("?lang=en", "de", "en"), ("?lang=de", "en", "de"),
     ("?lang=xx", "en", "en")],
)
def test_language_from_query_then_accept_language(
    client: FlaskClient, query: str, accept_language: str | None, lang: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    html = html_of(client, "/doc/district/06631" + query, **headers)
    check_structure(html, lang)
    assert ("Bezeichnung und Beschreibung" in html) == (lang == "de")


def test_chosen_language_is_kept_in_links(client: FlaskClient) -> None:
    html = html_of(client, "/doc/municipality/06411000?lang=en")
    assert 'href="/doc/district/06411?lang=en"' in html
    assert 'href="/projects?lang=en"' in html
    assert 'hreflang="de"' in html  # the switch back


def test_labels_fall_back_to_another_language_marked_as_such(client: FlaskClient) -> None:
    html = html_of(client, "/doc/municipality/06411000?lang=en")
    assert '<h1 lang="de">Darmstadt, Wissenschaftsstadt</h1>' in html  # only a German name


# -- resource pages --------------------------------------------------------------------------
def test_resource_page_groups_labels_links_and_provenance(client: FlaskClient) -> None:
    html = html_of(client, "/doc/municipality/06411000")
    page = check_structure(html, "de")
    for heading in ("Bezeichnung und Beschreibung", "Beziehungen", "Schlüssel und Kennungen",
                    "Herkunft der Daten", "Verweise auf diese Ressource"):
        assert heading in html
    assert ">Amtlicher Gemeindeschlüssel (AGS)</a>" in html  # property label from the ontology
    assert 'href="/def/srh#ags"' in html  # our vocabulary served locally
    assert 'href="/doc/district/06411"' in html  # internal IRIs mapped to local paths
    assert 'href="/dataset/administrative"' in html  # the source graph's dataset
    assert "Geladen am" in html
    externals = [a for a in page.all("a") if a.get("href", "").startswith("http")]
    assert externals and all("external" in a.get("class", "") for a in externals)
    assert all("noopener" in a.get("rel", "") for a in externals)


def test_every_iri_of_the_document_is_a_link(client: FlaskClient) -> None:
    html = html_of(client, "/doc/district/06631")
    graph = Graph().parse(data=client.get("/doc/district/06631.nt").data, format="nt")
    thing = URIRef(BASE + "id/district/06631")
    for _, _, obj in graph.triples((thing, None, None)):
        if isinstance(obj, URIRef):
            assert f'title="{obj}"' in html, obj


def test_schema_org_jsonld_is_embedded(client: FlaskClient) -> None:
    html = html_of(client, "/doc/municipality/06411000")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert script
    data = json.loads(script.group(1))
    assert data["@context"] == "https://schema.org"
    assert data["@id"] == BASE + "id/municipality/06411000"
    assert data["name"] == "Darmstadt, Wissenschaftsstadt"


def test_concept_page_lists_the_things_using_it(client: FlaskClient) -> None:
    html = html_of(client, "/def/scheme/project-status/approved")
    check_structure(html, "de")
    assert "Als „Projektstatus“ genannt von" in html
    assert 'href="/doc/project/' in html


# -- hostile data ----------------------------------------------------------------------------
EVIL = '<script>alert("x")</script>'


@pytest.fixture
def hostile_client(settings: Settings, backend: EmbeddedBackend) -> FlaskClient:
    graph = Graph()
    thing, other = ID["project/evil"], ID["project/unnamed-thing"]
    graph.add((thing, RDF.type, SRH.SmartRegionProject))
    graph.add((thing, SKOS.prefLabel, Literal(EVIL, lang="de")))
    graph.add((thing, DCTERMS.description, Literal("</script><img src=x onerror=alert(1)>",
                                                    lang="de")))
    graph.add((thing, FOAF.homepage, URIRef("javascript:alert(1)")))
    graph.add((thing, SRH.partner, other))
    graph.add((other, RDF.type, SRH.SmartRegionProject))
    role, inner = BNode(), BNode()  # a qualified role, nested two blank nodes deep
    graph.add((thing, SRH.qualifiedRole, role))
    graph.add((role, RDF.type, SRH.ProjectRole))
    graph.add((role, SRH.agent, other))
    graph.add((role, DCTERMS.description, inner))
    graph.add((inner, SKOS.note, Literal("innen", lang="de")))
    backend.publish(Publication(graphs={graph_uri(settings.base_uri, "projects"): graph}))
    hostile_app = create_app(settings, backend)
    hostile_app.testing = True
    return hostile_app.test_client()


def test_literals_can_never_inject_markup_or_script(hostile_client: FlaskClient) -> None:
    html = html_of(hostile_client, "/doc/project/evil")
    assert EVIL not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert script and "<" not in script.group(1)
    assert json.loads(script.group(1))["name"] == EVIL  # the JSON still reads the same
    search = html_of(hostile_client, "/search?q=script")
    assert EVIL not in search and "&lt;script&gt;" in search


def test_a_thing_without_any_name_reads_as_its_key(hostile_client: FlaskClient) -> None:
    html = html_of(hostile_client, "/doc/project/unnamed-thing")
    assert "<h1>unnamed-thing</h1>" in html


# -- listings --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/projects", "/municipalities", "/organisations", "/events",
                                  "/search", "/search?q=darmstadt", "/", "/def/srh",
                                  "/def/scheme/field-of-action"])
def test_site_pages_are_well_structured_in_both_languages(client: FlaskClient, path: str) -> None:
    for lang in ("de", "en"):
        check_structure(html_of(client, path, **{"Accept-Language": lang}), lang)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="(/doc/[^"?]+)', html)


def next_link(response: TestResponse) -> str | None:
    """The rel="next" target of a listing page's Link header, if any."""
    links = dict((rel, href) for href, rel in
                 re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", "")))
    return links.get("next")


def all_rows(client: FlaskClient, path: str, query: dict[str, str] | None = None) -> list[str]:
    """Every row of a listing, following its pages the way a client would."""
    response = client.get(path, query_string=query or {})
    assert response.status_code == 200
    rows = rows_of(response.get_data(as_text=True))
    while url := next_link(response):
        response = client.get(url)
        assert response.status_code == 200
        rows += rows_of(response.get_data(as_text=True))
    return rows


@pytest.mark.parametrize(
    ("query", "must_have"),
    [({"district": "06411"}, "/doc/project/digitalstadt-darmstadt"),
     ({"field": "energy"}, "/doc/project/digitalstadt-darmstadt"),
     ({"programme": "mpsc"}, "/doc/project/smart-kassel"),  # through a sub-programme
     ({"year": "2022"}, "/doc/project/smart-kassel"),
     ({"status": "approved"}, None)],
)
def test_project_filters(client: FlaskClient, query: dict[str, str], must_have: str | None) -> None:
    everything = all_rows(client, "/projects")
    html = client.get("/projects", query_string=query).get_data(as_text=True)
    found = all_rows(client, "/projects", query)
    assert found and set(found) <= set(everything)
    assert len(found) < len(everything)
    if must_have:
        assert must_have in found
    value = next(iter(query.values()))
    # A field of 2020 with an exact match among the Themenfelder is offered as the Themenfeld.
    value = {"energy": "shh-smart-energy"}.get(value, value)
    assert f'<option value="{value}" selected>' in html


@pytest.mark.parametrize("query", [{"year": "20x1"}, {"district": "bad key!"}, {"page": "0"}])
def test_bad_filters_are_400(client: FlaskClient, query: dict[str, str]) -> None:
    assert client.get("/projects", query_string=query).status_code == 400


def test_municipalities_by_kreis(client: FlaskClient) -> None:
    html = client.get("/municipalities", query_string={"district": "06631"}).get_data(
        as_text=True)
    found = rows_of(html)
    assert found  # the Landkreis Fulda's municipalities, and only those
    assert all(re.fullmatch(r"/doc/municipality/06631\d{3}", f) for f in found)


@pytest.fixture
def paged_client(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    paged_app: Flask = create_app(loaded_settings.replace(page_size=5), loaded_backend)
    paged_app.testing = True
    return paged_app.test_client()


@pytest.mark.parametrize("path", ["/projects", "/municipalities", "/organisations", "/events"])
def test_listings_page_with_link_headers_and_lose_nothing(
    client: FlaskClient, paged_client: FlaskClient, path: str
) -> None:
    everything = all_rows(client, path)
    assert len(everything) > 5
    seen: list[str] = []
    url: str | None = path
    previous: str | None = None
    while url:
        response = paged_client.get(url)
        assert response.status_code == 200
        links = dict((rel, href) for href, rel in
                     re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", "")))
        if previous:
            assert links.get("prev") == "http://localhost" + previous
        seen += rows_of(response.get_data(as_text=True))
        previous, url = url, links.get("next")
        if url:
            url = url.removeprefix("http://localhost")
    assert seen == everything


def test_listing_beyond_the_last_page_is_404(client: FlaskClient) -> None:
    assert client.get("/projects?page=999").status_code == 404


# -- search ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "expected"),
    [("Darmstadt", "/doc/municipality/06411000"),
     ("darmstadt", "/doc/municipality/06411000"),  # case-insensitive
     ("Hesse", "/doc/state/06"),  # an English name
     ("Hessen", "/doc/state/06"),
     ("Fulda Starkregen", None)],  # every word must match
)
def test_search_over_names_and_descriptions(
    client: FlaskClient, q: str, expected: str | None
) -> None:
    html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    found = re.findall(r'<li>\s*<a href="(/doc/[^"?]+)', html)
    assert found
    if expected:
        assert expected in found


@pytest.mark.parametrize(("q", "status"), [('"} } DROP ALL #', 200), ("') . } #", 400),
                                          ("\\ //", 400), ("<x>", 200), ("ö" * 300, 200)])
def test_search_text_is_only_ever_words(client: FlaskClient, q: str, status: int) -> None:
    """Search text is split into words (never parsed as a query); no word at all is a 400
    page that says so."""
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == status
    if status == 400:
        assert "kein Wort" in response.get_data(as_text=True)


def test_short_search_asks_for_more(client: FlaskClient) -> None:
    assert "mindestens zwei Zeichen" in client.get("/search?q=a").get_data(as_text=True)


# -- home, sitemap, robots -------------------------------------------------------------------
def test_home_page_counts_and_entry_points(client: FlaskClient) -> None:
    html = html_of(client, "/")
    for href in ("/projects", "/municipalities", "/organisations", "/events", "/search",
                 "/sparql", "/catalog", "/def/srh"):
        assert f'href="{href}"' in html
    counts = re.findall(r'<span class="number">([\d.]+)</span>\s*(\w+)', html)
    assert dict((name, number) for number, name in counts)["Projekte"] != "0"


def test_sitemap_lists_every_document(client: FlaskClient, loaded_backend: EmbeddedBackend) -> None:
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    tree = ET.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in tree.findall("s:url/s:loc", ns)]
    assert "http://localhost/doc/municipality/06411000" in urls
    assert "http://localhost/projects" in urls
    assert all(url and url.startswith("http://localhost/") for url in urls)
    assert client.get("/sitemap-2.xml").status_code == 404


def test_robots_txt_points_to_the_sitemap(client: FlaskClient) -> None:
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in body
    assert "Disallow: /sparql" in body


def test_static_assets_are_self_hosted(client: FlaskClient) -> None:
    with client.get("/static/site.css") as css:  # closes the file the response streams
        assert css.status_code == 200
        text = css.get_data(as_text=True)
    assert "@import" not in text and "url(http" not in text and "@font-face" not in text
    static = Path(__file__).resolve().parents[2] / "endpoint" / "static" / "site.css"
    assert static.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("path", ["/projects", "/search?q=darmstadt", "/", "/def/srh",
                                  "/def/scheme/project-status"])
def test_every_page_embeds_schema_org(client: FlaskClient, path: str) -> None:
    html = html_of(client, path)
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert script, path
    data = json.loads(script.group(1))
    assert data["@context"] == "https://schema.org"
    if path == "/projects":
        items = data["mainEntity"]["itemListElement"]
        # the page's items; numberOfItems counts the whole list (schema.org, pagination)
        assert len(items) == len(rows_of(html))
        assert data["mainEntity"]["numberOfItems"] == len(all_rows(client, path))
        assert items[0]["url"].startswith("http://localhost/doc/project/")


def test_blank_nodes_are_shown_nested_and_linked_back_through(hostile_client: FlaskClient) -> None:
    html = html_of(hostile_client, "/doc/project/evil")
    assert 'class="bnode"' in html
    assert "innen" in html  # the closure reaches the second blank node
    assert 'href="/doc/project/unnamed-thing"' in html
    target = html_of(hostile_client, "/doc/project/unnamed-thing")
    assert "„Akteur“ (über „qualifizierte Projektrolle“)" in target
    assert 'href="/doc/project/evil"' in target


def test_blank_node_documents_are_isomorphic_and_byte_stable(hostile_client: FlaskClient) -> None:
    graphs = []
    for ext, fmt in (("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml")):
        bodies = {hostile_client.get(f"/doc/project/evil.{ext}").data for _ in range(2)}
        assert len(bodies) == 1  # canonical blank-node labels
        graphs.append(Graph().parse(data=bodies.pop(), format=fmt))
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])
    assert any(isinstance(o, BNode) for o in graphs[0].objects())
