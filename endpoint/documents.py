"""Serving one negotiated document (things under ``/doc``, vocabulary under ``/def``).

A document has a generic URL that negotiates (``Accept``, ``?format=``, and by profile:
``Accept-Profile``, ``?_profile=``, ``?_mediatype=``) and one URL per variant of its default
profile (``.html .ttl .jsonld .rdf .nt``). Every answer carries ``Vary``,
``Content-Location`` of the chosen representation, ``Content-Profile``, ``Link``
rel=alternate to every other representation (with ``type`` and ``formats``), rel=profile, and
``ETag`` / ``Last-Modified`` from the store version; a matching ``If-None-Match`` /
``If-Modified-Since`` is answered with ``304`` before any query runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from flask import Response, request

from endpoint.caching import make_conditional
from endpoint.errors import Problem
from endpoint.negotiation import (
    GEO_JSON,
    HTML,
    JSON,
    JSONLD,
    TRIPLE_OFFERS,
    Alternatives,
    Choice,
    NotAcceptable,
    Offer,
    ProfileNotAcceptable,
    choose,
    profile_headers,
)
from endpoint.negotiation import not_acceptable as profile_not_acceptable
from endpoint.negotiation.profiles import GEOJSON, NGSI_LD, SCHEMA_ORG, SRH
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
_ALIAS_TYPES = {alias: offer.media_type for alias, offer in ALIASES.items()}
# Kinds whose things are features of /features/ (a GeoJSON Feature of each exists).
FEATURE_KINDS = frozenset({"municipality", "district", "project"})
DOCUMENT_ALTERNATIVES = Alternatives(
    ((SRH, DOCUMENT_OFFERS), (SCHEMA_ORG, (JSONLD,)), (NGSI_LD, (JSONLD, JSON)),
     (GEOJSON, (GEO_JSON,))),
    aliases=_ALIAS_TYPES,
)
VOCABULARY_ALTERNATIVES = Alternatives(((SRH, DOCUMENT_OFFERS),), aliases=_ALIAS_TYPES)
"""Vocabulary documents (``/def/…``) come in the platform's own profile only."""


def document_alternatives(kind: str) -> Alternatives:
    """The representations of the document of a thing of ``kind``."""
    if kind in FEATURE_KINDS:
        return DOCUMENT_ALTERNATIVES
    return DOCUMENT_ALTERNATIVES.without(GEOJSON)


def split_extension(name: str) -> tuple[str, str | None]:
    """``("smart-kassel", "ttl")`` for ``smart-kassel.ttl``; no extension → ``(name, None)``."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and any(ext == offer.extension for offer in DOCUMENT_OFFERS):
        return stem, ext
    return name, None


def choose_representation(extension: str | None, alternatives: Alternatives) -> Choice:
    """The representation to send: the extension's, else ``?_mediatype=``/``?format=``, else
    the best ``Accept`` match, in the profile asked for (``?_profile=``, ``Accept-Profile``).

    A variant URL always gives its own format (it names one representation), whatever the
    Accept header says. Raises a 406 problem listing every representation when nothing fits.
    """
    try:
        return choose(request, alternatives, extension=extension)
    except ProfileNotAcceptable as exc:
        raise not_acceptable(exc.asked, alternatives=exc.alternatives) from exc
    except NotAcceptable as exc:  # the list of representations in a type it does not have
        raise not_acceptable(exc.asked, alternatives=alternatives) from exc


def not_acceptable(asked: str, path: str | None = None,
                   alternatives: Alternatives = VOCABULARY_ALTERNATIVES) -> Problem:
    """406 naming every representation of this kind of document (``variants``: the default
    profile's, as ``media type (URL)``)."""
    path = path or request.path
    stem, _ = split_extension(path)
    variants = [f"{o.media_type} ({stem}.{o.extension})" for o in DOCUMENT_OFFERS]
    return profile_not_acceptable(stem, alternatives, asked, variants=variants)


def content_query(*names: str) -> str:
    """The encoded query parameters that change a document's content (kept on variants)."""
    pairs = [(n, request.args[n]) for n in names if request.args.get(n)]
    return urlencode(pairs)


def document_response(
    path: str,
    alternatives: Alternatives,
    choice: Choice,
    version: StoreVersion | None,
    produce: Callable[[], bytes | str],
    *,
    query: str = "",
    lang: str = "",
    validator: str = "",
    links: Sequence[str] = (),
) -> Response:
    """The answer for ``path`` (generic document path) in the chosen representation.

    ``produce`` makes the body and runs only when the client's copy is not current.
    ``lang`` is the language of an HTML body; ``validator`` whatever else the body depends on
    besides the store version (e.g. a digest of the vocabulary files); ``links`` further
    ``Link`` values (e.g. the JSON-LD context of plain JSON).
    """
    offer = choice.offer
    response = Response(mimetype=offer.media_type)  # text/* get "; charset=utf-8" added
    for name, value in profile_headers(path, alternatives, choice, query).items():
        response.headers[name] = value
    if links:
        response.headers["Link"] = ", ".join((*links, response.headers["Link"]))
    # The generic URL varies by Accept and Accept-Profile; HTML also by Accept-Language.
    response.vary.add("Accept")
    response.vary.add("Accept-Profile")
    if offer is HTML:
        response.vary.add("Accept-Language")
    parts = (path, query, lang if offer is HTML else "", validator, choice.profile.token)
    make_conditional(request, response, version, *parts)  # changes ``response`` in place
    if response.status_code == 304:
        return response
    body = produce()
    response.set_data(body.encode("utf-8") if isinstance(body, str) else body)
    return response
