"""Link resolved entities to Wikidata items: strong identifiers first, then label, type and context.

Every decision is a score in [0, 1] with the method that produced it. Scores add up from
evidence: the name (label 0.60, alias 0.55, 0.05 less when only the letter case differs), the
type (P31/P279* reaches a class the entity's kg class allows: +0.30; an item without any P31,
as in the snapshot, only by the claims that show its kind: +0.15 for places, +0.10 for
organisations, never for people, districts or facilities), and the context the articles give
(co-mentioned places and countries as P131/P17, a person's posts and country as P39/P27:
up to +0.25). Below THRESHOLD the entity is NIL; a leader that is not more than MARGIN
ahead of the next candidate leaves it NIL as ambiguous. A wrong link is worse than no link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from rdflib import Graph, Namespace

from kg.model import Entity
from kg.wikidata import sparql
from kg.wikidata.sources import EndpointUnavailable, Row, Source

THRESHOLD = 0.6
MARGIN = 0.1
BATCH = 50
NAME_LABEL, NAME_ALIAS, CASE_PENALTY = 0.6, 0.55, 0.05
TYPE_P31, TYPE_PLACE_CLAIMS, TYPE_ORG_UNTYPED = 0.3, 0.15, 0.1
CONTEXT_P131, CONTEXT_P17, CONTEXT_POST, CONTEXT_P27, CONTEXT_MAX = 0.15, 0.1, 0.15, 0.1, 0.25
STRONG = {"iso3166-1": sparql.P297, "iso3166-2": sparql.P300, "geonames": sparql.P1566}
METHOD = {sparql.P297: "iso3166-1", sparql.P300: "iso3166-2", sparql.P1566: "geonames"}
ORG_TYPES = frozenset({"Organization", "ArmedGroup", "GovernmentBody", "SecurityForce", "MilitaryUnit",
                       "MediaOrganization", "InternationalOrganization", "PoliticalBody"})
PLACE_TYPES = frozenset({"Country", "Province", "District", "City", "Facility", "Place"})
LINKED, NIL, AMBIGUOUS, UNLINKED = "linked", "nil", "ambiguous", "unlinked"
_LINK = Namespace("https://w3id.org/kg-news/linking#")
_KG = "https://w3id.org/kg-news/ontology#"


@dataclass(frozen=True)
class Candidate:
    """A Wikidata item considered for an entity, with its score and the evidence behind it."""

    qid: str
    label: str | None
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    """The linking decision for one entity: linked, nil, ambiguous, or unlinked (not looked up)."""

    key: str
    label: str
    type: str
    status: str
    qid: str | None = None
    score: float | None = None
    method: str | None = None
    candidates: tuple[Candidate, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Context:
    """What the articles say around each entity: where it is mentioned, who else is, a person's posts.

    Co-mention is kept per article (entity -> articles, article -> entities), not per pair of
    entities: an entity named in every article would otherwise list every other entity, and the
    pairs grow with the square of the corpus.
    """

    articles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # entity key -> article ids
    mentioned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # article id -> entity keys
    posts: Mapping[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)

    def near(self, qids: Mapping[str, str]) -> Callable[[str], set[str]]:
        """Return key -> the `qids` of the other entities mentioned in the same articles as it."""
        linked = {article: tuple((k, qids[k]) for k in keys if k in qids) for article, keys in self.mentioned.items()}
        return lambda key: {qid for article in self.articles.get(key, ()) for k, qid in linked[article] if k != key}


@dataclass(frozen=True)
class LinkReport:
    """The entities with their links filled in, one decision per entity, and what answered."""

    entities: tuple[Entity, ...]
    links: tuple[Link, ...]
    source: str
    warnings: tuple[str, ...] = ()
    requests: int = 0

    def count(self, status: str) -> int:
        """Return how many entities ended with `status`."""
        return sum(1 for link in self.links if link.status == status)


@lru_cache(maxsize=1)
def compatible_classes() -> dict[str, frozenset[str]]:
    """Return kg class local name -> the Wikidata class QIDs it may link to (kg/data/wikidata/classes.ttl)."""
    graph = Graph().parse(data=resources.files("kg.data").joinpath("wikidata/classes.ttl").read_text("utf-8"),
                          format="turtle")
    table: dict[str, set[str]] = defaultdict(set)
    for kg_class, wd_class in graph.subject_objects(_LINK.compatibleClass):
        qid = sparql.qid_of(wd_class)
        if qid and str(kg_class).startswith(_KG):
            table[str(kg_class)[len(_KG):]].add(qid)
    return {k: frozenset(v) for k, v in table.items()}


class _Unavailable(Exception):
    """Raised inside the linker when no source can answer; the entities stay unlinked."""


class Linker:
    """Link entities with SPARQL sent to a source, falling back to another when it fails."""

    def __init__(self, source: Source, *, fallback: Source | None = None, threshold: float = THRESHOLD,
                 margin: float = MARGIN, batch: int = BATCH) -> None:
        """Remember where to send queries and how strict to be."""
        self.source, self.fallback = source, fallback
        self.threshold, self.margin, self.batch = threshold, margin, batch
        self.warnings: list[str] = []
        self.failure: EndpointUnavailable | None = None  # set when the source failed: the rest goes to the fallback
        self.used: list[str] = []

    def select(self, query: str) -> list[Row]:
        """Run one query on the source, or on the fallback once the source has failed."""
        if self.failure is None:
            try:
                rows = self.source.select(query)
                self._use(self.source.name)
                return rows
            except EndpointUnavailable as exc:
                self.failure = exc
                after = f"; linking from the {self.fallback.name} instead" if self.fallback else \
                    "; the entities stay unlinked"
                self.warnings.append(f"{exc}{after}")
        if self.fallback is None:
            raise _Unavailable(str(self.failure))
        rows = self.fallback.select(query)
        self._use(self.fallback.name)
        return rows

    def _use(self, name: str) -> None:
        if name not in self.used:
            self.used.append(name)

    def _batched(self, make, values: Sequence) -> list[Row]:  # noqa: ANN001 - a sparql query builder
        rows: list[Row] = []
        for start in range(0, len(values), self.batch):
            rows.extend(self.select(make(values[start:start + self.batch])))
        return rows

    def link(self, entities: Sequence[Entity], context: Context | None = None) -> LinkReport:
        """Decide a link (or NIL) for every entity and return the updated entities and the decisions."""
        context = context or Context()
        linkable = [e for e in entities if e.type in compatible_classes()]
        try:
            decisions = self._decide(linkable, context)
        except _Unavailable as exc:
            decisions = {e.key: Link(e.key, e.label, e.type, UNLINKED, note=str(exc)) for e in linkable}
        links, updated = [], []
        for entity in entities:
            decision = decisions.get(entity.key) or Link(entity.key, entity.label, entity.type, NIL,
                                                         note=f"kg class {entity.type} is not linked")
            links.append(decision)
            if decision.status == LINKED:
                entity = replace(entity, wikidata=decision.qid, link_score=decision.score, link_method=decision.method)
            updated.append(entity)
        source = " + ".join(self.used) or self.source.name
        requests = getattr(self.source, "requests", 0)
        return LinkReport(tuple(updated), tuple(links), source, tuple(self.warnings), requests)

    def _decide(self, entities: Sequence[Entity], context: Context) -> dict[str, Link]:
        strong = {e.key: _strong_pair(e) for e in entities}
        pairs = sorted({p for p in strong.values() if p})
        by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in self._batched(sparql.strong_ids, pairs):
            qid = sparql.qid_of(row.get("item"))
            if qid:
                by_pair[(str(row["prop"]).rsplit("/", 1)[-1], str(row["code"]))].add(qid)
        names = {e.key: _names(e) for e in entities if not by_pair.get(strong[e.key])}
        literals = sorted({v for ns in names.values() for n in ns for v in _variants(n)})
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in self._batched(lambda b: sparql.labels(sparql.name(n) for n in b), literals):
            qid = sparql.qid_of(row.get("item"))
            if qid:
                found[str(row["name"])].append((qid, str(row["via"])))
        candidates = sorted({q for qs in by_pair.values() for q in qs} | {q for hits in found.values() for q, _ in hits})
        facts = self._facts(candidates)
        positions = sorted({p for q in candidates for p in facts[q].get(sparql.P39, ())} - set(candidates))
        if positions and context.posts:
            facts.update(self._facts(positions))
        classes = sorted({c for cs in compatible_classes().values() for c in cs})
        kinds: dict[str, set[str]] = defaultdict(set)
        for row in self._batched(lambda b: sparql.types(b, classes), candidates):
            kinds[str(sparql.qid_of(row["item"]))].add(str(sparql.qid_of(row["class"])))
        decisions: dict[str, Link] = {}
        for entity in entities:  # strong identifiers first: their links are the others' context
            if by_pair.get(strong[entity.key]):
                decisions[entity.key] = self._strong(entity, strong[entity.key], by_pair, facts, kinds)
        near_to = context.near({k: d.qid for k, d in decisions.items() if d.qid})
        for entity in entities:
            if entity.key not in decisions:
                near = near_to(entity.key)
                posts = list(context.posts.get(entity.key, ()))
                matched = _matches(names[entity.key], found)
                scored = [self._score(entity, qid, vias, facts, kinds, near, posts) for qid, vias in matched.items()]
                decisions[entity.key] = self._choose(entity, [c for c in scored if c is not None], len(matched))
        return decisions

    def _facts(self, qids: Sequence[str]) -> dict[str, dict[str, set[str]]]:
        facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for row in self._batched(sparql.facts, qids):
            value = row["value"]
            facts[str(sparql.qid_of(row["item"]))][str(row["prop"]).rsplit("/", 1)[-1]].add(
                sparql.qid_of(value) or str(value))
        return facts

    def _strong(self, entity: Entity, pair: tuple[str, str], by_pair: Mapping, facts: Mapping,
                kinds: Mapping) -> Link:
        hits = sorted(by_pair[pair])
        kept = [q for q in hits if _type_evidence(entity.type, facts[q], kinds[q]) is not None]
        method = METHOD[pair[0]]
        found = tuple(Candidate(q, _label(facts, q), 1.0, (f"{pair[0]} {pair[1]}",)) for q in kept)
        if len(kept) == 1:
            return Link(entity.key, entity.label, entity.type, LINKED, kept[0], 1.0, method, found)
        if kept:
            return Link(entity.key, entity.label, entity.type, AMBIGUOUS, candidates=found,
                        note=f"{len(kept)} items share {pair[0]} {pair[1]}")
        return Link(entity.key, entity.label, entity.type, NIL,
                    note=f"the item with {pair[0]} {pair[1]} is not a {entity.type}")

    def _score(self, entity: Entity, qid: str, vias: Iterable[tuple[str, bool]], facts: Mapping,
               kinds: Mapping, near: set[str], posts: list[tuple[str, str | None]]) -> Candidate | None:
        claims = facts[qid]
        typed = _type_evidence(entity.type, claims, kinds[qid])
        if typed is None:
            return None
        best = max((NAME_LABEL if via == "label" else NAME_ALIAS) - (0 if exact else CASE_PENALTY)
                   for via, exact in vias)
        evidence = [f"name {best:.2f}", f"type {typed:.2f}"]
        context = 0.0
        if entity.type in PLACE_TYPES or entity.type in ORG_TYPES:
            if entity.type in PLACE_TYPES and (claims.get(sparql.P131, set()) | claims.get(sparql.CAPITAL_OF, set())) & near:
                context += CONTEXT_P131
                evidence.append("P131 or capital of in context")
            if claims.get(sparql.P17, set()) & near:
                context += CONTEXT_P17
                evidence.append("P17 in context")
        elif entity.type == "Person":
            for position in sorted(claims.get(sparql.P39, ())):
                title = (_label(facts, position) or "").lower()
                if any(role.lower() in title for role, _ in posts):  # "president" in "President of the United States"
                    context += CONTEXT_POST
                    evidence.append(f"P39 {position}")
                    break
            if claims.get(sparql.P27, set()) & near:
                context += CONTEXT_P27
                evidence.append("P27 in context")
        score = round(min(1.0, best + typed + min(context, CONTEXT_MAX)), 3)
        return Candidate(qid, _label(facts, qid), score, tuple(evidence))

    def _choose(self, entity: Entity, scored: list[Candidate], matched: int) -> Link:
        ranked = tuple(sorted(scored, key=lambda c: (-c.score, c.qid)))
        base = (entity.key, entity.label, entity.type)
        if not ranked:
            return Link(*base, NIL, note=f"{matched} item(s) have this name, none can be a {entity.type}"
                        if matched else "no item has this name")
        top = ranked[0]
        if top.score < self.threshold:
            return Link(*base, NIL, candidates=ranked, note=f"best score {top.score:.2f} < {self.threshold:.2f}")
        if len(ranked) > 1 and round(top.score - ranked[1].score, 3) <= self.margin:
            return Link(*base, AMBIGUOUS, candidates=ranked,
                        note=f"{top.qid} {top.score:.2f} and {ranked[1].qid} {ranked[1].score:.2f} are too close")
        method = "label-context" if any(" in context" in e or e.startswith("P39") for e in top.evidence) else "label"
        return Link(*base, LINKED, top.qid, top.score, method, ranked)


def _strong_pair(entity: Entity) -> tuple[str, str] | None:
    scheme, _, code = (entity.gazetteer_id or "").partition(":")
    return (STRONG[scheme], code) if scheme in STRONG and code else None


def _label(facts: Mapping, qid: str) -> str | None:
    values = facts.get(qid, {}).get(sparql.LABEL)
    return min(values) if values else None


def _type_evidence(kind: str, claims: Mapping[str, set[str]], reached: set[str]) -> float | None:
    """Return the type score of an item for a kg class, or None when the item cannot be of that class."""
    if claims.get(sparql.P31):
        return TYPE_P31 if reached & compatible_classes().get(kind, frozenset()) else None
    has = claims.__contains__
    country, province, person = has(sparql.P297), has(sparql.P300), has(sparql.P39) or has(sparql.P27)
    place = country or province or has(sparql.P1566) or has(sparql.P131) or has(sparql.CAPITAL_OF)
    if person:
        return None
    if kind == "Country":
        return TYPE_PLACE_CLAIMS if country else None
    if kind == "Province":
        return TYPE_PLACE_CLAIMS if province else None
    if kind == "City":
        return TYPE_PLACE_CLAIMS if place and not (country or province) else None
    if kind == "Place":
        return TYPE_PLACE_CLAIMS if place else None
    if kind in ORG_TYPES:
        return None if place else TYPE_ORG_UNTYPED
    return None  # people, districts, facilities: no claim short of P31 tells them apart


def _names(entity: Entity) -> tuple[str, ...]:
    """Return the names to look up: label and aliases; a person only by full names.

    A person's name counts when it has two words or more and starts with the given name of the
    entity's label: "Biden" or "bin Laden" alone would link Jill Biden or Hamza bin Laden wrongly.
    """
    names = {" ".join(n.split()) for n in (entity.label, *entity.aliases)}
    if entity.type == "Person":
        given = entity.label.split()[0].casefold() if entity.label.split() else ""
        names = {n for n in names if len(n.split()) > 1 and n.split()[0].casefold() == given}
    return tuple(sorted(n for n in names if len(n) > 1))


def _variants(name: str) -> set[str]:
    """Return the letter-case variants of a name (the query matches labels exactly)."""
    words = name.split()
    small = {"of", "the", "and", "for", "de", "al", "bin", "i", "e"}
    smart = " ".join(w if i and w.lower() in small else w[:1].upper() + w[1:] for i, w in enumerate(words))
    found = {name, name.lower(), name.title(), smart, name[:1].upper() + name[1:]}
    if len(name) <= 6:
        found.add(name.upper())
    return found


def _matches(names: Iterable[str], found: Mapping[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, bool]]]:
    """Return item -> [(via, exact case)] for the items whose label or alias matched one of the names."""
    hits: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for name in names:
        for variant in _variants(name):
            for qid, via in found.get(variant, ()):
                if variant.casefold() == name.casefold():
                    hits[qid].append((via, variant == name))
    return hits


def context_of(entities: Sequence[Entity], holdings: Iterable[tuple[str, str, str | None]] = ()) -> Context:
    """Build the context: entities mentioned in the same articles, and (holder, role, jurisdiction) keys."""
    mentioned: dict[str, list[str]] = defaultdict(list)  # lists, not sets: a big corpus has many articles
    articles = {}
    for entity in entities:
        ids = tuple(dict.fromkeys(m.provenance.article_id for m in entity.mentions))
        articles[entity.key] = ids
        for article in ids:  # each entity once per article: no duplicates to remove
            mentioned[article].append(entity.key)
    posts: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for holder, role, where in holdings:
        if (role, where) not in posts[holder]:
            posts[holder].append((role, where))
    return Context(articles, {a: tuple(keys) for a, keys in mentioned.items()}, {k: tuple(v) for k, v in posts.items()})
