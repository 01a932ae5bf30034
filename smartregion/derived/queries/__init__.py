"""Named SPARQL queries of the derived views, kept as ``.rq`` files beside this module.

Values go in only through ``#VALUES`` markers bound by :func:`smartregion.store.terms.bind`
(the backend's ``select()``/``construct()`` do that), never by string formatting.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).parent


@cache
def load_query(name: str) -> str:
    """The text of ``queries/{name}.rq`` (read once per process)."""
    path = QUERY_DIR / f"{name}.rq"
    if path.parent != QUERY_DIR:
        raise ValueError(f"invalid query name {name!r}")
    return path.read_text(encoding="utf-8")
