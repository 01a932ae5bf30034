"""NGSI-LD (read-only context source): every query parameter against the answer SPARQL gives on
the same store, the representations, the content rules, the errors, and the mapping checked by
a JSON-LD processor against the Linked Data document of the same URI."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from pyld import jsonld
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD
from shapely.geometry import shape
from shapely.ops import nearest_points

from endpoint.geometry import parse_wkt, preferred
from endpoint.ngsi_ld.context import CORE_CONTEXT_URL, CORE_TERMS
from smartregion.store.backend import StoreBackend
from tests.federation.conftest import BASE

API = "/ngsi-ld/v1"
PREFIXES = """PREFIX srh: <https://data.smarte-region-hessen.de/def/srh#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
NGSI = Namespace("https://uri.etsi.org/ngsi-ld/")
GEOJSON = Namespace("https://purl.org/geojson/vocab#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
DARMSTADT = BASE + "id/municipality/06411000"
FRANKFURT = BASE + "id/municipality/06412000"
KASSEL = BASE + "id/municipality/06611000"


def sparql_ids(backend: StoreBackend, where: str) -> list[str]:
    """The ?e of an independent SPARQL pattern over the platform's things, sorted."""
    rows = backend.select(PREFIXES + "SELECT DISTINCT ?e WHERE { " + where
                          + f' FILTER(STRSTARTS(STR(?e), "{BASE}id/")) }}')
    return sorted(str(r["e"]) for r in rows)


def all_ids(client: FlaskClient, **params: str) -> list[str]:
    """Every id the API answers, following its rel=next links."""
    found: list[str] = []
    response = client.get(f"{API}/entities", query_string={"limit": "7", **params})
    while True:
        assert response.status_code == 200, response.get_data(as_text=True)
        found += [e["id"] for e in response.get_json()]
        links = response.headers.get("Link", "")
        nxt = [part.split(">")[0].strip(" <") for part in links.split(",") if 'rel="next"' in part]
        if not nxt:
            return found
        response = client.get(nxt[0])


CASES: list[tuple[dict[str, str], str]] = [
    ({"type": "Municipality"}, "?e a srh:Municipality ."),
    ({"type": "Project,Event"}, "{ ?e a srh:SmartRegionProject } UNION { ?e a srh:Event }"),
    ({"type": "District;DistrictFreeCity"}, "?e a srh:District, srh:DistrictFreeCity ."),
    ({"type": "Project|FundingProgramme"},
     "{ ?e a srh:SmartRegionProject } UNION { ?e a srh:FundingProgramme }"),
    ({"id": f"{DARMSTADT},{KASSEL}"},
     f"VALUES ?e {{ <{DARMSTADT}> <{KASSEL}> }} ?e a ?t ."),
    ({"idPattern": ".*/municipality/0643.*"},
     '?e a ?t . FILTER(REGEX(STR(?e), "/municipality/0643"))'),
    ({"attrs": "startYear"}, "?e a ?t ; srh:startYear ?y ."),
    ({"attrs": "location"}, "?e a ?t ; geo:hasGeometry ?g ."),
    ({"q": 'ags=="06411000"'}, '?e a ?t ; srh:ags "06411000" .'),
    ({"q": 'ags=="06411000","06611000"'},
     '?e a ?t ; srh:ags ?a . FILTER(?a IN ("06411000", "06611000"))'),
    ({"type": "Project", "q": 'startYear>"2019"'},
     '?e a srh:SmartRegionProject ; srh:startYear ?y . FILTER(STR(?y) > "2019")'),
    ({"type": "Project", "q": "startDate>=2022-01-01"},
     '?e a srh:SmartRegionProject ; schema:startDate ?d . FILTER(?d >= "2022-01-01"^^xsd:date)'),
    ({"q": "fundingRate>0.5"}, "?e a ?t ; srh:fundingRate ?r . FILTER(?r > 0.5)"),
    ({"q": "participantsAtLeast==500..1000"},
     "?e a ?t ; srh:minimumParticipantCount ?n . FILTER(?n >= 500 && ?n <= 1000)"),
    ({"type": "Project", "q": f"municipality=={KASSEL}"},
     f"?e a srh:SmartRegionProject ; srh:municipality <{KASSEL}> ."),
    ({"type": "Project", "q": "!startYear;!startDate"},
     "?e a srh:SmartRegionProject . FILTER NOT EXISTS { ?e srh:startYear ?y } "
     "FILTER NOT EXISTS { ?e schema:startDate ?d }"),
    ({"type": "Project", "q": "(endYear|endDate);fieldOfAction"},
     "?e a srh:SmartRegionProject ; srh:fieldOfAction ?f . "
     "FILTER(EXISTS { ?e srh:endYear ?y } || EXISTS { ?e schema:endDate ?d })"),
    ({"type": "Municipality", "q": 'label~="^Darm"'},
     '?e a srh:Municipality ; skos:prefLabel ?l . FILTER(REGEX(STR(?l), "^Darm"))'),
    ({"type": "Project", "q": 'label[en]~="Smart"'},
     '?e a srh:SmartRegionProject ; skos:prefLabel ?l . '
     'FILTER(LANGMATCHES(LANG(?l), "en") && REGEX(STR(?l), "Smart"))'),
    ({"type": "Municipality", "q": 'ags!="06411000"'},
     '?e a srh:Municipality ; srh:ags ?a . FILTER(?a != "06411000")'),
]


@pytest.mark.parametrize(("params", "where"), CASES, ids=[json.dumps(p) for p, _ in CASES])
def test_query_parameter_matches_sparql(geo_client: FlaskClient, geo_backend: StoreBackend,
                                        params: dict[str, str], where: str) -> None:
    expected = sparql_ids(geo_backend, where)
    assert expected, "the case must select something to be a test"
    assert all_ids(geo_client, **params) == expected
    counted = geo_client.get(f"{API}/entities",
                             query_string={**params, "count": "true", "limit": "0"})
    assert counted.status_code == 200 and counted.get_json() == []
    assert counted.headers["NGSILD-Results-Count"] == str(len(expected))


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _geometries(backend: StoreBackend) -> dict[str, Any]:
    """Each typed entity's geometry as NGSI-LD publishes it: an area before a point."""
    rows = backend.select(
        PREFIXES + "SELECT ?e ?w WHERE { ?e a [] ; geo:hasGeometry/geo:asWKT ?w }")
    found: dict[str, list[Any]] = {}
    for row in rows:
        found.setdefault(str(row["e"]), []).append(parse_wkt(str(row["w"])))
    return {iri: preferred(geometries) for iri, geometries in found.items()}


@pytest.mark.parametrize("metres", [20_000, 40_000, 300_000])
def test_near_max_distance_matches_haversine(geo_client: FlaskClient, geo_backend: StoreBackend,
                                             metres: int) -> None:
    centre = (8.65, 49.866666666)
    point = shape({"type": "Point", "coordinates": centre})

    def distance(geometry: Any) -> float:  # to the nearest point of the geometry
        nearest = nearest_points(geometry, point)[0]
        return _haversine(centre, (nearest.x, nearest.y))

    expected = sorted(iri for iri, g in _geometries(geo_backend).items()
                      if distance(g) <= metres)
    found = all_ids(geo_client, georel=f"near;maxDistance=={metres}", geometry="Point",
                    coordinates=json.dumps(list(centre)))
    assert found == expected and DARMSTADT in found
    far = all_ids(geo_client, georel=f"near;minDistance=={metres}", geometry="Point",
                  coordinates=json.dumps(list(centre)))
    assert not set(far) & set(found)
    assert set(far) | set(found) == set(_geometries(geo_backend))


def test_within_polygon_and_axis_order(geo_client: FlaskClient, geo_backend: StoreBackend
                                       ) -> None:
    box = [[[8.0, 49.9], [8.9, 49.9], [8.9, 50.2], [8.0, 50.2], [8.0, 49.9]]]
    polygon = shape({"type": "Polygon", "coordinates": box})
    expected = sorted(iri for iri, g in _geometries(geo_backend).items() if g.within(polygon))
    found = all_ids(geo_client, georel="within", geometry="Polygon", coordinates=json.dumps(box))
    assert found == expected
    assert BASE + "id/municipality/06414000" in found  # Wiesbaden's outline lies in the box
    assert DARMSTADT not in found and KASSEL not in found


def test_representations_agree(geo_client: FlaskClient) -> None:
    url = f"{API}/entities/{DARMSTADT}"
    normalized = geo_client.get(url).get_json()
    concise = geo_client.get(url, query_string={"options": "concise"}).get_json()
    simple = geo_client.get(url, query_string={"options": "keyValues"}).get_json()
    assert geo_client.get(url, query_string={"format": "simplified"}).get_json() == simple
    assert normalized["type"] == concise["type"] == simple["type"] == "Municipality"
    assert normalized["ags"] == {"type": "Property", "value": "06411000"}
    assert concise["ags"] == "06411000" and simple["ags"] == "06411000"
    assert normalized["location"]["type"] == "GeoProperty"
    # the city's outline (an area wins over the points) holds the city centre
    assert shape(normalized["location"]["value"]).contains(
        shape({"type": "Point", "coordinates": [8.65, 49.866666666]}))
    assert simple["location"] == normalized["location"]["value"]
    assert normalized["containedIn"] == {"type": "Relationship",
                                         "object": BASE + "id/district/06411"}
    assert simple["containedIn"] == BASE + "id/district/06411"
    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        return {k for v in value for k in keys(v)} if isinstance(value, list) else set()

    assert "type" not in keys({k: v for k, v in concise.items()
                               if k not in ("id", "type", "location")})
    name = "Darmstadt, Wissenschaftsstadt"
    assert normalized["label"] == {"type": "LanguageProperty", "languageMap": {"de": name}}
    in_german = geo_client.get(url, query_string={"lang": "de"}).get_json()["label"]
    assert in_german == {"type": "Property", "value": name, "lang": "de"}
    sources = normalized["source"]
    assert isinstance(sources, list) or sources["type"] == "Relationship"


def test_multi_attribute_instances_have_dataset_ids(geo_client: FlaskClient) -> None:
    project = geo_client.get(f"{API}/entities/{BASE}id/project/smart-kassel").get_json()
    fields = project["fieldOfAction"]
    assert isinstance(fields, list) and len(fields) == 2
    ids = [f["datasetId"] for f in fields]
    assert len(set(ids)) == 2 and all(i.startswith("urn:ngsi-ld:Dataset:") for i in ids)
    again = geo_client.get(f"{API}/entities/{BASE}id/project/smart-kassel").get_json()
    assert [f["datasetId"] for f in again["fieldOfAction"]] == ids


def test_json_has_link_header_and_json_ld_has_context(geo_client: FlaskClient) -> None:
    plain = geo_client.get(f"{API}/entities", query_string={"type": "Municipality"})
    assert plain.mimetype == "application/json"
    assert '/ngsi-ld/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"' in \
        plain.headers["Link"]
    assert all("@context" not in e for e in plain.get_json())
    linked = geo_client.get(f"{API}/entities", query_string={"type": "Municipality"},
                            headers={"Accept": "application/ld+json"})
    assert linked.mimetype == "application/ld+json"
    assert "json-ld#context" not in linked.headers.get("Link", "")
    assert all(e["@context"][-1] == CORE_CONTEXT_URL for e in linked.get_json())
    geo = geo_client.get(f"{API}/entities", query_string={"type": "Municipality"},
                         headers={"Accept": "application/geo+json"})
    assert geo.mimetype == "application/geo+json"
    features = geo.get_json()["features"]
    assert {f["id"]: f["geometry"] is not None for f in features}[DARMSTADT]
    assert all(f["geometry"] is None or shape(f["geometry"]).is_valid for f in features)


def test_our_context_defines_every_attribute_name(geo_client: FlaskClient) -> None:
    document = geo_client.get("/ngsi-ld/context.jsonld").get_json()
    ours, core = document["@context"]
    assert core == CORE_CONTEXT_URL
    names = geo_client.get(f"{API}/attributes").get_json()["attributeList"]
    undefined = [n for n in names if n not in ours and n not in CORE_TERMS and ":" not in n]
    assert undefined == []
    assert ours["locatedIn"] == "https://schema.org/location" and "location" not in ours


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/entities"), ("patch", "/entities/x/attrs"), ("put", "/entities/x"),
    ("delete", "/entities/x"), ("post", "/subscriptions"), ("post", "/entityOperations/create")])
