"""Measure links against a gold file: gold entity label per gold file -> verified QID or null.

The gold entity files (tests/gold/FORMAT.md) say which surface forms name each entity in
each article; the link gold (tests/gold/wikidata.json) says which Wikidata item it is.
Precision counts the links made on gold entities; recall counts the gold entities that have
a verified QID, end to end (an entity the extractor missed is a miss) and among those the
extractor found.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.errors import EvalError
from kg.evaluate import normalise
from kg.model import Entity


@dataclass(frozen=True)
class LinkScore:
    """Counts behind link precision and recall, with the wrong links and the misses."""

    expected: int
    found: int
    links: int
    correct: int
    unjudged: int
    wrong: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()

    @property
    def precision(self) -> float:
        """Return correct / links made on gold entities (1.0 when none was made)."""
        return self.correct / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        """Return correct / gold entities with a verified QID (end to end)."""
        return self.correct / self.expected if self.expected else 1.0

    @property
    def recall_found(self) -> float:
        """Return correct / gold entities with a verified QID that the extractor found."""
        return self.correct / self.found if self.found else 1.0


def _norm(text: str) -> str:
    return normalise(text).casefold()


def load_link_gold(path: Path) -> dict[str, dict[str, str | None]]:
    """Read a link gold file: {"files": {gold file name: {entity label: QID or null}}}."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        files = data["files"]
        if not all(isinstance(v, dict) for v in files.values()):
            raise ValueError("every file must map entity labels to a QID or null")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EvalError(f"{path}: not a readable link gold file ({exc}); expected "
                        '{"files": {"000_x.json": {"Kabul": "Q5838", "Taliban": null}}}') from None
    return files


def score_links(gold_path: Path, entities: Sequence[Entity], sources: Mapping[str, str]) -> LinkScore:
    """Score the entities' links against the gold.

    Args:
        gold_path: the link gold file; the gold entity files sit in the same folder.
        entities: linked entities.
        sources: article id -> the article's file name (as in the gold files' "article").
    Raises:
        EvalError: a gold file cannot be read.
    """
    expected = found = links = correct = unjudged = 0
    wrong, missed = [], []
    for name, qids in sorted(load_link_gold(gold_path).items()):
        entity_gold = Path(gold_path).parent / name
        try:
            annotation = json.loads(entity_gold.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise EvalError(f"{entity_gold}: gold entity file named in {gold_path} cannot be read ({exc})") from None
        article = Path(annotation["article"]).name
        ids = {a for a, source in sources.items() if Path(source).name == article}
        for gold in annotation["entities"]:
            if gold["label"] not in qids:
                unjudged += 1
                continue
            qid, entity = qids[gold["label"]], _match(gold, entities, ids)
            expected += qid is not None
            where = f"{article[:3]} {gold['label']}"
            if entity is None:
                if qid:
                    missed.append(f"{where}: not extracted (gold {qid})")
                continue
            found += qid is not None
            if entity.wikidata:
                links += 1
                if entity.wikidata == qid:
                    correct += 1
                else:
                    wrong.append(f"{where}: linked {entity.wikidata}, gold {qid or 'NIL'}")
            elif qid:
                missed.append(f"{where}: NIL (gold {qid})")
    return LinkScore(expected, found, links, correct, unjudged, tuple(wrong), tuple(missed))


def _match(gold: dict, entities: Sequence[Entity], ids: set[str]) -> Entity | None:
    """Find the built entity that a gold entity names: by mentions in its article, else by name."""
    forms = {_norm(s) for s in gold["surface_forms"]}
    votes: Counter[str] = Counter()
    by_key = {e.key: e for e in entities}
    for entity in entities:
        for mention in entity.mentions:
            if mention.provenance.article_id in ids and _norm(mention.text) in forms:
                votes[entity.key] += 1 + (entity.type == gold["type"])
    if votes:
        return by_key[max(sorted(votes), key=votes.__getitem__)]
    for entity in entities:  # outlets known only from metadata have no mentions
        if not entity.mentions and forms & {_norm(n) for n in (entity.label, *entity.aliases)}:
            return entity
    return None
