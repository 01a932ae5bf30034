"""``/def/…``: the ontology, the SKOS concept schemes and their concepts, and the published
JSON-LD context ``/context.jsonld``.

Vocabulary IRIs are fixed (``https://data.smarte-region-hessen.de/def/…``) and served under
``/def/…`` on whatever host the app runs. Each negotiates like a thing's document (HTML or RDF
in every format, ``?format=``, extension variants). The ontology IRI names the ontology
document itself and its terms are fragments of it (``/def/srh#Municipality``), so it answers
``200``; schemes and concepts answer ``200`` with ``Content-Location`` of the variant too, as
SKOS vocabularies commonly do. A concept's document also lists, paged, the things in the store
that use it (e.g. the projects of a field of action).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from endpoint import backend_of, settings_of
from endpoint.alternates import alternates_response
from endpoint.caching import make_conditional
from endpoint.describe import (
    Description,
    InverseNotFound,
    add_inverse_links,
    add_vocabulary_labels,
)
from endpoint.documents import (
    VOCABULARY_ALTERNATIVES,
    choose_representation,
    content_query,
    document_response,
    split_extension,
)
from endpoint.errors import Problem
from endpoint.i18n import current_language
from endpoint.negotiation import HTML, Choice, Offer
from endpoint.ontology import ONTOLOGY_IRI, SCHEME_BASE, Vocabulary, pick, vocabulary
from endpoint.pages import Link, Linker, PageBuilder, resource_page
from endpoint.rdf_output import serialize
from endpoint.resources import alternates, context_url, inverse_page_size, inverse_request
from endpoint.schemaorg import script_safe
from smartregion.formats import graph_format
from smartregion.store.publication import StoreVersion

bp = Blueprint("vocabulary", __name__)

JSONLD = "application/ld+json"


def _vocabulary() -> Vocabulary:
    return vocabulary(settings_of(current_app).ontology_dir)


def _version(vocab: Vocabulary) -> StoreVersion:
    """The validator of a vocabulary document: the store version (concept pages list data),
    dated no earlier than the newest vocabulary file."""
    store = backend_of(current_app).version()
    created = max(store.created, vocab.modified) if store else vocab.modified
    return StoreVersion(f"{store.id if store else 'empty'}-{vocab.digest}", created)


@bp.get("/context.jsonld")
def context() -> ResponseReturnValue:
    """The published JSON-LD context (``ontology/context.jsonld``), used by every JSON-LD
    document of the platform."""
    vocab = _vocabulary()
    response = Response(vocab.context_bytes, mimetype=JSONLD)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    stamp = datetime.fromtimestamp(vocab.modified.timestamp(), vocab.modified.tzinfo)
    return make_conditional(request, response, StoreVersion(vocab.digest, stamp), "context")


@bp.get("/def")
@bp.get("/def/")
def index() -> ResponseReturnValue:
    """The vocabulary starts at the ontology document, which lists the schemes."""
    return redirect(request.script_root + "/def/srh", code=303)


@bp.get("/def/<string:name>")
def ontology(name: str) -> ResponseReturnValue:
    """The ontology document ``/def/srh`` (classes and properties are its fragments)."""
    stem, extension = split_extension(name)
    if stem != "srh":
        raise Problem(404, "Not Found", f"there is no vocabulary /def/{stem}")
    vocab = _vocabulary()
    choice = choose_representation(extension, VOCABULARY_ALTERNATIVES)
    if choice.listing:
        return _alternates("/def/srh", choice, vocab, ONTOLOGY_IRI)
    offer = choice.offer
    graph = Graph()
    graph += vocab.ontology
    add_vocabulary_labels(graph, vocab)
    return _respond("/def/srh", choice, vocab, graph,
                    lambda: _ontology_page(vocab, graph, offer))


@bp.get("/def/scheme/<string:name>")
def scheme(name: str) -> ResponseReturnValue:
    """A concept scheme with all its concepts."""
    stem, extension = split_extension(name)
    vocab = _vocabulary()
    iri = SCHEME_BASE + stem
    if iri not in vocab.schemes:
        raise Problem(404, "Not Found", f"there is no concept scheme {iri}")
    choice = choose_representation(extension, VOCABULARY_ALTERNATIVES)
    if choice.listing:
        return _alternates(f"/def/scheme/{stem}", choice, vocab, iri)
    offer = choice.offer
    graph = Graph()
    graph += vocab.schemes[iri]
    return _respond(f"/def/scheme/{stem}", choice, vocab, graph,
                    lambda: _scheme_page(vocab, graph, URIRef(iri), offer))


@bp.get("/def/scheme/<string:scheme_name>/<string:name>")
def concept(scheme_name: str, name: str) -> ResponseReturnValue:
    """One concept, with the things in the store that use it (paged)."""
    stem, extension = split_extension(name)
    vocab = _vocabulary()
    iri = URIRef(f"{SCHEME_BASE}{scheme_name}/{stem}")
    scheme_iri = vocab.concept_scheme.get(str(iri))
    if scheme_iri is None or scheme_iri != SCHEME_BASE + scheme_name:
        raise Problem(404, "Not Found", f"there is no concept {iri}")
    choice = choose_representation(extension, VOCABULARY_ALTERNATIVES)
    path = f"/def/scheme/{scheme_name}/{stem}"
    if choice.listing:
        return _alternates(path, choice, vocab, str(iri), _query())
    offer = choice.offer
    inverse, page = inverse_request()
    graph = Graph()
    for triple in vocab.schemes[scheme_iri].triples((iri, None, None)):
        graph.add(triple)
    _add_closure(vocab.schemes[scheme_iri], graph)
    try:
        groups = add_inverse_links(backend_of(current_app), graph, iri, iri,
                                   inverse=inverse, page=page, page_size=inverse_page_size())
    except InverseNotFound as exc:
        raise Problem(404, "Not Found", f"no such inverse links or page: {exc}") from exc
    add_vocabulary_labels(graph, vocab)
    description = Description(iri, iri, graph, groups)

    def page_html() -> str:
        lang = current_language()
        linker = Linker(settings_of(current_app).base_uri, request.script_root)
        model = resource_page(description, vocab, linker, lang)
        return render_template(
            "resource.html", page=model, alternates=alternates(path, offer, _query()),
            jsonld=script_safe(_defined_term(model.title, str(iri), scheme_iri)),
            document_iri=str(iri), iri_href=request.script_root + path,
        )

    return _respond(path, choice, vocab, graph, page_html, query=_query())


def _query() -> str:
    return content_query("inverse", "page")


def _add_closure(source: Graph, target: Graph) -> None:
    """Copy the blank nodes the target's statements point to, recursively."""
    pending = [o for o in target.objects() if isinstance(o, BNode)]
    seen: set[BNode] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in source.triples((node, None, None)):
            target.add(triple)
            if isinstance(triple[2], BNode):
                pending.append(triple[2])


