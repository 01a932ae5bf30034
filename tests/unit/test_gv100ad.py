"""GV100AD reader: records, checks and the mapping to RDF, on small files built here."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from loaders.gv100ad import (
    GV100ADSource,
    Record,
    Register,
    check,
    configure_sources,
    decode,
    parse,
    parse_record,
    short_name,
    to_graph,
)
from loaders.source import SourceError
from smartregion.namespaces import DCAT, DCTERMS, RDF, SKOS, SRH
from smartregion.settings import Settings

BASE = "http://testserver/"


def record(
    kind: str,
    key: str,
    name: str,
    *,
    seat: str = "",
    code: str = "",
    verband: str = "",
    area: int = 0,
    population: int = 0,
    postcode: str = "",
    several: bool = False,
    stand: str = "20251130",
) -> str:
    """One 220-character GV100AD line (positions as in the Destatis record description)."""
    chars = [" "] * 220

    def put(start: int, text: str) -> None:
        chars[start - 1 : start - 1 + len(text)] = text

    put(1, kind)
    put(3, stand)
    put(11, key)
    put(19, verband)
    put(23, name[:50])
    put(73, seat[:50])
    put(123, code)
    if kind == "60":
        put(129, f"{area:011d}")
        put(140, f"{population:011d}")
        put(151, f"{population // 2:011d}")
        put(166, postcode)
        put(171, "*****" if several else "")
    return "".join(chars)


SAMPLE = [
    record("10", "06", "Hessen", seat="Wiesbaden"),
    record("20", "064", "Reg.-Bez. Darmstadt", seat="Darmstadt"),
    record("40", "06411", "Darmstadt, Wissenschaftsstadt", seat="Darmstadt", code="41"),
    record("50", "06411", "Darmstadt, Wissenschaftsstadt", verband="0000", code="50"),
    record("60", "06411000", "Darmstadt, Wissenschaftsstadt", verband="0000", code="61",
           area=12207, population=167029, postcode="64283", several=True),
    record("40", "06432", "Darmstadt-Dieburg", seat="Darmstadt", code="44"),
    record("50", "06432", "Alsbach-Hähnlein", verband="0001", code="50"),
    record("60", "06432001", "Alsbach-Hähnlein", verband="0001", code="64",
           area=1900, population=9500, postcode="64665"),
    record("50", "06432", "Testforst, gemfr. Gebiet", verband="9200", code="50"),
    record("60", "06432200", "Testforst, gemfr. Gebiet", verband="9200", code="66", area=300),
    record("10", "11", "Berlin", seat="Berlin"),
    record("40", "11000", "Berlin, Stadt", seat="Berlin", code="41"),
    record("50", "11000", "Berlin, Stadt", verband="0000", code="50"),
    record("60", "11000000", "Berlin, Stadt", verband="0000", code="61",
           area=89112, population=3685265, postcode="10117", several=True),
]

EXPECTED_HESSEN = """
@prefix srh: <https://data.smarte-region-hessen.de/def/srh#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix nuts: <http://data.europa.eu/nuts/code/> .
@prefix geo: <http://dcat-ap.de/def/politicalGeocoding/> .
@prefix mt: <https://data.smarte-region-hessen.de/def/scheme/municipality-type/> .
@prefix id: <http://testserver/id/> .
@prefix destatis: <DESTATIS> .
@prefix nuts06: <NUTS_TABLE> .
@prefix eurostat: <https://ec.europa.eu/eurostat/de/web/nuts/> .

<http://testserver/id/state/06> a srh:Land ;
    skos:prefLabel "Hessen"@de ; srh:seatName "Wiesbaden"@de ; srh:stateKey "06" ;
    srh:territorialStatusDate "2025-11-30"^^xsd:date ;
    srh:politicalGeocoding geo:stateKey\\/06 ; skos:exactMatch nuts:DE7 ;
    dct:source destatis:_inhalt.html , eurostat:linked-open-data .

<http://testserver/id/government-district/064> a srh:GovernmentDistrict ;
    skos:prefLabel "Reg.-Bez. Darmstadt"@de ; srh:seatName "Darmstadt"@de ;
    srh:governmentDistrictKey "064" ; srh:territorialStatusDate "2025-11-30"^^xsd:date ;
    schema:containedInPlace <http://testserver/id/state/06> ;
    srh:politicalGeocoding geo:governmentDistrictKey\\/064 ; skos:exactMatch nuts:DE71 ;
    dct:source destatis:_inhalt.html , nuts06:table.info_nuts2006.data.sql .

