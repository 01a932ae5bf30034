"""The SPARQL 1.1 Protocol's request side: which query, dataset and format a request asks for.

Three ways to send a query (SPARQL 1.1 Protocol §2.1): ``GET ?query=``, ``POST`` of an
``application/x-www-form-urlencoded`` form, and ``POST`` of ``application/sparql-query`` with
the dataset parameters in the URL. Besides the protocol's ``query``, ``default-graph-uri`` and
``named-graph-uri``, this endpoint reads ``format`` (also ``output``/``results``, as
SPARQLWrapper sends them) to choose the result format without ``Accept``, and ``timeout``
(seconds) to lower the deadline. Other parameters are ignored, so clients that add their own
keep working. Updates are never accepted: ``update=`` or ``application/sparql-update`` get 400.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Request
from werkzeug.datastructures import MultiDict

from endpoint.errors import Problem
from endpoint.negotiation import (
    GRAPH_OFFERS,
    HTML,
    RESULTS_OFFERS,
    NotAcceptable,
    Offer,
    negotiate,
)
from smartregion.formats import GraphFormat, ResultsFormat, graph_format, results_format
from smartregion.settings import Settings

QUERY_TYPES = ("application/x-www-form-urlencoded", "application/sparql-query")
_FORMAT_PARAMETERS = ("format", "output", "results")
_UPDATE_PARAMETERS = ("update", "using-graph-uri", "using-named-graph-uri")
# format= values that name a graph format differently from the results format of that name
_GRAPH_ALIASES = {"json": "jsonld", "xml": "rdfxml", "rdf+xml": "rdfxml", "n3": "turtle"}
UPDATE_REFUSED = (
    "This endpoint answers queries only: SPARQL Update is never offered over HTTP. The data "
    "change only through the platform's validated load pipeline."
)


@dataclass(frozen=True)
class SparqlRequest:
    """A query request as the protocol defines it, plus ``format`` and ``timeout``."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    timeout: float | None = None


def _bad(detail: str, title: str = "Bad Request") -> Problem:
    return Problem(400, title, detail)


def _parameters(req: Request) -> tuple[MultiDict[str, str], str | None]:
    """All parameters of the request, and the query from a direct POST body (if any)."""
    if req.method in ("GET", "HEAD"):  # (the target's length is checked for every route)
        return req.args, None
    content_type = req.mimetype
    if content_type == "application/sparql-update":
        raise _bad(UPDATE_REFUSED, "Updates are not accepted")
    if content_type == "application/x-www-form-urlencoded":
        parameters = MultiDict(req.args)
        for key, values in req.form.lists():
            parameters.setlist(key, [*parameters.getlist(key), *values])
        return parameters, None
    if content_type == "application/sparql-query":
        charset = req.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise _bad(f"A SPARQL query must be sent in UTF-8, not {charset}.")
        try:
            text = req.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _bad(f"The request body is not valid UTF-8 (byte {exc.start}).") from exc
        return req.args, text
    raise Problem(
        415, "Unsupported Media Type",
        f"A query is POSTed as {' or '.join(QUERY_TYPES)}, not "
        f"{content_type or 'without a Content-Type'}.",
        accepted=list(QUERY_TYPES),
    )


def parse_request(req: Request, settings: Settings) -> SparqlRequest | None:
    """The query request ``req`` carries, or ``None`` when it asks for no query at all
    (``GET /sparql``: service description or query UI). Raises :class:`Problem` (400, 413,
    414, 415) for a request the protocol does not allow."""
    del settings  # the limits (target, body) are checked for every route
    parameters, body_query = _parameters(req)
    return read_parameters(req.method, parameters, body_query)


def read_parameters(
    method: str, parameters: MultiDict[str, str], body_query: str | None = None
) -> SparqlRequest | None:
    """The query request of decoded ``parameters`` (and a query sent as the body), or
    ``None`` when there is no query; raises :class:`Problem` as :func:`parse_request`."""
    if any(name in parameters for name in _UPDATE_PARAMETERS):
        raise _bad(UPDATE_REFUSED, "Updates are not accepted")
    queries = parameters.getlist("query")
    if body_query is not None:
        if queries:
            raise _bad("The query is in the request body: a 'query' parameter may not be sent "
                       "as well.")
        queries = [body_query]
    if len(queries) > 1:
        raise _bad(f"Exactly one 'query' parameter is allowed; this request has {len(queries)}.")
    default_graphs = tuple(parameters.getlist("default-graph-uri"))
    named_graphs = tuple(parameters.getlist("named-graph-uri"))
    timeout = _timeout(parameters.getlist("timeout"))
    formats = tuple(v for name in _FORMAT_PARAMETERS for v in parameters.getlist(name) if v)
    if not queries:
        if method == "POST":
            raise _bad("The request has no query: send it in the 'query' parameter or as an "
                       "application/sparql-query body.")
        if default_graphs or named_graphs or timeout is not None:
            raise _bad("Dataset and timeout parameters need a 'query' parameter.")
        return None
    if not queries[0].strip():
        raise _bad("The query is empty.")
    for iri in (*default_graphs, *named_graphs):
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise _bad(f"Graph IRI {iri!r} is not a valid absolute IRI: {exc}") from exc
    return SparqlRequest(queries[0], default_graphs, named_graphs, formats, timeout)


