"""``smartregion harvest`` and its configuration file: exit codes 0/1/2, the summary, the
shipped ``harvest.toml`` and clear errors for a wrong configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from loaders.harvest_config import load_config
from loaders.source import SourceError
from smartregion.cli import main
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import cli_env
from tests.loaders.harvest_server import (
    FAST_FETCH,
    FixtureServer,
    Reply,
    published_store,
    wikidata_endpoint,
    write_config,
)

CONFIG = FAST_FETCH + """
[[source]]
name = "wikidata"
kind = "sparql"
url = "@SERVER@/sparql"

[[source]]
name = "portal"
kind = "dcat"
url = "@SERVER@/catalog.ttl"
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Settings, EmbeddedBackend]]:
    settings, backend = published_store(tmp_path)
    backend.close()  # the command opens the store itself
    yield settings, backend


env = cli_env


def run(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["harvest", *args], env=env(settings))
    return result.exit_code, result.stdout, result.stderr


def untitled(server: FixtureServer) -> None:
    server.on("/catalog.ttl", lambda r: Reply(200, server.fixture("catalog-untitled.ttl"),
                                              {"Content-Type": "text/turtle"}))


def test_help() -> None:
    result = CliRunner().invoke(main, ["harvest", "--help"])
    assert result.exit_code == 0
    assert "--config" in result.output and "--force" in result.output
    assert "304" in result.output


def test_harvest_publishes_then_reports_unchanged(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    settings = store[0]
    server.on("/sparql", wikidata_endpoint())
    config = str(write_config(tmp_path, CONFIG, server))
    code, out, err = run(settings, "wikidata", "--config", config)
    assert code == 0, err
    assert "wikidata: 10 triples in graph wikidata, version 000002 (1 request(s))" in out
    assert "wikidata: 3 municipalities asked, 2 linked, 2 with coordinates" in out
    code, out, err = run(settings, "wikidata", "--config", config)
    assert code == 0, err
    assert "wikidata: unchanged, not reloaded (1 request(s))" in out


def test_exit_code_1_when_a_shape_is_broken(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    untitled(server)
    code, _, err = run(store[0], "portal", "--config",
                         str(write_config(tmp_path, CONFIG, server)))
    assert code == 1
    assert "portal: FAILED, nothing published: 1 SHACL violation(s)" in err
    assert "dct:title" in err


def test_exit_code_2_for_an_unreachable_source_and_others_still_run(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    server.on("/sparql", lambda r: Reply(503, b"maintenance"))
    untitled(server)
    code, _, err = run(store[0], "--config", str(write_config(tmp_path, CONFIG, server)))
    assert code == 2  # 2 (unreachable) outranks 1 (shape broken)
    assert f"wikidata: FAILED, nothing published: {server.url}/sparql?query=" in err
    assert "HTTP 503" in err
    assert "portal: FAILED" in err  # ran although wikidata failed


def test_unknown_source_and_broken_config_exit_2(
    server: FixtureServer, store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    config = write_config(tmp_path, CONFIG, server)
    code, _, err = run(store[0], "nope", "--config", str(config))
    assert code == 2 and "no harvest source 'nope' (configured: wikidata, portal)" in err
    broken = tmp_path / "broken.toml"
    broken.write_text('[[source]]\nname = "x"\nkind = "ftp"\nurl = "http://a/"\n')
    code, _, err = run(store[0], "--config", str(broken))
    assert code == 2 and "kind 'ftp' is not one of dcat, sparql" in err


def test_the_shipped_configuration_lists_wikidata() -> None:
    config = load_config(PROJECT_DIR / "harvest.toml")
    entries = {e.name: e for e in config.entries}
    assert entries["wikidata"].kind == "sparql"
    assert entries["wikidata"].url == "https://query.wikidata.org/sparql"
    assert entries["wikidata"].graph_name == "wikidata"
    assert entries["wikidata"].fetch.min_interval >= 1.0


@pytest.mark.parametrize("text,message", [
    ("[[source]]\nkind = 'dcat'\nurl = 'http://a/'", "'name' is required"),
    ("[[source]]\nname = 'A b'\nkind = 'dcat'\nurl = 'http://a/'", "use a-z, 0-9 and '-'"),
    ("[[source]]\nname = 'a'\nkind = 'dcat'\nurl = 'ftp://a/'", "not an absolute http(s) URL"),
    ("[[source]]\nname = 'a'\nkind = 'dcat'\nurl = 'http://a/'\nbatch_size = 5",
     "unknown option 'batch_size' for kind dcat"),
    ("[[source]]\nname = 'a'\nkind = 'sparql'\nurl = 'http://a/'\nbatch_size = 0",
     "batch_size must be an integer from 1 to 500"),
    ("[[source]]\nname = 'a'\nkind = 'dcat'\nurl = 'http://a/'\nmunicipality = '0641'",
     "municipality must be an 8-digit AGS"),
    ("[[source]]\nname = 'a'\nkind = 'dcat'\nurl = 'http://a/'\n[source.fetch]\nretry = 1",
     "unknown fetch setting 'retry'"),
    ("[[source]]\nname = 'a'\nkind = 'dcat'\nurl = 'http://a/'\n"
     "[[source]]\nname = 'a'\nkind = 'dcat'\nurl = 'http://b/'", "'a' is used twice"),
    ("[fetch]\ntimeout = 0", "must be > 0"),
    ("[sources]", "unknown top-level key 'sources'"),
    ("name = ", "not valid TOML"),
])
def test_configuration_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "harvest.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in caught.value.location and caught.value.exit_code == 2


def test_a_harvest_cannot_take_a_curated_sources_graph(
    store: tuple[Settings, EmbeddedBackend], tmp_path: Path
) -> None:
    path = tmp_path / "clash.toml"
    path.write_text('[[source]]\nname = "administrative"\nkind = "sparql"\n'
                    'url = "http://127.0.0.1:9/sparql"\n', encoding="utf-8")
    code, _, err = run(store[0], "--config", str(path))
    assert code == 2 and "would replace the graph of the loader 'administrative'" in err
