"""Cross-document resolution on compact records: what `kg.resolve` needs, never a Doc or a sentence.

A big build cannot hold every Extraction in memory (some 45 kB of records per article,
mostly sentences repeated per mention). Resolution needs less: per article, its mention
names (text, type, gazetteer id, canonical name) in order and with their counts, the
positions of person mentions (a lone surname joins the full name before it), and the post
holdings (a jurisdiction stated in one article replaces one another article only guessed);
linking needs the articles an entity occurs in; outlets come from article metadata.
`Corpus` keeps exactly that, sharing one record per distinct name per article and one
copy of each string; `Resolution` then gives each full Extraction, read back when the
graph is written, its entity keys and reconciled holdings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from kg.config import Settings
from kg.keys import slug
from kg.model import Article, Entity, Extraction, Holding, Mention, Provenance
from kg.nlp.gazetteer import lookup_organisation
from kg.resolve import mention_key, reconcile_posts, resolve
from kg.wikidata import LinkReport, article_context, link_entities

Position = tuple[str, int, int]  # (article id, start, end), as `kg.resolve.resolve` indexes mentions


class Corpus:
    """The compact records of every article of a build, in input order, sharing one copy of each string."""

    def __init__(self) -> None:
        """Start empty."""
        self._strings: dict[str, str] = {}
        self.extractions: list[Extraction] = []
        self.anchors: dict[Position, str] = {}  # holding mention whose article mention there differs -> its key

    def _text(self, text: str | None) -> str | None:
        return None if text is None else self._strings.setdefault(text, text)

    def add(self, extraction: Extraction) -> None:
        """Keep the compact records of one article."""
        self.adopt(compact(extraction))

    def adopt(self, record: Compact) -> None:
        """Keep an article's compact records (made by `compact`, in a worker process, say).

        Their strings are swapped for the copies the corpus holds already: records that come
        pickled from another process bring copies of their own.
        """
        text = self._text
        extraction = record.extraction
        aid = text(extraction.article.id)
        for named in {id(m): m for m in _named_in(extraction)}.values():
            named.text, named.type, named.article_id = text(named.text), text(named.type), text(named.article_id)
            named.gazetteer_id, named.canonical = text(named.gazetteer_id), text(named.canonical)
        provenances: dict[str, Provenance] = {}
        holdings = []
        for h in extraction.holdings:
            extractor = h.provenance.extractor
            provenance = provenances.get(extractor) or provenances.setdefault(
                extractor, Provenance(aid, -1, -1, "", text(extractor)))
            holdings.append(replace(h, role=text(h.role), provenance=provenance, tenure=text(h.tenure),
                                    status=text(h.status)))
        article = Article(id=aid, source="", text="", outlet=text(extraction.article.outlet),
                          contributors=tuple(text(c) for c in extraction.article.contributors))
        self.extractions.append(Extraction(article=article, mentions=extraction.mentions, holdings=tuple(holdings)))
        for (where, start, end), key in record.anchors:
            self.anchors[(text(where), start, end)] = text(key)


@dataclass(frozen=True)
class Compact:
    """One article's compact records (`compact`) and the positions resolution keys by another mention."""

    extraction: Extraction  # the article's id and outlets, its mentions as Named, its holdings on Named
    anchors: tuple[tuple[Position, str], ...]  # holding mention whose article mention there differs -> its key


def compact(extraction: Extraction) -> Compact:
    """Return what resolution needs of one article's records (see the module doc).

    A person's mention keeps its position, as do the holder and jurisdiction of a holding
    (sharing the person's record where they are the same mention); any other mention is
    kept once per name.
    """
    aid = extraction.article.id
    shared: dict[tuple, Named] = {}
    placed: dict[tuple[int, int], Named] = {}  # mentions that keep their position, by (start, end)
    mentions = []
    for m in extraction.mentions:
        if m.type == "Person":  # positions matter: a lone surname joins the full name before it
            slim = placed[(m.start, m.end)] = _named(m, aid, m.start, m.end)
        else:
            signature = _signature(m)
            slim = shared.get(signature) or shared.setdefault(signature, _named(m, aid, -1, -1))
        mentions.append(slim)
    at = {(m.start, m.end): m for m in extraction.mentions}
    anchors: dict[Position, str] = {}
    holdings = tuple(replace(h, holder=_placed(h.holder, at, placed, anchors),
                             jurisdiction=_placed(h.jurisdiction, at, placed, anchors))
                     for h in extraction.holdings)
    article = extraction.article  # resolution reads its id and outlets only
    slim_article = Article(id=aid, source="", text="", outlet=article.outlet, contributors=article.contributors)
    return Compact(Extraction(article=slim_article, mentions=tuple(mentions), holdings=holdings),  # type: ignore[arg-type]
                   tuple(anchors.items()))


def _named(mention: Mention, article_id: str, start: int, end: int) -> Named:
    return Named(mention.text, mention.type, mention.gazetteer_id, mention.canonical, article_id, start, end)


def _named_in(extraction: Extraction) -> Iterator[Named]:
    yield from extraction.mentions  # type: ignore[misc]
    for h in extraction.holdings:
        yield h.holder  # type: ignore[misc]
        if h.jurisdiction is not None:
            yield h.jurisdiction  # type: ignore[misc]


def _placed(mention: Mention | None, at: Mapping[tuple[int, int], Mention], placed: dict[tuple[int, int], Named],
            anchors: dict[Position, str]) -> Named | None:
    """Return a compact copy of a holding's mention that keeps its position (shared when possible)."""
    if mention is None:
        return None
    p, span = mention.provenance, (mention.start, mention.end)
    anchor = at.get(span, mention)
    if _signature(anchor) != _signature(mention):  # resolution keys a position by the article's mention there
        anchors[(p.article_id, *span)] = mention_key(anchor)
    slim = placed.get(span)
    if slim is None or _signature(slim) != _signature(mention) or slim.article_id != p.article_id:
        slim = placed[span] = _named(mention, p.article_id, *span)
    return slim


