"""One parsed article seen by the claim finders: tokens mapped to recognised mentions.

The spaCy Doc stays inside the NLP stage; finders return model records only.
"""

from __future__ import annotations

import csv
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from spacy.tokens import Doc, Span, Token

from kg.dates import When, anchor_with_precision, resolve
from kg.model import Article, Mention, Provenance
from kg.nlp import gazetteer
from kg.nlp.entities import Found
from kg.nlp.tokens import tokens

AGENT_TYPES = frozenset({"Person", "Organization", "ArmedGroup", "GovernmentBody", "SecurityForce", "MilitaryUnit",
                         "MediaOrganization", "InternationalOrganization", "PoliticalBody", "Country"})
PLACE_RANK = {"Facility": 0, "District": 1, "City": 1, "Province": 2, "Country": 3}


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Return nationality adjective -> ISO 3166-1 alpha-2 code (from kg/data/demonyms.tsv)."""
    text = resources.files("kg.data").joinpath("demonyms.tsv").read_text("utf-8")
    table = {}
    for row in csv.reader(text.splitlines(), delimiter="\t"):
        if row and not row[0].startswith("#"):
            for word in row[1].split("|"):
                table[word] = row[0]
    return table


@dataclass
class Context:
    """An article's Doc with its recognised mentions indexed by token."""

    doc: Doc
    article: Article
    found: list[Found]
    mentions: list[Mention]
    owner: list[int | None] = field(init=False)

    def __post_init__(self) -> None:
        self.owner = [None] * len(self.doc)
        for index, f in enumerate(self.found):
            for i in range(f.start, f.end):
                self.owner[i] = index
        self.anchor, self.precision = anchor_with_precision(self.article.published)
        self._sentences: dict[int, str] = {}
        self._spans: dict[tuple[int, int], Span] = {}
        self._ents: tuple[Span, ...] | None = None
        self._ent_starts: list[int] = []
        self._sentence_ents: dict[int, list[Span]] = {}
        self._when: dict[str, When | None] = {}

    @property
    def text(self) -> str:
        """Return the Doc's text (spaCy joins every token's text each time `doc.text` is read)."""
        return tokens(self.doc).text

    def sentence(self, span: Span) -> str:
        """Return the stripped text of the sentence a span starts in (cached per sentence)."""
        sent = span.sent
        found = self._sentences.get(sent.start)
        if found is None:  # a Span's text is the Doc's text between its character offsets
            found = self._sentences[sent.start] = self.text[sent.start_char:sent.end_char].strip()
        return found

    def at(self, token: Token | int) -> Mention | None:
        """Return the mention covering a token, if any."""
        index = self.owner[token if isinstance(token, int) else token.i]
        return None if index is None else self.mentions[index]

    def within(self, tokens, types=None) -> list[Mention]:
        """Return the distinct mentions covering any of the tokens, in text order."""
        owner, mentions = self.owner, self.mentions
        positions = range(tokens.start, tokens.end) if isinstance(tokens, Span) else sorted(t.i for t in tokens)
        seen, out = set(), []
        for i in positions:
            index = owner[i]
            if index is None:
                continue
            m = mentions[index]
            if id(m) not in seen and (types is None or m.type in types):
                seen.add(id(m))
                out.append(m)
        return out

    def sentence_ents(self, token: Token) -> list[Span]:
        """Return `token.sent.ents` (the entities in the token's sentence) from one reading of `doc.ents`.

        spaCy builds every entity Span of the Doc each time `Span.ents` is read.
        """
        sent = token.sent
        found = self._sentence_ents.get(sent.start)
        if found is None:
            if self._ents is None:
                self._ents = self.doc.ents
                self._ent_starts = [ent.start for ent in self._ents]
            found = []
            # as Span.ents: from the first entity at the sentence start or after, until one ends past it
            for ent in self._ents[bisect_left(self._ent_starts, sent.start):]:
                if ent.end > sent.end:
                    break
                found.append(ent)
            self._sentence_ents[sent.start] = found
        return list(found)

    def span(self, mention: Mention) -> Span:
        """Return the tokens of a mention (`doc.char_span(..., alignment_mode="expand")`, made once)."""
        key = (mention.start, mention.end)
        found = self._spans.get(key)
        if found is None:
            found = self._spans[key] = self.doc.char_span(mention.start, mention.end, alignment_mode="expand")
        return found

    def country(self, code: str) -> Mention | None:
        """Return the article's first mention of the country with this ISO code."""
        gid = f"iso3166-1:{code}"
        return next((m for m in self.mentions if m.type == "Country" and m.gazetteer_id == gid), None)

    def home(self) -> Mention | None:
        """Return the country the story happens in: the one most of its places belong to."""
        if not hasattr(self, "_home"):
            votes: Counter = Counter()
            for m in self.mentions:
                if m.type == "Country" and m.gazetteer_id:
                    votes[m.gazetteer_id.rpartition(":")[2]] += 1
                elif m.type in ("Province", "District") and m.gazetteer_id and "-" in m.gazetteer_id:
                    votes[m.gazetteer_id.rpartition(":")[2].split("-")[0]] += 2
                elif m.type == "City":
                    entries = [e for e in gazetteer.lookup_place(m.text) if e.type == "City" and e.country]
                    if entries and not gazetteer.capital_of_country(entries[0]):
                        votes[entries[0].country] += 2
            ranked = [code for code, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])) if self.country(code)]
            self._home = self.country(ranked[0]) if ranked else None
        return self._home

    def demonym_country(self, token: Token) -> Mention | None:
        """Return the named country a nationality adjective refers to ("Afghan" -> Afghanistan)."""
        text = token.text
        for suffix in ("-led", "-backed", "-trained", "-funded"):  # "U.S.-led troops"
            text = text.removesuffix(suffix)
        code = demonyms().get(text)
        return self.country(code) if code else None

    def most_mentioned(self, kind: str, *, exclude=()) -> Mention | None:
        """Return the first mention of the most often mentioned entity of one type."""
        counts = Counter(m.canonical or m.text for m in self.mentions if m.type == kind)
        for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], self._first(kv[0]))):
            mention = next(m for m in self.mentions if m.type == kind and (m.canonical or m.text) == name)
            if mention.gazetteer_id not in exclude:
                return mention
        return None

    def _first(self, name: str) -> int:
        return min(m.start for m in self.mentions if (m.canonical or m.text) == name)

    def provenance(self, span: Span, extractor: str, confidence: float = 0.7) -> Provenance:
        """Return provenance for a span of this article."""
        return Provenance(article_id=self.article.id, start=span.start_char, end=span.end_char,
                          sentence=self.sentence(span), extractor=extractor, confidence=confidence)

    def when(self, text: str) -> When | None:
        """Resolve a date expression against the article's publication date (once per text)."""
        if text not in self._when:
            self._when[text] = resolve(text, anchor=self.anchor, precision=self.precision)
        return self._when[text]
