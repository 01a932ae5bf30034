"""The profiles the platform negotiates, read from ``profiles.ttl`` (PROF) beside this module.

A profile has a URI (what ``Accept-Profile``, ``Content-Profile`` and ``Link: rel="profile"``
carry), a token (what ``?_profile=`` takes) and the standards it is a profile of; a request for
one of those standards is answered with the profile (W3C Content Negotiation by Profile §6.2:
an exact match first, then the next most specific profile).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS

PROF = Namespace("http://www.w3.org/ns/dx/prof/")
PROFILES_FILE = Path(__file__).with_name("profiles.ttl")
REGISTER = "https://data.smarte-region-hessen.de/def/profile/"
"""The IRI of the register of profiles, served at ``/def/profile/``."""


@dataclass(frozen=True)
class Profile:
    """One profile: its URI and token, names, and the URIs of what it is a profile of."""

    uri: str
    token: str
    label_de: str
    label_en: str
    comment_de: str
    comment_en: str
    ancestors: tuple[str, ...] = ()
    """Every standard this profile is (transitively) a profile of, nearest first."""
    aliases: tuple[str, ...] = ()
    """Other URIs that name the same specification (``owl:sameAs``)."""

    def label(self, lang: str) -> str:
        """The name in ``lang`` (English for ``en``, else German)."""
        return self.label_en if lang == "en" else self.label_de

    def comment(self, lang: str) -> str:
        """The description in ``lang`` (English for ``en``, else German)."""
        return self.comment_en if lang == "en" else self.comment_de

    def names(self) -> tuple[str, ...]:
        """Every identifier that selects this profile exactly: token, URI, aliases."""
        return (self.token, self.uri, *self.aliases)

    @property
    def local(self) -> bool:
        """Whether the platform mints this profile (its page is under ``/def/profile/``)."""
        return self.uri.startswith(REGISTER)


@cache
def profile_graph() -> Graph:
    """The PROF description of every profile (parsed once per process)."""
    graph = Graph()
    graph.parse(PROFILES_FILE, format="turtle")
    graph.bind("prof", PROF)
    graph.bind("role", Namespace(str(PROF) + "role/"))
    graph.bind("srhp", Namespace(REGISTER))
    return graph


def _text(graph: Graph, node: URIRef, prop: URIRef, lang: str) -> str:
    for value in graph.objects(node, prop):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return ""


def _ancestors(graph: Graph, node: URIRef) -> tuple[str, ...]:
    found: list[str] = []
    pending = sorted(o for o in graph.objects(node, PROF.isProfileOf) if isinstance(o, URIRef))
    while pending:
        current = pending.pop(0)
        if str(current) in found:
            continue
        found.append(str(current))
        pending += sorted(o for o in graph.objects(current, PROF.isProfileOf)
                          if isinstance(o, URIRef))
    return tuple(found)


def _aliases(graph: Graph, nodes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(o) for n in nodes for o in graph.objects(URIRef(n), OWL.sameAs)}))


ORDER = ("srh", "schemaorg", "dcat-ap-de", "dcat-ap", "dsp", "ngsi-ld", "geojson", "alt")
"""The order the register shows the profiles in (any other after them, by token)."""


@cache
def registry() -> dict[str, Profile]:
    """Token → profile, for every ``prof:Profile`` of ``profiles.ttl`` (in :data:`ORDER`)."""
    graph = profile_graph()
    profiles: dict[str, Profile] = {}
    for node in sorted(graph.subjects(RDF.type, PROF.Profile), key=str):
        if not isinstance(node, URIRef):
            continue
        token = str(graph.value(node, PROF.hasToken))
        profiles[token] = Profile(
            uri=str(node), token=token,
            label_de=_text(graph, node, RDFS.label, "de"),
            label_en=_text(graph, node, RDFS.label, "en"),
            comment_de=_text(graph, node, RDFS.comment, "de"),
            comment_en=_text(graph, node, RDFS.comment, "en"),
            ancestors=_ancestors(graph, node), aliases=_aliases(graph, [str(node)]),
        )
    rank = {token: n for n, token in enumerate(ORDER)}
    return dict(sorted(profiles.items(), key=lambda item: (rank.get(item[0], len(ORDER)),
                                                           item[0])))


def profile(token: str) -> Profile:
    """The profile with this token (a ``KeyError`` names a token ``profiles.ttl`` lacks)."""
    return registry()[token]


def standard_aliases(uri: str) -> tuple[str, ...]:
    """The URIs that name the same standard as ``uri`` (itself included)."""
    return (uri, *_aliases(profile_graph(), [uri]))


def standard_label(uri: str) -> str:
    """The name ``profiles.ttl`` gives a standard (its URI when it gives none)."""
    value = profile_graph().value(URIRef(uri), RDFS.label)
    return str(value) if value is not None else uri


SRH = profile("srh")
SCHEMA_ORG = profile("schemaorg")
DCAT_AP_DE = profile("dcat-ap-de")
DCAT_AP = profile("dcat-ap")
DSP = profile("dsp")
NGSI_LD = profile("ngsi-ld")
GEOJSON = profile("geojson")
ALT = profile("alt")
"""The "list profiles" function (``?_profile=alt``); never a profile of a resource's data."""
