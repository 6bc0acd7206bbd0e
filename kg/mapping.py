"""Map model records onto ontology terms: quads ready for the RDF stage.

Article graphs hold what each article states (mentions, relations, post
holdings, events, with offsets as provenance); the entity graph holds the
resolved entities, their labels and aliases, and the article metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.plugins.serializers.nt import _quote_encode, _quoteLiteral

from kg.iri import Minter
from kg.model import Article, Entity, Event, Extraction, Holding, Mention, Relation
from kg.vocab import KG

Quad = tuple[Any, Any, Any, Any]  # rdflib terms, or N3 strings (Mapper(n3=True))
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
STATUS = {"asserted": KG.Asserted, "claimed": KG.Claimed, "denied": KG.Denied, "planned": KG.Planned,
          "threatened": KG.Threatened, "hypothetical": KG.Hypothetical}
RELATIONS = {"capitalOf": KG.capitalOf, "locatedIn": KG.locatedIn, "spokespersonFor": KG.spokespersonFor,
             "memberOf": KG.memberOf, "leaderOf": KG.leaderOf}


# Which kinds of resolved entity (the first part of an entity key) may fill each role, after the
# ontology's ranges: a mention typed one way can resolve into an entity of another type, and a
# statement that breaks a range would make the whole graph inconsistent for a reasoner.
_PLACES = frozenset({"place", "country", "province", "district", "city", "facility"})
_ORGS = frozenset({"organization", "armedgroup", "governmentbody", "securityforce", "militaryunit",
                   "mediaorganization", "internationalorganization", "politicalbody"})
_AGENTS = _ORGS | {"person"}
FITS = {"agent": _AGENTS | {"country"}, "target": _AGENTS | _PLACES, "place": _PLACES, "participant": _AGENTS,
        "holder": {"person"}, "attributedTo": _AGENTS | {"country"}, "jurisdiction": _PLACES | _ORGS,
        "capitalOf": (_PLACES, _PLACES), "locatedIn": (_PLACES, _PLACES), "spokespersonFor": ({"person"}, _ORGS),
        "memberOf": (_AGENTS, _ORGS), "leaderOf": ({"person"}, _ORGS)}


_DATE_TYPES = {10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}
_PREFIXED = {"rdf": RDF, "rdfs": RDFS, "skos": SKOS, "dcterms": DCTERMS}


class N3(str):
    """A term already written in N-Triples syntax, as rdflib's N-Quads writer prints it."""

    __slots__ = ()


class _Vocabulary(dict):
    """Ontology terms by name ("mention", "Event", "rdf:type"), as rdflib terms or N3, looked up once.

    Names without a prefix are kg terms (`KG[name]`, which refuses a name the ontology lacks).
    """

    def __init__(self, *, n3: bool) -> None:
        super().__init__()
        self.n3 = n3
        self.literals: dict[tuple, Literal | N3] = {}

    def __missing__(self, name: str) -> URIRef | N3:
        prefix, _, local = name.rpartition(":")
        term = _PREFIXED[prefix][local] if prefix else KG[name]
        value = N3(term.n3()) if self.n3 else term
        self[name] = value
        return value

    def typed(self, value: Any, datatype: URIRef | None = None) -> Literal | N3:
        """Return the literal of a value (a number, a date), made once per (type, value, datatype)."""
        key = (type(value), repr(value) if type(value) is float else value, datatype)  # -0.0 and 0.0 differ
        found = self.literals.get(key)
        if found is None:
            if len(self.literals) > 100_000:
                self.literals.clear()
            literal = Literal(value, datatype=datatype)
            found = self.literals[key] = N3(_quoteLiteral(literal)) if self.n3 else literal
        return found


_VOCABULARIES = {False: _Vocabulary(n3=False), True: _Vocabulary(n3=True)}
STATUS_NAMES = {"asserted": "Asserted", "claimed": "Claimed", "denied": "Denied", "planned": "Planned",
                "threatened": "Threatened", "hypothetical": "Hypothetical"}


def _same(term: Any) -> Any:
    return term


def _iri_n3(iri: URIRef) -> N3:
    return N3(iri.n3())


def _plain_n3(value: Any) -> N3:
    # Literal(str) keeps the string as its lexical form, so rdflib would print exactly this
    return N3(_quote_encode(value) if type(value) is str else _quoteLiteral(Literal(value)))