class Named:
    """An article's mention as resolution reads it (`kg.resolve` duck-types it as a Mention).

    One small slotted object that is its own provenance (article id, start, end), where a
    Mention needs two; a big build keeps a quarter million of them while it resolves. A
    mention other than a person's is kept once per name per article, with no position
    (start and end -1).
    """

    __slots__ = ("article_id", "canonical", "end", "gazetteer_id", "start", "text", "type")

    def __init__(self, text: str, type: str, gazetteer_id: str | None, canonical: str | None,
                 article_id: str, start: int, end: int) -> None:
        """Keep the names and where."""
        self.text, self.type, self.gazetteer_id, self.canonical = text, type, gazetteer_id, canonical
        self.article_id, self.start, self.end = article_id, start, end

    @property
    def provenance(self) -> Named:
        """Return itself: it has the article id, start and end a Provenance has."""
        return self


def _mention(named: Named) -> Mention:
    """Return a Mention of a compact record (for the graph, which takes Mentions)."""
    return Mention(text=named.text, type=named.type, gazetteer_id=named.gazetteer_id, canonical=named.canonical,
                   provenance=Provenance(named.article_id, named.start, named.end, "", ""))


def _signature(mention: Mention | Named) -> tuple:
    return mention.text, mention.type, mention.gazetteer_id, mention.canonical


@dataclass(frozen=True)
class Resolution:
    """Resolved entities and what each article needs to be mapped onto them."""

    entities: list[Entity]
    key_of: dict[str, str]  # mention key (kg.resolve.mention_key) -> entity key
    overrides: dict[str, dict[int, tuple[Mention, str]]]  # article id -> holding index -> (jurisdiction, entity key)
    outlets: dict[str, str]  # outlet name in metadata -> entity key

    def holdings(self, extraction: Extraction) -> tuple[Holding, ...]:
        """Return an article's holdings with jurisdictions other articles state (`reconcile_posts`)."""
        changed = self.overrides.get(extraction.article.id, {})
        return tuple(replace(h, jurisdiction=changed[i][0]) if i in changed else h
                     for i, h in enumerate(extraction.holdings))

    def entity_of(self, extraction: Extraction) -> dict[Position, str]:
        """Return (article id, start, end) -> entity key for every mention the article's graph uses."""
        aid = extraction.article.id
        found = {(aid, m.start, m.end): self.key_of[mention_key(m)] for m in extraction.mentions}
        for m, key in self.overrides.get(aid, {}).values():
            found[(m.provenance.article_id, m.start, m.end)] = key
        return found


def resolve_corpus(corpus: Corpus, *, settings: Settings, on_link: Callable[[LinkReport], None] | None = None,
                   mentions: bool = True) -> Resolution:
    """Resolve entities across the corpus, reconcile posts, add outlets, link to Wikidata (unless off).

    With `mentions` False the entities come back without their mentions, and the corpus is
    emptied before linking (whose context is taken first): a big build then never holds the
    compact records and the linker's working set at once.
    """
    entities, _ = resolve(corpus.extractions, positions=False)
    key_of = {mention_key(m): e.key for e in entities for m in e.mentions}
    placed = {(m.provenance.article_id, m.start, m.end): key_of[mention_key(m)]
              for x in corpus.extractions for h in x.holdings for m in (h.holder, h.jurisdiction) if m is not None}
    placed.update((position, key_of[key]) for position, key in corpus.anchors.items())
    reconciled = reconcile_posts(corpus.extractions, placed)
    overrides: dict[str, dict[int, tuple[Mention, str]]] = defaultdict(dict)
    for before, after in zip(corpus.extractions, reconciled):
        for index, (old, new) in enumerate(zip(before.holdings, after.holdings)):
            if new.jurisdiction is not old.jurisdiction:
                p = new.jurisdiction.provenance
                overrides[before.article.id][index] = (_mention(new.jurisdiction),
                                                       placed[(p.article_id, p.start, p.end)])
    outlets, extra = outlet_entities([x.article for x in reconciled], entities)
    entities = sorted(entities + extra, key=lambda e: e.key)
    context = article_context(entities, reconciled, placed) if settings.link else None
    if not mentions:
        entities = [replace(e, mentions=()) for e in entities]
        corpus.extractions.clear()
        del reconciled, placed
    if context is not None:
        report = link_entities(entities, settings=settings, context=context)
        entities = list(report.entities)
        if on_link is not None:
            on_link(report)
    return Resolution(entities=entities, key_of=key_of, overrides=dict(overrides), outlets=outlets)


def outlet_entities(articles: Sequence[Article], entities: Iterable[Entity]) -> tuple[dict[str, str], list[Entity]]:
    """Map outlet names from metadata to entity keys, adding entities for unseen outlets."""
    entities = list(entities)
    by_gid = {e.gazetteer_id: e.key for e in entities if e.gazetteer_id}
    keys = {e.key for e in entities}
    names = sorted({n for a in articles for n in (a.outlet, *a.contributors) if n})
    mapping, extra = {}, []
    for name in names:
        entry = lookup_organisation(name)
        if entry is not None and entry.gid in by_gid:
            mapping[name] = by_gid[entry.gid]
            continue
        label = entry.name if entry else name
        key = f"mediaorganization/{slug(label)}"
        mapping[name] = key
        if key not in keys:
            keys.add(key)
            extra.append(Entity(key=key, type="MediaOrganization", label=label,
                                aliases=(name,) if name != label else (),
                                mentions=(), gazetteer_id=entry.gid if entry else None))
    return mapping, extra
