"""HTTP validators from the store version: ``ETag``/``Last-Modified`` and ``304``.

A store version never changes, so everything derived from it may be cached by clients and
proxies for as long as that version is served.
"""

from __future__ import annotations

import hashlib

from flask import Request
from werkzeug.wrappers import Response

from smartregion.store.publication import StoreVersion


def entity_tag(version: StoreVersion | None, *parts: str) -> str:
    """An ETag (unquoted) for a representation: the version id plus a digest of ``parts``.

    ``parts`` are what else the body depends on (media type, query text, language, page).
    """
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{version.id if version else 'empty'}-{digest}"


def make_conditional(
    request: Request, response: Response, version: StoreVersion | None, *parts: str
) -> Response:
    """Add ``ETag`` and ``Last-Modified``; turn the response into ``304`` when they match."""
    response.set_etag(entity_tag(version, response.mimetype or "", *parts))
    if version is not None:
        response.last_modified = version.created
    return response.make_conditional(request)
