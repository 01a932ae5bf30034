"""Negotiation by profile (W3C Content Negotiation by Profile) on top of media types.

A resource offers :class:`Alternatives`: profiles in server preference order (the first is
the default) and, per profile, media types (the first is that profile's default). A request
names profiles by ``?_profile=`` (tokens or ``<URI>``s, comma-separated, in preference order;
``alt`` asks for the list of representations) or else by ``Accept-Profile`` (``<URI>``s with
q-values); the query string wins over headers (§7, "QSA over HTTP"). The media type comes from
the variant URL's extension, ``?_mediatype=``, ``?format=`` or ``Accept``, in that order.

- No profile asked: the profile dimension is ignored (§7.1): the best media type over all
  representations, ties to the default profile, so that everything that worked before
  profiles existed answers exactly as before.
- Profiles asked: the first of them (exact match before a profile of the asked standard) that
  has an acceptable media type; none → :class:`ProfileNotAcceptable` (406 with every
  alternative), since representations of profiles the client did not list are not for it.

Every answer names its profile (``Content-Profile``, ``Link: rel="profile"``) and links to
its alternates with their ``type`` and ``formats`` (the profile URI).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlencode

from flask import Request

from endpoint.errors import Problem
from endpoint.negotiation.media import (
    HTML,
    JSON,
    JSONLD,
    TURTLE,
    NotAcceptable,
    Offer,
    negotiate,
    without_parameters,
)
from endpoint.negotiation.profiles import ALT, Profile, registry, standard_aliases

ALT_OFFERS: tuple[Offer, ...] = (HTML, JSON, JSONLD, TURTLE)
"""The list of representations (``?_profile=alt``) comes as HTML, JSON, JSON-LD or Turtle."""
VARY = "Accept, Accept-Profile"
_ITEM = re.compile(r"\s*(?:<([^>]*)>|([^,;<>\s]+))\s*((?:;[^,]*)?)\s*(?:,|$)")
_Q = re.compile(r";\s*q\s*=\s*([0-9.]+)")


@dataclass(frozen=True)
class Alternatives:
    """What one kind of resource offers: ``(profile, offers)`` in preference order.

    ``aliases`` maps a media type that is accepted but never sent to the media type sent in
    its place (``application/json`` → JSON-LD); it applies within any profile that offers the
    target and not the alias itself. ``extensions``: the default profile's variants have URLs
    with an extension (``/doc/x.ttl``); other profiles are always named by query string.
    """

    choices: tuple[tuple[Profile, tuple[Offer, ...]], ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    extensions: bool = True

    @property
    def default(self) -> Profile:
        """The profile sent when the client asks for none."""
        return self.choices[0][0]

    def profiles(self) -> tuple[Profile, ...]:
        """Every profile offered, default first."""
        return tuple(p for p, _ in self.choices)

    def offers_of(self, wanted: Profile) -> tuple[Offer, ...]:
        """The media types one profile is offered in (empty when it is not offered)."""
        return next((offers for p, offers in self.choices if p == wanted), ())

    def pairs(self) -> list[tuple[Profile, Offer]]:
        """Every representation as ``(profile, offer)``, default first."""
        return [(p, o) for p, offers in self.choices for o in offers]

    def without(self, *left_out: Profile) -> Alternatives:
        """The same alternatives less some profiles (e.g. GeoJSON for a thing without place)."""
        return Alternatives(tuple((p, o) for p, o in self.choices if p not in left_out),
                            self.aliases, self.extensions)

    def alias_offers(self, offers: Sequence[Offer]) -> dict[str, Offer]:
        """The aliases that apply to ``offers``: accepted media type → offer sent."""
        by_type = {o.media_type: o for o in offers}
        return {alias: by_type[target] for alias, target in self.aliases.items()
                if target in by_type and alias not in by_type}


@dataclass(frozen=True)
class Choice:
    """The representation to send: a profile in one of its media types.

    ``asked`` tells whether the client named a profile (then the answer must conform to it).
    """

    profile: Profile
    offer: Offer
    asked: bool = False

    @property
    def listing(self) -> bool:
        """Whether this is the list of representations (``?_profile=alt``)."""
        return self.profile == ALT


class ProfileNotAcceptable(NotAcceptable):
    """No representation fits the profiles and media types asked for."""

    def __init__(self, alternatives: Alternatives, asked: str) -> None:
        super().__init__(alternatives.offers_of(alternatives.default), asked)
        self.alternatives = alternatives


# -- what the request asks for ---------------------------------------------------------------
def requested_profiles(request: Request) -> list[str] | None:
    """The profiles a request names, most wanted first (``None``: it names none).

    ``?_profile=`` wins over ``Accept-Profile``; entries with ``q=0`` are left out.

    >>> from flask import Flask
    >>> with Flask(__name__).test_request_context(
    ...         "/", headers={"Accept-Profile": "<urn:a>;q=0.5, <urn:b>, <urn:c>;q=0"}):
    ...     from flask import request
    ...     requested_profiles(request)
    ['urn:b', 'urn:a']
    """
    raw = request.args.get("_profile")
    if raw is not None and raw.strip():
        return [name for name, _ in _parse_list(raw)]
    header = ", ".join(request.headers.getlist("Accept-Profile"))
    if not header.strip():
        return None
    items = [(name, q) for name, q in _parse_list(header) if q > 0]
    return [name for name, _ in sorted(items, key=lambda item: -item[1])]  # stable


def _parse_list(text: str) -> list[tuple[str, float]]:
    items: list[tuple[str, float]] = []
    position = 0
    while position < len(text):
        match = _ITEM.match(text, position)
        if match is None or match.end() == position:
            break
        name = (match.group(1) or match.group(2) or "").strip()
        q_match = _Q.search(match.group(3) or "")
        try:
            q = float(q_match.group(1)) if q_match else 1.0
        except ValueError:
            q = 1.0
        if name:
            items.append((name, q))
        position = match.end()
    return items


def explicit_media_type(request: Request, extension: str | None) -> str | None:
    """The media type a request names outright: extension, ``_mediatype``, then ``format``.

    A ``+`` that a form or hand-written URL left unencoded (``application/ld+json``) arrives as
    a space; media types never contain spaces, so it is read back as ``+``.
    """
    if extension:
        return extension
    for name in ("_mediatype", "format"):
        value = (request.args.get(name) or "").strip()
        if value:
            return value.replace(" ", "+")
    return None


@cache
def _accepted_names(profile: Profile) -> tuple[frozenset[str], frozenset[str]]:
    exact = frozenset(profile.names())
    wider = frozenset(name for uri in profile.ancestors for name in standard_aliases(uri))
    return exact, wider


def matching_profiles(alternatives: Alternatives, wanted: Sequence[str]) -> list[Profile]:
    """The offered profiles that conform to ``wanted``, in the client's order: for each name
    the profile it names exactly, else the profiles of the standard it names."""
    found: list[Profile] = []
    offered = alternatives.profiles()
    for name in wanted:
        exact = [p for p in offered if name in _accepted_names(p)[0]]
        wider = [p for p in offered if name in _accepted_names(p)[1]]
        for candidate in exact or wider:
            if candidate not in found:
                found.append(candidate)
    return found


def is_alt(name: str) -> bool:
    """Whether a requested profile name asks for the list of representations."""
    return name in ALT.names()


# -- choosing --------------------------------------------------------------------------------
def choose(request: Request, alternatives: Alternatives, *, extension: str | None = None
           ) -> Choice:
    """The representation to send for ``request`` (see the module docstring).

    Raises :class:`ProfileNotAcceptable` when nothing fits, or :class:`NotAcceptable` (with
    :data:`ALT_OFFERS`) when the list of representations is asked in a media type it lacks.
    """
    wanted = requested_profiles(request)
    explicit = explicit_media_type(request, extension)
    if wanted and is_alt(wanted[0]):
        return Choice(ALT, negotiate(request, ALT_OFFERS, explicit=explicit), asked=True)
    if wanted is None:
        return _any_profile(request, alternatives, explicit)
    candidates = matching_profiles(alternatives, wanted)
    for candidate in candidates:
        offers = alternatives.offers_of(candidate)
        try:
            offer = negotiate(request, offers, explicit=explicit,
                              aliases=alternatives.alias_offers(offers))
        except NotAcceptable:
            continue
        return Choice(candidate, offer, asked=True)
    asked = ", ".join(wanted) or request.args.get("_profile") or ", ".join(
        request.headers.getlist("Accept-Profile"))
    media = explicit or request.headers.get("Accept", "")
    raise ProfileNotAcceptable(alternatives, f"{asked} as {media}" if media else asked)


def _any_profile(request: Request, alternatives: Alternatives, explicit: str | None) -> Choice:
    if explicit:  # the first profile that has it, aliases included (json → JSON-LD)
        for candidate, offers in alternatives.choices:
            try:
                return Choice(candidate, negotiate(request, offers, explicit=explicit,
                                                   aliases=alternatives.alias_offers(offers)))
            except NotAcceptable:
                continue
        raise ProfileNotAcceptable(alternatives, explicit)
    ordered: dict[str, tuple[Profile, Offer]] = {}
    for candidate, offers in alternatives.choices:
        for offer in offers:
            ordered.setdefault(offer.media_type, (candidate, offer))
        for alias, offer in alternatives.alias_offers(offers).items():
            ordered.setdefault(alias, (candidate, offer))
    accept = without_parameters(request.accept_mimetypes)
    if not accept:
        default = alternatives.default
        return Choice(default, alternatives.offers_of(default)[0])
    best = accept.best_match(list(ordered))
    if best is None:
        raise ProfileNotAcceptable(alternatives, request.headers.get("Accept", ""))
    return Choice(*ordered[best])


# -- what the answer says about itself -------------------------------------------------------
def representation_url(path: str, alternatives: Alternatives, profile: Profile, offer: Offer,
                       query: str = "") -> str:
    """The URL of one representation: ``{path}.{ext}`` for the default profile (when the
    resource has extension variants), else ``{path}?_profile=…&_mediatype=…``; ``query``
    (encoded, without ``?``) is kept on every URL."""
    if profile == alternatives.default and alternatives.extensions:
        return f"{path}.{offer.extension}" + (f"?{query}" if query else "")
    pairs = urlencode([("_profile", profile.token), ("_mediatype", offer.media_type)])
    return f"{path}?{pairs}" + (f"&{query}" if query else "")


def alt_url(path: str, query: str = "", offer: Offer = HTML) -> str:
    """The URL of the list of representations (``?_profile=alt``)."""
    pairs = [("_profile", "alt")] + ([] if offer == HTML else [("_mediatype", offer.media_type)])
    return f"{path}?{urlencode(pairs)}" + (f"&{query}" if query else "")


def profile_links(chosen: Profile) -> list[str]:
    """``Link`` values with ``rel="profile"``: the profile and every standard it conforms to."""
    return [f'<{uri}>; rel="profile"' for uri in (chosen.uri, *chosen.ancestors)]


def alternate_link(url: str, profile: Profile, offer: Offer, rel: str = "alternate") -> str:
    """One ``Link`` value naming a representation, its media type and its profile."""
    return f'<{url}>; rel="{rel}"; type="{offer.media_type}"; formats="{profile.uri}"'


def token_links() -> list[str]:
    """The token ↔ URI mapping of every profile (``rel="type"``, ``token``, ``anchor``)."""
    return [f'<http://www.w3.org/ns/dx/prof/Profile>; rel="type"; token="{p.token}"; '
            f'anchor=<{p.uri}>' for p in registry().values()]


def profile_headers(path: str, alternatives: Alternatives, choice: Choice, query: str = ""
                    ) -> dict[str, str]:
    """``Vary``, ``Content-Location``, ``Content-Profile`` and ``Link`` of an answer: every
    other representation (rel=alternate, with ``type`` and ``formats``), the list of them
    (``?_profile=alt``) and, when the client asked for a profile or gets another than the
    default, the profiles the answer conforms to (rel=profile; the default profile is named
    by ``Content-Profile``, so that the ``Link`` targets of a plain request stay locations on
    this host)."""
    links = [alternate_link(representation_url(path, alternatives, p, o, query), p, o)
             for p, o in alternatives.pairs() if (p, o) != (choice.profile, choice.offer)]
    links.append(alternate_link(alt_url(path, query), ALT, HTML))
    if choice.asked or choice.profile != alternatives.default:
        links += profile_links(choice.profile)
    return {
        "Vary": VARY,
        "Content-Location": representation_url(path, alternatives, choice.profile,
                                               choice.offer, query),
        "Content-Profile": f"<{choice.profile.uri}>",
        "Link": ", ".join(links),
    }


def not_acceptable(path: str, alternatives: Alternatives, asked: str, *, query: str = "",
                   variants: Sequence[str] | None = None) -> Problem:
    """406 naming every representation (body and ``Link``); ``variants`` is the body's list
    of the default profile's variants (kept as each resource has always written it)."""
    pairs = alternatives.pairs()
    listed = [{"profile": p.uri, "token": p.token, "mediaType": o.media_type,
               "href": representation_url(path, alternatives, p, o, query)} for p, o in pairs]
    links = [alternate_link(item["href"], p, o) for item, (p, o) in zip(listed, pairs,
                                                                         strict=True)]
    links.append(alternate_link(alt_url(path, query), ALT, HTML))
    readable = "; ".join(f"{p.token}: " + ", ".join(o.media_type for o in offers)
                         for p, offers in alternatives.choices)
    default_offers = alternatives.offers_of(alternatives.default)
    return Problem(
        406, "Not Acceptable",
        f"No representation fits {asked!r}. Available (profile: media types): {readable}. "
        f"The list of representations: {alt_url(path, query)}",
        headers={"Link": ", ".join(links), "Vary": VARY},
        variants=list(variants) if variants is not None else [o.media_type
                                                              for o in default_offers],
        alternatives=listed,
    )
