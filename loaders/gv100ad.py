"""Destatis GV100AD: the official register of Germany's administrative areas, read from its
fixed-width file and published as Länder, Regierungsbezirke, Kreise and Gemeinden.

``smartregion load gv100ad --source PATH_OR_URL [--land 06|…|all]`` reads the
"Gemeindeverzeichnis – administrative Gebietsgliederung" that Destatis publishes quarterly,
as the plain text file or as the ZIP archive holding it, from a path or an http(s) URL.
Every line is one record of 220 characters, UTF-8 (Destatis used ISO-8859-1 before 2019;
such files are rejected with a hint to convert them). The field table is in
``shared/reference-data/SOURCES.md``.

Published into ``{base}graph/gv100ad``, for one Land (default ``06``, Hessen) or all:

- Satzart 10 → ``srh:Land`` ``/id/state/{2}``
- Satzart 20 → ``srh:GovernmentDistrict`` ``/id/government-district/{3}``
- Satzart 40 → ``srh:District`` plus ``srh:DistrictFreeCity`` (Textkennzeichen 41, 42) or
  ``srh:RuralDistrict`` (43, 44, 45), ``/id/district/{5}``
- Satzart 60 → ``srh:Municipality`` ``/id/municipality/{AGS}`` (Textkennzeichen 60-64, 67)

Read and checked (keys, duplicates, parent records) but not published: Satzart 30 (Regionen,
Baden-Württemberg only), Satzart 50 (Gemeindeverbände) and the gemeindefreie Gebiete
(Satzart 60 with Textkennzeichen 65/66): they are not Gemeinden, and the platform has no URI
kind for them yet (the ontology's ``srh:UnincorporatedArea`` would be their class).
Gemeindeverbände and gemeindefreie Gebiete directly under a Land (Kreis key ``000`` without
a Kreis record: coastal waters, the German-Luxembourg condominium) are accepted as such;
a Gemeinde always needs its Kreis record.

Rules of the mapping:

- Labels: the official name is ``skos:prefLabel@de``; the *short name* is the text before the
  first ``", "`` ("Darmstadt, Wissenschaftsstadt" → "Darmstadt"), published as
  ``skos:altLabel@de`` when it differs ("Ebstorf,Klosterflecken" has no ", " and stays whole).
- Merging with curated data: the same key gives the same IRI, so a curated municipality and
  the GV100AD one are one resource in the union of all graphs; each source keeps its own graph.
  Where a property allows one value (one ``skos:prefLabel`` per language, one area type, one
  containing area), both sources must state the *same* value. Curated files therefore carry
  the official GV100AD name as label (or no label at all). If they disagree — e.g. after
  Destatis renamed a Gemeinde — SHACL reports the entity and nothing is published until the
  curated file is corrected; this loader never publishes a second, conflicting label.
- NUTS: the file has no NUTS codes. ``skos:exactMatch`` links to NUTS are published only for
  Hessen, from the table :data:`HESSEN_NUTS`; other Länder get none rather than a guess.
- Population (``srh:population``), area (``srh:areaHectares``) and postcode (``srh:postcode``,
  a sub-property of ``schema:postalCode``, with ``srh:multiplePostcodes``) exist only for
  Gemeinden; Land, Regierungsbezirk and Kreis carry the seat (``srh:seatName@de``).
  The file gives no reference date for the population; the dataset record says so. The
  Gebietsstand (positions 3-10) is ``srh:territorialStatusDate`` of every entity and the
  ``dct:temporal`` of the dataset.

Errors name the file (``archive.zip!member.txt`` for a ZIP), the line and the rule. Format
errors (encoding, record length, record type, non-numeric fields, dates) exit with code 2;
broken content rules (duplicate keys, missing parent records, unknown Textkennzeichen, mixed
Gebietsstand) with code 1. Either way nothing is published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from loaders.curated import display_path
from loaders.source import Progress, Source, SourceError, SourceGraph, no_progress
from smartregion import __version__
from smartregion.namespaces import (
    DCAT,
    DCTERMS,
    GEOCODING,
    NUTS,
    RDF,
    SCHEMA,
    SCHEME,
    SKOS,
    SRH,
    XSD,
)
from smartregion.settings import Settings
from smartregion.uris import graph_uri, thing_uri

NAME = "gv100ad"
RECORD_LENGTH = 220
MAX_INPUT_BYTES = 64 * 1024 * 1024  # the all-Germany file is 3.5 MB; refuse anything absurd
DOWNLOAD_TIMEOUT = (10.0, 60.0)  # seconds: connect, between bytes
DESTATIS = URIRef(
    "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/_inhalt.html"
)
LICENCE = URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
LANDS = tuple(f"{n:02d}" for n in range(1, 17))

# NUTS codes of Hessen (NUTS-1 Land, NUTS-2 Regierungsbezirke, NUTS-3 Kreise), from
# shared/reference-data/DOMAIN-FACTS.md 3.2/3.3: the NUTS 2006 table in
# https://github.com/jkazemifard/gitted.geoserver.demo/blob/2aeba5e36533cb48979e7eddb9e4fefef47495be/postgis/table.info_nuts2006.data.sql
# cross-checked with https://gist.github.com/klischka/39c1ff3606859abcffae018cffc1b7b5 ;
# the Hessian units have not changed in the NUTS revisions since (Eurostat NUTS:
# https://ec.europa.eu/eurostat/de/web/nuts/linked-open-data). Keys: 2, 3 or 5 digits.
HESSEN_NUTS: dict[str, str] = {
    "06": "DE7",
    "064": "DE71", "065": "DE72", "066": "DE73",
    "06411": "DE711", "06412": "DE712", "06413": "DE713", "06414": "DE714",
    "06431": "DE715", "06432": "DE716", "06433": "DE717", "06434": "DE718",
    "06435": "DE719", "06436": "DE71A", "06437": "DE71B", "06438": "DE71C",
    "06439": "DE71D", "06440": "DE71E",
    "06531": "DE721", "06532": "DE722", "06533": "DE723", "06534": "DE724", "06535": "DE725",
    "06611": "DE731", "06631": "DE732", "06632": "DE733", "06633": "DE734",
    "06634": "DE735", "06635": "DE736", "06636": "DE737",
}
NUTS_SOURCES = {
    2: (URIRef("https://ec.europa.eu/eurostat/de/web/nuts/linked-open-data"),),
    3: (URIRef("https://github.com/jkazemifard/gitted.geoserver.demo/blob/"
               "2aeba5e36533cb48979e7eddb9e4fefef47495be/postgis/table.info_nuts2006.data.sql"),),
    5: (URIRef("https://github.com/jkazemifard/gitted.geoserver.demo/blob/"
               "2aeba5e36533cb48979e7eddb9e4fefef47495be/postgis/table.info_nuts2006.data.sql"),
        URIRef("https://gist.github.com/klischka/39c1ff3606859abcffae018cffc1b7b5")),
}

DISTRICT_TYPES = {"41": "free", "42": "free", "43": "rural", "44": "rural", "45": "rural"}
ASSOCIATION_TYPES = frozenset(str(n) for n in range(50, 59))
MUNICIPALITY_TYPES = frozenset({"60", "61", "62", "63", "64", "67"})
UNINCORPORATED_TYPES = frozenset({"65", "66"})
RECORD_TYPES = {"10": "Land", "20": "Regierungsbezirk", "30": "Region", "40": "Kreis",
                "50": "Gemeindeverband", "60": "Gemeinde"}
MEMBER_NAME = re.compile(r"gv100ad.*\.(txt|asc)$", re.IGNORECASE)


@dataclass(frozen=True)
class Record:
    """One GV100AD line. Keys are digit strings ('' where the record type has none)."""

    where: str
    kind: str
    status: dt.date
    land: str
    rb: str
    kreis: str
    gemeinde: str
    verband: str
    name: str
    seat: str
    type_code: str
    area_ha: int | None = None
    population: int | None = None
    postcode: str | None = None
    several_postcodes: bool = False

    @property
    def key(self) -> str:
        """The record's own key: Land 2, RB 3, Region 4, Kreis 5, Verband 9, Gemeinde 8 digits."""
        if self.kind == "50":
            return self.land + self.rb + self.kreis + self.verband
        return self.land + self.rb + self.kreis + self.gemeinde

    @property
    def ars(self) -> str:
        """Amtlicher Regionalschlüssel: Land, RB, Kreis, Gemeindeverband, Gemeinde (12 digits)."""
        return self.land + self.rb + self.kreis + self.verband + self.gemeinde


