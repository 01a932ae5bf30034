"""first/prev/next/last links of a paged listing, in the representation the client chose:
one helper for the listings and the search results."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import request

from endpoint.i18n import current_language, language_is_explicit
from endpoint.listings import page_href
from endpoint.negotiation import HTML, Alternatives, Choice, representation_url
from endpoint.negotiation.profiles import SRH


def page_query(params: Mapping[str, str], page: int) -> str:
    """The encoded parameters of one page (filters, page, an explicit language)."""
    pairs = list(params.items()) + ([("page", str(page))] if page > 1 else [])
    if language_is_explicit():
        pairs.append(("lang", current_language()))
    return urlencode(pairs)


def paging_links(path: str, alternatives: Alternatives, choice: Choice,
                 params: Mapping[str, str], page: int, pages: int, *, root: str = ""
                 ) -> dict[str, str]:
    """first/prev/next/last of the same representation (HTML: the page's own links, under
    the script root; others: ``root`` + the representation's URL)."""
    wanted = {}
    if page > 1:
        wanted["prev"], wanted["first"] = min(page - 1, pages), 1
    if page < pages:
        wanted["next"], wanted["last"] = page + 1, pages
    if choice.offer is HTML and choice.profile == SRH:
        return {rel: page_href(path, dict(params), number, request.script_root)
                for rel, number in wanted.items()}
    return {rel: root + representation_url(path, alternatives, choice.profile, choice.offer,
                                           page_query(params, number))
            for rel, number in wanted.items()}
