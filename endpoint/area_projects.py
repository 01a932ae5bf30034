"""The projects of a Kreis as its page names them: the same query and filter as the project
listing's ``?district=`` (projects naming the Kreis or one of its Gemeinden)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from endpoint import backend_of, settings_of
from endpoint.field_mapping import field_bindings
from endpoint.listing_kinds import PROJECTS
from endpoint.listings import bind_filters, count, page_href, page_rows, row_label, thing_link
from endpoint.ontology import vocabulary
from endpoint.pages import Link, Linker
from endpoint.queries import count_query


@dataclass(frozen=True)
class AreaProjects:
    """The projects of a Kreis, named on its page: the first page, how many, and where the
    filtered project listing shows them all."""

    links: list[Link]
    total: int
    href: str


def district_projects(key: str, lang: str, linker: Linker, size: int) -> AreaProjects:
    """The projects in Kreis ``key``: those naming the Kreis or one of its Gemeinden (the
    project listing's ``?district=`` filter, so the page and the listing agree)."""
    settings, backend = settings_of(current_app), backend_of(current_app)
    bindings, params = bind_filters(PROJECTS.filters, {"district": key}, settings.base_uri)
    bindings.update(field_bindings(vocabulary(settings.ontology_dir), bindings))
    total = count(backend, count_query(PROJECTS.list_query), bindings)
    rows = page_rows(backend, PROJECTS.list_query, bindings, 1, size) if total else []
    links = [thing_link(linker, str(row["item"]), row_label(row, lang)) for row in rows]
    return AreaProjects(links, total, page_href(PROJECTS.path, params, 1, request.script_root))
