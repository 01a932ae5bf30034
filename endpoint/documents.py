"""Serving one negotiated document (things under ``/doc``, vocabulary under ``/def``).

A document has a generic URL that negotiates (``Accept``, ``?format=``) and one URL per
variant (``.html .ttl .jsonld .rdf .nt``). Every answer carries ``Vary``, ``Content-Location``
of the chosen variant, ``Link`` rel=alternate to every other variant, and ``ETag`` /
``Last-Modified`` from the store version; a matching ``If-None-Match`` /
``If-Modified-Since`` is answered with ``304`` before any query runs.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, request

from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.negotiation import HTML, TRIPLE_OFFERS, NotAcceptable, Offer, negotiate
from endpoint.negotiation import variant_headers as _variant_headers
from smartregion.store.publication import StoreVersion

# HTML first: a client that accepts anything (curl's */*) gets the page; RDF clients name
# their formats. Only standard media types are ever sent.
DOCUMENT_OFFERS: tuple[Offer, ...] = (HTML, *TRIPLE_OFFERS)
_BY_TYPE = {offer.media_type: offer for offer in DOCUMENT_OFFERS}
# Accepted but never sent: a client asking for these gets the standard type of the same data.
ALIASES: dict[str, Offer] = {
    "application/xhtml+xml": HTML,
    "application/json": _BY_TYPE["application/ld+json"],
    "application/xml": _BY_TYPE["application/rdf+xml"],
    "text/xml": _BY_TYPE["application/rdf+xml"],
    "application/x-turtle": _BY_TYPE["text/turtle"],
}


def split_extension(name: str) -> tuple[str, str | None]:
    """``("smart-kassel", "ttl")`` for ``smart-kassel.ttl``; no extension → ``(name, None)``."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and any(ext == offer.extension for offer in DOCUMENT_OFFERS):
        return stem, ext
    return name, None


def choose_offer(extension: str | None) -> Offer:
    """The variant to send: the extension's, else ``?format=``, else the best Accept match.

    A variant URL always gives its own format (it names one representation), whatever the
    Accept header says. Raises a 406 problem listing the variants when nothing fits.
    """
    explicit = extension or request.args.get("format") or None
    try:
        return negotiate(request, DOCUMENT_OFFERS, explicit=explicit, aliases=ALIASES)
    except NotAcceptable as exc:
        raise not_acceptable(exc.asked) from exc


def not_acceptable(asked: str, path: str | None = None) -> Problem:
    """406 naming every variant this kind of document has."""
    path = path or request.path
    stem, _ = split_extension(path)
    variants = [f"{o.media_type} ({stem}.{o.extension})" for o in DOCUMENT_OFFERS]
    links = ", ".join(
        f'<{stem}.{o.extension}>; rel="alternate"; type="{o.media_type}"' for o in DOCUMENT_OFFERS
    )
    return Problem(
        406, "Not Acceptable",
        f"No representation of this document fits {asked!r}. Available: "
        + ", ".join(o.media_type for o in DOCUMENT_OFFERS) + ".",
        headers={"Link": links, "Vary": "Accept"},
        variants=variants,
    )


def content_query(*names: str) -> str:
    """The encoded query parameters that change a document's content (kept on variants)."""
    pairs = [(n, request.args[n]) for n in names if request.args.get(n)]
    return urlencode(pairs)


def document_response(
    path: str,
    offer: Offer,
    version: StoreVersion | None,
    produce: Callable[[], bytes | str],
    *,
    query: str = "",
    lang: str = "",
    validator: str = "",
) -> Response:
    """The answer for ``path`` (generic document path) in ``offer``.

    ``produce`` makes the body and runs only when the client's copy is not current.
    ``lang`` is the language of an HTML body; ``validator`` whatever else the body depends on
    besides the store version (e.g. a digest of the vocabulary files).
    """
    response = Response(mimetype=offer.media_type)  # text/* get "; charset=utf-8" added
    for name, value in _variant_headers(path, offer, DOCUMENT_OFFERS, query).items():
        response.headers[name] = value
    # The generic URL varies by Accept; HTML also by Accept-Language (the page's language).
    response.vary.add("Accept")
    if offer is HTML:
        response.vary.add("Accept-Language")
    parts = (path, query, lang if offer is HTML else "", validator)
    make_conditional(request, response, version, *parts)  # changes ``response`` in place
    if response.status_code == 304:
        return response
    body = produce()
    response.set_data(body.encode("utf-8") if isinstance(body, str) else body)
    return response
