"""Blueprint: the DCAT-AP.de catalogue, dataset descriptions, VoID and the dumps.

- ``/catalog[.ext]?page=N&modified_since=…`` the paged ``dcat:Catalog`` (Turtle, JSON-LD,
  RDF/XML, N-Triples, HTML; by ``Accept``, ``?format=`` or extension);
- ``/dataset/{name}[.ext]`` one dataset with the catalogue node, complete on its own;
- ``/.well-known/void[.ext]`` the VoID description with statistics;
- ``/dump/{name}.{ttl,nt.gz,jsonld,nq.gz}`` the dumps, streamed from disk with ``ETag``
  (their SHA-256), ``Last-Modified``, ranges and ``304``.

Everything is derived from one store version at a time: a description built while the served
version changed is built again from the new one, so the figures, sizes and checksums a
harvester reads always belong to the data it downloads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue

from endpoint import backend_of, settings_of
from endpoint.caching import make_conditional
from endpoint.catalog_output import OFFERS, page_context, serialize_graph
from endpoint.datasets import (
    KNOWLEDGE_GRAPH,
    Entry,
    filter_modified_since,
    published_sources,
    resolve_entries,
)
from endpoint.dcat import PAGE_SIZE, Paging, catalog_graph, page_url_builder
from endpoint.dumps import (
    ATTEMPTS,
    DUMP_FORMATS,
    DumpFile,
    DumpFormat,
    DumpStore,
    VersionChanged,
)
from endpoint.errors import Problem
from endpoint.i18n import current_language
from endpoint.negotiation import HTML, NotAcceptable, Offer, negotiate
from endpoint.negotiation import variant_headers as base_variant_headers
from endpoint.void import compute_statistics, void_graph
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.publication import StoreVersion

bp = Blueprint("catalog", __name__)
PAGE_SIZE_KEY = "SMARTREGION_CATALOG_PAGE_SIZE"  # app.config override (tests use small pages)
BODY_CACHE_SIZE = 64  # rendered documents kept per process (pages × formats × languages)
T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """The catalogue datasets of one served store version."""

    version: StoreVersion | None
    entries: list[Entry]

    def entry(self, name: str) -> Entry | None:
        """The dataset called ``name``, if it is in the catalogue."""
        return next((e for e in self.entries if e.name == name), None)


class CatalogService:
    """What the blueprint derives from the store, cached per store version."""

    def __init__(self, settings: Settings, backend: StoreBackend) -> None:
        self.settings = settings
        self.backend = backend
        self.dumps = DumpStore(settings, backend)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._statistics: tuple[str, dict[str, Any]] | None = None
        self._bodies: OrderedDict[tuple[str, ...], bytes | str] = OrderedDict()

    def snapshot(self) -> Snapshot:
        """The served version's datasets (read again when the version changed)."""
        for _attempt in range(ATTEMPTS):
            version = self.backend.version()
            with self._lock:
                cached = self._snapshot
            if cached is not None and _same(cached.version, version):
                return cached
            sources = published_sources(self.backend, self.settings) if version else []
            if not _same(self.backend.version(), version):
                continue  # a publish happened while the records were read
            snapshot = Snapshot(version, resolve_entries(self.settings, sources))
            with self._lock:
                self._snapshot = snapshot
            return snapshot
        raise _busy()

    def consistent(self, work: Callable[[Snapshot], T]) -> T:
        """``work`` on the served version, repeated if a publish switched it meanwhile."""
        for _attempt in range(ATTEMPTS):
            try:
                return work(self.snapshot())
            except VersionChanged:
                continue
        raise _busy()

    def body(
        self, key: tuple[str, ...], make: Callable[[], tuple[Snapshot, bytes | str]]
    ) -> tuple[Snapshot, bytes | str]:
        """A rendered document of the served version, made once per version and ``key``."""
        snapshot = self.snapshot()
        full = (_version_id(snapshot), *key)
        with self._lock:
            if full in self._bodies:
                self._bodies.move_to_end(full)
                return snapshot, self._bodies[full]
        made_on, body = make()
        with self._lock:
            self._bodies[(_version_id(made_on), *key)] = body
            while len(self._bodies) > BODY_CACHE_SIZE:
                self._bodies.popitem(last=False)
        return made_on, body

    def dump(self, snapshot: Snapshot, name: str, fmt: DumpFormat) -> DumpFile:
        """The dump file of a dataset in the snapshot's version."""
        if snapshot.version is None:
            raise VersionChanged("the store is empty")
        datasets = {entry.name: entry.graphs for entry in snapshot.entries}
        return self.dumps.get(snapshot.version, datasets, name, fmt)

    def statistics(self, snapshot: Snapshot) -> dict[str, Any]:
        """The VoID figures of the snapshot's version (counted once per version)."""
        version = snapshot.version
        if version is None:
            return {}
        with self._lock:
            if self._statistics is not None and self._statistics[0] == version.id:
                return self._statistics[1]
        stats = self.dumps.derived(
            version, "void-statistics", lambda: compute_statistics(self.backend, self.settings))
        with self._lock:
            self._statistics = (version.id, stats)
        return stats


