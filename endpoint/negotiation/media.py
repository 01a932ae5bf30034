"""Negotiation by media type: ``format=`` / extension first, then ``Accept``.

Built on werkzeug's Accept parser (q-values, lists, wildcards); never parses Accept by hand.
Offers are listed in server preference order: the first wins a tie (and ``*/*``).
:mod:`endpoint.negotiation.by_profile` adds the profile dimension on top of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import Request
from werkzeug.datastructures import MIMEAccept

from smartregion.formats import GRAPH_FORMATS, RESULTS_FORMATS


@dataclass(frozen=True)
class Offer:
    """A representation the server can produce: media type, file extension, short name."""

    media_type: str
    extension: str
    name: str


HTML = Offer("text/html", "html", "html")
GRAPH_OFFERS: tuple[Offer, ...] = tuple(
    Offer(f.media_type, f.extension, f.name) for f in GRAPH_FORMATS
)
TRIPLE_OFFERS: tuple[Offer, ...] = tuple(
    Offer(f.media_type, f.extension, f.name) for f in GRAPH_FORMATS if not f.quads
)
RESULTS_OFFERS: tuple[Offer, ...] = tuple(
    Offer(f.media_type, f.extension, f.name) for f in RESULTS_FORMATS
)
TURTLE, JSONLD = GRAPH_OFFERS[0], GRAPH_OFFERS[1]
JSON = Offer("application/json", "json", "json")
GEO_JSON = Offer("application/geo+json", "geojson", "geojson")
CSV = Offer("text/csv", "csv", "csv")
SPARQL_QUERY = Offer("application/sparql-query", "rq", "sparql")
_ALIASES = {
    "json": "application/json",
    "xml": "application/xml",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "json-ld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "nt": "application/n-triples",
    "n-triples": "application/n-triples",
}


class NotAcceptable(Exception):
    """Nothing offered fits the request; ``offers`` lists what could have been sent."""

    def __init__(self, offers: Sequence[Offer], asked: str) -> None:
        super().__init__(f"cannot produce {asked!r}")
        self.offers = tuple(offers)
        self.asked = asked


def offer_for(key: str, offers: Sequence[Offer]) -> Offer | None:
    """The offer a ``format=`` value or extension names (name, extension or media type)."""
    key = key.strip().lower()
    for offer in offers:
        if key in (offer.name, offer.extension, offer.media_type):
            return offer
    aliased = _ALIASES.get(key)
    return next((o for o in offers if o.media_type == aliased), None) if aliased else None


def negotiate(
    request: Request,
    offers: Sequence[Offer],
    *,
    explicit: str | None = None,
    aliases: dict[str, Offer] | None = None,
) -> Offer:
    """The offer to send: ``explicit`` (a ``format=`` value or extension) or the best Accept
    match. Raises :class:`NotAcceptable` when nothing fits."""
    if explicit:
        chosen = offer_for(explicit, offers)
        if chosen is None and aliases:  # e.g. format=json → the JSON-LD an alias stands for
            key = explicit.strip().lower()
            chosen = aliases.get(_ALIASES.get(key, key))
        if chosen is None:
            raise NotAcceptable(offers, explicit)
        return chosen
    by_type = {offer.media_type: offer for offer in offers}
    extra = aliases or {}
    accept = without_parameters(request.accept_mimetypes)
    if not accept:
        return offers[0]
    best = accept.best_match([*by_type, *extra])
    if best is None:
        raise NotAcceptable(offers, request.headers.get("Accept", ""))
    return by_type.get(best) or extra[best]


def without_parameters(accept: MIMEAccept) -> MIMEAccept:
    """``accept`` with media-type parameters dropped (q-values kept).

    werkzeug only matches a range with parameters against an offer with the same parameters,
    so ``application/ld+json;profile="…#compacted"`` (sent by JSON-LD clients) would match
    nothing. Our offers have no parameters; the representation is the same whatever profile
    or charset is asked for.
    """
    if not any(";" in value for value, _ in accept):
        return accept
    return MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in accept])


def variant_headers(
    path: str, chosen: Offer, offers: Sequence[Offer], query: str = ""
) -> dict[str, str]:
    """``Vary``, ``Content-Location`` and ``Link`` rel=alternate for a negotiated document.

    ``path`` is the generic document path without extension; ``query`` (already encoded,
    without ``?``) is appended to every variant, e.g. the page a document shows.
    """
    suffix = f"?{query}" if query else ""
    links = [
        f'<{path}.{o.extension}{suffix}>; rel="alternate"; type="{o.media_type}"'
        for o in offers
        if o != chosen
    ]
    headers = {"Vary": "Accept", "Content-Location": f"{path}.{chosen.extension}{suffix}"}
    if links:
        headers["Link"] = ", ".join(links)
    return headers
