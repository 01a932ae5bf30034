"""A CKAN harvester takes the catalogue: ckanext-dcat's own RDF parser (profile
``euro_dcat_ap_3``) reads every page as its DCATRDFHarvester would, and every dataset comes
out with title, description, licence and distributions.

ckanext-dcat needs CKAN, whose pinned dependencies clash with ours, so it runs in its own venv
(``var/ckan-venv``, made by ``make ckan-venv`` or by this module on first use from PyPI, with
CKAN's runtime pins from ../shared/conformance/ckan-requirements.txt). The catalogue pages are
recorded through the Flask test client and handed over as files. GovData's ``dcatap_de``
profile (ckanext-dcatde) is not on PyPI, so it is not run here.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from endpoint import create_app
from smartregion.namespaces import DCAT, DCTERMS, SPDX
from smartregion.settings import PROJECT_DIR, Settings
from smartregion.store.embedded import EmbeddedBackend
from tests.conftest import SHARED
from tests.http.test_catalog import BASE, all_pages

pytestmark = pytest.mark.slow

CKAN_VENV = PROJECT_DIR / "var" / "ckan-venv"
CKAN_PINS = ("ckan==2.11.6", "ckanext-dcat==2.4.4")  # as tried in shared/conformance notes §6
REQUIREMENTS = SHARED / "conformance" / "ckan-requirements.txt"
LICENCES = SHARED / "conformance" / "vocabularies" / "dcat-ap-de" / "licenses-open.rdf"
SCRIPT = Path(__file__).with_name("ckan_harvest.py")
PAGE_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json"}


def build_ckan_venv() -> Path:
    """The CKAN venv's python, installed from PyPI if missing (``make ckan-venv`` calls this).

    Raises RuntimeError with pip's last lines when it cannot be installed.
    """
    python = CKAN_VENV / "bin" / "python"
    CKAN_VENV.parent.mkdir(parents=True, exist_ok=True)
    with (CKAN_VENV.parent / "ckan-venv.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists():
            return python
        if not REQUIREMENTS.is_file():
            raise RuntimeError(f"{REQUIREMENTS} is absent (CKAN's runtime pins)")
        base_python = Path(sys.base_prefix) / "bin" / "python3"
        try:
            subprocess.run([str(base_python), "-m", "venv", str(CKAN_VENV)], check=True,
                           capture_output=True, text=True, timeout=300)
            subprocess.run([str(CKAN_VENV / "bin" / "pip"), "install", "--quiet", *CKAN_PINS,
                            "-r", str(REQUIREMENTS)],
                           check=True, capture_output=True, text=True, timeout=1200)
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(CKAN_VENV, ignore_errors=True)
            detail = getattr(exc, "stderr", "") or str(exc)
            raise RuntimeError("pip could not install CKAN and ckanext-dcat: "
                               + "\n".join(str(detail).splitlines()[-5:])) from exc
        return python


@pytest.fixture(scope="module")
def ckan_python() -> Path:
    explicit = os.environ.get("CKAN_PYTHON")
    if explicit:
        return Path(explicit)
    try:
        python = build_ckan_venv()
    except RuntimeError as exc:
        pytest.skip(f"ckanext-dcat cannot run here: {exc}")
    probe = subprocess.run([str(python), "-c", "import ckanext.dcat.processors"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"ckanext-dcat does not import in {CKAN_VENV}: {probe.stderr[-500:]}")
    return python


@pytest.fixture(scope="module")
def licence_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CKAN licence register of the DCAT-AP.de licences (ids = IRIs, as GovData's)."""
    if not LICENCES.is_file():
        pytest.skip(f"the DCAT-AP.de licence list is absent: {LICENCES}")
    vocabulary = Graph().parse(LICENCES, format="xml")
    entries = []
    for concept in sorted(set(vocabulary.subjects(SKOS.inScheme, URIRef(
            "http://dcat-ap.de/def/licenses")))):
        labels = {lit.language: str(lit) for lit in vocabulary.objects(concept, SKOS.prefLabel)
                  if isinstance(lit, Literal)}
        title = labels.get("de") or labels.get("en") or str(concept)
        entries.append({"id": str(concept), "url": str(concept), "title": title,
                        "status": "active"})
    path = tmp_path_factory.mktemp("ckan") / "licences.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def harvest_app(loaded_settings: Settings, loaded_backend: EmbeddedBackend) -> Flask:
    flask_app = create_app(loaded_settings.replace(catalog_page_size=3), loaded_backend)
    return flask_app


