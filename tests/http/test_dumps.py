"""Dumps ``/dump/{dataset}.{ttl,nt.gz,jsonld,nq.gz}``: what the catalogue says about them is
true of the bytes served, they are cached per store version, and a publish in the middle of
writing one never leaves a file that mixes two versions."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from endpoint import create_app
from loaders.pipeline import load, resolve_sources
from smartregion.derived import DerivedViews, prepare_version
from smartregion.derived.datasets import KNOWLEDGE_GRAPH
from smartregion.derived.dumps import DUMP_FORMATS, DumpFormat, DumpStore, VersionChanged
from smartregion.formats import GraphFormat
from smartregion.namespaces import DCAT, SPDX, VOID
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from smartregion.store.publication import Publication
from tests.conftest import TEST_DATA, make_settings
from tests.http.test_catalog import BASE, source_graphs

OX_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE, "nt.gz": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD, "nq.gz": ox.RdfFormat.N_QUADS,
}


def statements(body: bytes, fmt: DumpFormat) -> list[ox.Quad]:
    """The quads of a dump body (gzip unpacked), parsed natively."""
    data = gzip.decompress(body) if fmt.compressed else body
    return list(ox.parse(data, format=OX_FORMATS[fmt.extension]))


@pytest.fixture(scope="module")
def catalog(client: FlaskClient) -> Graph:
    return Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")


@pytest.fixture(scope="module")
def void(client: FlaskClient) -> Graph:
    return Graph().parse(data=client.get("/.well-known/void.ttl").data, format="turtle")


@pytest.fixture(scope="module")
def client(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> FlaskClient:
    flask_app = create_app(loaded_settings, loaded_backend)
    flask_app.testing = True
    return flask_app.test_client()


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.extension)
def test_every_dump_matches_its_distribution_and_the_void_figures(
    client: FlaskClient, catalog: Graph, void: Graph, loaded_backend: EmbeddedBackend,
    fmt: DumpFormat,
) -> None:
    names = [g.rsplit("/", 1)[1] for g in source_graphs(loaded_backend)]
    for name in [*names, KNOWLEDGE_GRAPH]:
        url = f"{BASE}dump/{name}.{fmt.extension}"
        with client.get(f"/dump/{name}.{fmt.extension}") as response:
            assert response.status_code == 200, url
            assert response.mimetype == fmt.content_type.split(";")[0]
            body = response.data
        digest = hashlib.sha256(body).hexdigest()
        assert response.headers["ETag"] == f'"{digest}"'
        (dist,) = catalog.subjects(DCAT.downloadURL, URIRef(url))
        assert catalog.value(dist, DCAT.byteSize) == Literal(
            len(body), datatype=URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger"))
        checksum = catalog.value(dist, SPDX.checksum)
        assert str(catalog.value(checksum, SPDX.checksumValue)) == digest
        assert catalog.value(dist, DCAT.mediaType) == URIRef(fmt.media_type_iri)
        quads = statements(body, fmt)
        dataset = URIRef(f"{BASE}dataset/{name}")
        triples = int(void.value(dataset, VOID.triples).toPython())
        assert len({q.triple for q in quads}) == triples, url
        if fmt.quads:
            graphs = {q.graph_name.value for q in quads}  # type: ignore[union-attr]
            expected = set(source_graphs(loaded_backend)) if name == KNOWLEDGE_GRAPH else {
                f"{BASE}graph/{name}"}
            assert graphs == expected
            if name != KNOWLEDGE_GRAPH:
                assert len(quads) == triples


def test_conditional_and_range_requests(client: FlaskClient) -> None:
    with client.get("/dump/organisations.ttl") as first:
        whole, etag = first.data, first.headers["ETag"]
    with client.get("/dump/organisations.ttl", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/dump/organisations.ttl", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206
        assert part.data == whole[:100]
    with client.head("/dump/organisations.nt.gz") as head:
        assert head.status_code == 200
        assert head.mimetype == "application/gzip"
        assert "attachment" in head.headers["Content-Disposition"]


@pytest.mark.parametrize("path", ["/dump/organisations.xml", "/dump/nothing.ttl",
                                  "/dump/.ttl", "/dump/organisations"])
def test_unknown_dumps_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_dumps_are_cached_per_version_and_old_versions_pruned(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, source_dir=TEST_DATA / "sources", keep_versions=1)
    backend = EmbeddedBackend(settings)
    try:
        client = create_app(settings, backend).test_client()
        assert client.get("/dump/administrative.ttl").status_code == 404  # nothing loaded
        load(resolve_sources(["administrative"], settings), settings, backend)
        with client.get("/dump/administrative.ttl") as first:
            body, etag = first.data, first.headers["ETag"]
        cached = sorted((settings.data_dir / "dumps").iterdir())
        files = {p.name: p.stat().st_mtime_ns for p in cached[0].iterdir()}
        with client.get("/dump/administrative.ttl") as again:
            assert again.data == body
        assert {p.name: p.stat().st_mtime_ns for p in cached[0].iterdir()} == files
        load(resolve_sources(["administrative"], settings), settings, backend, force=True)
        with client.get("/dump/administrative.ttl") as second:
            assert second.headers["ETag"] == etag  # same data, same checksum
        folders = sorted(p.name for p in (settings.data_dir / "dumps").iterdir())
        assert folders == [backend.version().id]  # type: ignore[union-attr]
    finally:
        backend.close()


class PublishesDuringDump(EmbeddedBackend):
    """A real store on which a real publish lands while the first dump is being written."""

    publish_once = True

    def dump(self, target: Path, fmt: GraphFormat, graph_uri: str | None = None) -> int:
        size = super().dump(target, fmt, graph_uri)
        if self.publish_once:
            self.publish_once = False
            extra = Graph()
            extra.add((URIRef(BASE + "id/thing/x"), RDF.type, URIRef(BASE + "def/X")))
            self.publish(Publication(graphs={BASE + "graph/extra": extra}))
        return size


def test_a_publish_during_a_dump_never_leaves_a_mixed_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, source_dir=TEST_DATA / "sources")
    backend = PublishesDuringDump(settings)
    try:
        load(resolve_sources(["administrative"], settings), settings, backend)
        old = backend.version()
        assert old is not None
        store = DumpStore(settings, backend)
        fmt = DUMP_FORMATS[0]
        datasets = {"administrative": [BASE + "graph/administrative"]}
        with pytest.raises(VersionChanged):
            store.get(old, datasets, "administrative", fmt)
        assert not [p for p in store.directory(old).iterdir() if p.name != ".lock"]
        # The service retries on the version now served and succeeds.
        service = DerivedViews(settings, backend)
        made = service.consistent(lambda snapshot: service.dump(snapshot, "administrative", fmt))
        assert made.version_id == backend.version().id != old.id  # type: ignore[union-attr]
    finally:
        backend.close()


def test_prepare_writes_every_dump_and_the_void_figures_ahead(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, source_dir=TEST_DATA / "sources")
    backend = EmbeddedBackend(settings)
    try:
        load(resolve_sources(["administrative", "organisations"], settings), settings, backend)
        version = prepare_version(settings, backend)
        assert version is not None
        folder = DumpStore(settings, backend).directory(version)
        names = {p.name for p in folder.iterdir()}
        for name in ("administrative", "organisations", KNOWLEDGE_GRAPH):
            assert {f"{name}.{f.extension}" for f in DUMP_FORMATS} <= names
        stats = backend.derived(version, "void-statistics")
        assert stats is not None and stats[""]["triples"] > 0
    finally:
        backend.close()


def test_web_workers_read_the_recorded_figures_and_never_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the writer prepared a version, /.well-known/void counts nothing itself."""
    import smartregion.derived.views as views

    settings = make_settings(tmp_path, source_dir=TEST_DATA / "sources")
    backend = EmbeddedBackend(settings)
    try:
        load(resolve_sources(["administrative"], settings), settings, backend)
        prepare_version(settings, backend)

        def forbidden(*args: object) -> None:
            raise AssertionError("a web worker counted the VoID figures")

        monkeypatch.setattr(views, "compute_statistics", forbidden)
        client = create_app(settings, backend).test_client()
        response = client.get("/.well-known/void.ttl")
        assert response.status_code == 200 and b"void:triples" in response.data
    finally:
        backend.close()