<http://testserver/id/district/06411> a srh:District , srh:DistrictFreeCity ;
    skos:prefLabel "Darmstadt, Wissenschaftsstadt"@de ; skos:altLabel "Darmstadt"@de ;
    srh:seatName "Darmstadt"@de ; srh:districtKey "06411" ; srh:areaType mt:41 ;
    srh:territorialStatusDate "2025-11-30"^^xsd:date ;
    schema:containedInPlace <http://testserver/id/government-district/064> ;
    srh:politicalGeocoding geo:districtKey\\/06411 ; skos:exactMatch nuts:DE711 ;
    dct:source destatis:_inhalt.html , nuts06:table.info_nuts2006.data.sql ,
        <https://gist.github.com/klischka/39c1ff3606859abcffae018cffc1b7b5> .

<http://testserver/id/district/06432> a srh:District , srh:RuralDistrict ;
    skos:prefLabel "Darmstadt-Dieburg"@de ;
    srh:seatName "Darmstadt"@de ; srh:districtKey "06432" ; srh:areaType mt:44 ;
    srh:territorialStatusDate "2025-11-30"^^xsd:date ;
    schema:containedInPlace <http://testserver/id/government-district/064> ;
    srh:politicalGeocoding geo:districtKey\\/06432 ; skos:exactMatch nuts:DE716 ;
    dct:source destatis:_inhalt.html , nuts06:table.info_nuts2006.data.sql ,
        <https://gist.github.com/klischka/39c1ff3606859abcffae018cffc1b7b5> .

<http://testserver/id/municipality/06411000> a srh:Municipality ;
    skos:prefLabel "Darmstadt, Wissenschaftsstadt"@de ; skos:altLabel "Darmstadt"@de ;
    srh:ags "06411000" ; srh:ars "064110000000" ; srh:areaType mt:61 ;
    srh:areaHectares "12207"^^xsd:decimal ;
    srh:population "167029"^^xsd:integer ;
    srh:postcode "64283" ; srh:multiplePostcodes true ;
    srh:territorialStatusDate "2025-11-30"^^xsd:date ;
    schema:containedInPlace <http://testserver/id/district/06411> ;
    srh:politicalGeocoding geo:municipalityKey\\/06411000 , geo:regionalKey\\/064110000000 ;
    dct:source destatis:_inhalt.html .

<http://testserver/id/municipality/06432001> a srh:Municipality ;
    skos:prefLabel "Alsbach-Hähnlein"@de ;
    srh:ags "06432001" ; srh:ars "064320001001" ; srh:areaType mt:64 ;
    srh:areaHectares "1900"^^xsd:decimal ;
    srh:population "9500"^^xsd:integer ;
    srh:postcode "64665" ; srh:multiplePostcodes false ;
    srh:territorialStatusDate "2025-11-30"^^xsd:date ;
    schema:containedInPlace <http://testserver/id/district/06432> ;
    srh:politicalGeocoding geo:municipalityKey\\/06432001 , geo:regionalKey\\/064320001001 ;
    dct:source destatis:_inhalt.html .
""".replace(
    "DESTATIS",
    "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/",
).replace(
    "NUTS_TABLE",
    "https://github.com/jkazemifard/gitted.geoserver.demo/blob/"
    "2aeba5e36533cb48979e7eddb9e4fefef47495be/postgis/",
)


def text(lines: list[str], end: str = "\n") -> str:
    """A file's text from lines."""
    return "".join(line + end for line in lines)


def write(tmp_path: Path, lines: list[str], name: str = "GV100AD_30112025.txt") -> Path:
    """Write lines as a UTF-8 GV100AD file and return its path."""
    path = tmp_path / name
    path.write_text(text(lines), encoding="utf-8")
    return path


def register_of(lines: list[str]) -> Register:
    """The checked register of some lines."""
    return check(parse(text(lines), "f.txt"), "f.txt")


# -- records ------------------------------------------------------------------------------------
def test_municipality_record_fields_and_derived_keys() -> None:
    parsed = parse_record(SAMPLE[7], "f.txt:8")
    assert parsed == Record(
        "f.txt:8", "60", dt.date(2025, 11, 30), "06", "4", "32", "001", "0001",
        "Alsbach-Hähnlein", "", "64", area_ha=1900, population=9500, postcode="64665",
        several_postcodes=False,
    )
    assert parsed.key == "06432001"
    assert parsed.ars == "064320001001"  # positions 11-15 + 19-22 + 16-18


def test_key_of_each_record_type() -> None:
    keys = [parse_record(line, "f").key for line in SAMPLE[:5]]
    assert keys == ["06", "064", "06411", "064110000", "06411000"]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Darmstadt, Wissenschaftsstadt", "Darmstadt"),
        ("Gelnhausen, Barbarossastadt, Kreisstadt", "Gelnhausen"),
        ("Friedberg (Hessen), Kreisstadt", "Friedberg (Hessen)"),
        ("Ebstorf,Klosterflecken", "Ebstorf,Klosterflecken"),  # the rule needs ", "
        ("Bergstraße", "Bergstraße"),
    ],
)
def test_short_name_is_text_before_first_comma_space(name: str, short: str) -> None:
    assert short_name(name) == short