def test_writes_answer_405(geo_client: FlaskClient, method: str, path: str) -> None:
    response = getattr(geo_client, method)(API + path, json={"id": "urn:x", "type": "T"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.get_json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported"


@pytest.mark.parametrize(("params", "headers", "status", "kind"), [
    ({}, {}, 400, "BadRequestData"),
    ({"type": "Municipality", "limit": "-1"}, {}, 400, "BadRequestData"),
    ({"type": "Municipality", "limit": "0"}, {}, 400, "BadRequestData"),
    ({"type": "Municipality", "limit": "5000"}, {}, 403, "TooManyResults"),
    ({"q": "ags=="}, {}, 400, "BadRequestData"),
    ({"q": "a.b==1"}, {}, 400, "BadRequestData"),
    ({"q": "ags==\"06411000"}, {}, 400, "BadRequestData"),
    ({"idPattern": "("}, {}, 400, "BadRequestData"),
    ({"georel": "near;maxDistance==10", "geometry": "Polygon", "coordinates": "[[[0,0]]]"}, {},
     400, "BadRequestData"),
    ({"georel": "within", "geometry": "Point"}, {}, 400, "BadRequestData"),
    ({"type": "Municipality", "options": "fancy"}, {}, 400, "BadRequestData"),
    ({"type": "Municipality"}, {"Link": '<http://evil.example/c.jsonld>; '
                                        'rel="http://www.w3.org/ns/json-ld#context"'},
     503, "LdContextNotAvailable"),
    ({"type": "Municipality"}, {"Accept": "text/csv"}, 406, "InvalidRequest"),
])
def test_errors_use_ngsi_ld_problem_types(geo_client: FlaskClient, params: dict[str, str],
                                          headers: dict[str, str], status: int, kind: str) -> None:
    response = geo_client.get(f"{API}/entities", query_string=params, headers=headers)
    assert response.status_code == status
    body = response.get_json(force=True)
    assert body["type"] == f"https://uri.etsi.org/ngsi-ld/errors/{kind}" and body["detail"]


def test_unknown_entity_is_resource_not_found(geo_client: FlaskClient) -> None:
    response = geo_client.get(f"{API}/entities/{BASE}id/municipality/99999999")
    assert response.status_code == 404
    assert response.get_json()["type"].endswith("/ResourceNotFound")
    assert geo_client.get(f"{API}/types/Nothing").status_code == 404


def test_types_and_attributes_match_sparql(geo_client: FlaskClient, geo_backend: StoreBackend
                                           ) -> None:
    types = geo_client.get(f"{API}/types").get_json()
    assert types["type"] == "EntityTypeList" and "Municipality" in types["typeList"]
    info = geo_client.get(f"{API}/types/Municipality").get_json()
    assert info["entityCount"] == len(sparql_ids(geo_backend, "?e a srh:Municipality ."))
    kinds = {a["attributeName"]: a["attributeTypes"] for a in info["attributeDetails"]}
    assert kinds["ags"] == ["Property"] and kinds["containedIn"] == ["Relationship"]
    assert kinds["label"] == ["LanguageProperty"] and kinds["location"] == ["GeoProperty"]
    details = geo_client.get(f"{API}/types", query_string={"details": "true"}).get_json()
    assert {d["typeName"] for d in details} == set(types["typeList"])
    ags = geo_client.get(f"{API}/attributes/ags").get_json()
    # distinct statements (a Gemeinde both curated and from GV100AD states its key twice)
    count = geo_backend.select(PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { "
                               "SELECT DISTINCT ?e ?a WHERE { ?e srh:ags ?a } }")
    assert ags["attributeCount"] == int(count[0]["n"]) and ags["typeNames"] == ["Municipality"]


# -- the mapping, checked by a JSON-LD processor ---------------------------------------------
def _loader(client: FlaskClient) -> Any:
    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url == CORE_CONTEXT_URL:
            # The core context is not fetched: its definitions of the terms our output uses,
            # as Annex B of GS CIM 009 gives them.
            document: Any = {"@context": CORE_TERMS}
        elif url.endswith("/ngsi-ld/context.jsonld"):
            document = client.get("/ngsi-ld/context.jsonld").get_json()
        else:
            raise AssertionError(f"the expansion tried to fetch {url}")
        return {"contextUrl": None, "documentUrl": url, "document": document}
    return load


def _comparable(term: Any) -> Any:
    """Literals compared by value for numbers; NGSI-LD's Date/DateTime as the XSD types."""
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.decimal, XSD.double,
                                                       XSD.nonNegativeInteger):
        return ("number", Decimal(str(term.toPython())).normalize())
    if isinstance(term, Literal) and term.datatype in (NGSI.Date, NGSI.DateTime):
        xsd = XSD.date if term.datatype == NGSI.Date else XSD.dateTime
        return Literal(str(term), datatype=xsd)
    return term


def _rdf_list(graph: Graph, node: Any) -> Any:
    """A (nested) RDF list as Python lists of floats (GeoJSON coordinates)."""
    if isinstance(node, Literal):
        return float(node.toPython())
    return [_rdf_list(graph, item) for item in graph.items(node)]


def _facts(graph: Graph, entity: URIRef) -> tuple[set[Any], list[tuple[Any, ...]]]:
    """De-reify an expanded NGSI-LD entity: (entity, P, value) for every Property,
    Relationship and LanguageProperty; geometries and sub-attributes returned apart."""
    facts: set[Any] = set()
    extra: list[tuple[Any, ...]] = []
    for predicate, node in graph.predicate_objects(entity):
        if predicate == RDF.type:
            facts.add((entity, RDF.type, node))
            continue
        kinds = set(graph.objects(node, RDF.type))
        if NGSI.GeoProperty in kinds:
            value = graph.value(node, NGSI.hasValue)
            kind = graph.value(value, RDF.type)
            coordinates = _rdf_list(graph, graph.value(value, GEOJSON.coordinates))
            extra.append(("geometry", str(kind).rsplit("#", 1)[-1], coordinates,
                          list(graph.objects(node, None))))
            continue
        member = {NGSI.Property: NGSI.hasValue, NGSI.Relationship: NGSI.hasObject,
                  NGSI.LanguageProperty: NGSI.hasLanguageMap}
        kind = next(iter(kinds & set(member)))
        for value in graph.objects(node, member[kind]):
            facts.add((entity, predicate, _comparable(value)))
        for sub in (NGSI.observedAt, NGSI.unitCode):
            for value in graph.objects(node, sub):
                extra.append((str(sub), predicate, value))
    return facts, extra


@pytest.mark.parametrize("path", ["municipality/06411000", "project/smart-kassel",
                                  "funding/smart-kassel-mpsc", "district/06411",
                                  "organisation/hmind", "event/kongress-2024"])
def test_expanded_entity_is_the_linked_data_document(geo_client: FlaskClient, path: str) -> None:
    """Expanding the NGSI-LD entity with our @context (pyld) and undoing NGSI-LD's reified
    attributes (a Property's value, a Relationship's object, a LanguageProperty's strings)
    gives exactly the statements the Linked Data document makes about the thing: no more
    (subset), and no fewer. Geometries compare as shapes with the document's WKT."""
    iri = URIRef(BASE + "id/" + path)
    body = geo_client.get(f"{API}/entities/{iri}",
                          headers={"Accept": "application/ld+json"}).get_json()
    quads = jsonld.to_rdf(body, {"format": "application/n-quads",
                                 "documentLoader": _loader(geo_client)})
    ngsi = Graph().parse(data=quads, format="nt")
    facts, extra = _facts(ngsi, iri)
    document = Graph().parse(data=geo_client.get(f"/doc/{path}.nt").get_data(as_text=True),
                             format="nt")
    stated = {(iri, p, _comparable(o)) for p, o in document.predicate_objects(iri)
              if p != GEO.hasGeometry}
    assert facts, "the entity says something"
    assert facts <= stated, facts - stated
    assert stated <= facts, stated - facts
    for geometry in [e for e in extra if e[0] == "geometry"]:
        _, kind, coordinates, _ = geometry
        # the document holds every geometry of the thing (points, `#outline`); NGSI-LD
        # publishes the preferred one of them (an area before a point)
        shapes = [parse_wkt(str(wkt)) for node in document.objects(iri, GEO.hasGeometry)
                  for wkt in document.objects(node, GEO.asWKT)]
        assert shapes and all(s is not None for s in shapes)
        wkt = preferred(s for s in shapes if s is not None)
        assert wkt is not None
        assert shape({"type": kind, "coordinates": coordinates}).equals(wkt)
    if path.startswith("municipality/") and document.value(iri, GEO.hasGeometry) is not None:
        assert any(e[0] == "geometry" for e in extra)


def test_wkt_in_epsg_4326_is_read_latitude_first() -> None:
    crs84 = parse_wkt("POINT(8.24 50.08)")
    epsg4326 = parse_wkt("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(50.08 8.24)")
    assert crs84 is not None and epsg4326 is not None and crs84.equals(epsg4326)
    assert parse_wkt("<http://www.opengis.net/def/crs/EPSG/0/25832> POINT(1 2)") is None
