"""Listing pages as data: projects (with filters), municipalities (by Kreis), organisations,
events, and search results; paged, with the counts that say how much there is.

Filter values are short keys in the URL (``?field=energy&district=06431``), mapped to IRIs
here and bound into fixed queries; every filter is always bound (``urn:smartregion:any`` or
``0`` meaning "no filter"), so the query text never depends on the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from endpoint.field_mapping import preferred_field
from endpoint.i18n import localized, translate
from endpoint.ontology import SCHEME_BASE, Vocabulary, pick
from endpoint.pages import Link, Linker
from endpoint.queries import load_query, paged
from smartregion.store.backend import Row, StoreBackend
from smartregion.uris import KEY_PATTERN, thing_uri

PAGE_SIZE = 50  # the default of the page_size setting
MAX_PAGE = 1_000_000
"""Highest page number any paged route accepts: far past the last page of any listing, and
small enough that ``(page - 1) * size`` stays a valid SPARQL ``OFFSET``."""
ANY = URIRef("urn:smartregion:any")


class BadFilter(ValueError):
    """A filter value that cannot name anything."""


@dataclass
class Option:
    """One choice of a filter."""

    value: str
    text: str
    selected: bool = False


@dataclass
class Filter:
    """A filter of a listing, as a labelled select box."""

    name: str
    label: str
    options: list[Option]


@dataclass
class Item:
    """One row of a listing: the thing and the cells of the other columns."""

    link: Link
    cells: list[list[Link | str]]
    snippet: tuple[str, str] | None = None


@dataclass
class Listing:
    """A page of a listing."""

    kind: str
    title: str
    columns: list[str]
    items: list[Item]
    total: int
    page: int
    filters: list[Filter] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        """The position (0-based) of the first item of this page."""
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class FilterSpec:
    """A filter: URL parameter, UI string, bound variable and how a key becomes a term."""

    name: str
    label_key: str
    variable: str
    to_term: Callable[[str, str], Identifier]


def _scheme_term(scheme: str) -> Callable[[str, str], Identifier]:
    return lambda base, key: URIRef(f"{SCHEME_BASE}{scheme}/{key}")


def _thing_term(kind: str) -> Callable[[str, str], Identifier]:
    return lambda base, key: URIRef(thing_uri(base, kind, key))


def _year(base: str, key: str) -> Identifier:
    if not key.isdigit() or len(key) != 4:
        raise BadFilter(f"year must be four digits, not {key!r}")
    return Literal(int(key))


PROJECT_FILTERS: tuple[FilterSpec, ...] = (
    FilterSpec("field", "field_of_action", "wantField", _scheme_term("field-of-action")),
    FilterSpec("district", "district", "wantDistrict", _thing_term("district")),
    FilterSpec("programme", "programme", "wantProgramme", _thing_term("programme")),
    FilterSpec("status", "status", "wantStatus", _scheme_term("project-status")),
    FilterSpec("year", "year", "wantYear", _year),
)
MUNICIPALITY_FILTERS: tuple[FilterSpec, ...] = (PROJECT_FILTERS[1],)


def bind_filters(
    specs: tuple[FilterSpec, ...], args: Mapping[str, str], base: str
) -> tuple[dict[str, Identifier], dict[str, str]]:
    """``(bindings, params)``: every filter bound (to "any" when absent) and the valid
    parameters to keep in links. Raises :class:`BadFilter` for a malformed value."""
    bindings: dict[str, Identifier] = {}
    params: dict[str, str] = {}
    for spec in specs:
        key = (args.get(spec.name) or "").strip()
        if not key:
            bindings[spec.variable] = Literal(0) if spec.name == "year" else ANY
            continue
        if not KEY_PATTERN.match(key):
            raise BadFilter(f"{spec.name}={key!r} is not a valid key")
        bindings[spec.variable] = spec.to_term(base, key)
        params[spec.name] = key
    return bindings, params


def key_of(iri: str) -> str:
    """The URL key of a filter value IRI: its last path segment."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def row_label(row: Row, lang: str, prefix: str = "label") -> tuple[str, str] | None:
    """The best of a row's ``labelDe``/``labelEn``/``labelAny`` columns for ``lang``."""
    names: dict[str, list[str]] = {}
    for code, column in (("de", "De"), ("en", "En"), ("", "Any")):
        value = row.get(prefix + column)
        if value is not None:
            names[code] = [str(value)]
    return pick(names, lang)