def test_crlf_line_ends_are_accepted() -> None:
    records = parse(text(SAMPLE, end="\r\n"), "f.txt")
    assert len(records) == len(SAMPLE)
    assert records[0].name == "Hessen"


def test_byte_order_mark_is_ignored() -> None:
    assert decode(b"\xef\xbb\xbf" + text(SAMPLE[:1]).encode(), "f").startswith("10")


# -- bad input: each names file, line and rule ---------------------------------------------------
def _replace(index: int, line: str) -> list[str]:
    lines = list(SAMPLE)
    lines[index] = line
    return lines


BAD_INPUTS = {
    "wrong length": (_replace(3, SAMPLE[3][:-1]), "f.txt:4", "record-length", 2),
    "unknown record type": (_replace(3, "70" + SAMPLE[3][2:]), "f.txt:4", "record-type", 2),
    "non-numeric key": (_replace(4, SAMPLE[4][:15] + "0A0" + SAMPLE[4][18:]),
                        "f.txt:5", "numeric-field", 2),
    "non-numeric population": (_replace(4, SAMPLE[4][:139] + "0000001670x" + SAMPLE[4][150:]),
                               "f.txt:5", "numeric-field", 2),
    "bad date": (_replace(2, SAMPLE[2][:2] + "20251131" + SAMPLE[2][10:]), "f.txt:3", "date", 2),
    "unknown Textkennzeichen": (_replace(7, SAMPLE[7][:122] + "68" + SAMPLE[7][124:]),
                                "f.txt:8", "type-code", 1),
    "duplicate AGS": ([*SAMPLE, SAMPLE[7]], f"f.txt:{len(SAMPLE) + 1}", "duplicate-key", 1),
    "Gemeinde without Kreis": ([line for i, line in enumerate(SAMPLE) if i not in (5, 6, 8)],
                               "f.txt:6", "missing-parent", 1),
    "Kreis without Regierungsbezirk": ([line for i, line in enumerate(SAMPLE) if i != 1],
                                       "f.txt:2", "missing-parent", 1),
    "mixed Gebietsstand": ([*SAMPLE, record("10", "01", "Schleswig-Holstein", stand="20250630")],
                           f"f.txt:{len(SAMPLE) + 1}", "territorial-status", 1),
}


@pytest.mark.parametrize(("lines", "where", "rule", "exit_code"), BAD_INPUTS.values(),
                         ids=BAD_INPUTS.keys())
def test_bad_input_names_file_line_and_rule(
    lines: list[str], where: str, rule: str, exit_code: int
) -> None:
    with pytest.raises(SourceError) as caught:
        register_of(lines)
    assert caught.value.location == where
    assert caught.value.rule == rule
    assert caught.value.exit_code == exit_code
    assert str(caught.value).startswith(f"{where}: ")


def test_missing_kreis_is_named() -> None:
    lines = [line for i, line in enumerate(SAMPLE) if i not in (5, 6, 8)]
    with pytest.raises(SourceError, match=r"Gemeinde 06432001 \(Alsbach-Hähnlein\): the file "
                       r"has no Kreis record 06432"):
        register_of(lines)


def test_duplicate_ags_names_the_first_definition() -> None:
    with pytest.raises(SourceError, match=r"AGS 06432001 .* already defined at f\.txt:8"):
        register_of([*SAMPLE, SAMPLE[7]])


def test_latin1_file_is_rejected_with_a_hint() -> None:
    data = text(SAMPLE).encode("iso-8859-1")
    with pytest.raises(SourceError) as caught:
        decode(data, "old.txt")
    assert caught.value.location == "old.txt:7"  # "Alsbach-Hähnlein" is the first non-ASCII
    assert caught.value.rule == "utf-8"
    assert caught.value.exit_code == 2
    assert "ISO-8859-1" in caught.value.message


def test_empty_file_is_rejected() -> None:
    with pytest.raises(SourceError, match=r"no records \[empty\]"):
        register_of([])


# -- mapping ------------------------------------------------------------------------------------
def test_hessen_graph_is_the_expected_one() -> None:
    graph, origins = to_graph(register_of(SAMPLE), BASE, "06")
    expected = Graph().parse(data=EXPECTED_HESSEN, format="turtle")
    assert isomorphic(graph, expected), (graph - expected).serialize(format="turtle")
    assert origins[URIRef(BASE + "id/municipality/06432001")] == "f.txt:8"


