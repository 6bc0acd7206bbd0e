"""The data model: frozen records that flow one way through the stages.

files -> Article -> Extraction (Mentions, Claims) -> Entity (resolved) -> RDF.
spaCy objects never appear here, so every record can be cached as JSON.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any


@dataclass(frozen=True)
class Article:
    """One cleaned article and its metadata."""

    id: str
    source: str
    text: str
    title: str | None = None
    outlet: str | None = None
    published: str | None = None
    published_precision: str | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """Where a record comes from: article, character span, sentence, extractor."""

    article_id: str
    start: int
    end: int
    sentence: str
    extractor: str
    confidence: float = 1.0


@dataclass(frozen=True)
class Mention:
    """A named thing in an article, typed with an ontology class local name."""

    text: str
    type: str
    provenance: Provenance
    gazetteer_id: str | None = None
    canonical: str | None = None

    @property
    def start(self) -> int:
        """Return the character offset where the mention starts."""
        return self.provenance.start

    @property
    def end(self) -> int:
        """Return the character offset where the mention ends."""
        return self.provenance.end


@dataclass(frozen=True)
class Quantity:
    """A count with what it counts and its qualifier ("more than", "around")."""

    count: int
    of: str
    text: str
    qualifier: str | None = None
    out_of: int | None = None


@dataclass(frozen=True)
class Relation:
    """A binary relation between two mentions (capitalOf, locatedIn, memberOf...)."""

    subject: Mention
    predicate: str
    object: Mention
    provenance: Provenance
    status: str = "asserted"


@dataclass(frozen=True)
class Holding:
    """A person holding a post: a role with an optional jurisdiction."""

    holder: Mention
    role: str
    provenance: Provenance
    jurisdiction: Mention | None = None
    tenure: str | None = None
    status: str = "asserted"


@dataclass(frozen=True)
class Event:
    """A reported event with its roles, date, quantities and attribution."""

    type: str
    provenance: Provenance
    trigger: str
    agent: Mention | None = None
    target: Mention | None = None
    place: Mention | None = None
    participants: tuple[Mention, ...] = ()
    date: str | None = None
    date_precision: str | None = None
    date_text: str | None = None
    quantities: tuple[Quantity, ...] = ()
    status: str = "asserted"
    attributed_to: Mention | None = None


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one article."""

    article: Article
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()
    holdings: tuple[Holding, ...] = ()
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Merge:
    """Why two names were judged to be the same real thing."""

    alias: str
    into: str
    method: str
    score: float


@dataclass(frozen=True)
class Entity:
    """One real thing across articles: stable key, label, aliases, mentions."""

    key: str
    type: str
    label: str
    aliases: tuple[str, ...]
    mentions: tuple[Mention, ...]
    gazetteer_id: str | None = None
    merges: tuple[Merge, ...] = ()
    wikidata: str | None = None
    link_score: float | None = None
    link_method: str | None = None


_PLAIN = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_json(record: Any) -> Any:
    """Return a JSON-ready structure for a model record (tuples become lists)."""
    kind = type(record)
    if kind in _PLAIN:
        return record
    if kind is tuple or kind is list:
        return [to_json(item) for item in record]
    names = _FIELD_NAMES.get(kind)
    if names is None and is_dataclass(record):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(record))
    if names is not None:
        return {name: to_json(getattr(record, name)) for name in names}
    if isinstance(record, (list, tuple)):
        return [to_json(item) for item in record]
    return record


_NESTED: dict[type, dict[str, tuple[type | None, bool]]] = {}


def _nested(cls: type) -> dict[str, tuple[type | None, bool]]:
    """Map each field of a record class to (the record class it holds or None, whether a tuple of them)."""
    if cls not in _NESTED:
        table = {}
        for item in fields(cls):
            hint = str(item.type)
            words = set(re.findall(r"\w+", hint))
            table[item.name] = (next((c for c in _RECORDS if c.__name__ in words), None), hint.startswith("tuple"))
        _NESTED[cls] = table
    return _NESTED[cls]


def _build(cls: type, data: Any) -> Any:
    table = _nested(cls)
    values = {}
    for name, value in data.items():
        nested, many = table[name]
        if nested is not None and value is not None:
            if many:
                value = tuple(_build(nested, item) for item in value)
            else:
                value = _build(nested, value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)


def extraction_from_json(data: dict[str, Any]) -> Extraction:
    """Rebuild an Extraction from the structure `to_json` produced."""
    return _build(Extraction, data)


_RECORDS = (Article, Provenance, Mention, Quantity, Relation, Holding, Event, Extraction, Merge, Entity)
__all__ = [c.__name__ for c in _RECORDS] + ["to_json", "extraction_from_json", "asdict", "field"]
