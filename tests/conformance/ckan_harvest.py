"""Runs INSIDE the CKAN venv (see tests/conformance/test_ckan_harvest.py, `make ckan-venv`):
ckanext-dcat's own RDF parser over the catalogue pages the test recorded, in the order its
DCATRDFHarvester gather stage reads them. Imports nothing of the platform.

    python ckan_harvest.py MANIFEST.json   →   JSON on stdout

The manifest names the first page URL, each page's file and Content-Type (as the harvester
takes it: the header without parameters), the ckanext-dcat profiles, CKAN's default locale
and a CKAN licence register file. Mirrored from the gather loop of ckanext-dcat 2.4.4: the
Content-Type of the first page is used for all pages, the loop stops when a page's content
hashes like the first page's, the next page is ``parser.next_page()``, and the guid of a
dataset is its URI (else its identifier).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any


def harvest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The CKAN dataset dicts of every page, page by page."""
    from ckan.common import config

    config["ckan.locale_default"] = manifest["locale"]
    config["licenses_group_url"] = "file://" + manifest["licences"]
    from ckanext.dcat.processors import RDFParser

    pages: list[dict[str, Any]] = []
    url: str | None = manifest["start"]
    rdf_format: str | None = None
    first_hash: bytes | None = None
    while url:
        page = manifest["pages"].get(url)
        if page is None:
            pages.append({"url": url, "error": "page not recorded"})
            break
        with open(page["file"], encoding="utf-8") as handle:
            content = handle.read()
        rdf_format = rdf_format or page["content_type"]
        digest = hashlib.md5(content.encode("utf8")).digest()  # the harvester's loop guard
        if first_hash is not None and digest == first_hash:
            break
        first_hash = first_hash or digest
        parser = RDFParser(profiles=manifest["profiles"])
        parser.parse(content, _format=rdf_format)
        datasets = []
        for dataset in parser.datasets():
            extras = {e["key"]: e["value"] for e in dataset.get("extras", [])}
            datasets.append({
                "guid": extras.get("uri") or dataset.get("identifier") or extras.get("identifier"),
                "title": dataset.get("title"),
                "notes": dataset.get("notes"),
                "license_id": dataset.get("license_id"),
                "tags": [t["name"] for t in dataset.get("tags", [])],
                "extras": extras,
                "resources": [
                    {k: r.get(k) for k in ("url", "download_url", "access_url", "license",
                                           "format", "mimetype", "size", "hash", "name")}
                    for r in dataset.get("resources", [])
                ],
            })
        pages.append({"url": url, "datasets": datasets})
        url = parser.next_page()
    return {"pages": pages}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as manifest_file:
        result = harvest(json.load(manifest_file))
    json.dump(result, sys.stdout, ensure_ascii=False)
