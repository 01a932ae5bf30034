"""Publishing holds for every sequence of loads (issue 11): what is validated is the store's
form, only what changed is validated (all of it when asked or when the shapes changed), and
every problem names a file and line, also in sources this load did not read."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from loaders.gv100ad import GERMANY, GV100ADSource, dataset_record
from loaders.incremental import everything
from loaders.locations import LOCATIONS_DIR
from loaders.pipeline import LoadFailed, load, resolve_sources
from smartregion.namespaces import DCATDE, DCTERMS, GEOCODING, XSD
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import make_settings
from tests.unit.test_gv100ad import SAMPLE, text


@pytest.fixture
def shipped(tmp_path: Path) -> tuple[Settings, EmbeddedBackend]:
    """A copy of the shipped curated data, loaded."""
    shutil.copytree(PROJECT_DIR / "data", tmp_path / "data")
    settings = make_settings(tmp_path, source_dir=tmp_path / "data")
    backend = EmbeddedBackend(settings)
    load(resolve_sources([], settings), settings, backend)
    return settings, backend


def test_a_second_publish_after_events_is_accepted(
        shipped: tuple[Settings, EmbeddedBackend], tmp_path: Path) -> None:
    """The issue's sequence: curated data with event counts, then GV100AD."""
    settings, backend = shipped
    path = tmp_path / "GV100AD.txt"
    path.write_text(text(SAMPLE), encoding="utf-8")
    summary = load([GV100ADSource(str(path), "06")], settings, backend)
    assert summary.report is not None and summary.report.conforms, summary.report.text()
    assert summary.version is not None and summary.version.id == "000002"
    backend.close()


def test_an_edit_is_validated_with_what_it_affects_only(
        shipped: tuple[Settings, EmbeddedBackend]) -> None:
    settings, backend = shipped
    project = settings.source_dir / "projects" / "smart-kassel.yaml"
    project.write_text(project.read_text().replace("Smart Kassel –", "Smart Kassel (neu) –", 1))
    summary = load(resolve_sources(["projects"], settings), settings, backend)
    assert summary.scope is not None and not summary.scope.full
    assert summary.scope.focus < 20  # the project and its funding nodes, not every entity
    summary = load(resolve_sources(["projects"], settings), settings, backend,
                   full_validation=True)
    assert summary.unchanged == ["projects"]  # nothing changed: nothing to validate
    summary = load(resolve_sources(["projects"], settings), settings, backend, force=True)
    assert summary.scope is not None and summary.scope.full
    assert summary.scope.reason == "--force"
    backend.close()


def test_changed_shapes_validate_everything(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_DIR / "shapes", tmp_path / "shapes")
    shutil.copytree(PROJECT_DIR / "data", tmp_path / "data")
    settings = make_settings(tmp_path, source_dir=tmp_path / "data",
                             shapes_dir=tmp_path / "shapes")
    backend = EmbeddedBackend(settings)
    load(resolve_sources([], settings), settings, backend)
    with (tmp_path / "shapes" / "project.ttl").open("a") as shapes:
        shapes.write("\n# a reviewed change of the shapes\n")
    project = settings.source_dir / "projects" / "smart-kassel.yaml"
    project.write_text(project.read_text().replace("Smart Kassel –", "Smart Kassel (neu) –", 1))
    summary = load(resolve_sources(["projects"], settings), settings, backend)
    assert summary.scope is not None and summary.scope.full
    assert "shapes" in summary.scope.reason
    backend.close()


def test_dangling_links_name_the_removed_file_and_the_linking_files(
        shipped: tuple[Settings, EmbeddedBackend]) -> None:
    settings, backend = shipped
    (settings.source_dir / "organisations" / "bmwsb.yaml").unlink()
    with pytest.raises(LoadFailed) as failed:
        load(resolve_sources(["organisations"], settings), settings, backend)
    report = failed.value.report
    assert report is not None and report.violations
    texts = [v.describe() for v in report.violations]
    assert all("(no file)" not in t for t in texts)
    linking = [v for v in report.violations if v.origin and "/projects/" in v.origin]
    assert linking, report.text()  # the projects' files were not read by this load
    assert all(v.origin and v.origin.rsplit(":", 1)[-1].isdigit() for v in linking)
    assert all(v.note and "bmwsb.yaml:" in v.note for v in linking)
    assert "bmwsb.yaml" in str(failed.value) and "projects/" in str(failed.value)
    # without the kept locations, the unchanged curated files are read again for their lines
    shutil.rmtree(settings.data_dir / LOCATIONS_DIR)
    with pytest.raises(LoadFailed) as again:
        load(resolve_sources(["organisations"], settings), settings, backend)
    assert again.value.report is not None
    assert [v.origin for v in again.value.report.violations] == [
        v.origin for v in report.violations]
    backend.close()


def test_validation_sees_the_store_form(tmp_path: Path) -> None:
    """A derived XSD type in the input reaches SHACL as the store keeps it."""
    settings = make_settings(tmp_path)
    backend = EmbeddedBackend(settings)
    graph = Graph()
    graph.add((URIRef("http://testserver/id/event/x"),
               URIRef("https://data.smarte-region-hessen.de/def/srh#exhibitorCount"),
               Literal("035", datatype=XSD.nonNegativeInteger)))
    try:
        with backend.writer("test") as writer, writer.stage(
                {"http://testserver/graph/events": graph}) as staged:
            seen = list(everything(staged).objects())
    finally:
        backend.close()
    assert seen == [Literal("35", datatype=XSD.integer)]


@pytest.mark.parametrize(("land", "spatial", "geocoding", "level"), [
    ("06", GEOCODING["stateKey/06"], GEOCODING["stateKey/06"], GEOCODING["Level/state"]),
    ("09", GEOCODING["stateKey/09"], GEOCODING["stateKey/09"], GEOCODING["Level/state"]),
    ("all", GERMANY, None, GEOCODING["Level/federal"]),
])
def test_gv100ad_records_its_spatial_coverage(land: str, spatial: URIRef,
                                              geocoding: URIRef | None, level: URIRef) -> None:
    record = dataset_record("http://testserver/", dt.date(2025, 11, 30), land)
    dataset = URIRef("http://testserver/graph/gv100ad")
    assert set(record.objects(dataset, DCTERMS.spatial)) == {spatial}
    assert set(record.objects(dataset, DCATDE.politicalGeocodingURI)) == (
        {geocoding} if geocoding else set())
    assert set(record.objects(dataset, DCATDE.politicalGeocodingLevelURI)) == {level}