def _timeout(values: Sequence[str]) -> float | None:
    if not values:
        return None
    if len(values) > 1:
        raise _bad("At most one 'timeout' parameter is allowed.")
    try:
        seconds = float(values[0])
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise _bad(f"'timeout' must be a positive number of seconds, not {values[0]!r}.")
    return seconds


def _not_acceptable(req: Request, offers: Sequence[Offer], kind: str, asked: str) -> Problem:
    types = [offer.media_type for offer in offers]
    return Problem(
        406, "Not Acceptable",
        f"A {kind} result cannot be sent as {asked or 'requested'}. Supported media types: "
        f"{', '.join(types)} (with Accept, or format= with a name like "
        f"{', '.join(o.name for o in offers)}).",
        variants=types,
    )


_CHOSEN: dict[tuple[str, bool, tuple[str, ...]], tuple[ResultsFormat, GraphFormat]] = {}


def choose_formats(
    req: Request, form: str | None, explicit: Sequence[str]
) -> tuple[ResultsFormat, GraphFormat]:
    """The results format and graph format to answer with; the one that fits the query
    form is negotiated (``format=`` first, then ``Accept``), the other is the default.
    Raises :class:`Problem` 406 listing the supported types when nothing fits.

    Choices are remembered per (Accept, kind, format=) since clients repeat them."""
    key = (req.headers.get("Accept", ""), form in ("CONSTRUCT", "DESCRIBE"), tuple(explicit))
    chosen = _CHOSEN.get(key)
    if chosen is None:
        chosen = _choose_formats(req, form, explicit)
        if len(_CHOSEN) < 1024:
            _CHOSEN[key] = chosen
    return chosen


def _choose_formats(
    req: Request, form: str | None, explicit: Sequence[str]
) -> tuple[ResultsFormat, GraphFormat]:
    graph_kind = form in ("CONSTRUCT", "DESCRIBE")
    offers = GRAPH_OFFERS if graph_kind else RESULTS_OFFERS
    kind = f"{form or 'SELECT'} query's"
    chosen: Offer | None = None
    if explicit:
        for value in explicit:
            key = value.strip().lower()
            key = _GRAPH_ALIASES.get(key, key) if graph_kind else key
            try:
                chosen = negotiate(req, offers, explicit=key)
                break
            except NotAcceptable:
                continue
        if chosen is None:
            raise _not_acceptable(req, offers, kind, "format=" + ",".join(explicit))
    else:
        aliases = {} if graph_kind else {
            "application/json": RESULTS_OFFERS[0], "application/xml": RESULTS_OFFERS[1],
        }
        try:
            chosen = negotiate(req, offers, aliases=aliases)
        except NotAcceptable as exc:
            raise _not_acceptable(req, offers, kind, exc.asked) from exc
    if graph_kind:
        gfmt = graph_format(chosen.media_type)
        assert gfmt is not None
        return _default_results(), gfmt
    rfmt = results_format(chosen.media_type)
    assert rfmt is not None
    return rfmt, _default_graph()


def _default_results() -> ResultsFormat:
    fmt = results_format("json")
    assert fmt is not None
    return fmt


def _default_graph() -> GraphFormat:
    fmt = graph_format("turtle")
    assert fmt is not None
    return fmt


def prefers_html(req: Request, offers: Sequence[Offer]) -> bool:
    """Whether the client (a browser) prefers HTML to every data format offered.

    HTML is listed last, so ``*/*`` and ties go to data."""
    header = req.headers.get("Accept", "")
    if "html" not in header:
        return False  # the common API case, decided without parsing
    accept = req.accept_mimetypes
    return accept.best_match([*(o.media_type for o in offers), HTML.media_type]) == "text/html"
