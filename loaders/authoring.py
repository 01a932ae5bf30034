"""Authoring: a new curated project file for the Geschäftsstelle, written without RDF knowledge.

``smartregion new project`` runs :func:`ask_project` with click's prompts: it asks for what the
shapes require or recommend (names in German and English, places, fields of action, a source
URL …), offers the published municipalities, Kreise, programmes, organisations, fields and
status values to choose from by name or number, and :func:`project_yaml` writes the answers as a
YAML-LD file in the form of ``data/projects/*.yaml``. The command then validates the file with
the same check as ``smartregion validate``.

The choices come from the served store (so all municipalities the GV100AD load published are
offered); before the first load they come from the curated files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from loaders.curated import curated_sources
from smartregion.namespaces import FIELDS_PREFERRED_GROUP, SCHEMA, SRH
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.uris import KEY_PATTERN, meta_graph_uri

SCHEME_BASE = "https://data.smarte-region-hessen.de/def/scheme/"
ORG = "http://www.w3.org/ns/org#"
AGENT_CLASSES = (SRH.Organisation, SRH.PublicBody, SRH.Company, SRH.Association,
                 SRH.Initiative, SRH.LocalAuthority, URIRef(ORG + "OrganizationalUnit"))
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR = re.compile(r"^\d{4}$")

Ask = Callable[[str, str], str]
"""Asks one question with a default answer ("" = none) and returns the answer."""
Say = Callable[[str], None]


@dataclass(frozen=True)
class Choice:
    """Something to choose: its id as written in a curated file, its name and a hint."""

    ref: str
    name: str
    hint: str = ""
    names: tuple[str, ...] = ()

    def shown(self) -> str:
        """The choice as listed to the user."""
        return f"{self.name} ({self.hint})" if self.hint else self.name


@dataclass
class Choices:
    """What a new project can refer to."""

    municipalities: list[Choice]
    districts: list[Choice]
    agents: list[Choice]
    programmes: list[Choice]
    fields: list[Choice]
    statuses: list[Choice]


def _label(graph: Graph, node: URIRef, lang: str = "de") -> str:
    found = [o for o in graph.objects(node, SKOS.prefLabel) if isinstance(o, Literal)]
    for literal in found:
        if literal.language == lang:
            return str(literal)
    return str(found[0]) if found else str(node).rsplit("/", 1)[-1]


def _ref(base: str, node: URIRef) -> str | None:
    prefix = base + "id/"
    return str(node)[len(prefix):] if str(node).startswith(prefix) else None


def _instances(graph: Graph, base: str, classes: Iterable[URIRef]) -> list[tuple[str, URIRef]]:
    found: dict[str, URIRef] = {}
    for cls in classes:
        for node in graph.subjects(RDF.type, cls):
            ref = _ref(base, node) if isinstance(node, URIRef) else None
            if ref:
                found[ref] = node  # type: ignore[assignment]
    return sorted(found.items())


def published_graph(settings: Settings, backend: StoreBackend) -> Graph:
    """The served data (every graph but the metadata), or the curated files before a load."""
    graph = Graph()
    if backend.version() is not None:
        meta = meta_graph_uri(settings.base_uri)
        for uri in backend.graph_uris():
            if uri != meta:
                graph += backend.graph(uri)
        return graph
    for source in curated_sources(settings).values():
        graph += source.extract(settings).graph
    return graph


def _concepts(ontology_dir: Path, file: str, scheme: str) -> list[Choice]:
    """The concepts of a scheme by name; of an exact-match group only the preferred one (a field
    of 2020 that means the same as a Themenfeld is not offered next to it)."""
    graph = Graph()
    graph.parse(ontology_dir / "schemes" / file, format="turtle")
    scheme_iri = URIRef(SCHEME_BASE + scheme)
    preferred = set(graph.objects(FIELDS_PREFERRED_GROUP, SKOS.member))
    concepts = sorted((c for c in graph.subjects(SKOS.inScheme, scheme_iri)
                       if isinstance(c, URIRef)
                       and not preferred & set(graph.objects(c, SKOS.exactMatch))),
                      key=lambda c: _label(graph, c))
    return [Choice(f"scheme:{scheme}/{str(c).rsplit('/', 1)[-1]}", _label(graph, c))
            for c in concepts]


def load_choices(settings: Settings, graph: Graph) -> Choices:
    """The choices a new project file offers, from ``graph`` and the vocabulary files."""
    base = settings.base_uri
    districts = {node: _label(graph, node) for _, node in _instances(graph, base, [SRH.District])}
    municipalities = []
    for ref, node in _instances(graph, base, [SRH.Municipality]):
        district = next((d for d in graph.objects(node, SCHEMA.containedInPlace)
                         if isinstance(d, URIRef) and d in districts), None)
        names = tuple(str(o) for p in (SKOS.prefLabel, SKOS.altLabel)
                      for o in graph.objects(node, p))
        hint = ", ".join(x for x in (districts.get(district, "") if district else "",
                                     ref.rsplit("/", 1)[-1]) if x)
        municipalities.append(Choice(ref, _label(graph, node), hint, names))
    municipalities.sort(key=lambda c: c.name.casefold())
    return Choices(
        municipalities=municipalities,
        districts=sorted((Choice(_ref(base, node) or "", name, (_ref(base, node) or "")[9:])
                          for node, name in districts.items()), key=lambda c: c.name.casefold()),
        agents=sorted((Choice(ref, _label(graph, node)) for ref, node
                       in _instances(graph, base, AGENT_CLASSES)), key=lambda c: c.name.casefold()),
        programmes=sorted((Choice(ref, _label(graph, node)) for ref, node
                           in _instances(graph, base, [SRH.FundingProgramme])),
                          key=lambda c: c.name.casefold()),
        fields=_concepts(settings.ontology_dir, "fields-of-action.ttl", "field-of-action"),
        statuses=_concepts(settings.ontology_dir, "project-status.ttl", "project-status"),
    )


def search(choices: list[Choice], text: str) -> list[Choice]:
    """The choices whose name (or key) contains ``text``, ignoring case and accents ("gross"
    finds Groß-Gerau, "buedingen" and "budingen" find Büdingen); a name that starts with
    ``text`` comes first."""
    wanted = _fold(text)
    if not wanted:
        return []
    hits = [c for c in choices
            if any(wanted in folded for n in (c.name, *c.names, c.ref.rsplit("/", 1)[-1])
                   for folded in (_fold(n), _fold(_umlauts(n))))]
    return sorted(hits, key=lambda c: (not _fold(c.name).startswith(wanted), _fold(c.name)))


def _umlauts(text: str) -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"),
                          ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        text = text.replace(umlaut, plain)
    return text


def _fold(text: str) -> str:
    text = text.replace("ß", "ss").replace("ẞ", "SS")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def slug(text: str) -> str:
    """A key for ``/id/project/{key}`` from a name: lower-case ASCII words joined by ``-``."""
    words = re.findall(r"[a-z0-9]+", _fold(_umlauts(text)))
    return "-".join(words)[:80].strip("-")


def parse_when(text: str) -> tuple[str, str] | None:
    """``("Date", "2024-05-01")`` or ``("Year", "2024")`` for an answer, ``None`` for none.
    Raises ``ValueError`` for anything else."""
    text = text.strip()
    if not text:
        return None
    if DATE.match(text):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r}: kein Kalendertag / no day of the calendar") from None
        return "Date", text
    if YEAR.match(text):
        return "Year", text
    raise ValueError(f"{text!r}: weder Jahr (JJJJ) noch Datum (JJJJ-MM-TT) / "
                     "neither a year nor a date")


def parse_amount(text: str) -> str | None:
    """A euro amount as written in a file ("733500" or "733500.5") from "733.500", "733 500",
    "733500,50" …; ``None`` for none. Raises ``ValueError`` for anything else."""
    text = text.strip().replace("€", "").replace(" ", "").replace("\u202f", "")
    if not text:
        return None
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+(,\d+)?", text):
        text = text.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(f"{text!r}: kein Euro-Betrag / no amount in euros")
    return text


def parse_url(text: str) -> str:
    """A source URL (http or https). Raises ``ValueError`` otherwise."""
    text = text.strip()
    if not re.fullmatch(r"https?://[^\s]+\.[^\s]+", text):
        raise ValueError(f"{text!r}: keine http(s)-URL / no http(s) URL")
    return text


@dataclass
class ProjectDraft:
    """The answers for one new project."""

    key: str
    label_de: str
    label_en: str
    sources: list[str]
    description_de: str = ""
    description_en: str = ""
    municipalities: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    status: str = ""
    start: tuple[str, str] | None = None
    end: tuple[str, str] | None = None
    lead: list[str] = field(default_factory=list)
    programme: str = ""
    amount: str | None = None
    funding_year: str = ""


def project_yaml(draft: ProjectDraft, today: dt.date) -> str:
    """The curated YAML-LD file of a draft (keys of ``ontology/context.jsonld``)."""
    entity: dict[str, object] = {"id": f"project/{draft.key}", "type": "Project",
                                 "label": {"de": draft.label_de, "en": draft.label_en}}
    descriptions = {lang: text for lang, text in (("de", draft.description_de),
                                                  ("en", draft.description_en)) if text}
    if descriptions:
        entity["description"] = descriptions
    for key, values in (("municipality", draft.municipalities), ("district", draft.districts),
                        ("leadOrganisation", draft.lead), ("fieldOfAction", draft.fields)):
        if values:
            entity[key] = list(values)
    for prefix, when in (("start", draft.start), ("end", draft.end)):
        if when:
            entity[prefix + when[0]] = when[1]
    if draft.status:
        entity["status"] = draft.status
    if draft.programme:
        funding: dict[str, object] = {
            "id": f"funding/{draft.key}", "type": "Funding",
            "label": {"de": f"Förderung für {draft.label_de}",
                      "en": f"Funding for {draft.label_en}"},
            "programme": draft.programme,
        }
        if draft.amount:
            funding["amount"] = draft.amount
        if draft.funding_year:
            funding["fundingYear"] = draft.funding_year
        funding["source"] = list(draft.sources)
        entity["funding"] = [funding]
    entity["source"] = list(draft.sources)
    header = (f"# {draft.label_de}: written with `smartregion new project` on "
              f"{today.isoformat()}.\n"
              "# Every fact must be on one of the source pages; check them before loading.\n")
    body = yaml.safe_dump(entity, allow_unicode=True, sort_keys=False, width=100)
    return header + body


def project_path(folder: Path, key: str) -> Path:
    """Where the file of project ``key`` goes."""
    if not KEY_PATTERN.match(key):
        raise ValueError(f"{key!r}: als Kennung nur Buchstaben, Ziffern, '-', '_', '.' / "
                         "a key has only letters, digits, '-', '_', '.'")
    return folder / f"{key}.yaml"


# -- the dialogue ------------------------------------------------------------------------------
def _pick_listed(options: list[Choice], answer: str) -> list[Choice]:
    """The options named by numbers ("1, 3") in ``answer``; ``ValueError`` for a bad number."""
    picked = []
    for part in re.split(r"[,\s]+", answer.strip()):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= len(options):
            raise ValueError(f"{part!r}: keine der Nummern / not one of the numbers "
                             f"1–{len(options)}")
        picked.append(options[int(part) - 1])
    return picked


def _ask_valid(ask: Ask, say: Say, question: str, default: str,
               check: Callable[[str], object]) -> str:
    while True:
        answer = ask(question, default)
        try:
            check(answer)
        except ValueError as exc:
            say(f"  ✗ {exc}")
            continue
        return answer


def _search_loop(ask: Ask, say: Say, choices: list[Choice], question: str) -> list[str]:
    """Search by name, pick by number, until the answer is empty; the chosen refs."""
    chosen: list[str] = []
    while True:
        text = ask(question, "")
        if not text.strip():
            return chosen
        hits = search(choices, text)[:15]
        if not hits:
            say(f"  Nichts gefunden für „{text}“ / nothing found.")
            continue
        for number, hit in enumerate(hits, start=1):
            say(f"  {number}) {hit.shown()}")
        answer = _ask_valid(ask, say, "  Nummer(n) / number(s)", "1" if len(hits) == 1 else "",
                            lambda a, hits=hits: _pick_listed(hits, a))  # type: ignore[misc]
        for hit in _pick_listed(hits, answer):
            if hit.ref not in chosen:
                chosen.append(hit.ref)
                say(f"  + {hit.name}")


def _list_pick(ask: Ask, say: Say, choices: list[Choice], question: str,
               required: bool) -> list[str]:
    for number, choice in enumerate(choices, start=1):
        say(f"  {number}) {choice.shown()}")

    def check(answer: str) -> None:
        if required and not _pick_listed(choices, answer):
            raise ValueError("mindestens eine Nummer / at least one number")
        _pick_listed(choices, answer)

    return [c.ref for c in _pick_listed(choices, _ask_valid(ask, say, question, "", check))]


def ask_project(choices: Choices, ask: Ask, say: Say, taken: Callable[[str], bool]) -> ProjectDraft:
    """Ask for a new project, answer by answer; ``taken(key)`` says whether a key is in use."""
    say("Neues Projekt / new project. Leere Antwort = keine Angabe / empty answer = none.")
    label_de = _ask_valid(ask, say, "Name (Deutsch)", "",
                          lambda a: None if a.strip() else _fail("Name fehlt / name missing"))
    label_en = ask("Name (English)", label_de).strip() or label_de
    description_de = ask("Kurzbeschreibung (Deutsch)", "").strip()
    description_en = ask("Short description (English)", "").strip()
    say("Kommunen (Suche nach Name oder AGS) / municipalities (search by name or AGS):")
    municipalities = _search_loop(ask, say, choices.municipalities, "Kommune suchen / search")
    say("Kreise (für Projekte eines Landkreises) / districts (for a district's project):")
    districts = _search_loop(ask, say, choices.districts, "Kreis suchen / search")
    if not municipalities and not districts:
        say("  Hinweis: ohne Kommune oder Kreis erscheint das Projekt in keinem Kreis.")
    say("Handlungsfelder / fields of action:")
    fields = _list_pick(ask, say, choices.fields, "Nummern, mit Komma / numbers", required=True)
    say("Status (leer = unbekannt / empty = unknown):")
    status = _list_pick(ask, say, choices.statuses, "Nummer / number", required=False)[:1]
    start = parse_when(_ask_valid(ask, say, "Beginn / start (JJJJ oder JJJJ-MM-TT)", "",
                                  parse_when))
    end = parse_when(_ask_valid(ask, say, "Ende / end (JJJJ oder JJJJ-MM-TT)", "", parse_when))
    say("Federführung (Organisation oder Gebietskörperschaft) / lead organisation:")
    lead = _search_loop(ask, say, choices.agents, "Organisation suchen / search")
    say("Förderprogramm (leer = keins) / funding programme (empty = none):")
    programme = _list_pick(ask, say, choices.programmes, "Nummer / number", required=False)[:1]
    amount, funding_year = None, ""
    if programme:
        amount = parse_amount(_ask_valid(ask, say, "Förderbetrag in € / amount in €", "",
                                         parse_amount))
        funding_year = _ask_valid(ask, say, "Förderjahr / funding year (JJJJ)", "",
                                  lambda a: None if not a or YEAR.match(a) else _fail("JJJJ"))
    say("Quellen: jede Angabe muss auf einer dieser Seiten stehen / sources: every fact must be "
        "on one of these pages.")
    sources: list[str] = []
    while True:
        answer = _ask_valid(ask, say, "Quelle / source URL (leer = fertig / empty = done)", "",
                            lambda a: a.strip() == "" or parse_url(a))
        if not answer.strip():
            if sources:
                break
            say("  ✗ mindestens eine Quelle / at least one source")
            continue
        sources.append(parse_url(answer))
    key = _ask_valid(ask, say, "Kennung für die URI / key of the URI", slug(label_de),
                     lambda a: _fail(f"{a} ist vergeben / is taken") if taken(a) else project_path(
                         Path("."), a))
    return ProjectDraft(
        key=key, label_de=label_de.strip(), label_en=label_en, sources=sources,
        description_de=description_de, description_en=description_en,
        municipalities=municipalities, districts=districts, fields=fields,
        status=status[0] if status else "", start=start, end=end, lead=lead,
        programme=programme[0] if programme else "", amount=amount, funding_year=funding_year,
    )


def _fail(message: str) -> None:
    raise ValueError(message)
