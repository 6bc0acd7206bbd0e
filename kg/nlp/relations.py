"""Relations, post holdings and events from the dependency parse (filled in by later stages)."""

from __future__ import annotations

from spacy.tokens import Doc

from kg.model import Article, Event, Holding, Mention, Relation
from kg.nlp.entities import Found


def find_claims(
    doc: Doc, article: Article, found: list[Found], by_start: dict[int, Mention]
) -> tuple[tuple[Relation, ...], tuple[Holding, ...], tuple[Event, ...]]:
    """Return the relations, holdings and events one article states."""
    return (), (), ()
