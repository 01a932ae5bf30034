"""Extract one Land from the Destatis GV100AD file: ``data/gv100ad/GV100AD_{date}_{Land}.txt``.

The platform ships Hessen's records (Land key ``06``) so that a fresh clone serves the Land, its
Regierungsbezirke, Kreise and Gemeinden without a network. The output holds the input's lines
unchanged, in their order, for the records whose Land key (positions 11-12) is the one chosen:
the same format the ``gv100ad`` loader reads from Destatis, so ``smartregion load gv100ad``
treats shipped and downloaded files alike.

Source: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys,
"Gemeindeverzeichnis – administrative Gebietsgliederung" (GV100AD); licence Datenlizenz
Deutschland – Namensnennung – Version 2.0. Run from the project folder::

    .venv/bin/python tools/extract_gv100ad_land.py ../shared/reference-data/GV100AD_30112025.txt

It prints what it wrote; the output is the same for the same input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LAND_NAMES = {"06": "Hessen"}


def extract(text: str, land: str) -> tuple[list[str], str]:
    """The lines of ``land`` (CRLF kept as LF) and the Gebietsstand (YYYYMMDD) they share."""
    lines = [line.removesuffix("\r") for line in text.split("\n") if line.strip()]
    chosen = [line for line in lines if line[10:12] == land]
    if not chosen:
        raise SystemExit(f"the input has no record of Land {land}")
    stamps = {line[2:10] for line in chosen}
    if len(stamps) != 1:
        raise SystemExit(f"the records of Land {land} mix Gebietsstände: {sorted(stamps)}")
    return chosen, stamps.pop()


def main(argv: list[str] | None = None) -> int:
    """Write the extract next to the shipped one and say what was written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gv100ad", type=Path, help="the Destatis GV100AD text file (UTF-8)")
    parser.add_argument("--land", default="06", choices=sorted(LAND_NAMES))
    parser.add_argument("--out", type=Path, default=Path("data/gv100ad"))
    args = parser.parse_args(argv)
    lines, stamp = extract(args.gv100ad.read_text(encoding="utf-8"), args.land)
    target = args.out / f"GV100AD_{stamp[6:]}{stamp[4:6]}{stamp[:4]}_{LAND_NAMES[args.land]}.txt"
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("GV100AD_*.txt"):
        if old != target:
            old.unlink()  # one extract: the newest Gebietsstand replaces the older one
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    kinds = {kind: sum(1 for line in lines if line[:2] == kind) for kind in ("10", "20", "40",
                                                                              "50", "60")}
    print(f"{target}: {len(lines)} records (Satzart {kinds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