def prepare(settings: Settings, backend: StoreBackend) -> StoreVersion | None:
    """Write the served version's dumps and count its VoID figures now (e.g. right after a
    publish, or when the server starts), so that no harvester waits for them."""
    derived = CatalogService(settings, backend)

    def work(snapshot: Snapshot) -> StoreVersion | None:
        for entry in snapshot.entries:
            for fmt in DUMP_FORMATS:
                derived.dump(snapshot, entry.name, fmt)
        derived.statistics(snapshot)
        return snapshot.version

    return derived.consistent(work)


def service() -> CatalogService:
    """The app's catalogue service (made on first use)."""
    extensions = current_app.extensions
    if "smartregion.catalog" not in extensions:
        extensions["smartregion.catalog"] = CatalogService(
            settings_of(current_app), backend_of(current_app))
    found: CatalogService = extensions["smartregion.catalog"]
    return found


# -- routes ----------------------------------------------------------------------------------
@bp.get("/catalog")
@bp.get("/catalog.<ext>")
def catalog(ext: str | None = None) -> ResponseReturnValue:
    """The catalogue, one page per request (``?page=N``, 1-based; ``modified_since``)."""
    chosen = _negotiate(ext)
    page = _page_number()
    since = _modified_since()
    per_page = int(current_app.config.get(PAGE_SIZE_KEY, PAGE_SIZE))
    params = {"modified_since": request.args["modified_since"]} if since else {}
    path = f"/catalog.{ext}" if ext else "/catalog"
    settings = settings_of(current_app)

    def build(snapshot: Snapshot) -> tuple[Snapshot, bytes | str]:
        entries = filter_modified_since(snapshot.entries, since)
        paging = Paging(page, len(entries),
                        page_url_builder(settings.base_uri, path, params), per_page)
        if page > paging.last:
            raise Problem(404, "Not Found", f"page {page} does not exist; the last page is "
                          f"{paging.last} ({paging.total} datasets, {per_page} per page)")
        if chosen != HTML:
            graph = catalog_graph(settings, entries, _dump_lookup(snapshot), paging)
            return snapshot, serialize_graph(graph, chosen)
        start = (page - 1) * per_page
        return snapshot, render_template("catalog.html", **page_context(
            "catalog", snapshot, entries[start:start + per_page],
            service().statistics(snapshot), paging=paging, dumps=_dump_lookup(snapshot)))

    snapshot, body = service().body(_body_key(chosen), lambda: service().consistent(build))
    return _respond(body, chosen, snapshot, "/catalog", page=page, since=since)


@bp.get("/dataset/<string:file>")
def dataset(file: str) -> ResponseReturnValue:
    """One dataset (with the catalogue node, publisher, contact point and service)."""
    name, ext = _split_extension(file)
    settings = settings_of(current_app)

    def build(snapshot: Snapshot) -> tuple[Snapshot, bytes | str]:
        entry = snapshot.entry(name)
        if entry is None:  # checked before negotiation: unknown is 404 whatever Accept says
            raise Problem(404, "Not Found", f"there is no dataset {name!r} in the catalogue")
        if chosen != HTML:
            graph = catalog_graph(settings, [entry], _dump_lookup(snapshot), None)
            return snapshot, serialize_graph(graph, chosen)
        return snapshot, render_template("catalog.html", **page_context(
            "dataset", snapshot, [entry], service().statistics(snapshot),
            dumps=_dump_lookup(snapshot)))

    if service().snapshot().entry(name) is None:
        build(service().snapshot())  # raises the 404
    chosen = _negotiate(ext)
    snapshot, body = service().body(_body_key(chosen), lambda: service().consistent(build))
    return _respond(body, chosen, snapshot, f"/dataset/{name}")


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<ext>")
def void(ext: str | None = None) -> ResponseReturnValue:
    """The VoID description with the statistics of the served version."""
    chosen = _negotiate(ext)
    settings = settings_of(current_app)

    def build(snapshot: Snapshot) -> tuple[Snapshot, bytes | str]:
        stats = service().statistics(snapshot)
        if chosen == HTML:
            return snapshot, render_template("catalog.html", **page_context(
                "void", snapshot, snapshot.entries, stats, dumps=_dump_lookup(snapshot)))
        version = snapshot.version or StoreVersion("empty", datetime.fromtimestamp(0, UTC))
        graph = void_graph(settings, snapshot.entries, stats, version)
        return snapshot, serialize_graph(graph, chosen)

    snapshot, body = service().body(_body_key(chosen), lambda: service().consistent(build))
    return _respond(body, chosen, snapshot, "/.well-known/void")


