"""The HTML table of a listing page (``listing.html``): rows made from the same records as
the data representations, and the filter boxes with their choices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app, request

from endpoint import backend_of, settings_of
from endpoint.i18n import translate
from endpoint.listing_data import PageInfo
from endpoint.listing_kinds import PROJECTS, ListingKind, Record, Value
from endpoint.listings import (
    Filter,
    Item,
    Listing,
    facet_options,
    filter_widgets,
    thing_link,
)
from endpoint.ontology import vocabulary
from endpoint.pages import Link, Linker
from endpoint.queries import load_query


def _part(linker: Linker, value: Value) -> Link | str:
    if value.iri is None:
        return value.text
    if value.iri.startswith(settings_of(current_app).base_uri):
        return thing_link(linker, value.iri, (value.text, value.lang or ""))
    href, external = linker.href(value.iri)
    return Link(value.iri, href, value.text, value.lang, external)


def _cell(linker: Linker, record: Record, keys: Sequence[str]) -> list[Link | str]:
    if len(keys) == 2:  # a period: "2021–2023" (word joiners keep it on one line)
        start, end = (record.values.get(k) for k in keys)
        if start is None and end is None:
            return []
        return [f"{start.text if start else ''}\u2060–\u2060{end.text if end else ''}"]
    value = record.values.get(keys[0])
    return [_part(linker, value)] if value is not None else []


def _widgets(kind: ListingKind, params: Mapping[str, str], lang: str, cache: dict[str, Any]
             ) -> list[Filter]:
    if not kind.filters:
        return []
    backend = backend_of(current_app)
    vocab = vocabulary(settings_of(current_app).ontology_dir)
    if kind is PROJECTS:
        options = facet_options(backend, vocab, lang, cache)
    else:
        if "districts" not in cache:
            cache["districts"] = [
                (str(r["value"]), {c: [str(r[c])] for c in ("de", "en") if c in r})
                for r in backend.select(load_query("districts"))
            ]
        options = {"district": cache["districts"]}
    return filter_widgets(kind.filters, options, params, vocab, lang)


def listing_model(kind: ListingKind, info: PageInfo, records: Sequence[Record],
                  params: Mapping[str, str], cache: dict[str, Any]) -> Listing:
    """The page model ``listing.html`` renders."""
    linker = Linker(settings_of(current_app).base_uri, request.script_root)
    items = [Item(thing_link(linker, r.iri, (r.name, r.name_lang or "")),
                  [_cell(linker, r, keys) for _, keys in kind.table]) for r in records]
    columns = [translate("name", info.lang)] + [translate(key, info.lang)
                                                for key, _ in kind.table]
    return Listing(kind.name, info.title, columns, items, info.total, info.page,
                   _widgets(kind, params, info.lang, cache), dict(params), info.size)
