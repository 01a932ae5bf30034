"""The "list profiles" answer (``?_profile=alt``): every representation of a resource, with
its profile and media type, as HTML, JSON, JSON-LD or Turtle.

The RDF follows the Alternate Representations Data Model of W3C Content Negotiation by
Profile (``altr:hasDefaultRepresentation``, ``altr:hasRepresentation``, ``dct:conformsTo``,
``dct:format``); the JSON is the spec's example shape (``resource``, ``profiles`` with
``token``, ``uri``, ``media_types``). The ``Link`` header says the same: the default
representation rel=canonical, the others rel=alternate, and the token of every profile
(``rel="type"``, ``token``, ``anchor``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from endpoint.caching import make_conditional
from endpoint.catalog_output import serialize_graph
from endpoint.i18n import current_language
from endpoint.negotiation import HTML, JSON, Alternatives, Choice, representation_url
from endpoint.negotiation.by_profile import VARY, alt_url, alternate_link, token_links
from endpoint.negotiation.profiles import ALT, PROF, Profile
from smartregion.store.publication import StoreVersion

ALTR = Namespace("http://www.w3.org/ns/dx/connegp/altr#")
TEXT = {
    "title": ("Darstellungen von {name}", "Representations of {name}"),
    "intro": ("Diese Ressource gibt es in den folgenden Profilen und Medientypen (W3C Content "
              "Negotiation by Profile). Ohne Angabe kommt die Standarddarstellung; ein Profil "
              "wählt man mit ?_profile= (Kürzel oder <URI>) oder dem Header Accept-Profile, "
              "den Medientyp mit ?_mediatype= oder Accept.",
              "This resource is available in the following profiles and media types (W3C "
              "Content Negotiation by Profile). Without a choice the default representation "
              "is sent; choose a profile with ?_profile= (token or <URI>) or the "
              "Accept-Profile header, the media type with ?_mediatype= or Accept."),
    "representation": ("Darstellung", "Representation"),
    "profile": ("Profil", "Profile"),
    "token": ("Kürzel", "Token"),
    "media_type": ("Medientyp", "Media type"),
    "default": ("Standard", "Default"),
    "yes": ("ja", "yes"),
    "profiles": ("Die Profile", "The profiles"),
    "all_profiles": ("Alle Profile der Plattform", "Every profile of the platform"),
}


def _text(key: str, lang: str, **values: str) -> str:
    de, en = TEXT[key]
    return (en if lang == "en" else de).format(**values)


def _rows(path: str, alternatives: Alternatives, query: str) -> list[dict[str, Any]]:
    root = request.host_url.rstrip("/") + request.script_root
    default = (alternatives.default, alternatives.offers_of(alternatives.default)[0])
    return [{"profile": p, "offer": o, "default": (p, o) == default,
             "href": root + representation_url(path, alternatives, p, o, query)}
            for p, o in alternatives.pairs()]


def alternates_response(path: str, alternatives: Alternatives, choice: Choice, name: str,
                        version: StoreVersion | None, *, query: str = "") -> Response:
    """The list of representations of the resource at ``path`` (``name`` is what the HTML
    page calls it), in the media type ``choice`` names."""
    lang = current_language()
    offer = choice.offer
    response = Response(mimetype=offer.media_type)
    rows = _rows(path, alternatives, query)
    links = [alternate_link(row["href"], row["profile"], row["offer"],
                            "canonical" if row["default"] else "alternate") for row in rows]
    links += token_links()
    links.append(f'<{ALT.uri}>; rel="profile"')
    response.headers["Link"] = ", ".join(links)
    response.headers["Content-Profile"] = f"<{ALT.uri}>"
    response.headers["Content-Location"] = alt_url(path, query, offer)
    response.headers["Vary"] = VARY
    if offer is HTML:
        response.vary.add("Accept-Language")
    make_conditional(request, response, version, path, "alt", query,
                     lang if offer is HTML else "")
    if response.status_code == 304:
        return response
    resource = request.host_url.rstrip("/") + request.script_root + path
    if offer is HTML:
        body: str | bytes = render_template(
            "alternates.html", rows=rows, name=name, resource=resource, lang=lang,
            s=lambda key, **v: _text(key, lang, **v),
            profiles=list(alternatives.profiles()), profile_register=request.script_root
            + "/def/profile/")
    elif offer == JSON:
        body = json.dumps(_json(resource, alternatives, rows), ensure_ascii=False, indent=2)
    else:
        body = serialize_graph(_graph(resource, rows), offer,
                               {"altr": str(ALTR), "prof": str(PROF)})
    response.set_data(body)
    return response


def _json(resource: str, alternatives: Alternatives, rows: list[dict[str, Any]]
          ) -> dict[str, Any]:
    profiles = []
    for profile, offers in alternatives.choices:
        profiles.append({
            "token": profile.token, "uri": profile.uri, "label": profile.label("en"),
            "default": profile == alternatives.default,
            "media_types": [o.media_type for o in offers],
            "representations": [{"mediaType": row["offer"].media_type, "href": row["href"],
                                 "default": row["default"]}
                                for row in rows if row["profile"] == profile],
        })
    return {"resource": resource, "profiles": profiles}


def _graph(resource: str, rows: list[dict[str, Any]]) -> Graph:
    graph = Graph()
    subject = URIRef(resource)
    for row in rows:
        representation = URIRef(row["href"])
        profile: Profile = row["profile"]
        graph.add((subject, ALTR.hasDefaultRepresentation if row["default"]
                   else ALTR.hasRepresentation, representation))
        graph.add((representation, RDF.type, ALTR.Representation))
        graph.add((representation, DCTERMS.conformsTo, URIRef(profile.uri)))
        graph.add((representation, DCTERMS.format, Literal(row["offer"].media_type)))
        graph.add((URIRef(profile.uri), RDF.type, PROF.Profile))
        graph.add((URIRef(profile.uri), PROF.hasToken, Literal(profile.token,
                                                               datatype=XSD.token)))
        for code in ("de", "en"):
            graph.add((URIRef(profile.uri), RDFS.label, Literal(profile.label(code), lang=code)))
    return graph
