"""Map model records onto ontology terms: quads ready for the RDF stage.

Article graphs hold what each article states (mentions, relations, post
holdings, events, with offsets as provenance); the entity graph holds the
resolved entities, their labels and aliases, and the article metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg.iri import Minter
from kg.model import Article, Entity, Event, Extraction, Holding, Mention, Relation
from kg.vocab import KG

Quad = tuple[URIRef, URIRef, object, URIRef]
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


def _date(value: str) -> Literal:
    datatype = {10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}.get(len(value), XSD.string)
    return Literal(value, datatype=datatype)


class Mapper:
    """Turn Extractions and resolved Entities into quads."""

    def __init__(self, *, minter: Minter, entity_of: Mapping[tuple[str, int, int], str]) -> None:
        """Remember how IRIs are minted and which entity each mention resolved to."""
        self.minter = minter
        self.entity_of = entity_of

    def entity_iri(self, mention: Mention) -> URIRef:
        """Return the IRI of the entity a mention resolved to."""
        return self.minter.entity(self.entity_of[(mention.provenance.article_id, mention.start, mention.end)])

    def fits(self, role: str, mention: Mention | None, position: int | None = None) -> bool:
        """Tell whether the entity a mention resolved to may fill a role (see FITS)."""
        if mention is None:
            return False
        kind = self.entity_of[(mention.provenance.article_id, mention.start, mention.end)].split("/", 1)[0]
        allowed = FITS[role] if position is None else FITS[role][position]
        return kind in allowed

    def entities(self, entities: list[Entity]) -> Iterator[Quad]:
        """Yield the entity graph's quads for resolved entities."""
        g = self.minter.entities_graph()
        for entity in entities:
            iri = self.minter.entity(entity.key)
            yield iri, RDF.type, KG[entity.type], g
            yield iri, RDFS.label, Literal(entity.label), g
            for alias in entity.aliases:
                if alias != entity.label:
                    yield iri, SKOS.altLabel, Literal(alias), g
            if entity.gazetteer_id:
                yield iri, KG.gazetteerId, Literal(entity.gazetteer_id), g
            if entity.wikidata:  # skos:exactMatch, not owl:sameAs: see kg:Resolution in ontology/kg.ttl
                target = URIRef(f"{WIKIDATA_ENTITY}{entity.wikidata}")
                node = self.minter.node("resolution", iri, target, entity.link_method)
                yield iri, SKOS.exactMatch, target, g
                yield iri, KG.resolution, node, g
                yield node, RDF.type, KG.Resolution, g
                yield node, RDFS.label, Literal(f"{entity.label} = wd:{entity.wikidata}"), g
                yield node, KG.linkTarget, target, g
                yield node, KG.method, Literal(entity.link_method or "unknown"), g
                yield node, KG.score, Literal(round(entity.link_score or 0.0, 3), datatype=XSD.decimal), g
            for merge in entity.merges:
                node = self.minter.node("resolution", iri, merge.alias, merge.into, merge.method)
                yield iri, KG.resolution, node, g
                yield node, RDF.type, KG.Resolution, g
                yield node, KG.mergedName, Literal(merge.alias), g
                yield node, RDFS.label, Literal(f"{merge.alias} = {merge.into}"), g
                yield node, KG.method, Literal(merge.method), g
                yield node, KG.score, Literal(round(merge.score, 3), datatype=XSD.decimal), g

    def article_metadata(self, article: Article, outlets: Mapping[str, str]) -> Iterator[Quad]:
        """Yield the entity graph's quads describing an article (title, outlet, date...)."""
        g, iri = self.minter.entities_graph(), self.minter.article(article.id)
        yield iri, RDF.type, KG.Article, g
        yield iri, KG.sourcePath, Literal(article.source), g
        yield iri, KG.text, Literal(article.text), g
        if article.title:
            yield iri, DCTERMS.title, Literal(article.title), g
        if article.published:
            yield iri, KG.published, _date(article.published), g
            yield iri, KG.datePrecision, Literal(article.published_precision or "day"), g
        if article.url:
            yield iri, KG.url, Literal(article.url, datatype=XSD.anyURI), g
        for author in article.authors:
            yield iri, KG.author, Literal(author), g
        if article.outlet and article.outlet in outlets:
            yield iri, KG.outlet, self.minter.entity(outlets[article.outlet]), g
        for name in article.contributors:
            if name in outlets:
                yield iri, KG.contributor, self.minter.entity(outlets[name]), g

    def extraction(self, extraction: Extraction) -> Iterator[Quad]:
        """Yield one article's named graph: mentions, relations, holdings, events."""
        article = extraction.article
        g, article_iri = self.minter.graph(article.id), self.minter.article(article.id)
        yield g, RDF.type, KG.StatementGraph, g
        yield g, KG.graphOf, article_iri, g
        for mention in extraction.mentions:
            yield from self._mention(mention, article_iri, g)
        for relation in extraction.relations:
            yield from self._relation(relation, g)
        for holding in extraction.holdings:
            yield from self._holding(holding, article_iri, g)
        for event in extraction.events:
            yield from self._event(event, article_iri, g)

    def _mention(self, mention: Mention, article_iri: URIRef, g: URIRef) -> Iterator[Quad]:
        p = mention.provenance
        iri = self.minter.mention(p.article_id, p.start, p.end)
        yield self.entity_iri(mention), KG.mention, iri, g
        yield iri, RDF.type, KG.Mention, g
        yield iri, KG.inArticle, article_iri, g
        yield iri, KG.start, Literal(p.start), g
        yield iri, KG.end, Literal(p.end), g
        yield iri, KG.anchor, Literal(mention.text), g
        yield iri, KG.sentence, Literal(p.sentence), g
        yield iri, KG.extractor, Literal(p.extractor), g
        yield iri, KG.confidence, Literal(p.confidence, datatype=XSD.decimal), g

    def _claim(self, iri: URIRef, status: str, article_iri: URIRef, g: URIRef,
               evidence: Mention | None, speaker: Mention | None) -> Iterator[Quad]:
        yield iri, KG.status, STATUS.get(status, KG.Asserted), g
        yield iri, KG.statedIn, article_iri, g
        if self.fits("attributedTo", speaker):
            yield iri, KG.attributedTo, self.entity_iri(speaker), g
        if evidence is not None:
            yield iri, KG.evidence, self.minter.mention(evidence.provenance.article_id, evidence.start, evidence.end), g

    def _relation(self, relation: Relation, g: URIRef) -> Iterator[Quad]:
        if self.fits(relation.predicate, relation.subject, 0) and self.fits(relation.predicate, relation.object, 1):
            yield self.entity_iri(relation.subject), RELATIONS[relation.predicate], self.entity_iri(relation.object), g

    def _holding(self, holding: Holding, article_iri: URIRef, g: URIRef) -> Iterator[Quad]:
        if not self.fits("holder", holding.holder):
            return
        person = self.entity_iri(holding.holder)
        place = self.entity_iri(holding.jurisdiction) if self.fits("jurisdiction", holding.jurisdiction) else None
        post = self.minter.node("post", holding.role, place or "")
        iri = self.minter.node("holding", article_iri, person, post, holding.tenure or "")
        yield post, RDF.type, KG.Post, g
        yield post, KG.role, Literal(holding.role), g
        label = f"{holding.role.title()} of {holding.jurisdiction.text}" if place else holding.role.title()
        yield post, RDFS.label, Literal(label), g
        if place is not None:
            yield post, KG.jurisdiction, place, g
        yield iri, RDF.type, KG.PostHolding, g
        yield iri, KG.holder, person, g
        yield iri, KG.post, post, g
        if holding.tenure:
            yield iri, KG.tenure, Literal(holding.tenure), g
        yield from self._claim(iri, holding.status, article_iri, g, holding.holder, None)

    def _event(self, event: Event, article_iri: URIRef, g: URIRef) -> Iterator[Quad]:
        p = event.provenance
        place = f"{event.place.start}-{event.place.end}" if event.place is not None else ""
        iri = self.minter.node("event", article_iri, event.type, p.start, p.end, event.trigger, place)
        yield iri, RDF.type, KG[event.type], g
        yield iri, RDFS.label, Literal(f"{event.type} ({event.trigger})"), g
        for role, mention in (("agent", event.agent), ("target", event.target), ("place", event.place),
                              *(("participant", m) for m in event.participants)):
            if self.fits(role, mention):
                yield iri, KG[role], self.entity_iri(mention), g
        if event.date:
            yield iri, KG.date, _date(event.date), g
            yield iri, KG.datePrecision, Literal(event.date_precision or "day"), g
        if event.date_text:
            yield iri, KG.dateText, Literal(event.date_text), g
        for quantity in event.quantities:
            q = self.minter.node("quantity", iri, quantity.count, quantity.of, quantity.text)
            yield iri, KG.quantity, q, g
            yield q, RDF.type, KG.Quantity, g
            yield q, KG.count, Literal(quantity.count), g
            yield q, KG.countOf, Literal(quantity.of), g
            if quantity.qualifier:
                yield q, KG.qualifier, Literal(quantity.qualifier), g
            if quantity.out_of is not None:
                yield q, KG.outOf, Literal(quantity.out_of), g
        yield from self._claim(iri, event.status, article_iri, g, event.agent or event.place, event.attributed_to)
