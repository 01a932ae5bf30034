"""What each listing shows: its queries, filters and columns, and what one row of its query
means as a record (for the HTML table, CSV, JSON) and as RDF statements (for JSON-LD and
Turtle). One definition per listing, so every representation shows the same rows.

A record holds the thing (IRI and name) and one value per column: a link (IRI and name) or a
literal. Columns without a property of their own in the data (a count, say) are in the
tables and JSON but not in the RDF.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Identifier, Node

from endpoint.listings import MUNICIPALITY_FILTERS, PROJECT_FILTERS, FilterSpec, row_label
from endpoint.ontology import Vocabulary
from smartregion.namespaces import SCHEMA, SRH
from smartregion.store.backend import Row

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Value:
    """One cell: text as shown, and the IRI it links to or the literal it is."""

    text: str
    iri: str | None = None
    lang: str | None = None
    literal: Literal | None = None


@dataclass
class Record:
    """One row of a listing: the thing, its name and the value of each column."""

    iri: str
    name: str
    name_lang: str | None
    values: dict[str, Value | None] = field(default_factory=dict)
    triples: list[Triple] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    """A column of the data (CSV header, JSON key) and whether its values link somewhere."""

    key: str
    link: bool = False


@dataclass(frozen=True)
class ListingKind:
    """One listing: path, title, queries, filters, columns and the row → record mapping."""

    name: str
    title_key: str
    list_query: str
    filters: tuple[FilterSpec, ...]
    columns: tuple[Column, ...]
    record: Callable[[Row, Vocabulary, str], Record]
    table: tuple[tuple[str, tuple[str, ...]], ...]
    """The HTML table after the name: (UI string key, the columns shown in that cell)."""

    @property
    def path(self) -> str:
        """The listing's URL path."""
        return f"/{self.name}"


def _names(row: Row, prefix: str = "label") -> Iterable[Literal]:
    for column, code in (("De", "de"), ("En", "en")):
        value = row.get(prefix + column)
        if value is not None:
            yield Literal(str(value), lang=code)


def _base(row: Row, lang: str, kind: URIRef | None) -> Record:
    iri = str(row["item"])
    label = row_label(row, lang)
    record = Record(iri, label[0] if label else iri.rstrip("/").rsplit("/", 1)[-1],
                    (label[1] or None) if label else None)
    subject = URIRef(iri)
    if kind is not None:
        record.triples.append((subject, RDF.type, kind))
    for name in _names(row):
        record.triples.append((subject, SKOS.prefLabel, name))
    if row.get("labelDe") is None and row.get("labelEn") is None and row.get("labelAny"):
        record.triples.append((subject, SKOS.prefLabel, Literal(str(row["labelAny"]))))
    return record


def _concept(vocab: Vocabulary, iri: Identifier | None, lang: str) -> Value | None:
    if iri is None:
        return None
    found = vocab.label(str(iri), lang)
    return Value(found[0] if found else str(iri), str(iri), found[1] if found else None)


def _year(value: Identifier | None) -> Value | None:
    if value is None:
        return None
    return Value(str(value), literal=Literal(str(value), datatype=XSD.gYear))


def project_record(row: Row, vocab: Vocabulary, lang: str) -> Record:
    """A project: status (concept), first and last year it runs in."""
    record = _base(row, lang, SRH.SmartRegionProject)
    subject = URIRef(record.iri)
    state = _concept(vocab, row.get("state"), lang)
    start, end = _year(row.get("start")), _year(row.get("end"))
    record.values = {"status": state, "start": start, "end": end}
    if state is not None and state.iri:
        record.triples.append((subject, SRH.status, URIRef(state.iri)))
    for prop, value in ((SRH.startYear, start), (SRH.endYear, end)):
        if value is not None and value.literal is not None:
            record.triples.append((subject, prop, value.literal))
    return record


def municipality_record(row: Row, vocab: Vocabulary, lang: str) -> Record:
    """A municipality: its Kreis and how many projects name it."""
    del vocab
    record = _base(row, lang, SRH.Municipality)
    kreis = row.get("kreis")
    district = None
    if kreis is not None:
        name = row.get("kreisName")
        district = Value(str(name) if name else str(kreis), str(kreis), "de" if name else None)
        record.triples.append((URIRef(record.iri), SCHEMA.containedInPlace, URIRef(str(kreis))))
    count = row.get("projects")
    record.values = {"district": district, "projects": Value(
        str(count) if count is not None else "0",
        literal=Literal(int(str(count)) if count is not None else 0))}
    return record


def organisation_record(row: Row, vocab: Vocabulary, lang: str) -> Record:
    """An organisation: its most specific type and its seat."""
    kind = row.get("type")
    record = _base(row, lang, URIRef(str(kind)) if kind is not None else None)
    location = None
    if row.get("location") is not None:
        name = row.get("locationName")
        location = Value(str(name) if name else str(row["location"]), str(row["location"]),
                         "de" if name else None)
        record.triples.append((URIRef(record.iri), SCHEMA.location,
                               URIRef(str(row["location"]))))
    record.values = {"type": _concept(vocab, kind, lang), "location": location}
    return record


def event_record(row: Row, vocab: Vocabulary, lang: str) -> Record:
    """An event: its date (or year) and its place."""
    del vocab
    record = _base(row, lang, SRH.Event)
    subject = URIRef(record.iri)
    when = row.get("when")
    date = None
    if isinstance(when, Literal):
        date = Value(str(when), literal=when)
        prop = SRH.year if when.datatype == XSD.gYear else SCHEMA.startDate
        record.triples.append((subject, prop, when))
    place = row_label(row, lang, prefix="where")
    for name in _names(row, "where"):
        record.triples.append((subject, SRH.placeName, name))
    record.values = {"date": date,
                     "place": Value(place[0], lang=place[1] or None) if place else None}
    return record


PROJECTS = ListingKind(
    "projects", "nav_projects", "projects_list", PROJECT_FILTERS,
    (Column("status", link=True), Column("start"), Column("end")), project_record,
    (("status", ("status",)), ("year", ("start", "end"))))
MUNICIPALITIES = ListingKind(
    "municipalities", "nav_municipalities", "municipalities_list",
    MUNICIPALITY_FILTERS, (Column("district", link=True), Column("projects")),
    municipality_record, (("district", ("district",)), ("count_projects", ("projects",))))
ORGANISATIONS = ListingKind(
    "organisations", "nav_organisations", "organisations_list", (),
    (Column("type", link=True), Column("location", link=True)), organisation_record,
    (("types", ("type",)), ("location", ("location",))))
EVENTS = ListingKind(
    "events", "nav_events", "events_list", (),
    (Column("date"), Column("place")), event_record, (("date", ("date",)), ("place", ("place",))))
LISTINGS: dict[str, ListingKind] = {k.name: k for k in (PROJECTS, MUNICIPALITIES,
                                                         ORGANISATIONS, EVENTS)}
