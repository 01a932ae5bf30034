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

Reading and checking the file is :mod:`loaders.gv100ad_records`; this module maps the checked
records to RDF and is the ``gv100ad`` source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from loaders.curated import display_path
from loaders.gv100ad_records import (
    ASSOCIATION_TYPES,
    DISTRICT_TYPES,
    DOWNLOAD_TIMEOUT,
    MAX_INPUT_BYTES,
    MEMBER_NAME,
    MUNICIPALITY_TYPES,
    RECORD_LENGTH,
    RECORD_TYPES,
    UNINCORPORATED_TYPES,
    Record,
    Register,
    check,
    decode,
    parse,
    parse_record,
    read_input,
    unpack,
)
from loaders.source import (
    SHIPPED_INPUT,
    Progress,
    Source,
    SourceError,
    SourceGraph,
    no_progress,
)
from smartregion import __version__
from smartregion.namespaces import (
    DCAT,
    DCATDE,
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


# The reading half moved to loaders.gv100ad_records; its names stay importable from here.
__all__ = [
    "ASSOCIATION_TYPES", "DESTATIS", "DISTRICT_TYPES", "DOWNLOAD_TIMEOUT", "GERMANY", "HESSEN_NUTS",
    "LANDS",
    "LICENCE", "MAX_INPUT_BYTES", "MEMBER_NAME", "MUNICIPALITY_TYPES", "NAME", "NUTS_SOURCES",
    "RECORD_LENGTH", "RECORD_TYPES", "UNINCORPORATED_TYPES", "GV100ADSource", "Record", "Register",
    "attribution", "check", "configure_sources", "dataset_record", "decode", "gv100ad_sources",
    "parse", "parse_record", "read_input", "short_name", "to_graph", "unpack",
]


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
        add((node, SRH.population, Literal(str(r.population), datatype=XSD.integer)))
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


GERMANY = URIRef("http://publications.europa.eu/resource/authority/country/DEU")


def dataset_record(base_uri: str, status: dt.date, land: str = "06") -> Graph:
    """Extra triples for the load record: Gebietsstand as ``dct:temporal``, the spatial
    coverage of the Land chosen (or all of Germany), population note.

    One Land is ``dct:spatial`` and ``dcatde:politicalGeocodingURI`` ``…/stateKey/{Land}`` at
    level ``state`` (DCAT-AP.de); all of Germany has no key IRI in the DCAT-AP.de lists, so it
    is the EU country authority's ``DEU`` at level ``federal``.
    """
    dataset = URIRef(graph_uri(base_uri, NAME))
    period = URIRef(graph_uri(base_uri, NAME) + "#temporal")
    day = Literal(status.isoformat(), datatype=XSD.date)
    g = Graph()
    if land == "all":
        g.add((dataset, DCTERMS.spatial, GERMANY))
        g.add((dataset, DCATDE.politicalGeocodingLevelURI, GEOCODING["Level/federal"]))
    else:
        g.add((dataset, DCTERMS.spatial, GEOCODING[f"stateKey/{land}"]))
        g.add((dataset, DCATDE.politicalGeocodingURI, GEOCODING[f"stateKey/{land}"]))
        g.add((dataset, DCATDE.politicalGeocodingLevelURI, GEOCODING["Level/state"]))
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
    """The GV100AD file (path or URL) of one Land (``"06"``) or of all (``"all"``).

    ``shipped``: the location is the extract shipped in ``data/gv100ad`` (loaded by default).
    """

    name = NAME
    loader_version = __version__

    def __init__(self, location: str | None = None, land: str = "06",
                 *, shipped: bool = False) -> None:
        if land != "all" and land not in LANDS:
            raise ValueError(f"--land must be a Land key 01 to 16 or 'all', not {land!r}")
        self.location = location
        self.land = land
        self.shipped = shipped

    @property
    def loads_by_default(self) -> bool:
        """Only the shipped extract is loaded by a plain ``smartregion load``."""
        return self.shipped

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
            fingerprint=f"sha256:{digest};land={self.land};loader={__version__}"
                        + (SHIPPED_INPUT if self.shipped else ""),
            shipped_input=self.shipped,
            inputs=[shown],
            origins=origins,
            title_de=f"Gemeindeverzeichnis GV100AD (Destatis): {scope}, "
                     f"Gebietsstand {register.status:%d.%m.%Y}",
            title_en=f"Municipality register GV100AD (Destatis): {scope_en}, "
                     f"territorial status {register.status:%Y-%m-%d}",
            licence=LICENCE,
            attribution=attribution(register.status),
            extra_record=dataset_record(settings.base_uri, register.status, self.land),
        )


def gv100ad_sources(settings: Settings) -> dict[str, Source]:
    """Registry entry: the ``gv100ad`` source. Its input is the extract shipped in
    ``{source_dir}/gv100ad`` (the newest Gebietsstand there), or ``--source``. It replaces the
    curated source of the same folder (which would find no YAML there)."""
    shipped = sorted((settings.source_dir / NAME).glob("GV100AD_*.txt"), key=_status_of)
    if not shipped:
        return {NAME: GV100ADSource()}
    return {NAME: GV100ADSource(str(shipped[-1]), "06", shipped=True)}


def _status_of(path: Path) -> str:
    """``GV100AD_DDMMYYYY_…`` sorts by its Gebietsstand (YYYYMMDD)."""
    stamp = path.name.split("_")[1] if path.name.count("_") >= 1 else ""
    return stamp[4:8] + stamp[2:4] + stamp[:2]


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
        GV100ADSource(location or s.location, land or s.land,
                      shipped=s.shipped and location is None)
        if isinstance(s, GV100ADSource) else s
        for s in sources
    ]
