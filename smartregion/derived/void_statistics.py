"""VoID statistics of one store version, counted with SPARQL (``queries/void_*.rq``).

Per source graph and for the whole knowledge graph (key ``""``, the union of the source
graphs, each triple once): triples, distinct subjects/properties/objects, entities in the
things' URI space, instances per class, property partitions and links to external
namespaces. Counted once per version by :func:`smartregion.derived.prepare_version`; the web
tier reads them (``/.well-known/void``, the catalogue pages) and never counts again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Identifier, Node

from smartregion.derived.queries import load_query
from smartregion.namespaces import SCHEME, SRH
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend
from smartregion.uris import meta_graph_uri

UNION = ""  # the statistics key of the whole knowledge graph
NAME = "void-statistics"
"""The name under which the figures are recorded with a version."""


def _vocabulary_space() -> str:
    """The IRI prefix of the platform's own ontology and schemes (not links, vocabulary)."""
    srh, scheme = str(SRH), str(SCHEME)
    common = next((i for i, (a, b) in enumerate(zip(srh, scheme, strict=False)) if a != b),
                  min(len(srh), len(scheme)))
    return srh[:common]


def compute_statistics(backend: StoreBackend, settings: Settings) -> dict[str, Any]:
    """Every VoID figure of the served version, as a JSON-ready document.

    ``{graph IRI or "": {"triples", "subjects", "properties", "objects", "entities",
    "classes": {class: instances}, "partitions": {property: [triples, subjects, objects]},
    "links": [[property, namespace, triples], …]}}``; ``""`` is the whole knowledge graph.
    """
    common: dict[str, Identifier] = {
        "meta": URIRef(meta_graph_uri(settings.base_uri)), "sourceName": SRH.sourceName,
    }
    space = {**common, "space": Literal(settings.base_uri + "id/")}
    links = {**common, "base": Literal(settings.base_uri), "vocab": Literal(_vocabulary_space())}
    stats: dict[str, dict[str, Any]] = {}

    def slot(graph: str) -> dict[str, Any]:
        return stats.setdefault(graph, {
            "triples": 0, "subjects": 0, "properties": 0, "objects": 0, "entities": 0,
            "classes": {}, "partitions": {}, "links": [],
        })

    for row in backend.select(load_query("void_graph_counts"), common):
        slot(str(row["g"])).update(_counts(row))
    for row in backend.select(load_query("void_union_counts"), common):
        slot(UNION).update(_counts(row))
    for row in backend.select(load_query("void_graph_entities"), space):
        slot(str(row["g"]))["entities"] = _int(row["entities"])
    for row in backend.select(load_query("void_union_entities"), space):
        slot(UNION)["entities"] = _int(row["entities"])
    for name, key in (("void_graph_classes", "g"), ("void_union_classes", None)):
        for row in backend.select(load_query(name), common):
            slot(str(row["g"]) if key else UNION)["classes"][str(row["class"])] = _int(
                row["entities"])
    for name, key in (("void_graph_properties", "g"), ("void_union_properties", None)):
        for row in backend.select(load_query(name), common):
            slot(str(row["g"]) if key else UNION)["partitions"][str(row["p"])] = [
                _int(row["triples"]), _int(row["subjects"]), _int(row["objects"])]
    for name, key in (("void_graph_links", "g"), ("void_union_links", None)):
        for row in backend.select(load_query(name), links):
            slot(str(row["g"]) if key else UNION)["links"].append(
                [str(row["p"]), str(row["ns"]), _int(row["triples"])])
    for figures in stats.values():
        figures["links"].sort()
    return stats


def _counts(row: Mapping[str, Node]) -> dict[str, int]:
    return {key: _int(row[key]) for key in ("triples", "subjects", "properties", "objects")}


def _int(value: Node | None) -> int:
    return int(value.toPython()) if isinstance(value, Literal) else 0