def _alternates(path: str, choice: Choice, vocab: Vocabulary, iri: str, query: str = ""
                ) -> Response:
    return alternates_response(path, VOCABULARY_ALTERNATIVES, choice, iri, _version(vocab),
                               query=query)


def _respond(
    path: str, choice: Choice, vocab: Vocabulary, graph: Graph, html: object, query: str = ""
) -> Response:
    offer = choice.offer

    def produce() -> bytes | str:
        if offer is HTML:
            return html()  # type: ignore[operator, no-any-return]
        fmt = graph_format(offer.name)
        assert fmt is not None
        return serialize(graph, fmt, context=vocab.context, context_url=context_url())

    return document_response(path, VOCABULARY_ALTERNATIVES, choice, _version(vocab), produce,
                             query=query,
                             lang=current_language(), validator=vocab.digest)


# -- HTML ------------------------------------------------------------------------------------
def _terms(vocab: Vocabulary, graph: Graph, kind: URIRef) -> list[URIRef]:
    found = [s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)]
    return sorted(found, key=lambda s: str(s).lower())


def _ontology_page(vocab: Vocabulary, graph: Graph, offer: Offer) -> str:
    lang = current_language()
    linker = Linker(settings_of(current_app).base_uri, request.script_root)
    ontology_iri = URIRef(ONTOLOGY_IRI)
    builder = PageBuilder(Description(ontology_iri, ontology_iri, graph), vocab, linker, lang)
    sections = []
    for key, kind in (("classes", OWL.Class), ("object_properties", OWL.ObjectProperty),
                      ("datatype_properties", OWL.DatatypeProperty)):
        terms = [_term(builder, vocab, term, lang) for term in _terms(vocab, graph, kind)]
        sections.append({"key": key, "terms": terms})
    schemes = [builder.link(URIRef(iri)) for iri in sorted(vocab.schemes)]
    page = resource_page(Description(ontology_iri, ontology_iri, graph), vocab, linker, lang)
    return render_template(
        "vocabulary.html", mode="ontology", page=page, sections=sections, schemes=schemes,
        alternates=alternates("/def/srh", offer), context_href=request.script_root
        + "/context.jsonld", jsonld=script_safe(_defined_term_set(page.title, ONTOLOGY_IRI)),
    )


