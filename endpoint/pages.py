"""From a described graph to what a page shows: names in the reader's language, properties
grouped and labelled from the ontology, every IRI a link, inverse links paged, provenance.

Labels fall back de → en → untagged → a readable local name (for English readers: en → de →
untagged → local name). Internal IRIs (under the configured base, or the fixed vocabulary
namespace) become local paths, so the same data serves on any host; all others are marked
external.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from endpoint.describe import Description, InverseGroup
from endpoint.i18n import localized, translate
from endpoint.ontology import (
    DEF_BASE,
    DESCRIPTION_PROPERTIES,
    LABEL_PROPERTIES,
    Vocabulary,
    area_qualifier,
    pick,
    readable_name,
)
from smartregion.namespaces import SRH

# Property groups in display order; a property falls in the first group that claims it.
NAME_PROPERTIES: tuple[URIRef, ...] = (
    *LABEL_PROPERTIES, SKOS.altLabel, SRH.formerName, *DESCRIPTION_PROPERTIES, SKOS.note,
)
LINK_PROPERTIES: tuple[URIRef, ...] = (
    OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, FOAF.homepage, RDFS.seeAlso, DCTERMS.source,
)
GROUP_ORDER = ("names", "relations", "facts", "identifiers", "links")
MAX_NESTING = 5


@dataclass
class Link:
    """A link to an IRI: where it goes, what it reads, whether it leaves the platform."""

    iri: str
    href: str | None
    text: str
    lang: str | None = None
    external: bool = False


@dataclass
class Value:
    """One object of a statement: a literal, a link, or a blank node's own statements."""

    text: str = ""
    lang: str | None = None
    link: Link | None = None
    datatype: str | None = None
    nested: list[Row] | None = None


@dataclass
class Row:
    """A property and its values."""

    predicate: Link
    values: list[Value]


@dataclass
class Group:
    """Properties shown together under one heading."""

    key: str
    title: str
    rows: list[Row]


@dataclass
class InverseView:
    """Things linking here in one way: one page of them, with counts and onward links."""

    anchor: str
    title: str
    predicate: Link
    via: Link | None
    total: int
    first: int
    last: int
    page: int
    pages: int
    items: list[Link]
    prev_href: str | None = None
    next_href: str | None = None
    first_href: str | None = None
    last_href: str | None = None


@dataclass
class GraphSource:
    """A named graph that statements come from, with its load record."""

    link: Link
    title: str | None
    loaded: str | None


@dataclass
class ResourcePage:
    """Everything ``resource.html`` shows."""

    iri: str
    title: str
    title_lang: str | None
    types: list[Link]
    description: tuple[str, str] | None
    groups: list[Group]
    inverse: list[InverseView] = field(default_factory=list)
    graphs: list[GraphSource] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)


class Linker:
    """Maps IRIs to links: internal ones to local paths against the configured base."""

    def __init__(self, base: str, script_root: str = "") -> None:
        self.base = base
        self.root = script_root.rstrip("/")

    def local_path(self, iri: str) -> str | None:
        """The local path of an internal IRI, ``None`` for an external one."""
        if iri.startswith(DEF_BASE):
            return "/def/" + iri[len(DEF_BASE):]
        if not iri.startswith(self.base):
            return None
        rest = iri[len(self.base):]
        if rest.startswith("id/"):
            return "/doc/" + rest[3:]
        if rest.startswith("graph/"):  # a source graph is documented as its dataset
            return "/dataset/" + rest[6:]
        return "/" + rest

    def href(self, iri: str) -> tuple[str | None, bool]:
        """``(href, external)``: local paths keep the chosen language; only web IRIs link out."""
        path = self.local_path(iri)
        if path is not None:
            fragment = ""
            if "#" in path:
                path, fragment = path.split("#", 1)
                fragment = "#" + fragment
            return self.root + localized(path) + fragment, False
        if iri.startswith(("http://", "https://", "mailto:")):
            return iri, True
        return None, True


class Labeller:
    """Names of IRIs from a described graph, then from the vocabulary."""

    def __init__(self, graph: Graph, vocabulary: Vocabulary, lang: str) -> None:
        self.graph = graph
        self.vocabulary = vocabulary
        self.lang = lang

    def literals(self, node: Node, properties: tuple[URIRef, ...]) -> dict[str, list[str]]:
        """Language → texts of the first property in ``properties`` that ``node`` has."""
        for prop in properties:
            found: dict[str, list[str]] = {}
            for value in self.graph.objects(node, prop):
                if isinstance(value, Literal):
                    found.setdefault(value.language or "", []).append(str(value))
            if found:
                return found
        return {}

    def label(self, iri: Node, *, external: bool = False) -> tuple[str, str | None]:
        """``(text, language)`` of the best name; a readable local name as last resort (the
        whole IRI for an unnamed external link, which says more than its last segment)."""
        found = pick(self.literals(iri, LABEL_PROPERTIES), self.lang)
        if found is None and isinstance(iri, URIRef):
            found = self.vocabulary.label(str(iri), self.lang)
        if found is not None:
            return found[0], found[1] or None
        return (str(iri) if external else readable_name(str(iri))), None