@dataclass
class Register:
    """All records of one file, by kind and key, checked for consistency."""

    status: dt.date
    lands: dict[str, Record] = field(default_factory=dict)
    government_districts: dict[str, Record] = field(default_factory=dict)
    regions: dict[str, Record] = field(default_factory=dict)
    districts: dict[str, Record] = field(default_factory=dict)
    associations: dict[str, Record] = field(default_factory=dict)
    municipalities: dict[str, Record] = field(default_factory=dict)

    def table(self, kind: str) -> dict[str, Record]:
        """The records of one Satzart by key."""
        return {
            "10": self.lands, "20": self.government_districts, "30": self.regions,
            "40": self.districts, "50": self.associations, "60": self.municipalities,
        }[kind]


def short_name(name: str) -> str:
    """The name without its official suffix: the text before the first ``", "``.

    >>> short_name("Darmstadt, Wissenschaftsstadt")
    'Darmstadt'
    >>> short_name("Friedberg (Hessen), Kreisstadt")
    'Friedberg (Hessen)'
    >>> short_name("Bergstraße")
    'Bergstraße'
    """
    return name.split(", ", 1)[0]


# -- reading --------------------------------------------------------------------------------
def read_input(location: str, settings: Settings, progress: Progress = no_progress) -> bytes:
    """The bytes of a local file or an http(s) URL (streamed, size-capped)."""
    if location.startswith(("http://", "https://")):
        return _download(location, settings, progress)
    path = Path(location)
    if not path.is_file():
        raise SourceError(location, "input", "no such file", 2)
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise SourceError(location, "input-size", f"larger than {MAX_INPUT_BYTES} bytes", 2)
    return path.read_bytes()


