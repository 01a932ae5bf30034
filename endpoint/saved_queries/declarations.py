"""Saved queries as REST APIs: which query files are APIs and what parameters they take.

A query file becomes ``GET /api/{name}`` when its comment header names it::

    # de: Kommunen eines Kreises (Standard: Landkreis Fulda)
    # en: Municipalities of a district (default: Fulda)
    # @api municipalities-of-a-district
    # @param district=?districtKey: string; pattern ^06[0-9]{3}$; default 06631 -- Kreis
    #   (the description runs to the end of the line)

``@param NAME[=?VARIABLE]: TYPE[; KEY VALUE]* -- DESCRIPTION`` declares one URL parameter bound
to a SPARQL variable (the name itself unless ``=?VARIABLE``). Types: ``string``, ``integer``,
``decimal``, ``boolean``, ``date``, ``iri`` and ``key`` (a key such as ``06431`` or
``energy`` made into an IRI by ``template``, where ``{base}`` is the base URI and ``{key}`` the
value). Keys: ``pattern`` (a regular expression the whole value must match), ``default``
(without one the parameter is required; ``urn:…`` defaults of ``key`` are IRIs), ``maxLength``
(default 200), ``min``/``max`` (numbers), ``template`` (``key``), ``example``.

Values reach the query only as bound terms: either at the ``#VALUES`` marker (named queries,
through :func:`smartregion.store.terms.bind`) or replacing the one line ending with
``#PARAMS`` (example queries, whose default ``VALUES`` line keeps them runnable as they are in
YASGUI). Paging appends ``LIMIT``/``OFFSET`` from two integers (or fills ``#PAGE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from endpoint.queries import QUERY_DIR

EXAMPLES_DIR = QUERY_DIR / "examples"
TYPES = ("string", "integer", "decimal", "boolean", "date", "iri", "key")
_PARAM = re.compile(r"^#\s*@param\s+([A-Za-z][A-Za-z0-9_-]*)(?:=\?([A-Za-z_][A-Za-z0-9_]*))?"
                    r"\s*:\s*([a-z]+)\s*((?:;[^;]*?)*)\s*(?:--\s*(.*))?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class DeclarationError(ValueError):
    """A query file's header is malformed (the message names the file and line)."""


@dataclass(frozen=True)
class Parameter:
    """One declared parameter."""

    name: str
    variable: str
    type: str
    description: str = ""
    pattern: str | None = None
    default: str | None = None
    max_length: int = 200
    minimum: float | None = None
    maximum: float | None = None
    template: str | None = None
    example: str | None = None

    @property
    def required(self) -> bool:
        """Whether a request must give the parameter (it has no default)."""
        return self.default is None


@dataclass(frozen=True)
class SavedQuery:
    """A query file published as an API."""

    name: str
    path: Path
    title_de: str
    title_en: str
    text: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """``select`` or ``construct`` (what the result is)."""
        body = re.sub(r"(?m)^\s*(#.*|PREFIX.*|BASE.*)$", "", self.text)
        return "construct" if re.match(r"\s*(CONSTRUCT|DESCRIBE)\b", body, re.I) else "select"

    @property
    def marker(self) -> str:
        """How values are bound: ``#VALUES`` or ``#PARAMS`` (or ``""`` for none)."""
        if "#VALUES" in self.text:
            return "#VALUES"
        return "#PARAMS" if "#PARAMS" in self.text else ""


def _options(raw: str, where: str) -> dict[str, str]:
    options = {}
    for part in raw.split(";"):
        part = part.strip()
        if not part:
            continue
        key, _, value = part.partition(" ")
        if key not in ("pattern", "default", "maxLength", "min", "max", "template", "example"):
            raise DeclarationError(f"{where}: unknown @param option {key!r}")
        options[key] = value.strip()
    return options


def parse_file(path: Path) -> SavedQuery | None:
    """The API a query file declares (``None`` if it has no ``@api`` line)."""
    text = path.read_text(encoding="utf-8")
    titles: dict[str, str] = {}
    name = None
    parameters = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path.name}:{number}"
        stripped = line.strip()
        if not stripped.startswith("#"):
            continue
        if m := re.match(r"#\s*(de|en):\s*(.+)", stripped):
            titles.setdefault(m.group(1), m.group(2).strip())
        elif m := re.match(r"#\s*@api\s+(\S+)\s*$", stripped):
            name = m.group(1)
            if not _NAME.match(name):
                raise DeclarationError(f"{where}: API name {name!r} must be lower-case-dashed")
        elif stripped.startswith("# @param") or stripped.startswith("#@param"):
            m = _PARAM.match(stripped)
            if not m:
                raise DeclarationError(f"{where}: cannot read {stripped!r}")
            pname, variable, ptype, raw, description = m.groups()
            if ptype not in TYPES:
                raise DeclarationError(f"{where}: type {ptype!r} is not one of {TYPES}")
            options = _options(raw or "", where)
            if ptype == "key" and "template" not in options:
                raise DeclarationError(f"{where}: a key parameter needs a template")
            parameters.append(Parameter(
                pname, variable or pname, ptype, (description or "").strip(),
                options.get("pattern"), options.get("default"),
                int(options.get("maxLength", "200")),
                float(options["min"]) if "min" in options else None,
                float(options["max"]) if "max" in options else None,
                options.get("template"), options.get("example")))
    if name is None:
        return None
    query = SavedQuery(name, path, titles.get("de", name), titles.get("en", titles.get("de", name)),
                       text, tuple(parameters))
    if parameters and not query.marker:
        raise DeclarationError(f"{path.name}: parameters need a #VALUES or #PARAMS marker")
    return query


@cache
def saved_queries(query_dir: Path = QUERY_DIR) -> dict[str, SavedQuery]:
    """Every query file (named queries and examples) that declares an API, by API name."""
    found: dict[str, SavedQuery] = {}
    for path in sorted(query_dir.glob("*.rq")) + sorted((query_dir / "examples").glob("*.rq")):
        query = parse_file(path)
        if query is None:
            continue
        if query.name in found:
            raise DeclarationError(f"{path.name}: API name {query.name!r} is used twice")
        found[query.name] = query
    return found
