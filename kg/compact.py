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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from kg.config import Settings
from kg.keys import slug
from kg.model import Article, Entity, Extraction, Holding, Mention, Provenance
from kg.nlp.gazetteer import lookup_organisation
from kg.resolve import mention_key, reconcile_posts, resolve
from kg.wikidata import LinkReport, article_context, link_entities

Position = tuple[str, int, int]  # (article id, start, end), as `kg.resolve.resolve` indexes mentions


class Corpus:
    """The compact records of every article of a build, in input order."""

    def __init__(self) -> None:
        """Start empty."""
        self._strings: dict[str, str] = {}
        self.extractions: list[Extraction] = []
        self.anchors: dict[Position, str] = {}  # holding mention whose article mention there differs -> its key

    def _text(self, text: str | None) -> str | None:
        return None if text is None else self._strings.setdefault(text, text)

    def _mention(self, mention: Mention, provenance: Provenance) -> Mention:
        return Mention(text=self._text(mention.text), type=self._text(mention.type), provenance=provenance,
                       gazetteer_id=self._text(mention.gazetteer_id), canonical=self._text(mention.canonical))

    def add(self, extraction: Extraction) -> None:
        """Keep the compact records of one article."""
        aid = self._text(extraction.article.id)
        nowhere = Provenance(aid, -1, -1, "", "")
        shared: dict[tuple, Mention] = {}
        placed: dict[tuple[int, int], Mention] = {}  # mentions that keep their position, by (start, end)
        mentions = []
        for m in extraction.mentions:
            if m.type == "Person":  # positions matter: a lone surname joins the full name before it
                slim = placed[(m.start, m.end)] = self._mention(m, Provenance(aid, m.start, m.end, "", ""))
            else:
                slim = shared.get(_signature(m)) or shared.setdefault(_signature(m), self._mention(m, nowhere))
            mentions.append(slim)
        at = {(m.start, m.end): m for m in extraction.mentions}
        provenances: dict[str, Provenance] = {}
        holdings = []
        for h in extraction.holdings:
            extractor = h.provenance.extractor
            provenance = provenances.get(extractor) or provenances.setdefault(
                extractor, Provenance(aid, -1, -1, "", self._text(extractor)))
            holdings.append(Holding(holder=self._placed(h.holder, at, placed), role=self._text(h.role),
                                    provenance=provenance, jurisdiction=self._placed(h.jurisdiction, at, placed),
                                    tenure=self._text(h.tenure), status=self._text(h.status)))
        article = extraction.article  # resolution reads its id and outlets only
        slim_article = Article(id=aid, source="", text="", outlet=self._text(article.outlet),
                               contributors=tuple(self._text(c) for c in article.contributors))
        self.extractions.append(Extraction(article=slim_article, mentions=tuple(mentions),
                                           holdings=tuple(holdings)))

    def _placed(self, mention: Mention | None, at: Mapping[tuple[int, int], Mention],
                placed: dict[tuple[int, int], Mention]) -> Mention | None:
        """Return a compact copy of a holding's mention that keeps its position (shared when possible)."""
        if mention is None:
            return None
        p, span = mention.provenance, (mention.start, mention.end)
        anchor = at.get(span, mention)
        if _signature(anchor) != _signature(mention):  # resolution keys a position by the article's mention there
            self.anchors[(p.article_id, *span)] = mention_key(anchor)
        slim = placed.get(span)
        if slim is None or _signature(slim) != _signature(mention) or slim.provenance.article_id != p.article_id:
            slim = placed[span] = self._mention(mention, Provenance(self._text(p.article_id), *span, "", ""))
        return slim


def _signature(mention: Mention) -> tuple:
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
                overrides[before.article.id][index] = (new.jurisdiction, placed[(p.article_id, p.start, p.end)])
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