def _download(url: str, settings: Settings, progress: Progress) -> bytes:
    agent = f"smartregion/{__version__} (+{settings.base_uri})"
    try:
        with requests.get(
            url, stream=True, timeout=DOWNLOAD_TIMEOUT, headers={"User-Agent": agent}
        ) as response:
            if response.status_code != 200:
                raise SourceError(
                    url, "download", f"HTTP {response.status_code} {response.reason}", 2
                )
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is None:
                progress("download gv100ad (size unknown)", 0, None)
            chunks: list[bytes] = []
            done = 0
            for chunk in response.iter_content(chunk_size=1 << 16):
                done += len(chunk)
                if done > MAX_INPUT_BYTES:
                    raise SourceError(url, "input-size", f"larger than {MAX_INPUT_BYTES} bytes", 2)
                chunks.append(chunk)
                if total:
                    progress("download gv100ad (bytes)", min(done, total), total)
            return b"".join(chunks)
    except requests.RequestException as exc:
        raise SourceError(url, "download", f"cannot download: {exc}", 2) from exc


def unpack(data: bytes, location: str) -> tuple[bytes, str]:
    """The GV100AD text inside a ZIP archive (with ``archive!member`` as location), or ``data``."""
    if not data.startswith(b"PK\x03\x04"):
        return data, location
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [i for i in archive.infolist() if not i.is_dir()]
            found = [i for i in files if MEMBER_NAME.search(i.filename)] or [
                i for i in files if i.filename.lower().endswith(".txt")
            ]
            if len(found) != 1:
                names = ", ".join(i.filename for i in files) or "nothing"
                raise SourceError(
                    location, "zip-member",
                    f"the archive must hold exactly one GV100AD text file; it holds {names}", 2,
                )
            if found[0].file_size > MAX_INPUT_BYTES:
                raise SourceError(location, "input-size", f"{found[0].filename} is too large", 2)
            return archive.read(found[0]), f"{location}!{found[0].filename}"
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise SourceError(location, "zip", f"not a readable ZIP archive: {exc}", 2) from exc


