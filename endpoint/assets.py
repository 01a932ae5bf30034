"""Self-hosted front-end assets: ``python -m endpoint.assets install`` (called by ``make ui``).

Copies the built files of the npm packages listed in ``ASSETS`` from ``node_modules/`` (put
there by ``npm ci`` from ``package-lock.json``) into ``endpoint/static/vendor/``, which is
git-ignored. Pages load them from the platform itself: no CDN at run time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = PROJECT_DIR / "node_modules"
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"

# target folder under vendor/ → (package folder in node_modules, files to copy)
ASSETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "yasgui": ("@zazuko/yasgui/build", ("yasgui.min.js", "yasgui.min.css")),
    # maps of municipality and project pages (endpoint/templates/_map.html); no tile layer
    "leaflet": ("leaflet/dist", ("leaflet.js", "leaflet.css")),
    "leaflet/images": ("leaflet/dist/images", ("layers.png", "layers-2x.png", "marker-icon.png",
                                               "marker-icon-2x.png", "marker-shadow.png")),
    # the API explorer of the saved-query APIs (endpoint/templates/api_explorer.html)
    "swagger-ui": ("swagger-ui-dist", ("swagger-ui-bundle.js", "swagger-ui.css")),
}


def install(node_modules: Path = NODE_MODULES, vendor: Path = VENDOR_DIR) -> list[Path]:
    """Copy every asset; returns the files written. Raises FileNotFoundError naming a
    missing file (run ``npm ci`` first)."""
    written = []
    for target, (package_dir, files) in ASSETS.items():
        destination = vendor / target
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            source = node_modules / package_dir / name
            if not source.is_file():
                raise FileNotFoundError(f"{source} is missing: run 'npm ci' first")
            shutil.copyfile(source, destination / name)
            written.append(destination / name)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``install`` copies the assets."""
    parser = argparse.ArgumentParser(prog="python -m endpoint.assets", description=__doc__)
    parser.add_argument("command", choices=["install"], help="copy assets into static/vendor")
    parser.parse_args(argv)
    try:
        written = install()
    except FileNotFoundError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"installed {path.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
