"""Blueprint: ``/def/profile/``, the register of the profiles the platform negotiates.

The register and each profile are described with PROF (``prof:Profile``, ``prof:hasToken``,
``prof:isProfileOf``) from ``endpoint/negotiation/profiles.ttl``, as HTML (with the table of
which resources offer which profile in which media types) or RDF, by ``Accept`` or
``?format=``. ``/def/profile/{token}`` is one profile; the platform's own profile IRIs
(``https://data.smarte-region-hessen.de/def/profile/{token}``) resolve there.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from rdflib import BNode, Graph, URIRef

from endpoint import backend_of
from endpoint.caching import make_conditional
from endpoint.catalog_output import serialize_graph
from endpoint.catalog_profiles import CATALOG_ALTERNATIVES
from endpoint.documents import DOCUMENT_ALTERNATIVES, DOCUMENT_OFFERS, VOCABULARY_ALTERNATIVES
from endpoint.errors import Problem
from endpoint.i18n import current_language
from endpoint.listing_pages import LISTING_ALTERNATIVES
from endpoint.negotiation import HTML, Alternatives, NotAcceptable, Offer, negotiate
from endpoint.negotiation.by_profile import ALT_OFFERS, VARY
from endpoint.negotiation.profiles import (
    ALT,
    PROFILES_FILE,
    REGISTER,
    Profile,
    profile_graph,
    registry,
    standard_label,
)

bp = Blueprint("profile_register", __name__)

# Which resources offer what, for the register page (the same objects the views negotiate).
RESOURCES: tuple[tuple[str, str, str, Alternatives], ...] = (
    ("/doc/{kind}/{key}", "Dokument eines Dings", "document of a thing",
     DOCUMENT_ALTERNATIVES),
    ("/def/…", "Ontologie und Begriffsschemata", "ontology and concept schemes",
     VOCABULARY_ALTERNATIVES),
    ("/projects, /municipalities, /organisations, /events", "Listen", "listings",
     LISTING_ALTERNATIVES),
    ("/catalog, /dataset/{name}", "Datenkatalog", "data catalogue", CATALOG_ALTERNATIVES),
)
TEXT = {
    "title": ("Profile", "Profiles"),
    "intro": ("Die Plattform liefert Dokumente, Listen und den Datenkatalog in mehreren Profilen "
              "aus (W3C Content Negotiation by Profile). Ein Profil wählt man mit dem Header "
              "Accept-Profile (<URI>) oder mit ?_profile= (Kürzel oder <URI>), den Medientyp "
              "mit Accept, ?_mediatype= oder ?format=; ?_profile=alt listet, was eine "
              "Ressource anbietet. Ohne Angabe kommt das erste Profil der Zeile.",
              "The platform serves documents, listings and the data catalogue in several "
              "profiles (W3C Content Negotiation by Profile). Choose a profile with the "
              "Accept-Profile header (<URI>) or ?_profile= (token or <URI>), the media type "
              "with Accept, ?_mediatype= or ?format=; ?_profile=alt lists what a resource "
              "offers. Without a choice the first profile of the row is sent."),
    "resource": ("Ressource", "Resource"),
    "offers": ("Profile (Kürzel: Medientypen)", "Profiles (token: media types)"),
    "token": ("Kürzel", "Token"),
    "profile_of": ("Profil von", "Profile of"),
    "description": ("Beschreibung", "Description"),
    "default": ("Standard", "default"),
    "all": ("Alle Profile", "All profiles"),
}
RDF_OFFERS: tuple[Offer, ...] = DOCUMENT_OFFERS


def _s(key: str) -> str:
    de, en = TEXT[key]
    return en if current_language() == "en" else de


def _negotiated() -> Offer:
    try:
        return negotiate(request, RDF_OFFERS, explicit=request.args.get("format"))
    except NotAcceptable as exc:
        raise Problem(406, "Not Acceptable", f"cannot send the profiles as {exc.asked!r}; "
                      "available: " + ", ".join(o.media_type for o in RDF_OFFERS),
                      variants=[o.media_type for o in RDF_OFFERS]) from exc


def _respond(offer: Offer, graph: Graph, html: str, key: str) -> Response:
    response = Response(mimetype=offer.media_type)
    response.headers["Vary"] = VARY
    if offer is HTML:
        response.vary.add("Accept-Language")
    stamp = str(PROFILES_FILE.stat().st_mtime_ns)
    make_conditional(request, response, backend_of(current_app).version(), key, stamp,
                     current_language() if offer is HTML else "")
    if response.status_code == 304:
        return response
    response.set_data(html if offer is HTML else serialize_graph(
        graph, offer, {"prof": "http://www.w3.org/ns/dx/prof/",
                       "role": "http://www.w3.org/ns/dx/prof/role/", "srhp": REGISTER}))
    return response


@bp.get("/def/profile")
def register_redirect() -> ResponseReturnValue:
    """The register lives at ``/def/profile/`` (its IRI ends with a slash)."""
    return redirect(request.script_root + "/def/profile/", code=301)


@bp.get("/def/profile/")
def register() -> ResponseReturnValue:
    """Every profile, and which resources offer it in which media types."""
    offer = _negotiated()
    html = ""
    if offer is HTML:
        lang = current_language()
        rows = [{"path": path, "name": en if lang == "en" else de, "choices": [
            (p, [o.media_type for o in offers]) for p, offers in alternatives.choices]}
            for path, de, en, alternatives in RESOURCES]
        html = render_template("profiles.html", s=_s, lang=lang, rows=rows,
                               profiles=[*registry().values()], label=standard_label,
                               alt_offers=ALT_OFFERS, alt=ALT, one=None)
    return _respond(offer, profile_graph(), html, "register")


@bp.get("/def/profile/<string:token>")
def profile(token: str) -> ResponseReturnValue:
    """One profile's PROF description."""
    found = registry().get(token)
    if found is None:
        raise Problem(404, "Not Found", f"there is no profile {token!r}; the profiles: "
                      + ", ".join(sorted(registry())))
    offer = _negotiated()
    html = ""
    if offer is HTML:
        lang = current_language()
        rows = [{"path": path, "name": en if lang == "en" else de, "choices": [
            (p, [o.media_type for o in offers]) for p, offers in alternatives.choices
            if p == found]} for path, de, en, alternatives in RESOURCES]
        html = render_template("profiles.html", s=_s, lang=lang,
                               rows=[r for r in rows if r["choices"]], profiles=[found],
                               label=standard_label, alt_offers=ALT_OFFERS, alt=ALT, one=found)
    return _respond(offer, _description(found), html, f"profile {token}")


def _description(found: Profile) -> Graph:
    """The triples about one profile (with its resource descriptors and standards)."""
    source = profile_graph()
    graph = Graph()
    for prefix, namespace in source.namespaces():
        graph.bind(prefix, namespace)
    pending: list[object] = [URIRef(found.uri), *(URIRef(a) for a in found.ancestors)]
    seen: set[object] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for s, p, o in source.triples((node, None, None)):  # type: ignore[arg-type]
            graph.add((s, p, o))
            if isinstance(o, BNode):
                pending.append(o)
    return graph
