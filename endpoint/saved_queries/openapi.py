"""The OpenAPI 3.1 document of the saved-query APIs (``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from endpoint.saved_queries.declarations import Parameter, SavedQuery
from endpoint.saved_queries.execution import DEFAULT_LIMIT, MAX_LIMIT

_SCHEMAS = {"string": {"type": "string"}, "integer": {"type": "integer"},
            "decimal": {"type": "number"}, "boolean": {"type": "boolean"},
            "date": {"type": "string", "format": "date"},
            "iri": {"type": "string", "format": "iri"}, "key": {"type": "string"}}
PROBLEM = {"description": "RFC 9457 problem details naming the parameter and the rule",
           "content": {"application/problem+json": {"schema": {"type": "object"}}}}


def _typed(kind: str, value: str) -> Any:
    if kind == "integer":
        return int(value)
    if kind == "decimal":
        return float(value)
    return value == "true" if kind == "boolean" else value


def _parameter(parameter: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_SCHEMAS[parameter.type])
    if parameter.type in ("string", "iri", "key"):
        schema["maxLength"] = parameter.max_length
    if parameter.pattern:
        schema["pattern"] = f"^(?:{parameter.pattern})$"
    if parameter.default is not None and not (parameter.type == "key"
                                              and parameter.default.startswith("urn:")):
        # a key's urn: default means "no filter" and is not a value a client sends
        schema["default"] = _typed(parameter.type, parameter.default)
    if parameter.minimum is not None:
        schema["minimum"] = parameter.minimum
    if parameter.maximum is not None:
        schema["maximum"] = parameter.maximum
    declared: dict[str, Any] = {"name": parameter.name, "in": "query",
                                "required": parameter.required, "schema": schema,
                                "description": parameter.description or parameter.name}
    if parameter.example:
        declared["example"] = parameter.example
    return declared


def _operation(query: SavedQuery) -> dict[str, Any]:
    paging = [
        {"name": "limit", "in": "query", "required": False, "description": "rows per page",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}},
        {"name": "offset", "in": "query", "required": False, "description": "rows skipped",
         "schema": {"type": "integer", "minimum": 0, "default": 0}},
        {"name": "format", "in": "query", "required": False,
         "description": "media type by name instead of Accept",
         "schema": {"type": "string", "enum": ["json", "csv", "jsonld", "turtle"]}},
    ]
    content: dict[str, Any]
    if query.kind == "construct":
        content = {"application/ld+json": {"schema": {"type": "object"}},
                   "text/turtle": {"schema": {"type": "string"}}}
    else:
        content = {"application/json": {"schema": {"type": "object", "properties": {
                       "results": {"type": "array", "items": {"type": "object"}}}}},
                   "text/csv": {"schema": {"type": "string"}},
                   "application/ld+json": {"schema": {"type": "object"}}}
    return {"get": {
        "operationId": query.name.replace("-", "_"),
        "summary": query.title_de,
        "description": f"{query.title_de} / {query.title_en}",
        "parameters": [_parameter(p) for p in query.parameters] + paging,
        "responses": {
            "200": {"description": "one page of results (Link rel=next/prev for others)",
                    "content": content},
            "304": {"description": "not modified (ETag from the store version)"},
            "400": PROBLEM, "406": PROBLEM,
        },
    }}


def openapi_document(server: str, queries: dict[str, SavedQuery]) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``server`` is the absolute URL of ``/api``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Smarte Region Hessen – Abfrage-APIs / query APIs", "version": "1.0.0",
                 "description": "Gespeicherte SPARQL-Abfragen als REST-APIs; Werte werden als "
                                "Literale gebunden. Saved SPARQL queries as REST APIs; values "
                                "are bound as literals.",
                 "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}},
        "servers": [{"url": server}],
        "paths": {f"/{name}": _operation(query) for name, query in sorted(queries.items())},
    }
