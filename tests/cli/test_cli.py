"""The ``smartregion`` command line: help everywhere, exit codes, versions, rollback, dump."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph

from smartregion.cli import main
from smartregion.settings import Settings
from tests.conftest import TEST_DATA, cli_env, make_settings

COMMANDS = [name for name in main.commands]  # type: ignore[attr-defined]


@pytest.fixture
def cli_settings(tmp_path: Path) -> Settings:
    sources = tmp_path / "sources"
    shutil.copytree(TEST_DATA / "sources", sources)
    return make_settings(tmp_path, source_dir=sources)


env = cli_env


def test_group_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("load", "validate", "versions", "rollback", "dump", "settings", "serve"):
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_load_prints_summary_and_versions_lists_it(
    runner: CliRunner, cli_settings: Settings
) -> None:
    result = runner.invoke(main, ["load"], env=env(cli_settings))
    assert result.exit_code == 0, result.output
    assert "projects:" in result.output and "triples" in result.output
    assert "published version 000001" in result.output
    listed = runner.invoke(main, ["versions"], env=env(cli_settings))
    assert listed.output.startswith("* 000001")


def test_rollback(runner: CliRunner, cli_settings: Settings) -> None:
    assert runner.invoke(main, ["rollback"], env=env(cli_settings)).exit_code == 1
    runner.invoke(main, ["load"], env=env(cli_settings))
    runner.invoke(main, ["load", "--force"], env=env(cli_settings))
    result = runner.invoke(main, ["rollback"], env=env(cli_settings))
    assert result.exit_code == 0, result.output
    assert "now serving version 000001" in result.output
    result = runner.invoke(main, ["rollback", "--to", "2"], env=env(cli_settings))
    assert "now serving version 000002" in result.output


@pytest.mark.parametrize(
    ("name", "graph", "parse_format", "quads"),
    [
        ("all.nq.gz", None, "nquads", True),
        ("all.trig", None, "trig", True),
        ("projects.ttl", "projects", "turtle", False),
        ("projects.jsonld", "projects", "json-ld", False),
        ("projects.nt.gz", "projects", "nt", False),
    ],
)
def test_dump_formats(
    runner: CliRunner, cli_settings: Settings, tmp_path: Path,
    name: str, graph: str | None, parse_format: str, quads: bool,
) -> None:
    runner.invoke(main, ["load"], env=env(cli_settings))
    target = tmp_path / name
    args = ["dump", str(target)] + (["--graph", graph] if graph else [])
    result = runner.invoke(main, args, env=env(cli_settings))
    assert result.exit_code == 0, result.output
    data = gzip.decompress(target.read_bytes()) if name.endswith(".gz") else target.read_bytes()
    parsed: Graph = Dataset() if quads else Graph()
    parsed.parse(data=data, format=parse_format)
    assert len(parsed) > 0 if not quads else len(list(parsed.quads())) > 0


def test_dump_usage_errors(runner: CliRunner, cli_settings: Settings, tmp_path: Path) -> None:
    runner.invoke(main, ["load"], env=env(cli_settings))
    for name in ("x.ttl", "x.doc"):
        result = runner.invoke(main, ["dump", str(tmp_path / name)], env=env(cli_settings))
        assert result.exit_code == 2, result.output
    missing = runner.invoke(
        main, ["dump", str(tmp_path / "x.ttl"), "--graph", "nope"], env=env(cli_settings)
    )
    assert missing.exit_code == 2 and "no published graph" in missing.output


def test_settings_command_shows_values_and_hides_secrets(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["settings"],
        env={"SMARTREGION_PORT": "8123", "SMARTREGION_STORE_PASSWORD": "hunter2"},
    )
    assert result.exit_code == 0
    assert "SMARTREGION_PORT=8123" in result.output
    assert "hunter2" not in result.output


def test_bad_setting_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["settings"], env={"SMARTREGION_PORT": "x"})
    assert result.exit_code == 2
    assert "SMARTREGION_PORT" in result.output or "port" in result.output


def test_validate_conforming_files(runner: CliRunner, cli_settings: Settings) -> None:
    result = runner.invoke(
        main, ["validate", str(cli_settings.source_dir / "projects")], env=env(cli_settings)
    )
    assert result.exit_code == 0, result.output
    assert "Conforms" in result.output


def test_validate_missing_path(runner: CliRunner, cli_settings: Settings) -> None:
    result = runner.invoke(main, ["validate", "/nonexistent/x.yaml"], env=env(cli_settings))
    assert result.exit_code == 2
    assert "no such file" in result.output
