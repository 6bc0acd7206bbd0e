"""Cross-document resolution: one entity per real thing, with the evidence for each merge.

Works on compact Mention records, never on spaCy Docs. Keys, strongest first:
a gazetteer identifier; the same transliteration key (`keys.name_key`); within
an article, a lone surname for the full name it abbreviates; across articles,
person names whose surnames agree and whose given names share a consonant
skeleton and are similar strings; acronyms of organisation names.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from rapidfuzz import fuzz

from kg.keys import name_key, skeleton, slug
from kg.model import Entity, Extraction, Mention, Merge

ORG_TYPES = frozenset({"Organization", "ArmedGroup", "GovernmentBody", "SecurityForce", "MilitaryUnit",
                       "MediaOrganization", "InternationalOrganization", "PoliticalBody"})
_SMALL = frozenset({"of", "the", "and", "for", "on", "in", "de", "al"})
PERSON_SIMILARITY = 70.0


class _Clusters:
    """Union-find over cluster keys, remembering why two keys were joined."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.merges: list[tuple[str, str, str, float]] = []

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str, method: str, score: float) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            keep, drop = sorted((ra, rb))
            self.parent[drop] = keep
            self.merges.append((a, b, method, score))


def _family(kind: str) -> str:
    return "Organization" if kind in ORG_TYPES else kind


def mention_key(mention: Mention) -> str:
    """Return the first-pass cluster key of a mention (type family + identifier or name key)."""
    if mention.gazetteer_id:
        return f"{_family(mention.type)}|{mention.gazetteer_id}"
    return f"{_family(mention.type)}|{name_key(mention.text)}"


def _acronym(label: str) -> str:
    return "".join(word[0] for word in label.replace("-", " ").split() if word.lower() not in _SMALL).upper()


def resolve(extractions: Iterable[Extraction], *,
            positions: bool = True) -> tuple[list[Entity], dict[tuple[str, int, int], str]]:
    """Group mentions into entities.

    Args:
        extractions: the articles' records.
        positions: also map each mention's position to its entity (a large map on a big
            corpus; False leaves it empty).
    Returns:
        the entities (sorted by key) and a map (article id, start, end) -> entity key.
    """
    clusters = _Clusters()
    keyed: dict[str, list[Mention]] = defaultdict(list)
    for extraction in extractions:
        persons = [m for m in extraction.mentions if m.type == "Person" and len(m.text.split()) > 1]
        for mention in extraction.mentions:
            key = mention_key(mention)
            keyed[key].append(mention)
            clusters.find(key)
            if mention.type == "Person" and len(mention.text.split()) == 1:
                full = _full_name(mention, persons)
                if full is not None:
                    clusters.join(mention_key(full), key, "surname in same article", 1.0)
    _join_people(keyed, clusters)
    _join_acronyms(keyed, clusters)
    members: dict[str, list[str]] = defaultdict(list)
    for key in sorted(keyed):
        members[clusters.find(key)].append(key)
    merges: dict[str, list[tuple[str, str, str, float]]] = defaultdict(list)
    for merge in sorted(clusters.merges):  # once, by cluster: a merge's two keys are in its cluster
        merges[clusters.find(merge[0])].append(merge)
    entities, index = [], {}
    used: set[str] = set()
    for root in sorted(members):
        mentions = [m for key in members[root] for m in keyed[key]]
        entity = _entity(root, mentions, merges.get(root, []), used)
        entities.append(entity)
        for mention in mentions if positions else ():
            index[(mention.provenance.article_id, mention.start, mention.end)] = entity.key
    return sorted(entities, key=lambda e: e.key), index


def _full_name(mention: Mention, persons: Sequence[Mention]) -> Mention | None:
    candidates = [p for p in persons if p.text.split()[-1] == mention.text]
    if not candidates:
        return None
    before = [p for p in candidates if p.start < mention.start]
    return (before or candidates)[-1]


