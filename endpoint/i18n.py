"""Language of the HTML pages and the UI strings in German and English.

The language comes from ``?lang=`` first, then ``Accept-Language``; German is the default.
When ``?lang=`` was given, links the pages build carry it on, so a reader who switched stays
in the chosen language while browsing (no cookie, so responses stay cacheable per URL).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Request, g, request

LANGUAGES: tuple[str, ...] = ("de", "en")
DEFAULT_LANGUAGE = "de"

UI: dict[str, dict[str, str]] = {
    "site_name": {"de": "Smarte Region Hessen – Linked Open Data",
                  "en": "Smart Region Hesse – Linked Open Data"},
    "site_short": {"de": "Smarte Region Hessen", "en": "Smart Region Hesse"},
    "skip": {"de": "Zum Inhalt springen", "en": "Skip to content"},
    "nav_label": {"de": "Hauptnavigation", "en": "Main navigation"},
    "nav_home": {"de": "Start", "en": "Home"},
    "nav_projects": {"de": "Projekte", "en": "Projects"},
    "nav_municipalities": {"de": "Kommunen", "en": "Municipalities"},
    "nav_organisations": {"de": "Organisationen", "en": "Organisations"},
    "nav_events": {"de": "Veranstaltungen", "en": "Events"},
    "nav_map": {"de": "Karte", "en": "Map"},
    "nav_search": {"de": "Suche", "en": "Search"},
    "nav_sparql": {"de": "SPARQL", "en": "SPARQL"},
    "nav_catalog": {"de": "Datenkatalog", "en": "Data catalogue"},
    "nav_ontology": {"de": "Ontologie", "en": "Ontology"},
    "lang_label": {"de": "Sprache", "en": "Language"},
    "lang_switch": {"de": "English", "en": "Deutsch"},
    "footer_text": {
        "de": "Ein Angebot der Geschäftsstelle Smarte Region des Hessischen Ministeriums für "
              "Digitalisierung und Innovation. Alle Daten als Linked Open Data.",
        "en": "Provided by the Smart Region office of the Hessian Ministry for Digitalisation "
              "and Innovation. All data as Linked Open Data.",
    },
    "footer_formats": {"de": "Maschinenlesbar", "en": "Machine-readable"},
    "error": {"de": "Fehler", "en": "Error"},
    "error_back": {"de": "Zur Startseite", "en": "Back to the home page"},
    "not_found": {"de": "Nicht gefunden", "en": "Not found"},
    "not_found_thing": {
        "de": "Zu dieser URI gibt es keine Daten.",
        "en": "There are no data about this URI.",
    },
    # resource pages
    "types": {"de": "Typ", "en": "Type"},
    "uri": {"de": "URI", "en": "URI"},
    "properties": {"de": "Eigenschaften", "en": "Properties"},
    "referenced_by": {"de": "Verweise auf diese Ressource", "en": "Links to this resource"},
    "provenance": {"de": "Herkunft der Daten", "en": "Where the data come from"},
    "source_graph": {"de": "Quellgraph", "en": "Source graph"},
    "loaded_at": {"de": "Geladen am", "en": "Loaded at"},
    "sources": {"de": "Quellen", "en": "Sources"},
    "external": {"de": "externer Link", "en": "external link"},
    "formats": {"de": "Diese Seite als", "en": "This page as"},
    "showing": {"de": "{shown} von {total}", "en": "{shown} of {total}"},
    "show_all": {"de": "alle {total} anzeigen", "en": "show all {total}"},
    "blank_node": {"de": "(anonym)", "en": "(anonymous)"},
    "other": {"de": "Weitere Angaben", "en": "Further statements"},
    "in_lang": {"de": "Sprache", "en": "language"},
    "group_names": {"de": "Bezeichnung und Beschreibung", "en": "Name and description"},
    "group_relations": {"de": "Beziehungen", "en": "Relations"},
    "group_facts": {"de": "Angaben", "en": "Facts"},
    "group_identifiers": {"de": "Schlüssel und Kennungen", "en": "Keys and identifiers"},
    "group_links": {"de": "Verknüpfungen und Quellen", "en": "Links and sources"},
    "area_projects": {"de": "Projekte im Kreis und in seinen Gemeinden",
                      "en": "Projects in the district and its municipalities"},
    "area_projects_none": {"de": "Keine Projekte bekannt.", "en": "No projects known."},
    "area_projects_all": {"de": "In der Projektliste zeigen ({n})",
                          "en": "Show in the project list ({n})"},
    "inverse_title": {"de": "Als „{p}“ genannt von", "en": "Named as “{p}” by"},
    "inverse_title_via": {"de": "Als „{p}“ (über „{via}“) genannt von",
                          "en": "Named as “{p}” (through “{via}”) by"},
    "vocabulary_file": {"de": "Vokabulardatei", "en": "Vocabulary file"},
    "notation": {"de": "Notation", "en": "Notation"},
    "definition": {"de": "Definition", "en": "Definition"},
    "scheme_of": {"de": "Begriffsschema", "en": "Concept scheme"},
    "version": {"de": "Version", "en": "Version"},
    "namespace": {"de": "Namensraum", "en": "Namespace"},
    "contents": {"de": "Inhalt", "en": "Contents"},
    "datatype": {"de": "Datentyp", "en": "datatype"},
    "inverse_range": {"de": "{first}–{last} von {total}", "en": "{first}–{last} of {total}"},
    "first_page": {"de": "Erste Seite", "en": "First page"},
    "last_page": {"de": "Letzte Seite", "en": "Last page"},
    "doc_iri": {"de": "Dokument", "en": "Document"},
    # listings
    "filter": {"de": "Filtern", "en": "Filter"},
    "apply": {"de": "Anwenden", "en": "Apply"},
    "reset": {"de": "Zurücksetzen", "en": "Reset"},
    "all": {"de": "alle", "en": "all"},
    "field_of_action": {"de": "Handlungsfeld", "en": "Field of action"},
    "district": {"de": "Kreis", "en": "District"},
    "programme": {"de": "Förderprogramm", "en": "Programme"},
    "status": {"de": "Status", "en": "Status"},
    "year": {"de": "Jahr", "en": "Year"},
    "results": {"de": "{total} Treffer", "en": "{total} results"},
    "no_results": {"de": "Keine Treffer.", "en": "No results."},
    "page_of": {"de": "Seite {page} von {pages}", "en": "Page {page} of {pages}"},
    "prev": {"de": "Zurück", "en": "Previous"},
    "next": {"de": "Weiter", "en": "Next"},
    "pagination": {"de": "Seitennavigation", "en": "Pagination"},
    "name": {"de": "Name", "en": "Name"},
    "municipalities_in": {"de": "Kommunen", "en": "Municipalities"},
    "date": {"de": "Datum", "en": "Date"},
    "place": {"de": "Ort", "en": "Place"},
    "location": {"de": "Standort", "en": "Location"},
    "kind_state": {"de": "Land", "en": "State"},
    "kind_government-district": {"de": "Regierungsbezirk", "en": "Government district"},
    "kind_district": {"de": "Kreis", "en": "District"},
    "kind_municipality": {"de": "Kommune", "en": "Municipality"},
    "kind_organisation": {"de": "Organisation", "en": "Organisation"},
    "kind_initiative": {"de": "Initiative", "en": "Initiative"},
    "kind_programme": {"de": "Förderprogramm", "en": "Funding programme"},
    "kind_funding": {"de": "Förderung", "en": "Funding"},
    "kind_project": {"de": "Projekt", "en": "Project"},
    "kind_event": {"de": "Veranstaltung", "en": "Event"},
    "kind_offer": {"de": "Angebot", "en": "Offer"},
    "kind_membership": {"de": "Mitgliedschaft", "en": "Membership"},
    "kind_renaming": {"de": "Umbenennung", "en": "Renaming"},
    "kind_local-authority": {"de": "Gebietskörperschaft", "en": "Local authority"},
    "kind_platform": {"de": "Digitalplattform", "en": "Digital platform"},
    "kind_relation-period": {"de": "Zeitraum einer Beziehung", "en": "Relation period"},
    # search
    "search_label": {"de": "Suchbegriff", "en": "Search term"},
    "search_button": {"de": "Suchen", "en": "Search"},
    "search_hint": {
        "de": "Sucht in Namen, Beschreibungen, Handlungsfeldern, Orten und Kreisen (deutsch "
              "und englisch, Wortformen, Umlaute als ae/oe/ue, kleine Tippfehler).",
        "en": "Searches names, descriptions, fields of action, places and districts (German "
              "and English, word forms, umlauts as ae/oe/ue, small typos).",
    },
    "search_no_words": {
        "de": "Der Suchtext enthält kein Wort (Buchstaben oder Ziffern).",
        "en": "The search text holds no word (letters or digits).",
    },
    "search_short": {
        "de": "Bitte mindestens zwei Zeichen eingeben.",
        "en": "Please enter at least two characters.",
    },
    # home
    "home_title": {"de": "Smarte Region Hessen als offene Daten",
                   "en": "Smart Region Hesse as open data"},
    "home_intro": {
        "de": "Die Geschäftsstelle Smarte Region unterstützt hessische Kommunen bei der "
              "Digitalisierung. Diese Plattform veröffentlicht ihre Sammlung von Smart-City- und "
              "Smart-Region-Projekten, die beteiligten Kommunen, Kreise, Organisationen, "
              "Förderprogramme und Veranstaltungen als Linked Open Data: jede Sache hat eine "
              "URI, die Menschen als Webseite und Maschinen als RDF lesen.",
        "en": "The Smart Region office helps Hessian municipalities with digitalisation. This "
              "platform publishes its collection of smart-city and smart-region projects, the "
              "municipalities, districts, organisations, funding programmes and events involved "
              "as Linked Open Data: every thing has a URI that people read as a web page and "
              "machines as RDF.",
    },
    "home_counts": {"de": "Was die Plattform enthält", "en": "What the platform holds"},
    "home_entry": {"de": "Einstiege", "en": "Entry points"},
    "home_browse": {"de": "Stöbern", "en": "Browse"},
    "home_machine": {"de": "Für Maschinen", "en": "For machines"},
    "home_sparql": {
        "de": "SPARQL-1.1-Endpunkt für eigene Abfragen und Föderation.",
        "en": "SPARQL 1.1 endpoint for your own queries and federation.",
    },
    "home_catalog": {
        "de": "DCAT-AP.de-Katalog der Datensätze, für Portale zum Einsammeln.",
        "en": "DCAT-AP.de catalogue of the datasets, for portals to harvest.",
    },
    "home_ontology": {
        "de": "Die Ontologie und die SKOS-Begriffsschemata der Plattform.",
        "en": "The platform's ontology and SKOS concept schemes.",
    },
    "home_version": {"de": "Datenstand", "en": "Data as of"},
    "count_projects": {"de": "Projekte", "en": "Projects"},
    "count_municipalities": {"de": "Kommunen", "en": "Municipalities"},
    "count_districts": {"de": "Kreise", "en": "Districts"},
    "count_organisations": {"de": "Organisationen", "en": "Organisations"},
    "count_programmes": {"de": "Förderprogramme", "en": "Funding programmes"},
    "count_events": {"de": "Veranstaltungen", "en": "Events"},
    "count_triples": {"de": "Tripel", "en": "Triples"},
    "count_fundings": {"de": "Förderungen", "en": "Fundings"},
    "count_local_authorities": {"de": "Gebietskörperschaften", "en": "Local authorities"},
    "count_offers": {"de": "Angebote", "en": "Offers"},
    "count_platforms": {"de": "Digitalplattformen", "en": "Digital platforms"},
    "home_districts": {"de": "Projekte je Kreis", "en": "Projects per district"},
    "home_districts_note": {
        "de": "Ein Projekt zählt für jeden Kreis, den es nennt oder in dem eine seiner "
              "Kommunen liegt.",
        "en": "A project counts for every district it names or in which one of its "
              "municipalities lies.",
    },
    "home_with_date": {"de": "mit Datum", "en": "with a date"},
    "home_with_status": {"de": "mit Status", "en": "with a status"},
    "home_projects_detail": {
        "de": "{dated} von {total} Projekten nennen ein Datum, {stated} einen Status.",
        "en": "{dated} of {total} projects state a date, {stated} a status.",
    },
    # vocabulary
    "ontology": {"de": "Ontologie", "en": "Ontology"},
    "classes": {"de": "Klassen", "en": "Classes"},
    "object_properties": {"de": "Objekteigenschaften", "en": "Object properties"},
    "datatype_properties": {"de": "Dateneigenschaften", "en": "Datatype properties"},
    "schemes": {"de": "Begriffsschemata", "en": "Concept schemes"},
    "concepts": {"de": "Begriffe", "en": "Concepts"},
    "domain": {"de": "Definitionsbereich", "en": "Domain"},
    "range": {"de": "Wertebereich", "en": "Range"},
    "subclass_of": {"de": "Unterklasse von", "en": "Subclass of"},
    "subproperty_of": {"de": "Untereigenschaft von", "en": "Subproperty of"},
    "context": {"de": "JSON-LD-Kontext", "en": "JSON-LD context"},
}


def select_language(req: Request) -> tuple[str, bool]:
    """``(language, explicit)``: ``?lang=`` if it names a supported language, else the best
    ``Accept-Language`` match, else German. ``explicit`` is true when ``?lang=`` decided."""
    asked = (req.args.get("lang") or "").strip().lower()
    if asked in LANGUAGES:
        return asked, True
    best = req.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return best or DEFAULT_LANGUAGE, False


def current_language() -> str:
    """The language of the current request (computed once per request)."""
    if "srh_lang" not in g:
        g.srh_lang, g.srh_lang_explicit = select_language(request)
    lang: str = g.srh_lang
    return lang


def language_is_explicit() -> bool:
    """Whether the current request chose its language with ``?lang=``."""
    current_language()
    explicit: bool = g.srh_lang_explicit
    return explicit


def translate(key: str, lang: str | None = None, **values: object) -> str:
    """The UI string ``key`` in ``lang`` (default: the request's), with ``{name}`` filled in."""
    strings = UI.get(key)
    if strings is None:
        return key
    text = strings.get(lang or current_language()) or strings[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def localized(path: str, params: dict[str, str] | None = None) -> str:
    """An internal link that keeps an explicitly chosen language (``?lang=``)."""
    query = dict(params or {})
    if language_is_explicit():
        query["lang"] = current_language()
    query = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{path}?{urlencode(query)}" if query else path


def switch_url(lang: str) -> str:
    """The current page in another language (the request's query kept, ``lang`` replaced)."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    query.append(("lang", lang))
    return f"{request.script_root}{request.path}?{urlencode(query)}"


# Registered like any blueprint so that every template of the app, the error pages of other
# blueprints included, gets the language helpers.
bp = Blueprint("i18n", __name__)


@bp.app_context_processor
def template_context() -> dict[str, object]:
    """``lang``, ``other_lang``, ``t``, ``link`` and ``switch_url`` for every template."""
    lang = current_language()
    other = next(code for code in LANGUAGES if code != lang)
    return {
        "lang": lang,
        "other_lang": other,
        "t": translate,
        "link": localized,
        "switch_url": switch_url,
    }