def literal_text(value: Literal, lang: str) -> tuple[str, str | None]:
    """How a literal reads: ``(text, datatype note)``; numbers and truth values localized."""
    datatype = value.datatype
    text = str(value)
    if datatype == XSD.boolean:
        truth = text.strip().lower() in ("true", "1")
        return ({"de": "ja", "en": "yes"} if truth else {"de": "nein", "en": "no"})[lang], None
    if datatype in (XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.int,
                    XSD.long, XSD.decimal):
        try:
            number = float(text) if datatype == XSD.decimal else int(text)
        except ValueError:
            return text, None
        if isinstance(number, float):
            digits = len(text.split(".", 1)[1]) if "." in text else 0
            formatted = f"{number:,.{digits}f}"
        else:
            formatted = f"{number:,}"
        if lang == "de":
            formatted = formatted.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return formatted, None
    if datatype == XSD.dateTime:
        return text.replace("T", " ").replace("+00:00", " UTC").replace("Z", " UTC"), None
    if datatype is not None and datatype not in (XSD.string, RDF.langString, XSD.date,
                                                 XSD.gYear, XSD.gYearMonth, XSD.anyURI):
        return text, str(datatype)
    return text, None


class PageBuilder:
    """Builds the page model of one description for one language."""

    def __init__(
        self, description: Description, vocabulary: Vocabulary, linker: Linker, lang: str
    ) -> None:
        self.d = description
        self.graph = description.graph
        self.vocabulary = vocabulary
        self.linker = linker
        self.lang = lang
        self.labels = Labeller(self.graph, vocabulary, lang)

    def link(self, iri: Node) -> Link:
        """A link to ``iri`` named by its label (an area's with its level and type)."""
        href, external = self.linker.href(str(iri))
        text, label_lang = self.labels.label(iri, external=external)
        area = self.graph.value(iri, SRH.areaType) if iri != self.d.thing else None
        kind = area_qualifier(self.vocabulary, str(area), self.lang) if area else None
        return Link(str(iri), href, f"{text} ({kind})" if kind else text, label_lang, external)

    def predicate_link(self, predicate: Node) -> Link:
        """A property named from the ontology (or the table of well-known terms)."""
        found = self.vocabulary.label(str(predicate), self.lang)
        text, label_lang = found if found else (readable_name(str(predicate)), None)
        href, external = self.linker.href(str(predicate))
        return Link(str(predicate), href, text, label_lang or None, external)

    def build(self) -> ResourcePage:
        """The page of the described thing."""
        thing = self.d.thing
        title, title_lang = self.labels.label(thing)
        types = sorted((self.link(t) for t in self.graph.objects(thing, RDF.type)),
                       key=lambda link: link.text.lower())
        description = pick(self.labels.literals(thing, DESCRIPTION_PROPERTIES), self.lang)
        return ResourcePage(
            iri=str(thing),
            title=title,
            title_lang=title_lang,
            types=types,
            description=description,
            groups=self.groups(thing, shown=description),
            inverse=[self.inverse_view(i, g) for i, g in enumerate(self.d.groups)],
            graphs=self.graph_sources(),
            sources=[self.link(s)
                     for s in sorted(self.graph.objects(thing, DCTERMS.source), key=str)],
        )

    def rows(self, subject: Node, depth: int = 0) -> list[Row]:
        """The statements about ``subject`` as rows (types left to the header)."""
        rows = []
        predicates = {p for p in self.graph.predicates(subject) if p != RDF.type}
        for predicate in predicates:
            objects = list(self.graph.objects(subject, predicate))
            values = [self.value(o, depth) for o in objects]
            rows.append(Row(self.predicate_link(predicate), self.ordered(values)))
        return sorted(rows, key=lambda row: row.predicate.text.lower())

    def ordered(self, values: list[Value]) -> list[Value]:
        """Values in the reader's language first, then de, en, others; links by name."""
        rank = {self.lang: 0, "de": 1, "en": 2}
        return sorted(values, key=lambda v: (
            rank.get(v.lang or "", 3), (v.link.text if v.link else v.text).lower()))

    def value(self, obj: Node, depth: int) -> Value:
        """A value as shown: literal text, a link, or nested statements of a blank node."""
        if isinstance(obj, Literal):
            if obj.datatype == XSD.anyURI:
                link = self.link(URIRef(str(obj)))
                return Value(text=str(obj), link=link)
            text, datatype = literal_text(obj, self.lang)
            return Value(text=text, lang=obj.language, datatype=datatype)
        if isinstance(obj, BNode):
            nested = self.rows(obj, depth + 1) if depth < MAX_NESTING else []
            types = [self.link(t) for t in self.graph.objects(obj, RDF.type)]
            return Value(text=translate("blank_node", self.lang), nested=nested,
                         link=types[0] if types else None)
        return Value(link=self.link(obj))

    def groups(self, thing: Node, shown: tuple[str, str] | None = None) -> list[Group]:
        """The thing's rows, grouped: names, relations, facts, identifiers, links; a
        description ``shown`` under the title is not repeated among the names."""
        buckets: dict[str, list[Row]] = {key: [] for key in GROUP_ORDER}
        for row in self.rows(thing):
            if shown and URIRef(row.predicate.iri) in DESCRIPTION_PROPERTIES:
                row.values = [v for v in row.values if (v.text, v.lang or "") != shown]
                if not row.values:
                    continue
            buckets[self.group_of(URIRef(row.predicate.iri), row)].append(row)
        order = {str(p): i for i, p in enumerate(NAME_PROPERTIES)}
        buckets["names"].sort(key=lambda row: order.get(row.predicate.iri, 99))
        return [Group(key, translate(f"group_{key}", self.lang), rows)
                for key, rows in buckets.items() if rows]

    def group_of(self, predicate: URIRef, row: Row) -> str:
        """Which group a property belongs in, decided from the ontology where it can be."""
        iri = str(predicate)
        if predicate in NAME_PROPERTIES:
            return "names"
        if iri in self.vocabulary.identifier_properties:
            return "identifiers"
        if predicate in LINK_PROPERTIES or all(v.link and v.link.external for v in row.values):
            return "links"
        if iri in self.vocabulary.object_properties or any(
            v.link or v.nested is not None for v in row.values
        ):
            return "relations"
        return "facts"

    def inverse_view(self, index: int, group: InverseGroup) -> InverseView:
        """One inverse group as shown: its page of linking things and where the others are."""
        predicate = self.predicate_link(URIRef(group.key.predicate))
        via = self.predicate_link(URIRef(group.key.via)) if group.key.via else None
        thing = self.d.thing
        if group.key.via is None:
            subjects = set(self.graph.subjects(URIRef(group.key.predicate), thing))
        else:
            holders = set(self.graph.subjects(URIRef(group.key.predicate), thing))
            subjects = {s for b in holders for s in self.graph.subjects(URIRef(group.key.via), b)
                        if isinstance(s, URIRef)}
        items = sorted((self.link(s) for s in subjects if isinstance(s, URIRef)),
                       key=lambda link: (self._sort_key(URIRef(link.iri)), link.iri))
        document = self.linker.local_path(str(self.d.document)) or ""

        def page_href(page: int) -> str:
            params = {"inverse": group.key.token, "page": str(page)}
            return self.linker.root + localized(document, params) + f"#inv-{index}"

        title = (translate("inverse_title", self.lang, p=predicate.text) if via is None else
                 translate("inverse_title_via", self.lang, p=predicate.text, via=via.text))
        view = InverseView(
            anchor=f"inv-{index}", title=title, predicate=predicate, via=via,
            total=group.total, first=group.offset + 1 if group.shown else 0,
            last=group.offset + group.shown, page=group.page, pages=group.pages, items=items,
        )
        if group.pages > 1:
            view.first_href, view.last_href = page_href(1), page_href(group.pages)
            view.prev_href = page_href(group.page - 1) if group.page > 1 else None
            view.next_href = page_href(group.page + 1) if group.page < group.pages else None
        return view

    def _sort_key(self, subject: URIRef) -> str:
        # the order inverse_page.rq pages by: German name, English, any, IRI
        names = self.labels.literals(subject, (SKOS.prefLabel, RDFS.label))
        for code in ("de", "en"):
            if names.get(code):
                return sorted(names[code])[0].lower()
        anything = self.labels.literals(subject, LABEL_PROPERTIES)
        for texts in anything.values():
            return sorted(texts)[0].lower()
        return str(subject).lower()

    def graph_sources(self) -> list[GraphSource]:
        """The source graphs of the statements, with title and load time."""
        found = []
        for graph_iri in sorted(self.graph.objects(self.d.document, PROV.wasDerivedFrom), key=str):
            titles = self.labels.literals(graph_iri, (DCTERMS.title,))
            title = pick(titles, self.lang)
            loaded: str | None = None
            for activity in self.graph.objects(graph_iri, PROV.wasGeneratedBy):
                for ended in self.graph.objects(activity, PROV.endedAtTime):
                    if isinstance(ended, Literal):
                        loaded = literal_text(ended, self.lang)[0]
            if loaded is None:
                modified = self.graph.value(graph_iri, DCTERMS.modified)
                if isinstance(modified, Literal):
                    loaded = literal_text(modified, self.lang)[0]
            name = self.graph.value(graph_iri, SRH.sourceName)
            href, external = self.linker.href(str(graph_iri))
            if name is not None:
                href = self.linker.root + localized(f"/dataset/{name}")
            link = Link(str(graph_iri), href, str(name or graph_iri), None, external)
            found.append(GraphSource(link, title[0] if title else None, loaded))
        return found


def resource_page(
    description: Description, vocabulary: Vocabulary, linker: Linker, lang: str
) -> ResourcePage:
    """The page model of a described thing in ``lang``."""
    return PageBuilder(description, vocabulary, linker, lang).build()
