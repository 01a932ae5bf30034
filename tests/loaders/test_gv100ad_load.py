"""GV100AD through the real pipeline: publish, refuse bad files without touching the served
version, merge with curated data, the CLI options, download over HTTP, and the shared file."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from loaders.curated import CuratedSource
from loaders.gv100ad import GV100ADSource
from loaders.pipeline import LoadFailed, LoadSummary, load
from smartregion.cli import main
from smartregion.namespaces import RDF, SKOS, SRH
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import SHARED, make_settings
from tests.unit.test_gv100ad import SAMPLE, text

SHARED_FILE = SHARED / "reference-data" / "GV100AD_30112025.txt"
DESTATIS = (
    "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/_inhalt.html"
)
PREFIXES = """
PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""


def write(folder: Path, lines: list[str], name: str = "GV100AD_30112025.txt") -> Path:
    path = folder / name
    path.write_text(text(lines), encoding="utf-8")
    return path


def count(backend: EmbeddedBackend, pattern: str) -> int:
    rows = backend.select(f"{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(rows[0]["n"])


def graph_size(backend: EmbeddedBackend, settings: Settings, source: str) -> int:
    return count(backend, f"GRAPH <{settings.base_uri}graph/{source}> {{ ?s ?p ?o }}")


def assert_conforms(summary: LoadSummary) -> None:
    assert summary.report is not None
    assert summary.report.conforms, summary.report.text()


def shared_file() -> Path:
    if not SHARED_FILE.is_file():
        pytest.skip(f"shared GV100AD file {SHARED_FILE} is absent")
    return SHARED_FILE


# -- small file written here ----------------------------------------------------------------------
def test_small_file_is_published_with_its_record(
    tmp_path: Path, settings: Settings, backend: EmbeddedBackend
) -> None:
    path = write(tmp_path, SAMPLE)
    summary = load([GV100ADSource(str(path), "06")], settings, backend)
    assert_conforms(summary)
    assert summary.triples["gv100ad"] == graph_size(backend, settings, "gv100ad")
    assert count(backend, "?m a srh:Municipality") == 2
    assert count(backend, "?d a srh:District") == 2
    dataset = f"<{settings.base_uri}graph/gv100ad>"
    record_rows = backend.select(
        f"{PREFIXES} SELECT ?licence ?attribution ?start WHERE {{ GRAPH ?g {{ "
        f"{dataset} dct:license ?licence ; srh:attribution ?attribution ; "
        f"dct:temporal/dcat:startDate ?start }} }}"
    )
    assert len(record_rows) == 1
    assert str(record_rows[0]["licence"]) == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert "Gebietsstand 30.11.2025" in str(record_rows[0]["attribution"])
    assert str(record_rows[0]["start"]) == "2025-11-30"


def test_failed_load_leaves_the_served_version_unchanged(
    tmp_path: Path, settings: Settings, backend: EmbeddedBackend
) -> None:
    load([GV100ADSource(str(write(tmp_path, SAMPLE)), "06")], settings, backend)
    version, triples = backend.version(), count(backend, "GRAPH ?g { ?s ?p ?o }")
    broken = write(tmp_path, [*SAMPLE, SAMPLE[7]], "broken.txt")  # duplicate AGS
    with pytest.raises(LoadFailed) as caught:
        load([GV100ADSource(str(broken), "all")], settings, backend)
    assert caught.value.exit_code == 1
    assert f"broken.txt:{len(SAMPLE) + 1}" in str(caught.value)
    assert "[duplicate-key]" in str(caught.value)
    assert backend.version() == version
    assert count(backend, "GRAPH ?g { ?s ?p ?o }") == triples


def test_unchanged_file_is_skipped_and_land_all_is_a_change(
    tmp_path: Path, settings: Settings, backend: EmbeddedBackend
) -> None:
    path = write(tmp_path, SAMPLE)
    load([GV100ADSource(str(path), "06")], settings, backend)
    again = load([GV100ADSource(str(path), "06")], settings, backend)
    assert again.unchanged == ["gv100ad"]
    everything = load([GV100ADSource(str(path), "all")], settings, backend)
    assert everything.triples
    assert count(backend, "?m a srh:Municipality") == 3


CURATED_SAME = f"""
- id: municipality/06432001
  type: Municipality
  label: {{de: "Alsbach-Hähnlein", en: "Alsbach-Hähnlein"}}
  ags: "06432001"
  source: [{DESTATIS}]
"""


def test_curated_and_gv100ad_are_one_resource_and_reload_keeps_curated(
    tmp_path: Path, settings: Settings, backend: EmbeddedBackend
) -> None:
    folder = tmp_path / "curated"
    folder.mkdir()
    (folder / "alsbach.yaml").write_text(CURATED_SAME, encoding="utf-8")
    curated = CuratedSource("curated", folder)
    path = write(tmp_path, SAMPLE)
    summary = load([curated, GV100ADSource(str(path), "06")], settings, backend)
    assert_conforms(summary)
    alsbach = f"<{settings.base_uri}id/municipality/06432001>"
    labels = backend.select(f"SELECT DISTINCT ?l WHERE {{ {alsbach} <{SKOS.prefLabel}> ?l }}")
    assert sorted(str(r["l"]) for r in labels) == ["Alsbach-Hähnlein"] * 2  # @de and @en
    curated_triples = graph_size(backend, settings, "curated")
    load([GV100ADSource(str(path), "all")], settings, backend)
    assert graph_size(backend, settings, "curated") == curated_triples


def test_conflicting_curated_label_stops_the_load_and_names_the_entity(
    tmp_path: Path, settings: Settings, backend: EmbeddedBackend
) -> None:
    folder = tmp_path / "curated"
    folder.mkdir()
    (folder / "alsbach.yaml").write_text(
        CURATED_SAME.replace('de: "Alsbach-Hähnlein"', 'de: "Alsbach"'), encoding="utf-8"
    )
    load([CuratedSource("curated", folder)], settings, backend)
    version = backend.version()
    with pytest.raises(LoadFailed) as caught:
        load([GV100ADSource(str(write(tmp_path, SAMPLE)), "06")], settings, backend)
    assert caught.value.report is not None
    focus = {(v.focus, v.path) for v in caught.value.report.violations}
    assert (f"{settings.base_uri}id/municipality/06432001", "skos:prefLabel") in focus
    assert backend.version() == version


# -- command line --------------------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    settings = make_settings(tmp_path)
    return {"SMARTREGION_DATA_DIR": str(settings.data_dir),
            "SMARTREGION_BASE_URI": settings.base_uri}


def test_cli_loads_with_source_and_land(tmp_path: Path, runner: CliRunner,
                                        cli_env: dict[str, str]) -> None:
    path = write(tmp_path, SAMPLE)
    result = runner.invoke(main, ["load", "gv100ad", "--source", str(path), "--land", "all"],
                           env=cli_env)
    assert result.exit_code == 0, result.output
    assert "gv100ad:" in result.output and "published version" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["gv100ad", "--land", "99"], "--land must be a Land key"),
        (["--source", "x.txt"], "apply to the gv100ad source only"),
        (["projects", "--land", "05"], "apply to the gv100ad source only"),
    ],
)
def test_cli_usage_errors_exit_2(runner: CliRunner, cli_env: dict[str, str],
                                 arguments: list[str], message: str) -> None:
    result = runner.invoke(main, ["load", *arguments], env=cli_env)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_without_a_shipped_extract_asks_for_a_source(
        tmp_path: Path, runner: CliRunner, cli_env: dict[str, str]) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    result = runner.invoke(main, ["load", "gv100ad"],
                           env={**cli_env, "SMARTREGION_SOURCE_DIR": str(empty)})
    assert result.exit_code == 2
    assert "no input: pass --source" in result.output


