"""The NLP stage: spaCy documents in, model records out (no Doc leaves this package)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.tokens import Doc

from kg.model import Article, Extraction, Mention, Provenance
from kg.nlp.entities import Found, recognise
from kg.nlp.model import load_model, model_id
from kg.nlp.relations import find_claims

__all__ = ["Extractor", "load_model", "model_id"]

_CONFIDENCE = {5: 0.95, 4: 0.95, 3: 0.9, 2: 0.75, 1: 0.7}


class Extractor:
    """Run spaCy over articles in batches and extract mentions and claims."""

    def __init__(self, *, model: str | None = None, batch_size: int = 16) -> None:
        """Load the spaCy model once.

        Args:
            model: a spaCy pipeline name; None picks the default English model.
            batch_size: documents per `nlp.pipe` batch.
        Raises:
            ModelError: when the model cannot be loaded.
        """
        self.nlp = load_model(model)
        self.batch_size = batch_size
        self.model_id = model_id(self.nlp)

    def extract(self, articles: Iterable[Article]) -> Iterator[Extraction]:
        """Yield one Extraction per article, in input order."""
        stream = ((article.text, article) for article in articles)
        for doc, article in self.nlp.pipe(stream, as_tuples=True, batch_size=self.batch_size):
            yield extraction(doc, article)


def _mention(doc: Doc, found: Found, article: Article) -> Mention:
    span = doc[found.start:found.end]
    provenance = Provenance(
        article_id=article.id,
        start=span.start_char,
        end=span.end_char,
        sentence=span.sent.text.strip(),
        extractor=found.extractor,
        confidence=_CONFIDENCE.get(found.strength, 0.7),
    )
    entry = found.entry
    return Mention(
        text=span.text,
        type=found.type,
        provenance=provenance,
        gazetteer_id=entry.gid if entry else None,
        canonical=entry.name if entry else None,
    )


def extraction(doc: Doc, article: Article) -> Extraction:
    """Turn one parsed article into an Extraction."""
    found = recognise(doc)
    mentions = tuple(_mention(doc, f, article) for f in found)
    by_start = {f.start: m for f, m in zip(found, mentions)}
    relations, holdings, events = find_claims(doc, article, found, by_start)
    return Extraction(article=article, mentions=mentions, relations=relations, holdings=holdings, events=events)
