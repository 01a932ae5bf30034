"""A deterministic dataset shaped like the platform's, at any size (100k, 1M triples …).

    .venv/bin/python -m bench.dataset DIR --triples 1000000

Same IRIs, graphs and vocabulary as the curated data: one Land, 3 Regierungsbezirke,
26 Kreise (21 Landkreise, 5 kreisfreie Städte), 421 municipalities with AGS/ARS keys, funding
programmes and organisations, and as many smart-region projects as the size asks for (German
and English names and descriptions, 1–3 municipalities and fields of action, status, start
year, a funding with programme, funder, rate and amount, lead organisation, sources), each
source in its own named graph, plus a metadata graph with one load record per graph (what
the catalogue pages read). The same ``seed`` and size always give the same bytes.

It is written as N-Quads text and bulk-loaded (a million triples in seconds), as the current
version of a store directory that ``smartregion serve``, ``oxigraph serve-read-only`` and
``pyoxigraph.Store.read_only`` all open.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from smartregion.store.versions import VersionDirectory

ROOT = Path(__file__).resolve().parent.parent

BASE = "https://data.smarte-region-hessen.de/"
SRH = BASE + "def/srh#"
SCHEME = BASE + "def/scheme/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"
GENERATOR = 1  # bump when the shape changes: cached datasets are then rebuilt

FIELDS = ["mobility", "energy", "data-platforms", "traffic-control", "waste", "health",
          "citizen-participation", "administration", "environment", "education", "tourism",
          "security", "shh-society", "shh-economy", "shh-environment", "shh-mobility"]
STATUS = ["idea", "planned", "running", "completed", "discontinued"]
WORDS = ["Sensor", "Plattform", "Bürger", "Daten", "Verkehr", "Wasser", "Licht", "Parken",
         "Abfall", "Klima", "Netz", "Portal", "App", "Kataster", "Zwilling", "Energie",
         "Schule", "Pflege", "Wetter", "Hochwasser", "Radweg", "Bus", "Ladesäule", "Wärme"]
ENGLISH = ["sensor", "platform", "citizen", "data", "traffic", "water", "light", "parking",
           "waste", "climate", "network", "portal", "app", "register", "twin", "energy",
           "school", "care", "weather", "flood", "cycle path", "bus", "charging point", "heat"]


@dataclass
class DatasetInfo:
    """What the queries of a benchmark can ask about (keys that exist in the data)."""

    triples: int = 0
    projects: int = 0
    districts: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=lambda: list(FIELDS))
    words: list[str] = field(default_factory=lambda: list(WORDS))
    graphs: list[str] = field(default_factory=list)


def _iri(path: str) -> str:
    return f"<{BASE}{path}>"


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def nquads(triples: int, seed: int = 2026) -> Iterator[str]:
    """N-Quads lines of about ``triples`` statements (at least the fixed administrative part)."""
    rng = random.Random(seed)
    yield from _administrative(rng)
    programmes, organisations = yield from _organisations(rng, max(60, triples // 400))
    produced = 4_600 + 6 * len(organisations) + 5 * len(programmes)
    graph = _iri("graph/projects")
    number = 0
    while produced < triples:
        lines = _project(rng, number, programmes, organisations)
        produced += len(lines)
        number += 1
        for line in lines:
            yield f"{line} {graph} .\n"
    yield from _meta(number)


def _administrative(rng: random.Random) -> Iterator[str]:
    graph = _iri("graph/administrative")
    label = f"<{SKOS}prefLabel>"

    def emit(s: str, p: str, o: str) -> str:
        return f"{s} {p} {o} {graph} .\n"

    land = _iri("id/land/06")
    yield emit(land, RDF_TYPE, f"<{SRH}Land>")
    yield emit(land, label, _lit("Hessen", "de"))
    for number in (4, 5, 6):
        region = _iri(f"id/government-district/064{number}")
        yield emit(region, RDF_TYPE, f"<{SRH}GovernmentDistrict>")
        yield emit(region, label, _lit(f"Regierungsbezirk {number}", "de"))
        yield emit(region, f"<{SCHEMA}containedInPlace>", land)
    for index in range(26):
        key = f"06{411 + index * 7:03d}"
        district = _iri(f"id/district/{key}")
        kind = "DistrictFreeCity" if index < 5 else "RuralDistrict"
        yield emit(district, RDF_TYPE, f"<{SRH}District>")
        yield emit(district, RDF_TYPE, f"<{SRH}{kind}>")
        yield emit(district, label, _lit(f"Kreis {key}", "de"))
        yield emit(district, f"<{SRH}districtKey>", _lit(key))
        yield emit(district, f"<{SCHEMA}containedInPlace>",
                   _iri(f"id/government-district/064{4 + index % 3}"))
    for index in range(421):
        district_key = f"06{411 + (index % 26) * 7:03d}"
        ags = f"{district_key}{index:03d}"
        municipality = _iri(f"id/municipality/{ags}")
        name = f"{rng.choice(WORDS)}hausen {index}"
        yield emit(municipality, RDF_TYPE, f"<{SRH}Municipality>")
        yield emit(municipality, label, _lit(f"{name}, Stadt", "de"))
        yield emit(municipality, f"<{SKOS}altLabel>", _lit(name, "de"))
        yield emit(municipality, f"<{SRH}ags>", _lit(ags))
        yield emit(municipality, f"<{SRH}ars>", _lit(f"{district_key}0{index:03d}0000"[:12]))
        yield emit(municipality, f"<{SRH}areaType>",
                   f"<{SCHEME}municipality-type/{rng.choice(['63', '64'])}>")
        yield emit(municipality, f"<{SCHEMA}containedInPlace>",
                   _iri(f"id/district/{district_key}"))
        yield emit(municipality, f"<{SRH}politicalGeocoding>",
                   f"<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{ags}>")
        yield emit(municipality, f"<{DCT}source>",
                   "<https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/>")


def _organisations(rng: random.Random, count: int) -> Iterator[str]:
    graph = _iri("graph/organisations")
    programmes = [_iri(f"id/programme/programme-{i}") for i in range(20)]
    organisations = [_iri(f"id/organisation/organisation-{i}") for i in range(count)]
    for index, programme in enumerate(programmes):
        yield f"{programme} {RDF_TYPE} <{SRH}FundingProgramme> {graph} .\n"
        label = f"<{SKOS}prefLabel>"
        yield f"{programme} {label} {_lit(f'Förderprogramm {index}', 'de')} {graph} .\n"
        yield f"{programme} {label} {_lit(f'Funding programme {index}', 'en')} {graph} .\n"
        yield (f"{programme} <{SRH}startYear> "
               f"{_lit(str(2015 + index % 10), datatype=XSD + 'gYear')} {graph} .\n")
        yield f"{programme} <{SRH}administeredBy> {organisations[index % count]} {graph} .\n"
    for index, organisation in enumerate(organisations):
        yield f"{organisation} {RDF_TYPE} <{SRH}Organisation> {graph} .\n"
        yield (f"{organisation} <{SKOS}prefLabel> {_lit(f'Organisation {index}', 'de')} "
               f"{graph} .\n")
        yield (f"{organisation} <http://xmlns.com/foaf/0.1/homepage> "
               f"<https://org{index}.example/> {graph} .\n")
        home = _iri(f"id/municipality/06{411 + (index % 26) * 7:03d}{index % 421:03d}")
        yield f"{organisation} <{SCHEMA}location> {home} {graph} .\n"
        yield f"{organisation} <{SRH}legalForm> {_lit('eingetragener Verein', 'de')} {graph} .\n"
        yield f"{organisation} <{DCT}source> <https://org{index}.example/about> {graph} .\n"
    return programmes, organisations


def _project(rng: random.Random, number: int, programmes: list[str],
             organisations: list[str]) -> list[str]:
    project = _iri(f"id/project/project-{number}")
    funding = _iri(f"id/funding/project-{number}")
    picks = rng.sample(range(len(WORDS)), 3)
    title_de = " ".join(WORDS[i] for i in picks)
    title_en = " ".join(ENGLISH[i] for i in picks)
    text_de = " ".join(rng.choice(WORDS) for _ in range(20))
    text_en = " ".join(rng.choice(ENGLISH) for _ in range(20))
    year = str(rng.randint(2015, 2026))
    lines = [
        f"{project} {RDF_TYPE} <{SRH}SmartRegionProject>",
        f"{project} <{SKOS}prefLabel> {_lit(f'{title_de} {number}', 'de')}",
        f"{project} <{SKOS}prefLabel> {_lit(f'{title_en} {number}', 'en')}",
        f"{project} <{DCT}description> {_lit(f'Projekt {number}: {text_de}.', 'de')}",
        f"{project} <{DCT}description> {_lit(f'Project {number}: {text_en}.', 'en')}",
        f"{project} <{SRH}status> <{SCHEME}project-status/{rng.choice(STATUS)}>",
        f"{project} <{SRH}startYear> {_lit(year, datatype=XSD + 'gYear')}",
        f"{project} <{SRH}leadOrganisation> {rng.choice(organisations)}",
        f"{project} <{SRH}funding> {funding}",
        f"{funding} {RDF_TYPE} <{SRH}Funding>",
        f"{funding} <{SRH}programme> {rng.choice(programmes)}",
        f"{funding} <{SRH}funder> {rng.choice(organisations)}",
        f"{funding} <{SRH}fundingRate> "
        f"{_lit(rng.choice(['0.5', '0.65', '0.8', '0.9']), datatype=XSD + 'decimal')}",
        f"{funding} <{SRH}amountEUR> "
        f"{_lit(str(rng.randint(10, 5000) * 1000), datatype=XSD + 'decimal')}",
        f"{project} <{DCT}source> <https://news.example/{number}>",
    ]
    for index in rng.sample(range(421), rng.randint(1, 3)):
        ags = f"06{411 + (index % 26) * 7:03d}{index:03d}"
        lines.append(f"{project} <{SRH}municipality> {_iri(f'id/municipality/{ags}')}")
    for name in rng.sample(FIELDS, rng.randint(1, 3)):
        lines.append(f"{project} <{SRH}fieldOfAction> <{SCHEME}field-of-action/{name}>")
    return lines


def _meta(projects: int) -> Iterator[str]:
    meta = _iri("graph/meta")
    for name in ("administrative", "organisations", "projects"):
        graph = _iri(f"graph/{name}")
        activity = _iri(f"graph/{name}#load")
        yield f"{graph} {RDF_TYPE} <http://www.w3.org/ns/dcat#Dataset> {meta} .\n"
        yield f"{graph} <{SRH}sourceName> {_lit(name)} {meta} .\n"
        yield f"{graph} <{DCT}title> {_lit(f'Kuratierte Daten: {name}', 'de')} {meta} .\n"
        yield (f"{graph} <{DCT}modified> {_lit('2026-01-01T00:00:00Z', datatype=XSD + 'dateTime')}"
               f" {meta} .\n")
        yield f"{graph} <{VOID}triples> {_lit(str(projects), datatype=XSD + 'integer')} {meta} .\n"
        yield f"{graph} <{PROV}wasGeneratedBy> {activity} {meta} .\n"
        yield (f"{activity} <http://www.w3.org/ns/shacl#conforms> "
               f"{_lit('true', datatype=XSD + 'boolean')} {meta} .\n")


def build(directory: Path, triples: int, seed: int = 2026) -> DatasetInfo:
    """The dataset as the current version of the store under ``directory`` (reused when a
    previous run built the same size and seed)."""
    marker = directory / "dataset.json"
    versions = VersionDirectory(directory)
    wanted = {"generator": GENERATOR, "triples": triples, "seed": seed}
    if marker.is_file() and versions.current() is not None:
        recorded = json.loads(marker.read_text())
        if recorded.get("request") == wanted:
            return DatasetInfo(**recorded["info"])
    directory.mkdir(parents=True, exist_ok=True)
    with versions.writer_lock():
        number, path = versions.new_version_path()
        with tempfile.NamedTemporaryFile("w", suffix=".nq", encoding="utf-8",
                                         dir=directory) as text:
            text.writelines(nquads(triples, seed))
            text.flush()
            store = ox.Store(str(path))
            store.bulk_load(path=text.name, format=ox.RdfFormat.N_QUADS)
            store.optimize()
            size = len(store)
            del store
        versions.complete(number)
        versions.switch_to(number)
        versions.prune(1)
    info = _info(versions.current().path, size)  # type: ignore[union-attr]
    marker.write_text(json.dumps({"request": wanted, "info": asdict(info)}))
    return info


def _info(path: Path, size: int) -> DatasetInfo:
    store = ox.Store.read_only(str(path))
    projects = next(iter(store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?p a <{SRH}SmartRegionProject> }} }}")))
    districts = [r["k"].value for r in store.query(
        f"SELECT ?k WHERE {{ GRAPH ?g {{ ?d <{SRH}districtKey> ?k }} }} ORDER BY ?k")]
    municipalities = [r["k"].value for r in store.query(
        f"SELECT ?k WHERE {{ GRAPH ?g {{ ?m <{SRH}ags> ?k }} }} ORDER BY ?k")]
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return DatasetInfo(size, int(projects["n"].value), districts, municipalities,
                       graphs=graphs)


def main() -> None:
    """Command line: build a dataset directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    info = build(arguments.directory, arguments.triples, arguments.seed)
    print(f"{arguments.directory}: {info.triples:,} triples, {info.projects:,} projects")


if __name__ == "__main__":
    main()
