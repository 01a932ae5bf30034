"""Destatis GV100AD: reading the fixed-width file into checked, typed records.

The "Gemeindeverzeichnis – administrative Gebietsgliederung" comes as the plain text file or
as the ZIP archive holding it, from a path or an http(s) URL (streamed, size-capped). Every
line is one record of 220 characters, UTF-8 (Destatis used ISO-8859-1 before 2019; such files
are rejected with a hint to convert them). The field table is in
``shared/reference-data/SOURCES.md``. :func:`parse` turns lines into :class:`Record` objects,
:func:`check` gathers them into a :class:`Register` and checks keys, duplicates, parent
records and the Gebietsstand. The mapping to RDF is in :mod:`loaders.gv100ad`.

Errors name the file (``archive.zip!member.txt`` for a ZIP), the line and the rule. Format
errors (encoding, record length, record type, non-numeric fields, dates) exit with code 2;
broken content rules (duplicate keys, missing parent records, unknown Textkennzeichen, mixed
Gebietsstand) with code 1.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests

from loaders.source import Progress, SourceError, no_progress
from smartregion import __version__
from smartregion.settings import Settings

RECORD_LENGTH = 220
MAX_INPUT_BYTES = 64 * 1024 * 1024  # the all-Germany file is 3.5 MB; refuse anything absurd
DOWNLOAD_TIMEOUT = (10.0, 60.0)  # seconds: connect, between bytes
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