def decode(data: bytes, location: str) -> str:
    """The text of the file; anything but UTF-8 is rejected with a hint."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{location}:{line}", "utf-8",
            f"not UTF-8 (byte 0x{data[exc.start]:02x}). GV100AD files before 2019 are "
            "ISO-8859-1: convert them first, e.g. 'iconv -f ISO-8859-1 -t UTF-8'", 2,
        ) from exc


def parse(text: str, location: str, progress: Progress = no_progress) -> list[Record]:
    """Every record of the file, in order (LF or CRLF line ends)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records = []
    for number, line in enumerate(lines, 1):
        records.append(parse_record(line.removesuffix("\r"), f"{location}:{number}"))
        if number % 2000 == 0 or number == len(lines):
            progress("read gv100ad (lines)", number, len(lines))
    return records


def _digits(line: str, start: int, end: int, what: str, where: str) -> str:
    value = line[start - 1 : end]
    if not (value.isascii() and value.isdigit()):
        raise SourceError(
            where, "numeric-field",
            f"{what} (positions {start}-{end}) must be {end - start + 1} digits, not {value!r}", 2,
        )
    return value


def _blank(line: str, start: int, end: int, what: str, where: str) -> None:
    value = line[start - 1 : end]
    if value.strip():
        raise SourceError(
            where, "blank-field",
            f"{what} (positions {start}-{end}) must be blank, not {value!r}", 2,
        )


def parse_record(line: str, where: str) -> Record:
    """One 220-character record; raises :class:`SourceError` naming ``where`` and the rule."""
    if len(line) != RECORD_LENGTH:
        raise SourceError(
            where, "record-length",
            f"a record has {RECORD_LENGTH} characters, this line {len(line)}", 2,
        )
    kind = line[0:2]
    if kind not in RECORD_TYPES:
        known = ", ".join(f"{k} {v}" for k, v in RECORD_TYPES.items())
        raise SourceError(where, "record-type", f"unknown Satzart {kind!r} (known: {known})", 2)
    stamp = _digits(line, 3, 10, "Gebietsstand", where)
    try:
        status = dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError as exc:
        raise SourceError(
            where, "date", f"Gebietsstand {stamp!r} is no date (YYYYMMDD)", 2
        ) from exc
    land = _digits(line, 11, 12, "Land", where)
    rb = kreis = gemeinde = verband = ""
    if kind == "10":
        _blank(line, 13, 22, "keys below the Land", where)
    else:
        rb = _digits(line, 13, 13, "Regierungsbezirk", where)
    if kind == "20":
        _blank(line, 14, 22, "keys below the Regierungsbezirk", where)
    if kind == "30":
        kreis = _digits(line, 14, 14, "Region", where)
        _blank(line, 15, 22, "keys below the Region", where)
    if kind in ("40", "50", "60"):
        kreis = _digits(line, 14, 15, "Kreis", where)
    if kind == "40":
        _blank(line, 16, 22, "keys below the Kreis", where)
    if kind == "50":
        _blank(line, 16, 18, "Gemeinde", where)
    if kind in ("50", "60"):
        verband = _digits(line, 19, 22, "Gemeindeverband", where)
    if kind == "60":
        gemeinde = _digits(line, 16, 18, "Gemeinde", where)
    name = line[22:72].strip()
    if not name:
        raise SourceError(where, "required-name", "the name (positions 23-72) is blank")
    record = Record(where, kind, status, land, rb, kreis, gemeinde, verband, name,
                    line[72:122].strip(), line[122:124].strip())
    allowed = {"40": DISTRICT_TYPES.keys(), "50": ASSOCIATION_TYPES,
               "60": MUNICIPALITY_TYPES | UNINCORPORATED_TYPES}.get(kind)
    if allowed is not None and record.type_code not in allowed:
        raise SourceError(
            where, "type-code", f"Textkennzeichen {record.type_code!r} is not one of "
            f"{', '.join(sorted(allowed))} for Satzart {kind} ({RECORD_TYPES[kind]})",
        )
    if kind != "60":
        return record
    postcode = line[165:170]
    if postcode.strip():
        _digits(line, 166, 170, "Postleitzahl", where)
    several = line[170:175]
    if several.strip() and several != "*****":
        raise SourceError(
            where, "postcode-flag",
            f"positions 171-175 must be blank or '*****', not {several!r}", 2,
        )
    return replace(
        record,
        area_ha=int(_digits(line, 129, 139, "Fläche in ha", where)),
        population=int(_digits(line, 140, 150, "Einwohnerzahl", where)),
        postcode=postcode if postcode.strip() else None,
        several_postcodes=several == "*****",
    )


