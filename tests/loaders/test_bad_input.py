"""Bad input gets a clear answer and loses nothing.

Each broken file is added to a small valid source set that is already published; the load
must fail with exit code 1 or 2, name the file, the line (or entity) and the rule, and leave
the served version exactly as it was (same version id, same triples).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from smartregion.cli import main
from smartregion.settings import Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import TEST_DATA, cli_env, make_settings

BROKEN = TEST_DATA / "broken"

# file → (exit code, rule or shape named, line named in the message)
CASES = {
    "malformed.yaml": (2, "yaml-syntax", ":4"),
    "not-utf8.yaml": (2, "utf-8", ":4"),
    "unknown-property.yaml": (1, "unknown-property", ":2"),
    "unknown-class.yaml": (1, "unknown-class", ":2"),
    "duplicate-id.yaml": (1, "unique-id", ":2"),
    "missing-label.yaml": (1, "prefLabel", ":2"),
    "missing-source.yaml": (1, "dct:source", ":2"),
    "wrong-ags.yaml": (1, "srh:ags", ":2"),
    "end-before-start.yaml": (1, "schema:startDate", ":2"),
    # literals that are not values of their datatype: pySHACL crashed or let them pass
    "impossible-date.yaml": (1, "kein gültiger Wert des Typs xsd:date", ":2"),
    "impossible-date-unquoted.yaml": (1, "not a valid xsd:date", ":2"),
    "not-a-date.yaml": (1, "schema:startDate", ":2"),
    "negative-amount.yaml": (1, "srh:amountEUR", ":7"),
    "dangling-municipality.yaml": (1, "srh:municipality", ":2"),
    "dangling-organisation.yaml": (1, "srh:partner", ":2"),
    # the model of issue 14: bodies act, areas do not; rates; dated links; replaced IRIs
    "place-as-lead.yaml": (1, "local-authority/06411000", ":2"),
    "local-authority-wrong-key.yaml": (1, "AGS", ":2"),
    "programme-single-rate.yaml": (1, "srh:standardFundingRate", ":2"),
    "standard-above-maximum.yaml": (1, "Höchstförderquote", ":2"),
    "replaced-with-type.yaml": (1, "dct:isReplacedBy", ":2"),
    "open-period-mismatch.yaml": (1, "org:unitOf", ":12"),
}


@pytest.fixture
def published(tmp_path: Path) -> tuple[Settings, EmbeddedBackend]:
    sources = tmp_path / "sources"
    shutil.copytree(TEST_DATA / "sources", sources)
    settings = make_settings(tmp_path, source_dir=sources)
    result = CliRunner().invoke(main, ["load"], env=_env(settings))
    assert result.exit_code == 0, result.output
    return settings, EmbeddedBackend(settings)


_env = cli_env


def _all_quads(backend: EmbeddedBackend) -> set[str]:
    return {str(q) for q in backend.reader().quads_for_pattern(None, None, None, None)}


def test_the_valid_fixture_conforms(published: tuple[Settings, EmbeddedBackend]) -> None:
    settings, backend = published
    assert backend.version() is not None
    assert len(backend.graph(settings.base_uri + "graph/projects")) > 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_is_rejected_and_nothing_changes(
    published: tuple[Settings, EmbeddedBackend], name: str
) -> None:
    settings, backend = published
    exit_code, rule, line = CASES[name]
    before_version, before_quads = backend.version(), _all_quads(backend)
    target = settings.source_dir / "projects" / name
    shutil.copy(BROKEN / name, target)

    result = CliRunner().invoke(main, ["load"], env=_env(settings))

    assert result.exit_code == exit_code, result.output
    output = result.output
    assert f"{name}{line}" in output, output
    assert rule in output, output
    assert "Traceback" not in output, output
    assert backend.version() == before_version
    assert _all_quads(backend) == before_quads

    # validate reports the same problem with the same exit code, publishing nothing
    checked = CliRunner().invoke(main, ["validate", str(target)], env=_env(settings))
    assert checked.exit_code == exit_code, checked.output
    assert name in checked.output
    assert backend.version() == before_version


def test_unchanged_sources_are_not_published_again(
    published: tuple[Settings, EmbeddedBackend],
) -> None:
    settings, backend = published
    before = backend.version()
    result = CliRunner().invoke(main, ["load"], env=_env(settings))
    assert result.exit_code == 0
    assert "unchanged" in result.output
    assert backend.version() == before
    forced = CliRunner().invoke(main, ["load", "--force"], env=_env(settings))
    assert forced.exit_code == 0
    assert backend.version() != before


def test_unknown_source_is_a_usage_error(published: tuple[Settings, EmbeddedBackend]) -> None:
    settings, _ = published
    result = CliRunner().invoke(main, ["load", "nonsense"], env=_env(settings))
    assert result.exit_code == 2
    assert "unknown source 'nonsense'" in result.output
