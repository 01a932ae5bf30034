"""The DCAT catalogue harvester against a stand-in portal on 127.0.0.1 serving a DCAT-AP.de
catalogue in Turtle over three Hydra-paged pages (and in RDF/XML and JSON-LD)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from loaders.harvest import SourceOutcome, run_harvest
from smartregion.namespaces import HYDRA, SRH
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.uris import graph_uri, meta_graph_uri
from tests.loaders.harvest_server import (
    FAST_FETCH,
    FixtureServer,
    Reply,
    Request,
    conditional,
    write_config,
)

BASE = "http://testserver/"
GRAPH = graph_uri(BASE, "harvest-portal")
DARMSTADT = URIRef(BASE + "id/municipality/06411000")
FRANKFURT = URIRef(BASE + "id/municipality/06412000")
BUETTELBORN = URIRef(BASE + "id/municipality/06433003")
DS = "https://opendata.example.org/dataset/"
TREES = URIRef(DS + "baumkataster-darmstadt")
STOPS = URIRef(DS + "haltestellen-frankfurt")
ELECTIONS = URIRef(DS + "wahlergebnisse-buettelborn")

CONFIG = FAST_FETCH + """
[[source]]
name = "portal"
kind = "dcat"
url = "@SERVER@/catalog.ttl?page=1"
"""


def paged_catalogue(server: FixtureServer, pages: dict[str, bytes] | None = None) -> None:
    """Serve the three fixture pages at /catalog.ttl?page=N with ETags."""
    bodies = {str(n): server.fixture(f"catalog-page{n}.ttl") for n in (1, 2, 3)}
    bodies.update(pages or {})
    handlers = {n: conditional(body, "text/turtle; charset=utf-8") for n, body in bodies.items()}

    def handle(request: Request) -> Reply:
        page = request.query.get("page", ["1"])[0]
        return handlers[page](request) if page in handlers else Reply(404)

    server.on("/catalog.ttl", handle)


def harvest(store: tuple[Settings, EmbeddedBackend], config: Path, **kw: object) -> SourceOutcome:
    settings, backend = store
    return run_harvest([], settings, backend, config_path=config, **kw).outcomes[0]  # type: ignore[arg-type]


def quads(backend: EmbeddedBackend) -> set[str]:
    return {str(q) for q in backend.reader().quads_for_pattern(None, None, None, None)}


def test_paged_catalogue_is_harvested_and_linked(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    outcome = harvest(store, write_config(tmp_path, CONFIG, server))
    assert outcome.status == "published", outcome.error
    assert [r.query["page"] for r in server.seen("/catalog.ttl")] == [["1"], ["2"], ["3"]]
    graph = store[1].graph(GRAPH)
    # linked through municipalityKey (AGS), regionalKey (ARS) and our own IRI
    assert (DARMSTADT, SRH.openDataset, TREES) in graph
    assert (FRANKFURT, SRH.openDataset, STOPS) in graph
    assert (BUETTELBORN, SRH.openDataset, ELECTIONS) in graph
    # not ours (Kassel), no spatial coverage, no IRI: not published
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {TREES, STOPS, ELECTIONS}
    assert "1 dataset(s) without an IRI skipped" in outcome.notes
    assert "6 dataset(s) in the catalogue, 3 linked to 3 published municipalities" in outcome.notes


def test_dataset_description_is_kept(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    harvest(store, write_config(tmp_path, CONFIG, server))
    graph = store[1].graph(GRAPH)
    assert graph.value(TREES, DCTERMS.title) == Literal("Baumkataster Darmstadt", lang="de")
    assert graph.value(TREES, DCAT.landingPage) == URIRef(DS + "baumkataster-darmstadt/info")
    assert graph.value(TREES, DCTERMS.license) == URIRef(
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    )
    assert graph.value(TREES, DCTERMS.modified) is not None
    publisher = graph.value(TREES, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal("Wissenschaftsstadt Darmstadt")
    distribution = graph.value(TREES, DCAT.distribution)
    assert graph.value(distribution, DCAT.downloadURL) == URIRef(
        "https://opendata.example.org/files/baumkataster.csv"
    )
    assert graph.value(distribution, DCAT.accessURL) is not None
    # a blank-node distribution and an IRI publisher with its name (page 2)
    stops = graph.value(STOPS, DCAT.distribution)
    assert graph.value(stops, DCAT.accessURL) == URIRef("https://opendata.example.org/api/haltestellen")
    assert graph.value(graph.value(STOPS, DCTERMS.publisher), FOAF.name) == Literal(
        "Stadt Frankfurt am Main"
    )
    assert {str(t) for t in graph.objects(STOPS, DCTERMS.title)} == {
        "Haltestellen Frankfurt am Main", "Stops in Frankfurt am Main"
    }


def test_record_names_every_page_with_its_etag(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    harvest(store, write_config(tmp_path, CONFIG, server))
    meta = store[1].graph(meta_graph_uri(BASE))
    urls = {str(meta.value(URIRef(f"{GRAPH}#input-{n}"), SRH.retrievedFrom)) for n in (1, 2, 3)}
    assert urls == {f"{server.url}/catalog.ttl?page={n}" for n in (1, 2, 3)}
    assert all(meta.value(URIRef(f"{GRAPH}#input-{n}"), SRH.etag) for n in (1, 2, 3))
    assert meta.value(URIRef(f"{GRAPH}#input-1"), SRH.lastModified) == Literal(
        "Wed, 01 Oct 2025 08:30:00 GMT"
    )


def test_unchanged_catalogue_answers_304_and_nothing_is_published(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    config = write_config(tmp_path, CONFIG, server)
    harvest(store, config)
    version, before = store[1].version(), quads(store[1])
    outcome = harvest(store, config)
    assert outcome.status == "unchanged" and outcome.exit_code == 0
    second = server.seen("/catalog.ttl")[3:]
    assert len(second) == 3
    assert all(r.headers.get("if-none-match") and r.headers.get("if-modified-since")
               for r in second)
    assert store[1].version() == version and quads(store[1]) == before


def test_a_changed_page_is_harvested_again(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    config = write_config(tmp_path, CONFIG, server)
    harvest(store, config)
    version = store[1].version()
    changed = server.fixture("catalog-page2.ttl").replace(
        b'"Haltestellen Frankfurt am Main"@de', b'"Haltestellen (neu)"@de'
    )
    paged_catalogue(server, {"2": changed})
    outcome = harvest(store, config)
    assert outcome.status == "published"
    assert store[1].version() != version
    titles = {str(t) for t in store[1].graph(GRAPH).objects(STOPS, DCTERMS.title)}
    assert "Haltestellen (neu)" in titles


@pytest.mark.parametrize("syntax,media_type", [
    ("xml", "application/rdf+xml"), ("json-ld", "application/ld+json"),
    ("xml", "application/xml"),
])
def test_syntax_follows_the_content_type(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path,
    syntax: str, media_type: str,
) -> None:
    catalogue = Graph()
    for n in (1, 2, 3):
        catalogue.parse(data=server.fixture(f"catalog-page{n}.ttl"), format="turtle")
    for kind in (HYDRA.PagedCollection, HYDRA.PartialCollectionView):
        for node in set(catalogue.subjects(RDF.type, kind)):
            catalogue.remove((node, None, None))  # all in one page
    body = catalogue.serialize(format=syntax).encode()
    server.on("/catalog", lambda r: Reply(200, body, {"Content-Type": media_type}))
    config = write_config(tmp_path, CONFIG.replace("/catalog.ttl?page=1", "/catalog"), server)
    outcome = harvest(store, config)
    assert outcome.status == "published", outcome.error
    graph = store[1].graph(GRAPH)
    assert (DARMSTADT, SRH.openDataset, TREES) in graph
    assert (FRANKFURT, SRH.openDataset, STOPS) in graph


def test_broken_rdf_keeps_the_served_data(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    config = write_config(tmp_path, CONFIG, server)
    harvest(store, config)
    version, before = store[1].version(), quads(store[1])
    paged_catalogue(server, {"2": server.fixture("catalog-broken.ttl")})
    outcome = harvest(store, config, force=True)
    assert outcome.status == "failed" and outcome.exit_code == 2
    error = outcome.error or ""
    assert error.startswith(f"{server.url}/catalog.ttl?page=2: not valid turtle")
    assert "[rdf-syntax]" in error
    assert store[1].version() == version and quads(store[1]) == before


def test_dataset_without_title_fails_validation(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    version, before = store[1].version(), quads(store[1])
    server.on("/one.ttl", lambda r: Reply(200, server.fixture("catalog-untitled.ttl"),
                                          {"Content-Type": "text/turtle"}))
    config = write_config(tmp_path, CONFIG.replace("/catalog.ttl?page=1", "/one.ttl"), server)
    outcome = harvest(store, config)
    assert outcome.status == "failed" and outcome.exit_code == 1
    assert outcome.report is not None
    text = outcome.report.text()
    assert f"{server.url}/one.ttl: <{DS}ohne-titel> dct:title" in text
    assert store[1].version() == version and quads(store[1]) == before


def test_paging_loop_and_foreign_host_are_refused(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    looping = b'@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n' \
              b'<p> a hydra:PartialCollectionView ; hydra:next <loop.ttl> .'
    server.on("/loop.ttl", lambda r: Reply(200, looping, {"Content-Type": "text/turtle"}))
    config = write_config(tmp_path, CONFIG.replace("/catalog.ttl?page=1", "/loop.ttl"), server)
    outcome = harvest(store, config)
    assert outcome.exit_code == 2 and "[paging-loop]" in (outcome.error or "")

    away = looping.replace(b"<loop.ttl>", b"<http://other.example.org/page2.ttl>")
    server.on("/away.ttl", lambda r: Reply(200, away, {"Content-Type": "text/turtle"}))
    config = write_config(tmp_path, CONFIG.replace("/catalog.ttl?page=1", "/away.ttl"), server)
    outcome = harvest(store, config)
    assert outcome.exit_code == 2 and "[paging-host]" in (outcome.error or "")
    assert not server.seen("/page2.ttl")


def test_a_municipal_portal_links_every_dataset(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    paged_catalogue(server)
    config = write_config(tmp_path, CONFIG + 'municipality = "06433003"\n', server)
    outcome = harvest(store, config)
    assert outcome.status == "published", outcome.error
    linked = set(store[1].graph(GRAPH).objects(BUETTELBORN, SRH.openDataset))
    assert {TREES, STOPS, ELECTIONS, URIRef(DS + "feiertage-hessen"),
            URIRef(DS + "parkplaetze-kassel")} == linked
