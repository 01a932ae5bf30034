"""``smartregion new project`` and ``smartregion stats`` as the Geschäftsstelle uses them:
answer the questions, get a file that validates, load it, see the project page; print the
figures of what is served."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from endpoint import create_app
from loaders.authoring import load_choices, published_graph
from smartregion.cli import main
from smartregion.settings import Settings
from smartregion.store import open_backend
from tests.conftest import TEST_DATA, cli_env, make_settings


@pytest.fixture
def cli_settings(tmp_path: Path) -> Settings:
    sources = tmp_path / "sources"
    shutil.copytree(TEST_DATA / "sources", sources)
    return make_settings(tmp_path, source_dir=sources)


def number_of(settings: Settings, kind: str, ref: str) -> str:
    """The number the dialogue shows for a choice (its place in the offered list)."""
    backend = open_backend(settings)
    try:
        choices = load_choices(settings, published_graph(settings, backend))
    finally:
        backend.close()
    return str([c.ref for c in getattr(choices, kind)].index(ref) + 1)


def answers(settings: Settings) -> list[str]:
    """What a person types, in order; each wrong answer is followed by a corrected one."""
    return [
        "Sensoren am Herrngarten",          # Name (Deutsch)
        "Sensors at the Herrngarten",       # Name (English)
        "Bodenfeuchte-Sensoren im Park.",   # Kurzbeschreibung
        "",                                 # short description (none)
        "darmst",                           # search a municipality by part of its name …
        "",                                 # … the only hit is taken by default (1)
        "",                                 # no further municipality
        "",                                 # no Kreis
        "99",                               # a field number that does not exist → asked again
        number_of(settings, "fields", "scheme:field-of-action/shh-smart-environment"),
        number_of(settings, "statuses", "scheme:project-status/running"),
        "2024-02-30",                       # no such day → asked again
        "2024",
        "",                                 # no end
        "digitalstadt",                     # lead organisation by name
        "",
        "",
        "",                                 # no programme (the fixture has none)
        "www.darmstadt.de",                 # no URL → asked again
        "https://www.darmstadt.de/nachrichten/sensoren",
        "",                                 # sources done
        "",                                 # key: the proposed one
    ]


def test_new_project_writes_a_file_that_validates_and_loads(
    runner: CliRunner, cli_settings: Settings
) -> None:
    env = cli_env(cli_settings)
    assert runner.invoke(main, ["load"], env=env).exit_code == 0
    result = runner.invoke(main, ["new", "project"], env=env,
                           input="\n".join(answers(cli_settings)) + "\n")
    assert result.exit_code == 0, result.output
    assert "Darmstadt, Wissenschaftsstadt" in result.output  # offered by name
    assert "not one of the numbers" in result.output
    assert "no day of the calendar" in result.output
    assert "no http(s) URL" in result.output
    path = cli_settings.source_dir / "projects" / "sensoren-am-herrngarten.yaml"
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written == {
        "id": "project/sensoren-am-herrngarten", "type": "Project",
        "label": {"de": "Sensoren am Herrngarten", "en": "Sensors at the Herrngarten"},
        "description": {"de": "Bodenfeuchte-Sensoren im Park."},
        "municipality": ["municipality/06411000"],
        "leadOrganisation": ["organisation/digitalstadt-darmstadt-gmbh"],
        "fieldOfAction": ["scheme:field-of-action/shh-smart-environment"],
        "startYear": "2024",
        "status": "scheme:project-status/running",
        "source": ["https://www.darmstadt.de/nachrichten/sensoren"],
    }
    assert "conforms" in result.output and "doc/project/sensoren-am-herrngarten" in result.output
    # … the workflow the README describes: validate, load, look at the page
    assert runner.invoke(main, ["validate", str(path)], env=env).exit_code == 0
    loaded = runner.invoke(main, ["load", "projects"], env=env)
    assert loaded.exit_code == 0, loaded.output
    backend = open_backend(cli_settings)
    try:
        app = create_app(cli_settings, backend)
        app.testing = True
        page = app.test_client().get("/doc/project/sensoren-am-herrngarten")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Sensoren am Herrngarten" in html
        assert 'href="/doc/municipality/06411000"' in html
    finally:
        backend.close()


def test_new_project_refuses_a_taken_key(runner: CliRunner, cli_settings: Settings) -> None:
    env = cli_env(cli_settings)
    assert runner.invoke(main, ["load"], env=env).exit_code == 0
    typed = ["Smart Lighting", "", "", "", "", "", "1", "", "", "", "", "",
             "https://example.org/a", "", "smart-lighting-residenzschloss", "licht-neu"]
    result = runner.invoke(main, ["new", "project"], env=env, input="\n".join(typed) + "\n")
    assert result.exit_code == 0, result.output
    assert "smart-lighting-residenzschloss ist vergeben / is taken" in result.output
    assert (cli_settings.source_dir / "projects" / "licht-neu.yaml").exists()


def test_new_project_before_any_load_offers_the_curated_files(
    runner: CliRunner, cli_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "drafts"
    typed = ["Test", "", "", "", "Wissenschaftsstadt", "", "", "", "1", "", "", "", "", "",
             "https://example.org/a", "", ""]
    result = runner.invoke(main, ["new", "project", "--output", str(out)],
                           env=cli_env(cli_settings), input="\n".join(typed) + "\n")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / "test.yaml").read_text(encoding="utf-8"))["municipality"] == [
        "municipality/06411000"]


def test_stats_needs_a_loaded_store(runner: CliRunner, cli_settings: Settings) -> None:
    result = runner.invoke(main, ["stats"], env=cli_env(cli_settings))
    assert result.exit_code == 2
    assert "smartregion load" in result.output


def test_stats_prints_kinds_and_kreise(runner: CliRunner, cli_settings: Settings) -> None:
    env = cli_env(cli_settings)
    assert runner.invoke(main, ["load"], env=env).exit_code == 0
    result = runner.invoke(main, ["stats"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Projekte / projects" in lines[1] and lines[1].split()[-1] == "1"
    assert any(line.split()[:2] == ["Organisationen", "/"] and line.split()[-1] == "1"
               for line in lines)
    # the fixture's one project is in Darmstadt, with a start year and no status
    assert any(line.startswith("06411") and line.split()[-3:] == ["1", "1", "0"]
               for line in lines)
    assert "projects with a date: 1 of 1" in result.output
    assert "districts without a project: keine / none" in result.output


def test_new_project_help_names_the_workflow(runner: CliRunner) -> None:
    result = runner.invoke(main, ["new", "project", "--help"])
    assert result.exit_code == 0
    assert "smartregion validate" in result.output and "smartregion load" in result.output