def run_harvest(
    ckan_python: Path, flask_app: Flask, ext: str, licences: Path, folder: Path,
    profiles: list[str] | None = None,
) -> tuple[dict[str, Any], Graph]:
    """Record the pages, run ckanext-dcat on them; (its result, the union of our pages)."""
    client = flask_app.test_client()
    pages, union = {}, Graph()
    for number, (url, graph) in enumerate(all_pages(client, f"/catalog.{ext}")):
        response = client.get(url.removeprefix(BASE.rstrip("/")))
        file = folder / f"page-{number}.{ext}"
        file.write_bytes(response.data)
        pages[url] = {"file": str(file),
                      "content_type": response.headers["Content-Type"].split(";", 1)[0]}
        union += graph
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({
        "start": f"{BASE}catalog.{ext}", "pages": pages, "profiles": profiles or ["euro_dcat_ap_3"],
        "locale": "de", "licences": str(licences),
    }), encoding="utf-8")
    done = subprocess.run([str(ckan_python), str(SCRIPT), str(manifest)], capture_output=True,
                          text=True, timeout=600, cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), union


@pytest.mark.parametrize("ext", list(PAGE_TYPES))
def test_ckanext_dcat_takes_every_dataset_with_title_description_licence_and_distributions(
    ckan_python: Path, harvest_app: Flask, licence_register: Path, ext: str,
    tmp_path: Path,
) -> None:
    result, ours = run_harvest(ckan_python, harvest_app, ext, licence_register, tmp_path)
    assert all("error" not in page for page in result["pages"]), result["pages"]
    harvested = [d for page in result["pages"] for d in page["datasets"]]
    expected = set(ours.subjects(RDF.type, DCAT.Dataset))
    assert len(result["pages"]) >= 2  # paging was followed
    assert sorted(d["guid"] for d in harvested) == sorted(str(d) for d in expected)
    for dataset in harvested:
        iri = URIRef(dataset["guid"])
        german_title = next(str(t) for t in ours.objects(iri, DCTERMS.title)
                            if isinstance(t, Literal) and t.language == "de")
        assert dataset["title"] == german_title  # GovData's locale is de
        assert dataset["notes"]
        distributions = set(ours.objects(iri, DCAT.distribution))
        licences = {str(ours.value(d, DCTERMS.license)) for d in distributions}
        assert dataset["license_id"] in licences, dataset["license_id"]
        assert len(dataset["resources"]) == len(distributions) == 5
        for resource in dataset["resources"]:
            assert resource["url"] and resource["license"] in licences
        for resource in (r for r in dataset["resources"] if r.get("size")):
            (dist,) = ours.subjects(DCAT.downloadURL, URIRef(resource["url"]))
            assert resource["size"] == int(ours.value(dist, DCAT.byteSize).toPython())
            checksum = ours.value(dist, SPDX.checksum)
            assert resource["hash"] == str(ours.value(checksum, SPDX.checksumValue))
        assert sum(1 for r in dataset["resources"] if r.get("size")) == 4


def test_govdata_dcatap_de_profile_when_installed(
    ckan_python: Path, harvest_app: Flask, licence_register: Path, tmp_path: Path,
) -> None:
    probe = subprocess.run([str(ckan_python), "-c", "import ckanext.dcatde"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip("ckanext-dcatde (GovData's profile dcatap_de) is not installed: it is not "
                    "published on PyPI; install it from GovData's repository into "
                    f"{CKAN_VENV} to run this check")
    result, ours = run_harvest(ckan_python, harvest_app, "rdf", licence_register, tmp_path,
                               profiles=["euro_dcat_ap_3", "dcatap_de"])
    harvested = [d for page in result["pages"] for d in page["datasets"]]
    assert len(harvested) == len(set(ours.subjects(RDF.type, DCAT.Dataset)))
    assert all(d["title"] and d["notes"] and d["resources"] for d in harvested)