def check(records: Sequence[Record], location: str) -> Register:
    """The records by kind and key; rejects duplicates, missing parents, mixed Gebietsstand."""
    if not records:
        raise SourceError(location, "empty", "the file holds no records", 2)
    register = Register(status=records[0].status)
    for record in records:
        if record.status != register.status:
            raise SourceError(
                record.where, "territorial-status",
                f"Gebietsstand {record.status:%d.%m.%Y} differs from {register.status:%d.%m.%Y} "
                f"of the first record",
            )
        table = register.table(record.kind)
        if record.key in table:
            what = "AGS" if record.kind == "60" else f"{RECORD_TYPES[record.kind]} key"
            raise SourceError(
                record.where, "duplicate-key",
                f"{what} {record.key} ({record.name}) is already defined at "
                f"{table[record.key].where}",
            )
        table[record.key] = record
    for record in records:
        for kind, key in _parents(record):
            if key not in register.table(kind):
                raise SourceError(
                    record.where, "missing-parent",
                    f"{RECORD_TYPES[record.kind]} {record.key} ({record.name}): the file has no "
                    f"{RECORD_TYPES[kind]} record {key}",
                )
    return register


def _parents(record: Record) -> list[tuple[str, str]]:
    land, rb = record.land, record.land + record.rb
    district = rb + record.kreis
    if record.kind == "20":
        return [("10", land)]
    if record.kind == "30":
        return [("20", rb)]
    if record.kind == "40":
        return [("20", rb)] if record.rb != "0" else [("10", land)]
    # Areas directly under a Land (Kreis key "000" without a Kreis record: coastal waters,
    # the German-Luxembourg condominium) are Gemeindeverbände and gemeindefreie Gebiete only.
    above = [("10", land)] if district == land + "000" else [("40", district)]
    if record.kind == "50":
        return above
    if record.kind == "60":
        if record.type_code in UNINCORPORATED_TYPES:
            return [*above, ("50", district + record.verband)]
        return [("40", district), ("50", district + record.verband)]
    return []


