"""Link our municipalities to Wikidata by AGS, with coordinates where Wikidata has them.

For every municipality the store publishes (``{base}id/municipality/{AGS}``), a remote SPARQL
endpoint with Wikidata's vocabulary (``https://query.wikidata.org/sparql`` or a mirror) is
asked, in batches of ``batch_size`` AGS bound with ``VALUES``, for the items whose German
municipality key (``wdt:P439``) is that AGS and that have no dissolution date (``wdt:P576``),
with their coordinate location (``wdt:P625``). Each query is a GET, so the endpoint's
``ETag``/``Last-Modified`` serve the next conditional request.

Published into ``{base}graph/<name>`` (``graph/wikidata`` with the shipped configuration)::

    <…/id/municipality/06411000> owl:sameAs wd:Q2973 ;
        geo:hasGeometry [ a sf:Point ; dct:source wd:Q2973 ;
                          geo:asWKT "POINT(8.65 49.87)"^^geo:wktLiteral ] .

WKT follows GeoSPARQL: no CRS IRI means CRS84, longitude first. An AGS with several Wikidata
items is ambiguous and gets no link (listed in the notes); an item with several coordinates
gets the first in sort order (also noted); coordinates for another globe or out of range are
skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from loaders.remote_source import (
    Municipalities,
    RemoteContext,
    RemoteSource,
    digest,
    published_municipalities,
)
from loaders.source import Progress
from loaders.web_sources import FetchResult, RemoteError
from smartregion.namespaces import DCTERMS, GEO, OWL, RDF, SF
from smartregion.settings import Settings
from smartregion.uris import graph_uri

LOADER_VERSION = "1"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
ITEM = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"  # WKT as Wikidata writes it: plain decimals
WKT_POINT = re.compile(
    rf"^\s*(?:<(?P<crs>[^>]*)>\s*)?POINT\s*\(\s*(?P<lon>{_NUMBER})\s+(?P<lat>{_NUMBER})\s*\)\s*$",
    re.IGNORECASE,
)
RESULTS_TYPES = frozenset({"application/sparql-results+json", "application/json"})

QUERY = """PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?ags ?item ?coord WHERE {
  VALUES ?ags { %s }
  ?item wdt:P439 ?ags .
  FILTER NOT EXISTS { ?item wdt:P576 ?dissolved }
  OPTIONAL { ?item wdt:P625 ?coord }
}
ORDER BY ?ags ?item ?coord
"""


def batch_query(keys: list[str]) -> str:
    """The query for one batch; keys are checked 8-digit AGS rendered as escaped literals."""
    if not all(re.fullmatch(r"[0-9]{8}", k) for k in keys):
        raise ValueError("only 8-digit AGS may be bound")
    return QUERY % " ".join(Literal(k).n3() for k in keys)


class WikidataSource(RemoteSource):
    """``owl:sameAs`` links and coordinates from a Wikidata SPARQL endpoint, by AGS."""

    loader_version = LOADER_VERSION
    accept = "application/sparql-results+json"

    def __init__(
        self,
        name: str,
        url: str,
        context: RemoteContext,
        *,
        batch_size: int = 50,
        title_de: str = "",
        title_en: str = "",
        licence: str | None = None,
        attribution: str | None = None,
    ) -> None:
        super().__init__(context)
        self.name = name
        self.url = url
        self.batch_size = batch_size
        self.title_de = title_de or "Verknüpfungen mit Wikidata und Koordinaten"
        self.title_en = title_en or "Links to Wikidata and coordinates"
        self.licence = URIRef(licence) if licence else None
        self.attribution = attribution
        self.municipalities = Municipalities()

    def local_digest(self, settings: Settings) -> str:
        """Municipality keys, batch size, endpoint and loader version."""
        self.municipalities = published_municipalities(
            self.context.backend, settings, graph_uri(settings.base_uri, self.name)
        )
        return digest([LOADER_VERSION, self.municipalities.digest(), str(self.batch_size),
                       self.url, settings.base_uri])

    def request_urls(self) -> list[str]:
        """One GET URL per batch of AGS, in key order."""
        keys = sorted(self.municipalities.by_ags)
        batches = [keys[i:i + self.batch_size] for i in range(0, len(keys), self.batch_size)]
        separator = "&" if "?" in self.url else "?"
        return [self.url + separator + urlencode({"query": batch_query(b)}) for b in batches]

    def harvest(
        self, settings: Settings, progress: Progress, reuse: dict[str, FetchResult]
    ) -> tuple[Graph, list[FetchResult], dict[Node, str]]:
        """Run the batch queries and map their rows."""
        urls = self.request_urls()
        answers: list[FetchResult] = []
        items: dict[str, set[str]] = {}
        coords: dict[str, set[tuple[str, str]]] = {}
        for number, url in enumerate(urls, start=1):
            progress(f"{self.name}: batch", number - 1, len(urls))
            answer = self.fetch(url, reuse)
            answers.append(answer)
            for ags, item, point in self._rows(answer):
                items.setdefault(ags, set()).add(item)
                if point is not None:
                    coords.setdefault(item, set()).add(point)
        progress(f"{self.name}: batch", len(urls), len(urls))
        if not urls:
            self.notes.append("no municipalities are published yet: run 'smartregion load' "
                              "first")
        graph, origins = _map_links(self, items, coords)
        return graph, answers, origins

    def _rows(self, answer: FetchResult) -> list[tuple[str, str, tuple[str, str] | None]]:
        if answer.media_type not in RESULTS_TYPES:
            raise RemoteError(answer.url, "media-type", f"the answer is "
                              f"{answer.media_type or 'of no declared type'}, not SPARQL JSON "
                              "results")
        bindings = _bindings(answer)
        rows = []
        for binding in bindings:
            ags = _value(binding, "ags", "literal")
            item = _value(binding, "item", "uri")
            if ags is None or ags not in self.municipalities.by_ags:
                continue  # not a key we asked for
            if item is None or not ITEM.match(item):
                self.notes.append(f"AGS {ags}: {item!r} is not a Wikidata item IRI, skipped")
                continue
            rows.append((ags, item, self._point(binding, item)))
        return rows

    def _point(self, binding: dict[str, Any], item: str) -> tuple[str, str] | None:
        wkt = _value(binding, "coord", "literal")
        if wkt is None:
            return None
        match = WKT_POINT.match(wkt)
        if not match or match.group("crs") not in (None, CRS84):
            self.notes.append(f"{item}: coordinate {wkt!r} is not a point on Earth, skipped")
            return None
        lon, lat = match.group("lon"), match.group("lat")
        if not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
            self.notes.append(f"{item}: coordinate {wkt!r} out of range, skipped")
            return None
        return lon, lat


def _map_links(
    source: WikidataSource, items: dict[str, set[str]], coords: dict[str, set[tuple[str, str]]]
) -> tuple[Graph, dict[Node, str]]:
    """The links and geometries for the unambiguous AGS."""
    graph = Graph()
    origins: dict[Node, str] = {}
    linked = located = 0
    for ags in sorted(items):
        found = sorted(items[ags])
        if len(found) > 1:
            names = ", ".join(i.removeprefix(WIKIDATA_ENTITY) for i in found)
            source.notes.append(f"AGS {ags}: several Wikidata items ({names}), no link made")
            continue
        municipality = source.municipalities.by_ags[ags]
        item = URIRef(found[0])
        graph.add((municipality, OWL.sameAs, item))
        origins[municipality] = f"{source.url} (AGS {ags}, {found[0]})"
        linked += 1
        points = sorted(coords.get(found[0], set()))
        if len(points) > 1:
            source.notes.append(f"{found[0]}: {len(points)} coordinates, the first in sort "
                                "order is used")
        if points:
            lon, lat = points[0]
            geometry = BNode()
            graph.add((municipality, GEO.hasGeometry, geometry))
            graph.add((geometry, RDF.type, SF.Point))
            graph.add((geometry, DCTERMS.source, item))
            graph.add((geometry, GEO.asWKT,
                       Literal(f"POINT({lon} {lat})", datatype=GEO.wktLiteral)))
            located += 1
    source.notes.append(f"{len(source.municipalities.by_ags)} municipalities asked, {linked} "
                        f"linked, {located} with coordinates")
    return graph, origins


def _bindings(answer: FetchResult) -> list[dict[str, Any]]:
    try:
        document = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RemoteError(answer.url, "results-syntax", f"not valid JSON: {exc}") from exc
    results = document.get("results") if isinstance(document, dict) else None
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(bindings, list) or not all(isinstance(b, dict) for b in bindings):
        raise RemoteError(answer.url, "results-syntax", "not SPARQL 1.1 JSON results "
                          "(no results.bindings list)")
    return bindings


def _value(binding: dict[str, Any], name: str, kind: str) -> str | None:
    term = binding.get(name)
    kinds = (kind, "typed-literal") if kind == "literal" else (kind,)  # SPARQL 1.0 JSON draft
    if not isinstance(term, dict) or term.get("type") not in kinds:
        return None
    value = term.get("value")
    return value if isinstance(value, str) else None
