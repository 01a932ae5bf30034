"""Named SPARQL queries of the web tier, kept as ``.rq`` files beside this module.

Values go in only through ``#VALUES`` markers bound by :func:`smartregion.store.terms.bind`
(the backend's ``select()``/``construct()`` do that), never by string formatting. The one
exception is paging: ``#PAGE`` becomes ``LIMIT n OFFSET m`` from two Python ``int`` values,
which cannot carry anything but digits.

A listing's count is not a file of its own: :func:`count_query` makes it from the listing
query's ``#ROWS`` … ``#/ROWS`` block, so the count and the pages can never filter apart.
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


@cache
def count_query(list_name: str) -> str:
    """``SELECT (COUNT(DISTINCT ?item) AS ?n)`` over the rows listing query ``list_name``
    pages through: its prefixes and the lines between its ``#ROWS`` and ``#/ROWS`` markers.

    >>> print(count_query("events_list").split("SELECT", 1)[1].strip())
    (COUNT(DISTINCT ?item) AS ?n)
    WHERE {
      GRAPH ?g { ?item a srh:Event }
    }
    """
    lines = load_query(list_name).splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() in ("#ROWS", "#/ROWS")]
    if len(marks) != 2 or lines[marks[0]].strip() != "#ROWS":
        raise ValueError(f"{list_name}.rq needs one #ROWS … #/ROWS block")
    prefixes = [line for line in lines if line.startswith("PREFIX ")]
    rows = lines[marks[0] + 1:marks[1]]
    return "\n".join([*prefixes, "", "SELECT (COUNT(DISTINCT ?item) AS ?n)", "WHERE {",
                      *rows, "}", ""])
