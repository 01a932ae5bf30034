"""Blueprint: the DCAT-AP.de catalogue, dataset descriptions, VoID and the dumps.

- ``/catalog[.ext]?page=N&modified_since=…`` the paged ``dcat:Catalog`` (Turtle, JSON-LD,
  RDF/XML, N-Triples, HTML; by ``Accept``, ``?format=`` or extension);
- ``/dataset/{name}[.ext]`` one dataset with the catalogue node, complete on its own;
- ``/.well-known/void[.ext]`` the VoID description with statistics;
- ``/dump/{name}.{ttl,nt.gz,jsonld,nq.gz}`` the dumps, streamed from disk with ``ETag``
  (their SHA-256), ``Last-Modified``, ranges and ``304``.

The datasets, dumps and VoID figures are derived once per version by
:mod:`smartregion.derived` (the writer prepares them right after a publish); this blueprint
renders and serves them, one store version at a time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue

from endpoint import backend_of, settings_of
from endpoint.alternates import alternates_response
from endpoint.caching import make_conditional
from endpoint.catalog_output import OFFERS, page_context, serialize_graph
from endpoint.catalog_profiles import (
    CATALOG_ALTERNATIVES,
    PROFILE_PREFIXES,
    profile_graph,
    schema_org_catalog,
)
from endpoint.dcat import Paging, catalog_graph, page_url_builder
from endpoint.errors import Problem
from endpoint.i18n import current_language
from endpoint.listings import page_number
from endpoint.negotiation import (
    HTML,
    Choice,
    NotAcceptable,
    Offer,
    ProfileNotAcceptable,
    choose,
    negotiate,
    not_acceptable,
    profile_headers,
)
from endpoint.negotiation import variant_headers as base_variant_headers
from endpoint.negotiation.profiles import DSP, SCHEMA_ORG
from endpoint.void import void_graph
from smartregion.derived.datasets import (
    KNOWLEDGE_GRAPH,
    filter_modified_since,
)
from smartregion.derived.dumps import (
    DUMP_FORMATS,
    DumpFile,
    DumpFormat,
)
from smartregion.derived.views import DerivedViews, Republished, Snapshot
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.store.publication import StoreVersion

bp = Blueprint("catalog", __name__)
BODY_CACHE_SIZE = 64  # rendered documents kept per process (pages × formats × languages)
T = TypeVar("T")


class CatalogService:
    """The catalogue's derived views (:class:`~smartregion.derived.views.DerivedViews`) plus
    the documents rendered from them, kept per version in this process."""

    def __init__(self, settings: Settings, backend: StoreBackend) -> None:
        self.views = DerivedViews(settings, backend)
        self._lock = threading.Lock()
        self._bodies: OrderedDict[tuple[str, ...], bytes | str] = OrderedDict()

    def snapshot(self) -> Snapshot:
        """The served version's datasets (503 when it keeps changing)."""
        try:
            return self.views.snapshot()
        except Republished as exc:
            raise _busy() from exc

    def consistent(self, work: Callable[[Snapshot], T]) -> T:
        """``work`` on the served version, repeated if a publish switched it meanwhile."""
        try:
            return self.views.consistent(work)
        except Republished as exc:
            raise _busy() from exc

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
        return self.views.dump(snapshot, name, fmt)

    def statistics(self, snapshot: Snapshot) -> dict[str, Any]:
        """The VoID figures of the snapshot's version (recorded by the writer)."""
        return self.views.statistics(snapshot)


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
    """The catalogue, one page per request (``?page=N``, 1-based; ``modified_since``), in
    the negotiated profile (DCAT-AP.de, DCAT-AP, Dataspace Protocol, schema.org)."""
    page = _page_number()
    since = _modified_since()
    query = _content_query(page, since)
    choice = _choose(ext, "/catalog", query)
    if choice.listing:
        return alternates_response("/catalog", CATALOG_ALTERNATIVES, choice,
                                   settings_of(current_app).base_uri + "catalog",
                                   service().snapshot().version, query=query)
    chosen = choice.offer
    per_page = settings_of(current_app).catalog_page_size
    params = {"modified_since": request.args["modified_since"]} if since else {}
    # the next pages in the same profile and format, when the query string chose them
    params.update({k: request.args[k] for k in ("_profile", "_mediatype", "format")
                   if request.args.get(k)})
    path = f"/catalog.{ext}" if ext else "/catalog"
    settings = settings_of(current_app)

    def build(snapshot: Snapshot) -> tuple[Snapshot, bytes | str]:
        entries = filter_modified_since(snapshot.entries, since)
        paging = Paging(page, len(entries),
                        page_url_builder(settings.base_uri, path, params), per_page)
        if page > paging.last:
            raise Problem(404, "Not Found", f"page {page} does not exist; the last page is "
                          f"{paging.last} ({paging.total} datasets, {per_page} per page)")
        start = (page - 1) * per_page
        if choice.profile == SCHEMA_ORG:
            return snapshot, schema_org_catalog(settings, entries[start:start + per_page],
                                                _dump_lookup(snapshot))
        if chosen != HTML:
            graph = catalog_graph(settings, entries, _dump_lookup(snapshot), paging)
            return snapshot, _serialize(choice, graph, entries, settings)
        return snapshot, render_template("catalog.html", **page_context(
            "catalog", snapshot, entries[start:start + per_page],
            service().statistics(snapshot), paging=paging, dumps=_dump_lookup(snapshot)))

    snapshot, body = service().body(_body_key(choice), lambda: service().consistent(build))
    return _respond(body, choice, snapshot, "/catalog", query)