# -- mapping to RDF ---------------------------------------------------------------------------
class _Mapper:
    """Builds the graph of the selected records and remembers the line of every entity."""

    def __init__(self, base_uri: str, register: Register) -> None:
        self.base = base_uri
        self.graph = Graph()
        self.origins: dict[Node, str] = {}
        self.status = Literal(register.status.isoformat(), datatype=XSD.date)

    def uri(self, kind: str, key: str) -> URIRef:
        return URIRef(thing_uri(self.base, kind, key))

    def area(self, node: URIRef, record: Record, classes: Iterable[URIRef]) -> None:
        add = self.graph.add
        self.origins[node] = record.where
        for cls in classes:
            add((node, RDF.type, cls))
        add((node, SKOS.prefLabel, Literal(record.name, lang="de")))
        short = short_name(record.name)
        if short != record.name:
            add((node, SKOS.altLabel, Literal(short, lang="de")))
        if record.seat:
            add((node, SRH.seatName, Literal(record.seat, lang="de")))
        add((node, SRH.territorialStatusDate, self.status))
        add((node, DCTERMS.source, DESTATIS))
        nuts = HESSEN_NUTS.get(record.key)
        if nuts is not None:
            add((node, SKOS.exactMatch, NUTS[nuts]))
            for source in NUTS_SOURCES[len(record.key)]:
                add((node, DCTERMS.source, source))

    def land(self, r: Record) -> None:
        node = self.uri("state", r.land)
        self.area(node, r, [SRH.Land])
        self.graph.add((node, SRH.stateKey, Literal(r.land)))
        self.graph.add((node, SRH.politicalGeocoding, GEOCODING[f"stateKey/{r.land}"]))

    def government_district(self, r: Record) -> None:
        node = self.uri("government-district", r.key)
        self.area(node, r, [SRH.GovernmentDistrict])
        self.graph.add((node, SRH.governmentDistrictKey, Literal(r.key)))
        self.graph.add((node, SCHEMA.containedInPlace, self.uri("state", r.land)))
        self.graph.add((node, SRH.politicalGeocoding, GEOCODING[f"governmentDistrictKey/{r.key}"]))

    def district(self, r: Record) -> None:
        node = self.uri("district", r.key)
        free = DISTRICT_TYPES[r.type_code] == "free"
        self.area(node, r, [SRH.District, SRH.DistrictFreeCity if free else SRH.RuralDistrict])
        parent = (self.uri("government-district", r.land + r.rb) if r.rb != "0"
                  else self.uri("state", r.land))
        add = self.graph.add
        add((node, SRH.districtKey, Literal(r.key)))
        add((node, SRH.areaType, SCHEME[f"municipality-type/{r.type_code}"]))
        add((node, SCHEMA.containedInPlace, parent))
        add((node, SRH.politicalGeocoding, GEOCODING[f"districtKey/{r.key}"]))

    def municipality(self, r: Record) -> None:
        node = self.uri("municipality", r.key)
        self.area(node, r, [SRH.Municipality])
        add = self.graph.add
        add((node, SRH.ags, Literal(r.key)))
        add((node, SRH.ars, Literal(r.ars)))
        add((node, SRH.areaType, SCHEME[f"municipality-type/{r.type_code}"]))
        add((node, SRH.areaHectares, Literal(str(r.area_ha), datatype=XSD.decimal)))
        add((node, SRH.population, Literal(str(r.population), datatype=XSD.nonNegativeInteger)))
        if r.postcode:
            add((node, SRH.postcode, Literal(r.postcode)))
            add((node, SRH.multiplePostcodes, Literal(r.several_postcodes)))
        add((node, SCHEMA.containedInPlace, self.uri("district", r.land + r.rb + r.kreis)))
        add((node, SRH.politicalGeocoding, GEOCODING[f"municipalityKey/{r.key}"]))
        add((node, SRH.politicalGeocoding, GEOCODING[f"regionalKey/{r.ars}"]))


def to_graph(
    register: Register, base_uri: str, land: str = "06", progress: Progress = no_progress
) -> tuple[Graph, dict[Node, str]]:
    """The RDF of one Land (or ``"all"``) and the ``file:line`` of every entity."""
    mapper = _Mapper(base_uri, register)

    def selected(table: dict[str, Record]) -> list[Record]:
        return [r for r in table.values() if land == "all" or r.land == land]

    for record in selected(register.lands):
        mapper.land(record)
    for record in selected(register.government_districts):
        mapper.government_district(record)
    for record in selected(register.districts):
        mapper.district(record)
    municipalities = [r for r in selected(register.municipalities)
                      if r.type_code in MUNICIPALITY_TYPES]
    for done, record in enumerate(municipalities, 1):
        mapper.municipality(record)
        if done % 2000 == 0 or done == len(municipalities):
            progress("map gv100ad (Gemeinden)", done, len(municipalities))
    return mapper.graph, mapper.origins