def count(backend: StoreBackend, text: str, bindings: Mapping[str, Identifier] | None) -> int:
    """The ``?n`` of counting query ``text`` (a listing's comes from
    :func:`~endpoint.queries.count_query`)."""
    rows = backend.select(text, bindings)
    return int(rows[0]["n"]) if rows and "n" in rows[0] else 0


def page_number(raw: str | None) -> int:
    """The 1-based page a ``?page=`` value asks for; :class:`Problem` 400 unless it is a whole
    number from 1 to :data:`MAX_PAGE` (every paged route reads its page here).

    >>> page_number("3"), page_number(None)
    (3, 1)
    """
    from endpoint.errors import Problem

    value = "1" if raw is None else raw
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PAGE:
        raise Problem(400, "Bad Request",
                      f"page must be a whole number from 1 to {MAX_PAGE:,}, not {value!r}")
    return int(value)


def page_rows(
    backend: StoreBackend,
    name: str,
    bindings: Mapping[str, Identifier] | None,
    page: int,
    size: int = PAGE_SIZE,
) -> list[Row]:
    """One page of a listing query."""
    return backend.select(paged(load_query(name), size, (page - 1) * size), bindings)


def facet_options(
    backend: StoreBackend, vocabulary: Vocabulary, lang: str, cache: dict[str, Any]
) -> dict[str, list[tuple[str, dict[str, list[str]]]]]:
    """Facet → [(IRI or year, names by language)], computed once per store version."""
    if "facets" not in cache:
        facets: dict[str, dict[str, dict[str, list[str]]]] = {}
        for row in backend.select(load_query("project_facets")):
            value = str(row["value"])
            if str(row["facet"]) == "field":  # one choice per exact-match group of fields
                value = preferred_field(vocabulary, value)
            names = facets.setdefault(str(row["facet"]), {}).setdefault(value, {})
            for code in ("de", "en"):
                if code in row:
                    names.setdefault(code, []).append(str(row[code]))
        facets["year"] = {str(year): {} for year in running_years(backend)}
        cache["facets"] = {facet: sorted(values.items()) for facet, values in facets.items()}
    result: dict[str, list[tuple[str, dict[str, list[str]]]]] = cache["facets"]
    return result


def running_years(backend: StoreBackend, this_year: int | None = None) -> set[int]:
    """Every year some project runs in: its first year to its last, or to ``this_year``
    (default: the current one) for a project without an end. The year filter matches the
    same way (``projects_list.rq``: start ≤ year ≤ end, or no end)."""
    now = this_year or date.today().year
    years: set[int] = set()
    for row in backend.select(load_query("project_years")):
        start = row.get("start")
        if start is None:
            continue
        first = int(str(start))
        end = row.get("end")
        last = int(str(end)) if end is not None else max(first, now)
        years.update(range(first, max(first, last) + 1))
    return years


def filter_widgets(
    specs: tuple[FilterSpec, ...],
    options: Mapping[str, list[tuple[str, dict[str, list[str]]]]],
    params: Mapping[str, str],
    vocabulary: Vocabulary,
    lang: str,
) -> list[Filter]:
    """The select boxes of a listing's filters, options named in ``lang``."""
    widgets = []
    for spec in specs:
        choices = []
        wanted = params.get(spec.name)
        if spec.name == "field" and wanted:  # a field is shown as its exact-match group
            wanted = key_of(preferred_field(vocabulary, f"{SCHEME_BASE}field-of-action/{wanted}"))
        for value, names in options.get(spec.name, []):
            found = pick(names, lang) or vocabulary.label(value, lang)
            text = found[0] if found else key_of(value)
            key = key_of(value)
            choices.append(Option(key, text, wanted == key))
        if spec.name == "year":
            choices.sort(key=lambda o: o.value, reverse=True)
        else:
            choices.sort(key=lambda o: o.text.lower())
        widgets.append(Filter(spec.name, translate(spec.label_key, lang), choices))
    return widgets


def thing_link(linker: Linker, iri: str, label: tuple[str, str] | None) -> Link:
    """A link to a thing of the store, named by ``label`` or its key."""
    href, external = linker.href(iri)
    text, code = label if label else (key_of(iri), "")
    return Link(iri, href, text, code or None, external)


def page_href(path: str, params: Mapping[str, str], page: int, root: str = "") -> str:
    """The URL of ``page`` of a listing with its filters (and an explicit language)."""
    query = dict(params)
    if page > 1:
        query["page"] = str(page)
    return root + localized(path, query)