def _term(builder: PageBuilder, vocab: Vocabulary, term: URIRef, lang: str) -> dict[str, object]:
    """A class or property as the ontology page documents it."""
    other = "en" if lang == "de" else "de"
    other_label = pick({other: vocab.labels.get(str(term), {}).get(other, [])}, other)
    return {
        "anchor": str(term).rsplit("#", 1)[-1],
        "iri": str(term),
        "label": builder.labels.label(term)[0],
        "other_label": other_label[0] if other_label else None,
        "other_lang": other,
        "comment": vocab.comment(str(term), lang),
        "rows": [row for row in builder.rows(term)
                 if row.predicate.iri not in (str(RDFS.label), str(RDFS.comment),
                                              str(RDFS.isDefinedBy))],
    }


def _scheme_page(vocab: Vocabulary, graph: Graph, iri: URIRef, offer: Offer) -> str:
    lang = current_language()
    linker = Linker(settings_of(current_app).base_uri, request.script_root)
    description = Description(iri, iri, graph)
    builder = PageBuilder(description, vocab, linker, lang)
    concepts: list[dict[str, object]] = []
    for concept_iri in _terms(vocab, graph, SKOS.Concept):
        notation = graph.value(concept_iri, SKOS.notation)
        concepts.append({
            "link": builder.link(concept_iri),
            "notation": str(notation) if notation is not None else "",
            "definition": vocab.comment(str(concept_iri), lang),
            "broader": [builder.link(b) for b in graph.objects(concept_iri, SKOS.broader)],
        })
    concepts.sort(key=lambda c: (_notation_key(str(c["notation"])), _link_text(c["link"])))
    page = resource_page(description, vocab, linker, lang)
    path = "/def/scheme/" + str(iri)[len(SCHEME_BASE):]
    return render_template(
        "vocabulary.html", mode="scheme", page=page, concepts=concepts,
        alternates=alternates(path, offer), jsonld=script_safe(_defined_term_set(page.title,
                                                                                 str(iri))),
    )


def _link_text(link: object) -> str:
    return link.text.lower() if isinstance(link, Link) else ""


def _notation_key(notation: str) -> tuple[int, float | str]:
    try:
        return (0, float(notation))
    except ValueError:
        return (1, notation)


def _defined_term_set(name: str, iri: str) -> dict[str, str]:
    return {"@context": "https://schema.org", "@type": "DefinedTermSet", "@id": iri, "name": name}


def _defined_term(name: str, iri: str, scheme_iri: str) -> dict[str, object]:
    return {"@context": "https://schema.org", "@type": "DefinedTerm", "@id": iri, "name": name,
            "inDefinedTermSet": scheme_iri}
