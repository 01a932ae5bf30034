"""The OpenAPI 3.0 definition of the OGC API Features endpoints (conformance class OAS30)."""

from __future__ import annotations

from typing import Any

_LIMIT = {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
          "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}}
_OFFSET = {"name": "offset", "in": "query", "required": False,
           "schema": {"type": "integer", "minimum": 0, "default": 0}}
_BBOX = {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}}
_DATETIME = {"name": "datetime", "in": "query", "required": False, "style": "form",
             "explode": False, "schema": {"type": "string"}}
_F = {"name": "f", "in": "query", "required": False,
      "schema": {"type": "string", "enum": ["json", "html"]}}


def _get(summary: str, parameters: list[dict[str, Any]], media: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "responses": {
        "200": {"description": summary, "content": {media: {"schema": {"type": "object"}},
                                                    "text/html": {"schema": {"type": "string"}}}},
        "400": {"description": "invalid parameter"},
        "404": {"description": "not found"}}}}


def openapi_document(root: str, collection_ids: list[str]) -> dict[str, Any]:
    """The OpenAPI document; ``root`` is the absolute URL of ``/features``."""
    collection_id = {"name": "collectionId", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": collection_ids}}
    feature_id = {"name": "featureId", "in": "path", "required": True,
                  "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Smarte Region Hessen – OGC API Features", "version": "1.0.0",
                 "description": "Kommunen, Kreise und Projekte als GeoJSON / municipalities, "
                                "districts and projects as GeoJSON."},
        "servers": [{"url": root}],
        "paths": {
            "/": _get("Landing page", [_F], "application/json"),
            "/conformance": _get("Conformance classes", [_F], "application/json"),
            "/collections": _get("Collections", [_F], "application/json"),
            "/collections/{collectionId}": _get("A collection", [collection_id, _F],
                                                "application/json"),
            "/collections/{collectionId}/items": _get(
                "Features of a collection",
                [collection_id, _LIMIT, _OFFSET, _BBOX, _DATETIME, _F], "application/geo+json"),
            "/collections/{collectionId}/items/{featureId}": _get(
                "One feature", [collection_id, feature_id, _F], "application/geo+json"),
        },
    }