@bp.get("/dump/<string:file>")
def dump(file: str) -> ResponseReturnValue:
    """A dump file, streamed; ``ETag`` is its SHA-256, so unchanged data keeps its tag."""
    name, fmt = _dump_name(file)

    def fetch(snapshot: Snapshot) -> DumpFile:
        entry = snapshot.entry(name)
        if entry is None:
            raise Problem(404, "Not Found", f"there is no dataset {name!r} in the catalogue")
        return service().dump(snapshot, entry.name, fmt)

    snapshot, made = _on_snapshot(fetch)
    response = send_file(
        made.path, mimetype=fmt.content_type, as_attachment=True, download_name=file,
        conditional=True, etag=made.sha256,
        last_modified=snapshot.version.created if snapshot.version else None, max_age=0,
    )
    response.headers["Link"] = (
        f'<{settings_of(current_app).base_uri}dataset/{name}>; rel="describedby"')
    return response


# -- helpers ---------------------------------------------------------------------------------
def _dump_name(file: str) -> tuple[str, DumpFormat]:
    """``("projects", <nt.gz>)`` for ``projects.nt.gz``; 404 for anything else."""
    for fmt in DUMP_FORMATS:
        if file.endswith("." + fmt.extension) and len(file) > len(fmt.extension) + 1:
            return file[: -len(fmt.extension) - 1], fmt
    raise Problem(404, "Not Found", f"no dump {file!r}: dumps end in "
                  + ", ".join("." + f.extension for f in DUMP_FORMATS))


def _on_snapshot(work: Callable[[Snapshot], T]) -> tuple[Snapshot, T]:
    """``work`` on a snapshot, with the snapshot it ran on."""
    def run(snapshot: Snapshot) -> tuple[Snapshot, T]:
        return snapshot, work(snapshot)

    return service().consistent(run)


def _dump_lookup(snapshot: Snapshot) -> Callable[[str, Sequence[str], DumpFormat], DumpFile]:
    def lookup(name: str, graphs: Sequence[str], fmt: DumpFormat) -> DumpFile:
        del graphs  # the snapshot knows every dataset's graphs
        return service().dump(snapshot, name, fmt)

    return lookup


def _negotiate(ext: str | None) -> Offer:
    try:
        return negotiate(request, OFFERS, explicit=ext or request.args.get("format"))
    except NotAcceptable as exc:
        variants = ", ".join(o.media_type for o in exc.offers)
        raise Problem(406, "Not Acceptable",
                      f"cannot produce {exc.asked!r}; available: {variants}",
                      variants=[o.media_type for o in exc.offers]) from exc


def _split_extension(file: str) -> tuple[str, str | None]:
    """``("x", "ttl")`` for ``x.ttl`` when ``ttl`` names an offer, else ``(file, None)``."""
    stem, dot, ext = file.rpartition(".")
    if dot and any(ext == o.extension for o in OFFERS):
        return stem, ext
    return file, None


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise Problem(400, "Bad Request", f"page must be a positive integer, not {raw!r}")
    return int(raw)


def _modified_since() -> datetime | None:
    raw = request.args.get("modified_since")
    if not raw:
        return None
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise Problem(400, "Bad Request",
                      f"modified_since must be an ISO 8601 date or time, not {raw!r}") from exc
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def _respond(
    body: bytes | str, chosen: Offer, snapshot: Snapshot, path: str, *, page: int | None = None,
    since: datetime | None = None,
) -> ResponseReturnValue:
    response = Response(body, mimetype=chosen.media_type)
    parts = [request.full_path]
    if chosen == HTML:  # the page's language follows ?lang= or Accept-Language
        parts.append(current_language())
    query = urlencode([(k, v) for k, v in (
        ("page", str(page) if page and page > 1 else None),
        ("modified_since", request.args.get("modified_since") if since else None),
    ) if v is not None])
    headers = base_variant_headers(path, chosen, OFFERS)
    if query:
        headers["Content-Location"] += "?" + query
        headers["Link"] = ", ".join(
            f'<{path}.{o.extension}?{query}>; rel="alternate"; type="{o.media_type}"'
            for o in OFFERS if o != chosen)
    response.headers.update(headers)
    if chosen == HTML:
        response.headers["Vary"] = "Accept, Accept-Language"
    return make_conditional(request, response, snapshot.version, *parts)


def _version_id(snapshot: Snapshot) -> str:
    return snapshot.version.id if snapshot.version else ""


def _body_key(chosen: Offer) -> tuple[str, ...]:
    """What a rendered document depends on besides the version: URL, format, language."""
    return (request.full_path, chosen.media_type, current_language() if chosen == HTML else "")


def _same(a: StoreVersion | None, b: StoreVersion | None) -> bool:
    return (a.id if a else None) == (b.id if b else None)


def _busy() -> Problem:
    return Problem(503, "Service Unavailable",
                   "the data were republished several times while this answer was being made; "
                   "please retry", headers={"Retry-After": "1"})


__all__ = ["KNOWLEDGE_GRAPH", "bp"]