def test_the_shipped_extract_is_loaded_by_default_and_a_chosen_file_kept(
        tmp_path: Path, runner: CliRunner, cli_env: dict[str, str]) -> None:
    """A plain load brings all of Hessen from data/gv100ad; a file the operator loads with
    --source replaces it and stays through later plain loads; naming gv100ad reloads it."""
    shipped = next((PROJECT_DIR / "data" / "gv100ad").glob("GV100AD_*.txt"))
    own = tmp_path / "GV100AD_own.txt"  # the operator's file (here: a copy of the extract)
    own.write_bytes(shipped.read_bytes())
    first = runner.invoke(main, ["load"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert "gv100ad: " in first.output and " triples" in first.output
    chosen = runner.invoke(main, ["load", "gv100ad", "--source", str(own)], env=cli_env)
    assert chosen.exit_code == 0, chosen.output
    plain = runner.invoke(main, ["load"], env=cli_env)
    assert plain.exit_code == 0, plain.output
    assert "gv100ad: keeps the input loaded before" in plain.output
    named = runner.invoke(main, ["load", "gv100ad"], env=cli_env)
    assert named.exit_code == 0, named.output
    assert "published version" in named.output
    again = runner.invoke(main, ["load"], env=cli_env)
    assert "keeps the input" not in again.output and "nothing to publish" in again.output


def test_cli_bad_file_exits_2_naming_file_line_and_rule(
    tmp_path: Path, runner: CliRunner, cli_env: dict[str, str]
) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(text(SAMPLE).encode("iso-8859-1"))
    result = runner.invoke(main, ["load", "gv100ad", "--source", str(path)], env=cli_env)
    assert result.exit_code == 2
    assert "old.txt:7: not UTF-8" in result.output and "[utf-8]" in result.output


# -- download ------------------------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering with the sample file; yields its URL and User-Agents."""
    body = text(SAMPLE).encode("utf-8")
    agents: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            agents.append(self.headers.get("User-Agent", ""))
            if self.path != "/GV100AD.txt":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", agents
    server.shutdown()
    server.server_close()


def test_download_over_http_with_user_agent(
    settings: Settings, served: tuple[str, list[str]]
) -> None:
    base, agents = served
    progress: list[tuple[str, int, int | None]] = []
    source = GV100ADSource(f"{base}/GV100AD.txt", "06").extract(
        settings, lambda what, done, total: progress.append((what, done, total))
    )
    assert source.inputs == [f"{base}/GV100AD.txt"]
    assert len(source.graph) > 0
    assert agents == [f"smartregion/0.1.0 (+{settings.base_uri})"]
    assert any(what.startswith("download") and done == total for what, done, total in progress)
    with pytest.raises(Exception, match=r"HTTP 404") as caught:
        GV100ADSource(f"{base}/missing.txt").extract(settings)
    assert getattr(caught.value, "exit_code", None) == 2


# -- the shared all-Germany file ----------------------------------------------------------------
def test_shared_file_hessen_figures(settings: Settings, backend: EmbeddedBackend) -> None:
    path = shared_file()
    summary = load([GV100ADSource(str(path), "06")], settings, backend)
    assert_conforms(summary)
    assert count(backend, "?x a srh:Land") == 1
    assert count(backend, "?x a srh:GovernmentDistrict") == 3
    assert count(backend, "?x a srh:District") == 26
    assert count(backend, "?x a srh:RuralDistrict") == 21
    assert count(backend, "?x a srh:DistrictFreeCity") == 5
    assert count(backend, "?x a srh:Municipality") == 421
    population = backend.select(
        f"{PREFIXES} SELECT (SUM(?p) AS ?sum) WHERE {{ ?m a srh:Municipality ; srh:population ?p }}"
    )
    assert int(population[0]["sum"]) == 6_280_793


def test_shared_file_germany_figures_without_publishing(settings: Settings) -> None:
    graph = GV100ADSource(str(shared_file()), "all").extract(settings).graph
    assert len(set(graph.subjects(RDF.type, SRH.Municipality))) == 10_751
    assert len(set(graph.subjects(RDF.type, SRH.District))) == 400
    assert len(set(graph.subjects(RDF.type, SRH.Land))) == 16


def test_shared_file_hessen_merges_with_the_shipped_curated_areas(
    tmp_path: Path, backend: EmbeddedBackend
) -> None:
    path = shared_file()
    settings = make_settings(tmp_path)  # the project's data/ folder
    administrative = settings.source_dir / "administrative"
    if not administrative.is_dir():
        pytest.skip(f"no curated administrative data in {administrative}")
    store = EmbeddedBackend(settings)
    try:
        summary = load([CuratedSource("administrative", administrative),
                        GV100ADSource(str(path), "06")], settings, store)
    finally:
        store.close()
    assert_conforms(summary)


@pytest.mark.slow
def test_shared_file_germany_through_the_pipeline(
    settings: Settings, backend: EmbeddedBackend
) -> None:
    summary = load([GV100ADSource(str(shared_file()), "all")], settings, backend)
    assert_conforms(summary)
    assert count(backend, "?x a srh:Municipality") == 10_751
