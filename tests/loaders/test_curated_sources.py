"""Data is facts: every curated entity names its source, and every figure (amount, rate,
count, date, year) in ``data/`` sits on an entity that names its own source."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.curated import Context, read_entities, source_gaps
from smartregion.settings import PROJECT_DIR
from tests.conftest import TEST_DATA

DATA = PROJECT_DIR / "data"
CONTEXT = Context.load(PROJECT_DIR / "ontology" / "context.jsonld")
SHIPPED = sorted(DATA.rglob("*.yaml"))


def gaps_of(path: Path) -> list[str]:
    return source_gaps(read_entities(path, path.read_bytes(), CONTEXT), CONTEXT)


def test_the_shipped_data_is_there() -> None:
    assert len(SHIPPED) > 20


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(DATA).as_posix())
def test_every_curated_entity_and_figure_has_a_source(path: Path) -> None:
    assert gaps_of(path) == []


def test_an_entity_without_source_is_found() -> None:
    assert gaps_of(TEST_DATA / "broken" / "missing-source.yaml") == [
        "2: project/missing-source: no source"]


def test_a_figure_on_an_unsourced_nested_entity_is_found() -> None:
    assert gaps_of(TEST_DATA / "broken" / "unsourced-figure.yaml") == [
        "7: funding/unsourced-figure: amount without a source on the entity"]


def test_a_nested_entity_without_figures_may_rely_on_its_parent(tmp_path: Path) -> None:
    path = tmp_path / "role.yaml"
    path.write_text("id: project/x\ntype: Project\nfunding:\n  - id: funding/x\n"
                    "    type: Funding\nsource: [https://example.org/]\n", encoding="utf-8")
    assert gaps_of(path) == []
