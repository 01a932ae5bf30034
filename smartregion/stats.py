"""What the published collection holds: things per kind and projects per Kreis.

One definition of the figures for both places that show them, ``smartregion stats`` and the home
page, read from the served store version with two fixed SPARQL queries (nothing is bound, so
both backends answer them the same way).

A project counts for a Kreis when it names the Kreis (``srh:district``) or one of its
municipalities (``srh:municipality`` → ``schema:containedInPlace``); a project in several Kreise
counts in each. A project "has a date" when it states a start or end (date or year) or one of
its fundings states a year; it "has a status" when it states ``srh:status``.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartregion.store.backend import StoreBackend

KIND_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("projects", ("srh:SmartRegionProject",)),
    ("fundings", ("srh:Funding",)),
    ("programmes", ("srh:FundingProgramme",)),
    ("municipalities", ("srh:Municipality",)),
    ("districts", ("srh:District",)),
    ("local_authorities", ("srh:LocalAuthority",)),
    ("organisations", ("srh:Organisation", "srh:PublicBody", "srh:Company", "srh:Association",
                       "srh:Initiative", "org:OrganizationalUnit")),
    ("events", ("srh:Event",)),
    ("offers", ("srh:Offer",)),
    ("platforms", ("srh:DigitalPlatform",)),
)
"""Kinds in the order they are shown, each with the classes whose instances it counts. An
organisation is counted once whatever its types; a Gebietskörperschaft is counted under
``local_authorities`` only (it is typed srh:LocalAuthority, not also srh:PublicBody)."""

PREFIXES = """PREFIX org:    <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>
PREFIX srh:    <https://data.smarte-region-hessen.de/def/srh#>
"""


def kinds_query() -> str:
    """Counts per kind (``?what``, ``?n``): distinct subjects typed with one of its classes."""
    rows = " ".join(f'({cls} "{kind}")' for kind, classes in KIND_CLASSES for cls in classes)
    return PREFIXES + (
        "SELECT ?what (COUNT(DISTINCT ?s) AS ?n) WHERE {\n"
        f"  VALUES (?class ?what) {{ {rows} }}\n"
        "  GRAPH ?g { ?s a ?class }\n"
        "} GROUP BY ?what"
    )


DISTRICTS_QUERY = PREFIXES + """
SELECT ?key (SAMPLE(?de) AS ?name) (COUNT(DISTINCT ?project) AS ?projects)
       (COUNT(DISTINCT ?dated) AS ?withDate) (COUNT(DISTINCT ?stated) AS ?withStatus)
WHERE {
  GRAPH ?g0 { ?district a srh:District ; srh:districtKey ?key }
  OPTIONAL { GRAPH ?g1 { ?district skos:prefLabel ?de } FILTER(langMatches(lang(?de), "de")) }
  OPTIONAL {
    { GRAPH ?g2 { ?project srh:district ?district } }
    UNION
    { GRAPH ?g3 { ?project srh:municipality ?m }
      GRAPH ?g4 { ?m schema:containedInPlace ?district } }
    GRAPH ?g5 { ?project a srh:SmartRegionProject }
    OPTIONAL {
      { GRAPH ?g6 { ?project schema:startDate|schema:endDate|srh:startYear|srh:endYear ?when } }
      UNION
      { GRAPH ?g7 { ?project srh:funding ?f } GRAPH ?g8 { ?f srh:year ?when } }
      BIND(?project AS ?dated)
    }
    OPTIONAL { GRAPH ?g9 { ?project srh:status ?state } BIND(?project AS ?stated) }
  }
}
GROUP BY ?key
ORDER BY ?key
"""

PROJECT_DETAIL_QUERY = PREFIXES + """
SELECT (COUNT(DISTINCT ?dated) AS ?withDate) (COUNT(DISTINCT ?stated) AS ?withStatus)
WHERE {
  GRAPH ?g { ?project a srh:SmartRegionProject }
  OPTIONAL {
    { GRAPH ?g1 { ?project schema:startDate|schema:endDate|srh:startYear|srh:endYear ?when } }
    UNION
    { GRAPH ?g2 { ?project srh:funding ?f } GRAPH ?g3 { ?f srh:year ?when } }
    BIND(?project AS ?dated)
  }
  OPTIONAL { GRAPH ?g4 { ?project srh:status ?state } BIND(?project AS ?stated) }
}
"""


@dataclass(frozen=True)
class DistrictCount:
    """The projects of one Kreis."""

    key: str
    name: str
    projects: int
    with_date: int
    with_status: int


@dataclass(frozen=True)
class CollectionStats:
    """Counts per kind (in :data:`KIND_CLASSES` order), projects per Kreis (by key)."""

    kinds: dict[str, int]
    districts: list[DistrictCount]
    projects_with_date: int
    projects_with_status: int

    @property
    def districts_without_projects(self) -> list[DistrictCount]:
        """The Kreise no project names, directly or through a municipality."""
        return [d for d in self.districts if d.projects == 0]


def _int(value: object) -> int:
    return int(str(value)) if value is not None else 0


def collection_stats(backend: StoreBackend) -> CollectionStats:
    """The figures of the served store version."""
    found = {str(r["what"]): _int(r["n"]) for r in backend.select(kinds_query())}
    kinds = {kind: found.get(kind, 0) for kind, _ in KIND_CLASSES}
    districts = [
        DistrictCount(str(r["key"]), str(r.get("name") or r["key"]), _int(r.get("projects")),
                      _int(r.get("withDate")), _int(r.get("withStatus")))
        for r in backend.select(DISTRICTS_QUERY)
    ]
    detail = backend.select(PROJECT_DETAIL_QUERY)
    row = detail[0] if detail else {}
    return CollectionStats(kinds, districts, _int(row.get("withDate")), _int(row.get("withStatus")))


KIND_NAMES = {
    "projects": "Projekte / projects",
    "fundings": "Förderungen / fundings",
    "programmes": "Förderprogramme / funding programmes",
    "municipalities": "Kommunen / municipalities",
    "districts": "Kreise / districts",
    "local_authorities": "Gebietskörperschaften / local authorities",
    "organisations": "Organisationen / organisations",
    "events": "Veranstaltungen / events",
    "offers": "Angebote / offers",
    "platforms": "Digitalplattformen / digital platforms",
}


def format_stats(stats: CollectionStats) -> str:
    """The figures as plain text tables (what ``smartregion stats`` prints)."""
    width = max(len(name) for name in KIND_NAMES.values())
    lines = [f"{'Art / kind':<{width}}  Anzahl / count"]
    lines += [f"{KIND_NAMES[kind]:<{width}}  {n:>5}" for kind, n in stats.kinds.items()]
    projects = stats.kinds.get("projects", 0)
    lines += [
        "",
        f"Projekte mit Datum / projects with a date: {stats.projects_with_date} of {projects}",
        f"Projekte mit Status / projects with a status: {stats.projects_with_status} of {projects}",
        "",
        "Projekte je Kreis / projects per district",
        f"{'Kreis':<6} {'Name':<32} {'Projekte':>8} {'mit Datum':>9} {'mit Status':>10}",
    ]
    for d in stats.districts:
        lines.append(f"{d.key:<6} {d.name[:32]:<32} {d.projects:>8} {d.with_date:>9} "
                     f"{d.with_status:>10}")
    empty = stats.districts_without_projects
    lines.append("")
    lines.append("Kreise ohne Projekt / districts without a project: "
                 + (", ".join(f"{d.key} {d.name}" for d in empty) if empty else "keine / none"))
    return "\n".join(lines)