@bp.get("/dataset/<string:file>")
def dataset(file: str) -> ResponseReturnValue:
    """One dataset (with the catalogue node, publisher, contact point and service)."""
    name, ext = _split_extension(file)
    settings = settings_of(current_app)

    def build(snapshot: Snapshot) -> tuple[Snapshot, bytes | str]:
        entry = snapshot.entry(name)
        if entry is None:  # checked before negotiation: unknown is 404 whatever Accept says
            raise Problem(404, "Not Found", f"there is no dataset {name!r} in the catalogue")
        if choice.profile == SCHEMA_ORG:
            return snapshot, schema_org_catalog(settings, [entry], _dump_lookup(snapshot))
        if choice.offer != HTML:
            graph = catalog_graph(settings, [entry], _dump_lookup(snapshot), None)
            return snapshot, _serialize(choice, graph, [entry], settings)
        return snapshot, render_template("catalog.html", **page_context(
            "dataset", snapshot, [entry], service().statistics(snapshot),
            dumps=_dump_lookup(snapshot)))

    if service().snapshot().entry(name) is None:
        build(service().snapshot())  # raises the 404
    path = f"/dataset/{name}"
    choice = _choose(ext, path, "")
    if choice.listing:
        return alternates_response(path, CATALOG_ALTERNATIVES, choice,
                                   settings.base_uri + path.lstrip("/"),
                                   service().snapshot().version)
    snapshot, body = service().body(_body_key(choice), lambda: service().consistent(build))
    return _respond(body, choice, snapshot, path, "")


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<ext>")
def void(ext: str | None = None) -> ResponseReturnValue:
    """The VoID description with the statistics of the served version."""
    chosen = _negotiate_media(ext)
    settings = settings_of(current_app)

    def build(snapshot: Snapshot) -> tuple[Snapshot, bytes | str]:
        stats = service().statistics(snapshot)
        if chosen == HTML:
            return snapshot, render_template("catalog.html", **page_context(
                "void", snapshot, snapshot.entries, stats, dumps=_dump_lookup(snapshot)))
        version = snapshot.version or StoreVersion("empty", datetime.fromtimestamp(0, UTC))
        graph = void_graph(settings, snapshot.entries, stats, version)
        return snapshot, serialize_graph(graph, chosen)

    snapshot, body = service().body(_void_key(chosen), lambda: service().consistent(build))
    return _void_respond(body, chosen, snapshot)


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
        # werkzeug adds "; charset=utf-8" to text/* itself (given twice, it was sent twice)
        made.path, mimetype=fmt.content_type.split(";")[0], as_attachment=True,
        download_name=file,
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


def _choose(ext: str | None, path: str, query: str) -> Choice:
    """The profile and media type of a catalogue answer; 406 names every alternative."""
    try:
        return choose(request, CATALOG_ALTERNATIVES, extension=ext)
    except ProfileNotAcceptable as exc:
        raise not_acceptable(path, CATALOG_ALTERNATIVES, exc.asked, query=query) from exc
    except NotAcceptable as exc:
        raise not_acceptable(path, CATALOG_ALTERNATIVES, exc.asked, query=query) from exc


def _serialize(choice: Choice, graph: Any, entries: Sequence[Any], settings: Settings) -> bytes:
    """The catalogue graph in the chosen RDF profile and format."""
    shaped = profile_graph(choice, graph, entries, settings)
    return serialize_graph(shaped, choice.offer, PROFILE_PREFIXES if choice.profile == DSP
                           else None)


def _negotiate_media(ext: str | None) -> Offer:
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
    return page_number(request.args.get("page"))


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


def _content_query(page: int, since: datetime | None) -> str:
    """The encoded query parameters that change a catalogue page (kept on its variants)."""
    return urlencode([(k, v) for k, v in (
        ("page", str(page) if page > 1 else None),
        ("modified_since", request.args.get("modified_since") if since else None),
    ) if v is not None])


def _respond(body: bytes | str, choice: Choice, snapshot: Snapshot, path: str, query: str
             ) -> ResponseReturnValue:
    chosen = choice.offer
    response = Response(body, mimetype=chosen.media_type)
    parts = [request.full_path, choice.profile.token]
    if chosen == HTML:  # the page's language follows ?lang= or Accept-Language
        parts.append(current_language())
    response.headers.update(profile_headers(path, CATALOG_ALTERNATIVES, choice, query))
    if chosen == HTML:
        response.headers["Vary"] = "Accept, Accept-Profile, Accept-Language"
    return make_conditional(request, response, snapshot.version, *parts)


def _void_respond(body: bytes | str, chosen: Offer, snapshot: Snapshot) -> ResponseReturnValue:
    response = Response(body, mimetype=chosen.media_type)
    parts = [request.full_path]
    if chosen == HTML:
        parts.append(current_language())
    response.headers.update(base_variant_headers("/.well-known/void", chosen, OFFERS))
    if chosen == HTML:
        response.headers["Vary"] = "Accept, Accept-Language"
    return make_conditional(request, response, snapshot.version, *parts)


def _version_id(snapshot: Snapshot) -> str:
    return snapshot.version.id if snapshot.version else ""


def _body_key(choice: Choice) -> tuple[str, ...]:
    """What a rendered document depends on besides the version: URL, profile, format,
    language."""
    chosen = choice.offer
    return (request.full_path, choice.profile.token, chosen.media_type,
            current_language() if chosen == HTML else "")


def _void_key(chosen: Offer) -> tuple[str, ...]:
    return (request.full_path, "void", chosen.media_type,
            current_language() if chosen == HTML else "")


def _busy() -> Problem:
    return Problem(503, "Service Unavailable",
                   "the data were republished several times while this answer was being made; "
                   "please retry", headers={"Retry-After": "1"})


__all__ = ["KNOWLEDGE_GRAPH", "bp"]
