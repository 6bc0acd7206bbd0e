"""The NLP stage: spaCy documents in, model records out (no Doc leaves this package).

An article longer than `CHUNK_CHARS` characters (or the model's `max_length`,
if smaller) is split into pieces cut at a paragraph break, else a sentence end,
else a space; each piece is parsed and extracted on its own and the pieces'
records are joined with their character offsets moved to the article's. So
spaCy's max_length never bites, and memory and time grow with the piece size
and the number of pieces, not with the square of the article's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass, replace
from typing import Any

from spacy.tokens import Doc

from kg.model import Article, Extraction, Mention, Provenance
from kg.nlp.entities import Found, recognise
from kg.nlp.model import load_model, model_id
from kg.nlp.relations import find_claims
from kg.nlp.tokens import tokens

__all__ = ["Extractor", "load_model", "model_id"]

_CONFIDENCE = {5: 0.95, 4: 0.95, 3: 0.9, 2: 0.75, 1: 0.7}
CHUNK_CHARS = 50_000  # about 8,000 words: a long feature article is still one piece
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")


def _cut(window: str) -> int:
    """Return where to end a piece of text that fills `window`: after a paragraph, sentence or word."""
    half = len(window) // 2
    paragraph = window.rfind("\n\n", half)
    if paragraph != -1:
        return paragraph + 2
    ends = [found.end() for found in _SENTENCE_END.finditer(window, half)]
    if ends:
        return ends[-1]
    space = max(window.rfind(" ", half), window.rfind("\n", half))
    return space + 1 if space != -1 else len(window)


def pieces(text: str, *, size: int) -> list[tuple[int, int]]:
    """Split text into consecutive (start, end) spans of at most `size` characters.

    Spans end at a paragraph break, a sentence end or a space in the second half
    of the allowed size, and only mid-word when a piece has no space at all.
    """
    if size < 2:
        raise ValueError(f"piece size must be at least 2 characters, not {size}")
    spans, start = [], 0
    while len(text) - start > size:
        end = start + _cut(text[start:start + size])
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


class Extractor:
    """Run spaCy over articles in batches and extract mentions and claims."""

    def __init__(self, *, model: str | None = None, batch_size: int = 16, chunk_chars: int = CHUNK_CHARS) -> None:
        """Load the spaCy model once.

        Args:
            model: a spaCy pipeline name; None picks the default English model.
            batch_size: documents per `nlp.pipe` batch.
            chunk_chars: the longest piece of an article parsed at once (capped at
                the model's max_length).
        Raises:
            ModelError: when the model cannot be loaded.
        """
        self.nlp = load_model(model)
        self.batch_size = batch_size
        self.chunk_chars = chunk_chars
        self.model_id = model_id(self.nlp)

    def _pieces(self, articles: Iterable[Article]) -> Iterator[tuple[str, tuple[Article, int, int]]]:
        size = min(self.chunk_chars, self.nlp.max_length)
        for article in articles:
            spans = pieces(article.text, size=size)
            for start, end in spans:
                yield article.text[start:end], (article, start, len(spans))

    def extract(self, articles: Iterable[Article]) -> Iterator[Extraction]:
        """Yield one Extraction per article, in input order."""
        parts: list[tuple[int, Extraction]] = []
        stream = self._pieces(articles)
        for doc, (article, start, count) in self.nlp.pipe(stream, as_tuples=True, batch_size=self.batch_size):
            if count == 1:
                yield extraction(doc, article)
                continue
            parts.append((start, extraction(doc, replace(article, text=doc.text))))
            if len(parts) == count:
                yield _joined(article, parts)
                parts = []


def _shifted(record: Any, offset: int) -> Any:
    """Return a model record with every Provenance in it moved `offset` characters on."""
    if isinstance(record, Provenance):
        return replace(record, start=record.start + offset, end=record.end + offset)
    if isinstance(record, tuple):
        return tuple(_shifted(item, offset) for item in record)
    if is_dataclass(record) and not isinstance(record, (type, Article)):
        return replace(record, **{f.name: _shifted(getattr(record, f.name), offset) for f in fields(record)})
    return record


def _joined(article: Article, parts: list[tuple[int, Extraction]]) -> Extraction:
    """Join the Extractions of an article's pieces, offsets counted from the article's start."""
    def every(name: str) -> tuple:
        return tuple(item for start, part in parts for item in _shifted(getattr(part, name), start))

    return Extraction(article=article, mentions=every("mentions"), relations=every("relations"),
                      holdings=every("holdings"), events=every("events"))


def _mention(doc: Doc, found: Found, article: Article, text: str, sentences: dict[int, str]) -> Mention:
    """Make a Mention; `text` is doc.text, `sentences` caches sentence texts by start token."""
    span = doc[found.start:found.end]
    sent = span.sent
    sentence = sentences.get(sent.start)
    if sentence is None:  # a Span's text is the Doc's text between its character offsets
        sentence = sentences[sent.start] = text[sent.start_char:sent.end_char].strip()
    provenance = Provenance(
        article_id=article.id,
        start=span.start_char,
        end=span.end_char,
        sentence=sentence,
        extractor=found.extractor,
        confidence=_CONFIDENCE.get(found.strength, 0.7),
    )
    entry = found.entry
    return Mention(
        text=text[span.start_char:span.end_char],
        type=found.type,
        provenance=provenance,
        gazetteer_id=entry.gid if entry else None,
        canonical=entry.name if entry else None,
    )


def extraction(doc: Doc, article: Article) -> Extraction:
    """Turn one parsed article into an Extraction."""
    found = recognise(doc)
    text, sentences = tokens(doc).text, {}
    mentions = tuple(_mention(doc, f, article, text, sentences) for f in found)
    by_start = {f.start: m for f, m in zip(found, mentions)}
    relations, holdings, events = find_claims(doc, article, found, by_start)
    return Extraction(article=article, mentions=mentions, relations=relations, holdings=holdings, events=events)