def test_gemeindefreie_gebiete_are_not_published() -> None:
    graph, _ = to_graph(register_of(SAMPLE), BASE, "all")
    assert (URIRef(BASE + "id/municipality/06432200"), None, None) not in graph


def test_all_lands_and_kreis_without_regierungsbezirk_is_in_the_land() -> None:
    graph, _ = to_graph(register_of(SAMPLE), BASE, "all")
    berlin = URIRef(BASE + "id/district/11000")
    assert set(graph.subjects(RDF.type, SRH.Municipality)) == {
        URIRef(BASE + f"id/municipality/{ags}") for ags in ("06411000", "06432001", "11000000")
    }
    assert graph.value(berlin, URIRef("https://schema.org/containedInPlace")) == URIRef(
        BASE + "id/state/11"
    )
    # NUTS links only from the Hessian table, never guessed elsewhere
    assert graph.value(berlin, SKOS.exactMatch) is None
    assert graph.value(URIRef(BASE + "id/state/11"), SKOS.exactMatch) is None


# -- the source --------------------------------------------------------------------------------
def test_extract_sets_licence_attribution_and_gebietsstand(
    tmp_path: Path, settings: Settings
) -> None:
    path = write(tmp_path, SAMPLE)
    source = GV100ADSource(str(path), "06").extract(settings)
    assert source.licence == URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
    assert source.attribution == (
        "Quelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD, Gebietsstand "
        "30.11.2025; Datenlizenz Deutschland \u2013 Namensnennung \u2013 Version 2.0; verändert "
        "(in RDF umgewandelt)"
    )
    assert source.extra_record is not None
    dataset = URIRef(BASE + "graph/gv100ad")
    period = source.extra_record.value(dataset, DCTERMS.temporal)
    assert source.extra_record.value(period, DCAT.startDate) == Literal(
        "2025-11-30", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")
    )
    assert "Stichtag" in str(source.extra_record.value(dataset, DCTERMS.description))
    assert source.origin(URIRef(BASE + "id/state/06")) == f"{path.as_posix()}:1"


def test_fingerprint_depends_on_content_and_land(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path, SAMPLE)
    hessen = GV100ADSource(str(path), "06").extract(settings).fingerprint
    everything = GV100ADSource(str(path), "all").extract(settings).fingerprint
    assert hessen != everything
    assert GV100ADSource(str(path), "06").extract(settings).fingerprint == hessen


def test_zip_archive_is_read_and_errors_name_the_member(tmp_path: Path, settings: Settings) -> None:
    archive = tmp_path / "gv100ad.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("GV100AD_30112025.txt", text(SAMPLE))
        handle.writestr("Datensatzbeschreibung.pdf", b"%PDF")
    zipped = GV100ADSource(str(archive), "06").extract(settings)
    assert (URIRef(BASE + "id/municipality/06432001"), RDF.type, SRH.Municipality) in zipped.graph
    plain = GV100ADSource(str(write(tmp_path, SAMPLE)), "06").extract(settings)
    assert zipped.fingerprint == plain.fingerprint  # same text, however it was packed

    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as handle:
        handle.writestr("GV100AD_30112025.txt", text([*SAMPLE, "60"]))
    with pytest.raises(SourceError) as caught:
        GV100ADSource(str(broken), "06").extract(settings)
    assert caught.value.location == f"{broken.as_posix()}!GV100AD_30112025.txt:{len(SAMPLE) + 1}"


def test_missing_file_and_missing_option_are_input_errors(
    tmp_path: Path, settings: Settings
) -> None:
    with pytest.raises(SourceError) as caught:
        GV100ADSource(str(tmp_path / "nope.txt")).extract(settings)
    assert caught.value.exit_code == 2
    with pytest.raises(SourceError, match="--source"):
        GV100ADSource().extract(settings)


def test_land_missing_from_the_file_is_an_error(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path, SAMPLE)
    with pytest.raises(SourceError, match=r"no Land 09 \(it has 06, 11\)"):
        GV100ADSource(str(path), "09").extract(settings)


@pytest.mark.parametrize("land", ["6", "17", "00", "hessen", ""])
def test_malformed_land_option_is_refused(land: str) -> None:
    with pytest.raises(ValueError, match="--land"):
        GV100ADSource("x", land)


def test_configure_sources_applies_options_to_gv100ad_only() -> None:
    other = GV100ADSource()
    configured = configure_sources([other], location="f.txt", land="all")
    assert isinstance(configured[0], GV100ADSource)
    assert (configured[0].location, configured[0].land) == ("f.txt", "all")
    assert configure_sources([other]) == [other]
    with pytest.raises(ValueError, match="gv100ad"):
        configure_sources([], location="f.txt")
