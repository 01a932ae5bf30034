"""The plain functions behind ``smartregion new project`` (loaders.authoring)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from loaders.authoring import (
    Choice,
    ProjectDraft,
    parse_amount,
    parse_url,
    parse_when,
    project_path,
    project_yaml,
    search,
    slug,
)
from loaders.curated import Context, read_entities, source_gaps
from smartregion.settings import PROJECT_DIR

CONTEXT = Context.load(PROJECT_DIR / "ontology" / "context.jsonld")


@pytest.mark.parametrize(("name", "key"), [
    ("Smarte Kommune Groß-Gerau", "smarte-kommune-gross-gerau"),
    ("Digitales Verwaltungszentrum Werra-Meißner", "digitales-verwaltungszentrum-werra-meissner"),
    ("Öffentliches WLAN (Phase 2)", "oeffentliches-wlan-phase-2"),
    ("  Bürger*innen-App  ", "buerger-innen-app"),
])
def test_slug(name: str, key: str) -> None:
    assert slug(name) == key


@pytest.mark.parametrize(("text", "amount"), [
    ("733500", "733500"), ("733.500", "733500"), ("733 500 €", "733500"),
    ("1.285.080,50", "1285080.50"), ("733500,5", "733500.5"), ("", None),
])
def test_parse_amount(text: str, amount: str | None) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["viel", "-5", "1,2,3", "12.34.56"])
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_parse_when() -> None:
    assert parse_when("2024") == ("Year", "2024")
    assert parse_when(" 2024-05-01 ") == ("Date", "2024-05-01")
    assert parse_when("") is None
    for bad in ("2024-02-30", "05/2024", "24"):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_parse_url() -> None:
    assert parse_url(" https://www.hessen.de/x ") == "https://www.hessen.de/x"
    for bad in ("www.hessen.de", "ftp://x.de/", "https://localhost"):
        with pytest.raises(ValueError):
            parse_url(bad)


def test_search_ignores_case_and_accents_and_ranks_prefixes_first() -> None:
    choices = [Choice("municipality/06436001", "Bad Soden am Taunus"),
               Choice("municipality/06636007", "Großalmerode"),
               Choice("municipality/06433005", "Groß-Gerau", names=("Gross-Gerau",)),
               Choice("municipality/06412000", "Frankfurt am Main", names=("Frankfurt",)),
               Choice("municipality/06440004", "Büdingen")]
    assert [c.name for c in search(choices, "gross")] == ["Groß-Gerau", "Großalmerode"]
    assert [c.name for c in search(choices, "am")] == ["Bad Soden am Taunus", "Frankfurt am Main"]
    assert [c.ref for c in search(choices, "06412")] == ["municipality/06412000"]
    assert [c.name for c in search(choices, "buedingen")] == ["Büdingen"]
    assert [c.name for c in search(choices, "Büding")] == ["Büdingen"]
    assert search(choices, "  ") == []


def test_project_yaml_is_a_curated_file_with_sourced_figures(tmp_path: Path) -> None:
    draft = ProjectDraft(
        key="smarte-bank", label_de="Smarte Bank", label_en="Smart bench",
        sources=["https://example.org/bank"], municipalities=["municipality/06411000"],
        fields=["scheme:field-of-action/shh-smart-energy"], start=("Year", "2023"),
        end=("Date", "2024-06-30"), status="scheme:project-status/completed",
        programme="programme/shh-smarte-kommunen", amount="48000", funding_year="2023")
    text = project_yaml(draft, dt.date(2025, 1, 2))
    assert text.startswith("# Smarte Bank: written with `smartregion new project` on 2025-01-02.")
    path = project_path(tmp_path, draft.key)
    path.write_text(text, encoding="utf-8")
    [entity] = read_entities(path, path.read_bytes(), CONTEXT)  # every key is a context term
    assert entity["startYear"] == "2023" and entity["endDate"] == "2024-06-30"
    [funding] = entity["funding"]
    assert funding["amount"] == "48000" and funding["programme"] == "programme/shh-smarte-kommunen"
    assert source_gaps([entity], CONTEXT) == []  # the funding's figures carry the source too


def test_project_path_refuses_what_cannot_be_a_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        project_path(tmp_path, "../etc/passwd")
