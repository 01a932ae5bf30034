"""The one negotiation helper: media types (:mod:`.media`) and, on top, profiles
(:mod:`.by_profile`, W3C Content Negotiation by Profile; the profiles are in
:mod:`.profiles`, declared in ``profiles.ttl``)."""

from endpoint.negotiation.by_profile import (
    ALT_OFFERS,
    Alternatives,
    Choice,
    ProfileNotAcceptable,
    choose,
    not_acceptable,
    profile_headers,
    representation_url,
)
from endpoint.negotiation.media import (
    CSV,
    GEO_JSON,
    GRAPH_OFFERS,
    HTML,
    JSON,
    JSONLD,
    RESULTS_OFFERS,
    SPARQL_QUERY,
    TRIPLE_OFFERS,
    TURTLE,
    NotAcceptable,
    Offer,
    negotiate,
    offer_for,
    variant_headers,
)

__all__ = [
    "ALT_OFFERS",
    "CSV",
    "GEO_JSON",
    "GRAPH_OFFERS",
    "HTML",
    "JSON",
    "JSONLD",
    "RESULTS_OFFERS",
    "SPARQL_QUERY",
    "TRIPLE_OFFERS",
    "TURTLE",
    "Alternatives",
    "Choice",
    "NotAcceptable",
    "Offer",
    "ProfileNotAcceptable",
    "choose",
    "negotiate",
    "not_acceptable",
    "offer_for",
    "profile_headers",
    "representation_url",
    "variant_headers",
]
