"""Docstring examples are tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "smartregion.uris",
    "smartregion.store.terms",
    "smartregion.store.sparql_lexer",
    "endpoint.proxy",
    "endpoint.listings",
    "endpoint.ontology",
    "endpoint.queries",
    "endpoint.schemaorg",
    "endpoint.geo",
    "endpoint.geometry",
    "endpoint.bound_values",
    "endpoint.negotiation.by_profile",
    "endpoint.sparql_errors",
    "loaders.web_sources",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