def dataset_record(base_uri: str, status: dt.date) -> Graph:
    """Extra triples for the load record: Gebietsstand as ``dct:temporal``, population note."""
    dataset = URIRef(graph_uri(base_uri, NAME))
    period = URIRef(graph_uri(base_uri, NAME) + "#temporal")
    day = Literal(status.isoformat(), datatype=XSD.date)
    g = Graph()
    g.add((dataset, DCTERMS.temporal, period))
    g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    g.add((period, DCAT.startDate, day))
    g.add((period, DCAT.endDate, day))
    g.add((dataset, DCTERMS.source, DESTATIS))
    g.add((dataset, DCTERMS.description, Literal(
        f"Verwaltungsgliederung nach dem Gemeindeverzeichnis GV100AD von Destatis, Gebietsstand "
        f"{status:%d.%m.%Y}. Die Einwohnerzahlen (srh:population) stammen aus derselben Datei; "
        "sie nennt keinen Stichtag der Bevölkerungszahl.", lang="de")))
    g.add((dataset, DCTERMS.description, Literal(
        f"Administrative areas from the Destatis municipality register GV100AD, territorial "
        f"status {status:%Y-%m-%d}. The population figures (srh:population) come from the same "
        "file, which gives no reference date for them.", lang="en")))
    return g


def attribution(status: dt.date) -> str:
    """The attribution dl-de/by-2-0 asks for, naming the Gebietsstand and the change."""
    return (
        f"Quelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD, Gebietsstand "
        f"{status:%d.%m.%Y}; Datenlizenz Deutschland – Namensnennung – Version 2.0; "
        "verändert "
        "(in RDF umgewandelt)"
    )


# -- the source -------------------------------------------------------------------------------
class GV100ADSource:
    """The GV100AD file (path or URL) of one Land (``"06"``) or of all (``"all"``)."""

    name = NAME
    loader_version = __version__

    def __init__(self, location: str | None = None, land: str = "06") -> None:
        if land != "all" and land not in LANDS:
            raise ValueError(f"--land must be a Land key 01 to 16 or 'all', not {land!r}")
        self.location = location
        self.land = land

    def extract(self, settings: Settings, progress: Progress = no_progress) -> SourceGraph:
        """Read, check and map the file; raise :class:`SourceError` on any bad record."""
        if not self.location:
            raise SourceError(NAME, "input", "no input: pass --source PATH_OR_URL", 2)
        remote = self.location.startswith(("http://", "https://"))
        shown = self.location if remote else display_path(Path(self.location))
        raw = read_input(self.location, settings, progress)
        data, where = unpack(raw, shown)
        register = check(parse(decode(data, where), where, progress), where)
        if self.land != "all" and self.land not in register.lands:
            raise SourceError(
                where, "unknown-land",
                f"the file has no Land {self.land} (it has {', '.join(register.lands)})",
            )
        graph, origins = to_graph(register, settings.base_uri, self.land, progress)
        digest = hashlib.sha256(data).hexdigest()  # the text, however it was packed
        scope = "Hessen" if self.land == "06" else (
            "Deutschland" if self.land == "all" else register.lands[self.land].name)
        scope_en = {"Hessen": "Hesse", "Deutschland": "Germany"}.get(scope, scope)
        return SourceGraph(
            name=NAME,
            graph=graph,
            fingerprint=f"sha256:{digest};land={self.land};loader={__version__}",
            inputs=[shown],
            origins=origins,
            title_de=f"Gemeindeverzeichnis GV100AD (Destatis): {scope}, "
                     f"Gebietsstand {register.status:%d.%m.%Y}",
            title_en=f"Municipality register GV100AD (Destatis): {scope_en}, "
                     f"territorial status {register.status:%Y-%m-%d}",
            licence=LICENCE,
            attribution=attribution(register.status),
            extra_record=dataset_record(settings.base_uri, register.status),
        )


def gv100ad_sources(settings: Settings) -> dict[str, Source]:
    """Registry entry: the ``gv100ad`` source (its input comes from ``--source``)."""
    del settings
    return {NAME: GV100ADSource()}


def configure_sources(
    sources: Sequence[Source], *, location: str | None = None, land: str | None = None
) -> list[Source]:
    """Apply the ``load`` options ``--source``/``--land`` to the gv100ad source among ``sources``.

    Raises :class:`ValueError` for options no selected source takes, or a malformed Land.
    """
    if location is None and land is None:
        return list(sources)
    if not any(isinstance(s, GV100ADSource) for s in sources):
        raise ValueError("--source and --land apply to the gv100ad source only")
    return [
        GV100ADSource(location or s.location, land or s.land)
        if isinstance(s, GV100ADSource) else s
        for s in sources
    ]