def _join_people(keyed: dict[str, list[Mention]], clusters: _Clusters) -> None:
    """Join multi-word person names that differ only by transliteration."""
    names: dict[str, str] = {}
    for key, mentions in keyed.items():
        if key.startswith("Person|") and len(mentions[0].text.split()) > 1:
            names[key] = mentions[0].text
    by_surname: dict[str, list[str]] = defaultdict(list)
    given: dict[str, tuple[str, str]] = {}  # key -> (skeleton, name key) of the given name, computed once
    for key, text in names.items():
        words = text.split()
        by_surname[name_key(words[-1])].append(key)
        given[key] = (skeleton(words[0]), name_key(words[0]))
    for keys in by_surname.values():
        keys.sort()
        for i, a in enumerate(keys):
            frame, first = given[a]
            for b in keys[i + 1:]:
                if given[b][0] == frame:
                    score = fuzz.ratio(first, given[b][1])
                    if score >= PERSON_SIMILARITY:
                        clusters.join(a, b, "transliteration key", round(score / 100, 3))


def _join_acronyms(keyed: dict[str, list[Mention]], clusters: _Clusters) -> None:
    """Join an all-capitals organisation name with the name whose initials it spells."""
    orgs = {key: ms[0].text for key, ms in keyed.items() if key.startswith("Organization|")}
    by_initials: dict[str, list[str]] = defaultdict(list)
    for key, text in orgs.items():
        if len(text.split()) > 1:
            by_initials[_acronym(text)].append(key)
    for key, text in orgs.items():
        if text.isupper() and 2 <= len(text) <= 6 and len(by_initials.get(text, [])) == 1:
            clusters.join(by_initials[text][0], key, "acronym", 0.9)


def _entity(root: str, mentions: list[Mention], merges: list[tuple[str, str, str, float]], used: set[str]) -> Entity:
    types = Counter(m.type for m in mentions)
    kind = max(types, key=lambda t: (types[t], t != "Organization", t))
    surfaces = Counter(m.text for m in mentions)
    longest = max(len(x.split()) for x in surfaces)
    full = [s for s in surfaces if len(s.split()) == longest]
    label = max(full, key=lambda s: (surfaces[s], len(s), s))
    canonical = sorted({m.canonical for m in mentions if m.canonical})
    gazetteer_ids = sorted({m.gazetteer_id for m in mentions if m.gazetteer_id})
    if canonical and gazetteer_ids and gazetteer_ids[0].startswith("kg:"):
        label = canonical[0]  # curated organisation names are already the preferred English form
    base = slug(canonical[0] if canonical else label)
    key = f"{kind.lower()}/{base}"
    if key in used:  # two different things share a name: keep them apart, deterministically
        key = f"{key}-{slug(root)[-8:]}"
    used.add(key)
    aliases = tuple(sorted(set(surfaces) | set(canonical)))
    texts = _texts(mentions)
    merges = tuple(
        Merge(alias=_text_of(b, texts), into=_text_of(a, texts), method=method, score=score)
        for a, b, method, score in merges
        if _text_of(a, texts) != _text_of(b, texts)
    )
    return Entity(key=key, type=kind, label=label, aliases=aliases, mentions=tuple(mentions),
                  gazetteer_id=gazetteer_ids[0] if gazetteer_ids else None, merges=merges)


def _texts(mentions: list[Mention]) -> dict[str, str]:
    """Map each mention key to its first surface text in sorted order, in one pass over the mentions."""
    first: dict[str, str] = {}
    for mention in mentions:
        key = mention_key(mention)
        if key not in first or mention.text < first[key]:
            first[key] = mention.text
    return first


def _text_of(key: str, texts: dict[str, str]) -> str:
    return texts[key] if key in texts else key.split("|", 1)[1]


def reconcile_posts(extractions: Sequence[Extraction], entity_of: dict[tuple[str, int, int], str]) -> list[Extraction]:
    """Give a post whose jurisdiction was only guessed from context the one another article states.

    "President Joe Biden" in one article and "U.S. President Joe Biden" in another
    are the same post: the stated jurisdiction wins over the article's main country.
    """
    def key(m: Mention) -> str:
        return entity_of[(m.provenance.article_id, m.start, m.end)]

    stated: dict[tuple[str, str], Mention] = {}
    for extraction in extractions:
        for h in extraction.holdings:
            if h.jurisdiction is not None and not h.provenance.extractor.endswith("from context"):
                stated.setdefault((key(h.holder), h.role), h.jurisdiction)
    out = []
    for extraction in extractions:
        holdings = tuple(
            replace(h, jurisdiction=stated[(key(h.holder), h.role)])
            if h.provenance.extractor.endswith("from context") and (key(h.holder), h.role) in stated else h
            for h in extraction.holdings)
        changed = any(new is not old for new, old in zip(holdings, extraction.holdings))
        out.append(replace(extraction, holdings=holdings) if changed else extraction)
    return out