class Mapper:
    """Turn Extractions and resolved Entities into quads.

    With `n3=True` every term of a quad is an `N3` string (what rdflib's N-Quads writer would
    print for the rdflib term), for the streaming writer, which needs no rdflib objects;
    otherwise terms are rdflib terms, for a Dataset. Both describe the same graph.
    """

    def __init__(self, *, minter: Minter, entity_of: Mapping[tuple[str, int, int], str], n3: bool = False) -> None:
        """Remember how IRIs are minted and which entity each mention resolved to."""
        self.minter = minter
        self.entity_of = entity_of
        self.n3 = n3
        self._v = _VOCABULARIES[n3]
        self._iri: Callable[[URIRef], Any] = _iri_n3 if n3 else _same
        self._plain: Callable[[Any], Any] = _plain_n3 if n3 else Literal
        self._entities: dict[str, URIRef] = {}

    def _literal(self, value: Any, datatype: URIRef | None = None) -> Literal | N3:
        return self._v.typed(value, datatype)

    def _date(self, value: str) -> Literal | N3:
        return self._v.typed(value, _DATE_TYPES.get(len(value), XSD.string))

    def _entity(self, key: str) -> URIRef:
        iri = self._entities.get(key)
        if iri is None:
            iri = self._entities[key] = self.minter.entity(key)
        return iri

    def entity_iri(self, mention: Mention) -> URIRef:
        """Return the IRI of the entity a mention resolved to."""
        return self._entity(self.entity_of[(mention.provenance.article_id, mention.start, mention.end)])

    def fits(self, role: str, mention: Mention | None, position: int | None = None) -> bool:
        """Tell whether the entity a mention resolved to may fill a role (see FITS)."""
        if mention is None:
            return False
        kind = self.entity_of[(mention.provenance.article_id, mention.start, mention.end)].split("/", 1)[0]
        allowed = FITS[role] if position is None else FITS[role][position]
        return kind in allowed

    def entities(self, entities: list[Entity]) -> Iterator[Quad]:
        """Yield the entity graph's quads for resolved entities."""
        v, t, plain = self._v, self._iri, self._plain
        g = t(self.minter.entities_graph())
        a, label, decimal = v["rdf:type"], v["rdfs:label"], XSD.decimal
        for entity in entities:
            iri = t(self.minter.entity(entity.key))
            yield iri, a, v[entity.type], g
            yield iri, label, plain(entity.label), g
            for alias in entity.aliases:
                if alias != entity.label:
                    yield iri, v["skos:altLabel"], plain(alias), g
            if entity.gazetteer_id:
                yield iri, v["gazetteerId"], plain(entity.gazetteer_id), g
            if entity.wikidata:  # skos:exactMatch, not owl:sameAs: see kg:Resolution in ontology/kg.ttl
                raw = self.minter.entity(entity.key)
                target = URIRef(f"{WIKIDATA_ENTITY}{entity.wikidata}")
                node = t(self.minter.node("resolution", raw, target, entity.link_method))
                target = t(target)
                yield iri, v["skos:exactMatch"], target, g
                yield iri, v["resolution"], node, g
                yield node, a, v["Resolution"], g
                yield node, label, plain(f"{entity.label} = wd:{entity.wikidata}"), g
                yield node, v["linkTarget"], target, g
                yield node, v["method"], plain(entity.link_method or "unknown"), g
                yield node, v["score"], self._literal(round(entity.link_score or 0.0, 3), decimal), g
            for merge in entity.merges:
                node = t(self.minter.node("resolution", self.minter.entity(entity.key), merge.alias, merge.into,
                                          merge.method))
                yield iri, v["resolution"], node, g
                yield node, a, v["Resolution"], g
                yield node, v["mergedName"], plain(merge.alias), g
                yield node, label, plain(f"{merge.alias} = {merge.into}"), g
                yield node, v["method"], plain(merge.method), g
                yield node, v["score"], self._literal(round(merge.score, 3), decimal), g

    def article_metadata(self, article: Article, outlets: Mapping[str, str]) -> Iterator[Quad]:
        """Yield the entity graph's quads describing an article (title, outlet, date...)."""
        v, t, plain = self._v, self._iri, self._plain
        g, iri = t(self.minter.entities_graph()), t(self.minter.article(article.id))
        yield iri, v["rdf:type"], v["Article"], g
        yield iri, v["sourcePath"], plain(article.source), g
        yield iri, v["text"], plain(article.text), g
        if article.title:
            yield iri, v["dcterms:title"], plain(article.title), g
        if article.published:
            yield iri, v["published"], self._date(article.published), g
            yield iri, v["datePrecision"], plain(article.published_precision or "day"), g
        if article.url:
            yield iri, v["url"], self._literal(article.url, XSD.anyURI), g
        for author in article.authors:
            yield iri, v["author"], plain(author), g
        if article.outlet and article.outlet in outlets:
            yield iri, v["outlet"], t(self._entity(outlets[article.outlet])), g
        for name in article.contributors:
            if name in outlets:
                yield iri, v["contributor"], t(self._entity(outlets[name])), g

    def extraction(self, extraction: Extraction) -> Iterator[Quad]:
        """Yield one article's named graph: mentions, relations, holdings, events."""
        article = extraction.article
        raw_graph, article_iri = self.minter.graph(article.id), self.minter.article(article.id)
        g, t = self._iri(raw_graph), self._iri
        yield g, self._v["rdf:type"], self._v["StatementGraph"], g
        yield g, self._v["graphOf"], t(article_iri), g
        for mention in extraction.mentions:
            yield from self._mention(mention, article_iri, g)
        for relation in extraction.relations:
            yield from self._relation(relation, g)
        for holding in extraction.holdings:
            yield from self._holding(holding, article_iri, g)
        for event in extraction.events:
            yield from self._event(event, article_iri, g)

    def _mention(self, mention: Mention, article_iri: URIRef, g: Any) -> Iterator[Quad]:
        v, t, plain = self._v, self._iri, self._plain
        p = mention.provenance
        iri = t(self.minter.mention(p.article_id, p.start, p.end))
        yield t(self.entity_iri(mention)), v["mention"], iri, g
        yield iri, v["rdf:type"], v["Mention"], g
        yield iri, v["inArticle"], t(article_iri), g
        yield iri, v["start"], self._literal(p.start), g
        yield iri, v["end"], self._literal(p.end), g
        yield iri, v["anchor"], plain(mention.text), g
        yield iri, v["sentence"], plain(p.sentence), g
        yield iri, v["extractor"], plain(p.extractor), g
        yield iri, v["confidence"], self._literal(p.confidence, XSD.decimal), g

    def _claim(self, iri: Any, status: str, article_iri: URIRef, g: Any,
               evidence: Mention | None, speaker: Mention | None) -> Iterator[Quad]:
        v, t = self._v, self._iri
        yield iri, v["status"], v[STATUS_NAMES.get(status, "Asserted")], g
        yield iri, v["statedIn"], t(article_iri), g
        if self.fits("attributedTo", speaker):
            yield iri, v["attributedTo"], t(self.entity_iri(speaker)), g
        if evidence is not None:
            yield iri, v["evidence"], t(self.minter.mention(evidence.provenance.article_id, evidence.start,
                                                            evidence.end)), g

    def _relation(self, relation: Relation, g: Any) -> Iterator[Quad]:
        if self.fits(relation.predicate, relation.subject, 0) and self.fits(relation.predicate, relation.object, 1):
            t = self._iri
            yield t(self.entity_iri(relation.subject)), self._v[relation.predicate], \
                t(self.entity_iri(relation.object)), g

    def _holding(self, holding: Holding, article_iri: URIRef, g: Any) -> Iterator[Quad]:
        if not self.fits("holder", holding.holder):
            return
        v, t, plain = self._v, self._iri, self._plain
        person = self.entity_iri(holding.holder)
        place = self.entity_iri(holding.jurisdiction) if self.fits("jurisdiction", holding.jurisdiction) else None
        raw_post = self.minter.node("post", holding.role, place or "")
        iri = t(self.minter.node("holding", article_iri, person, raw_post, holding.tenure or ""))
        post = t(raw_post)
        yield post, v["rdf:type"], v["Post"], g
        yield post, v["role"], plain(holding.role), g
        label = f"{holding.role.title()} of {holding.jurisdiction.text}" if place else holding.role.title()
        yield post, v["rdfs:label"], plain(label), g
        if place is not None:
            yield post, v["jurisdiction"], t(place), g
        yield iri, v["rdf:type"], v["PostHolding"], g
        yield iri, v["holder"], t(person), g
        yield iri, v["post"], post, g
        if holding.tenure:
            yield iri, v["tenure"], plain(holding.tenure), g
        yield from self._claim(iri, holding.status, article_iri, g, holding.holder, None)

    def _event(self, event: Event, article_iri: URIRef, g: Any) -> Iterator[Quad]:
        v, t, plain = self._v, self._iri, self._plain
        p = event.provenance
        place = f"{event.place.start}-{event.place.end}" if event.place is not None else ""
        raw = self.minter.node("event", article_iri, event.type, p.start, p.end, event.trigger, place)
        iri = t(raw)
        yield iri, v["rdf:type"], v[event.type], g
        yield iri, v["rdfs:label"], plain(f"{event.type} ({event.trigger})"), g
        for role, mention in (("agent", event.agent), ("target", event.target), ("place", event.place),
                              *(("participant", m) for m in event.participants)):
            if self.fits(role, mention):
                yield iri, v[role], t(self.entity_iri(mention)), g
        if event.date:
            yield iri, v["date"], self._date(event.date), g
            yield iri, v["datePrecision"], plain(event.date_precision or "day"), g
        if event.date_text:
            yield iri, v["dateText"], plain(event.date_text), g
        for quantity in event.quantities:
            q = t(self.minter.node("quantity", raw, quantity.count, quantity.of, quantity.text))
            yield iri, v["quantity"], q, g
            yield q, v["rdf:type"], v["Quantity"], g
            yield q, v["count"], self._literal(quantity.count), g
            yield q, v["countOf"], plain(quantity.of), g
            if quantity.qualifier:
                yield q, v["qualifier"], plain(quantity.qualifier), g
            if quantity.out_of is not None:
                yield q, v["outOf"], self._literal(quantity.out_of), g
        yield from self._claim(iri, event.status, article_iri, g, event.agent or event.place, event.attributed_to)
