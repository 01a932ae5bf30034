"""The Wikidata loader against a stand-in SPARQL endpoint on 127.0.0.1 answering in the
Wikidata Query Service's JSON results format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, PROV

from loaders.harvest import run_harvest
from loaders.wikidata import GEO, SF, batch_query
from smartregion.namespaces import SRH
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.uris import graph_uri, meta_graph_uri
from tests.loaders.harvest_server import (
    FAST_FETCH,
    FixtureServer,
    Reply,
    sequence,
    wikidata_endpoint,
    write_config,
)

CONFIG = FAST_FETCH + """
[[source]]
name = "wikidata"
kind = "sparql"
url = "@SERVER@/sparql"
batch_size = 2
licence = "http://dcat-ap.de/def/licenses/cc-zero"
"""
BASE = "http://testserver/"
DARMSTADT = URIRef(BASE + "id/municipality/06411000")
FRANKFURT = URIRef(BASE + "id/municipality/06412000")
BUETTELBORN = URIRef(BASE + "id/municipality/06433003")
GRAPH = graph_uri(BASE, "wikidata")


def harvest(store: tuple[Settings, EmbeddedBackend], config: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    settings, backend = store
    summary = run_harvest([], settings, backend, config_path=config, **kwargs)  # type: ignore[arg-type]
    return summary.outcomes[0]


def quads(backend: EmbeddedBackend) -> set[str]:
    return {str(q) for q in backend.reader().quads_for_pattern(None, None, None, None)}


def test_links_and_coordinates_are_published(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", wikidata_endpoint())
    outcome = harvest(store, write_config(tmp_path, CONFIG, server))
    assert outcome.status == "published", outcome.error
    graph = store[1].graph(GRAPH)
    assert (DARMSTADT, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q2973")) in graph
    assert (FRANKFURT, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q1794")) in graph
    assert not list(graph.objects(BUETTELBORN, OWL.sameAs))  # no item in the answer
    geometry = graph.value(DARMSTADT, GEO.hasGeometry)
    assert graph.value(geometry, GEO.asWKT) == Literal(
        "POINT(8.65 49.866666666)", datatype=GEO.wktLiteral
    )
    assert (geometry, URIRef(str(SF.Point)), None) not in graph  # typed, not a property
    assert graph.value(geometry, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")) \
        == SF.Point
    assert "3 municipalities asked, 2 linked, 2 with coordinates" in outcome.notes


def test_keys_are_sent_in_values_batches_with_the_user_agent(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", wikidata_endpoint())
    harvest(store, write_config(tmp_path, CONFIG, server))
    sent = server.seen("/sparql")
    assert len(sent) == 2  # three AGS, two per batch
    queries = [r.query["query"][0] for r in sent]
    assert 'VALUES ?ags { "06411000" "06412000" }' in queries[0]
    assert 'VALUES ?ags { "06433003" }' in queries[1]
    assert all("wdt:P439" in q and "wdt:P625" in q for q in queries)
    assert all(r.headers["accept"] == "application/sparql-results+json" for r in sent)
    assert all(r.headers["user-agent"].startswith("smartregion/") for r in sent)
    assert all(r.headers["user-agent"].endswith("(+http://testserver/)") for r in sent)


def test_provenance_records_url_time_and_etag(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", wikidata_endpoint())
    harvest(store, write_config(tmp_path, CONFIG, server))
    meta = store[1].graph(meta_graph_uri(BASE))
    activity = URIRef(GRAPH + "#load")
    inputs = sorted(str(i) for i in meta.objects(activity, PROV.used) if "#input-" in str(i))
    assert len(inputs) == 2
    first = URIRef(inputs[0])
    assert str(meta.value(first, SRH.retrievedFrom)).startswith(server.url + "/sparql?query=")
    assert meta.value(first, SRH.etag) is not None
    assert meta.value(first, SRH.retrievedAt).datatype.endswith("#dateTime")  # type: ignore[union-attr]
    dataset = URIRef(GRAPH)
    assert meta.value(dataset, URIRef("http://purl.org/dc/terms/source")) == URIRef(
        server.url + "/sparql"
    )
    assert meta.value(dataset, URIRef("http://purl.org/dc/terms/license")) == URIRef(
        "http://dcat-ap.de/def/licenses/cc-zero"
    )


def test_second_harvest_sends_if_none_match_and_publishes_nothing(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", wikidata_endpoint())
    config = write_config(tmp_path, CONFIG, server)
    harvest(store, config)
    version = store[1].version()
    before = quads(store[1])
    first_tags = [r.headers.get("if-none-match") for r in server.seen("/sparql")]
    assert first_tags == [None, None]

    outcome = harvest(store, config)
    assert outcome.status == "unchanged"
    assert outcome.requests == 2
    again = server.seen("/sparql")[2:]
    assert all(r.headers.get("if-none-match") for r in again)
    assert store[1].version() == version and quads(store[1]) == before


def test_force_fetches_unconditionally_and_publishes(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", wikidata_endpoint())
    config = write_config(tmp_path, CONFIG, server)
    harvest(store, config)
    version = store[1].version()
    outcome = harvest(store, config, force=True)
    assert outcome.status == "published"
    assert not any(r.headers.get("if-none-match") for r in server.seen("/sparql")[2:])
    assert store[1].version() != version
    assert len(store[1].graph(GRAPH)) == len(store[1].graph(GRAPH))  # full graph again


def test_failure_leaves_the_served_data_as_it_was(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    endpoint = wikidata_endpoint()
    server.on("/sparql", endpoint)
    config = write_config(tmp_path, CONFIG, server)
    harvest(store, config)
    version, before = store[1].version(), quads(store[1])

    server.on("/sparql", lambda r: Reply(500, b"java.lang.OutOfMemoryError"))
    outcome = harvest(store, config, force=True)
    assert outcome.status == "failed" and outcome.exit_code == 2
    assert f"{server.url}/sparql?query=" in (outcome.error or "")
    assert "HTTP 500" in (outcome.error or "") and "3 attempts" in (outcome.error or "")
    assert store[1].version() == version and quads(store[1]) == before


def test_500_then_success_is_harvested(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    endpoint = wikidata_endpoint()
    failing_once = sequence(Reply(500, b"temporarily unavailable"), Reply(200))
    state = {"failed": False}

    def handle(request):  # type: ignore[no-untyped-def]
        if not state["failed"]:
            state["failed"] = True
            return failing_once(request)
        return endpoint(request)

    server.on("/sparql", handle)
    outcome = harvest(store, write_config(tmp_path, CONFIG, server))
    assert outcome.status == "published"
    assert len(server.seen("/sparql")) == 3  # first batch retried once


def test_broken_results_are_reported_and_nothing_published(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    version = store[1].version()
    server.on("/sparql", lambda r: Reply(200, b'{"head": {"vars": []}, "results": ',
                                         {"Content-Type": "application/sparql-results+json"}))
    outcome = harvest(store, write_config(tmp_path, CONFIG, server))
    assert outcome.exit_code == 2 and "not valid JSON" in (outcome.error or "")
    assert "[results-syntax]" in (outcome.error or "")
    assert store[1].version() == version


def test_html_error_page_is_not_taken_for_results(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", lambda r: Reply(200, b"<html>maintenance</html>",
                                         {"Content-Type": "text/html"}))
    outcome = harvest(store, write_config(tmp_path, CONFIG, server))
    assert outcome.exit_code == 2 and "text/html" in (outcome.error or "")


def test_ambiguous_items_and_foreign_coordinates_are_skipped(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    # Synthetic answer (not Wikidata's data): two items for one AGS, a coordinate on the Moon.
    def row(ags: str, item: str, coord: str | None = None) -> dict[str, object]:
        binding: dict[str, object] = {
            "ags": {"type": "literal", "value": ags},
            "item": {"type": "uri", "value": "http://www.wikidata.org/entity/" + item},
        }
        if coord:
            binding["coord"] = {"type": "literal", "value": coord,
                                "datatype": "http://www.opengis.net/ont/geosparql#wktLiteral"}
        return binding

    results = {"head": {"vars": ["ags", "item", "coord"]}, "results": {"bindings": [
        row("06411000", "Q900000001"), row("06411000", "Q900000002"),
        row("06412000", "Q900000003",
            "<http://www.wikidata.org/entity/Q405> Point(23.47 0.67)"),
    ]}}
    server.on("/sparql", wikidata_endpoint(json.dumps(results).encode()))
    outcome = harvest(store, write_config(tmp_path, CONFIG, server))
    assert outcome.status == "published", outcome.error
    graph = store[1].graph(GRAPH)
    assert not list(graph.objects(DARMSTADT, OWL.sameAs))
    assert list(graph.objects(FRANKFURT, OWL.sameAs))
    assert not list(graph.objects(FRANKFURT, GEO.hasGeometry))
    notes = "\n".join(outcome.notes)
    assert "AGS 06411000: several Wikidata items (Q900000001, Q900000002)" in notes
    assert "not a point on Earth" in notes


def test_only_checked_keys_reach_the_query() -> None:
    assert '"06411000"' in batch_query(["06411000"])
    with pytest.raises(ValueError):
        batch_query(['0641100" } ?s ?p ?o {'])
