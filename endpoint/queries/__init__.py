"""Named SPARQL queries of the web tier, kept as ``.rq`` files beside this module.

Values go in only through ``#VALUES`` markers bound by :func:`smartregion.store.terms.bind`
(the backend's ``select()``/``construct()`` do that), never by string formatting. The one
exception is paging: ``#PAGE`` becomes ``LIMIT n OFFSET m`` from two Python ``int`` values,
which cannot carry anything but digits.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).parent


@cache
def load_query(name: str) -> str:
    """The text of ``queries/{name}.rq`` (read once per process)."""
    path = QUERY_DIR / f"{name}.rq"
    if path.parent != QUERY_DIR:  # names are ours, but keep them to this folder regardless
        raise ValueError(f"invalid query name {name!r}")
    return path.read_text(encoding="utf-8")


def paged(text: str, limit: int, offset: int = 0) -> str:
    """``text`` with its ``#PAGE`` marker replaced by ``LIMIT``/``OFFSET``.

    >>> paged("SELECT * WHERE { ?s ?p ?o } #PAGE", 10, 20)
    'SELECT * WHERE { ?s ?p ?o } LIMIT 10 OFFSET 20'
    """
    if "#PAGE" not in text:
        raise ValueError("query has no #PAGE marker")
    limit, offset = int(limit), int(offset)  # only integers ever reach the query text
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    return text.replace("#PAGE", f"LIMIT {limit} OFFSET {offset}")
