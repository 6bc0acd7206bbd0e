"""Score extraction against hand-written gold annotations (tests/gold/FORMAT.md).

Categories: entities (type + any shared surface form), post holdings
(person, role, jurisdiction), capitals (city, province or country) and events
(type, agent, place). Predicted entities are mapped to the gold labels of
their article through their surface forms, so roles are judged by identity,
not by spelling.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import EvalError
from kg.model import Entity, Extraction, Mention

CATEGORIES = ("entities", "post_holdings", "capitals", "events")
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
# "Laghman province" and "Laghman" name the same thing; the designator is not what is scored
_DESIGNATOR = re.compile(r"\s+(?:province|district|city)$", re.IGNORECASE)


@dataclass
class Score:
    """True positives, false positives and false negatives of one category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Return tp / (tp + fp), 1.0 when nothing was predicted and nothing expected."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float(not self.fn)

    @property
    def recall(self) -> float:
        """Return tp / (tp + fn), 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, float | int]:
        """Return the counts and ratios as a JSON-ready dict."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3)}


@dataclass
class Report:
    """Scores per category and per type, with the misses and false positives."""

    articles: list[str] = field(default_factory=list)
    scores: dict[str, Score] = field(default_factory=lambda: {c: Score() for c in CATEGORIES})
    by_type: dict[str, dict[str, Score]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Score)))
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)
    extras: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))

    def add(self, category: str, kind: str, article: str, *, hits: Iterable[str] = (),
            misses: Iterable[str] = (), false: Iterable[str] = ()) -> None:
        """Count matched, missed and false items of one category and type."""
        for bucket, items, attr in ((None, hits, "tp"), (self.misses, misses, "fn"),
                                    (self.false_positives, false, "fp")):
            for item in items:
                setattr(self.scores[category], attr, getattr(self.scores[category], attr) + 1)
                score = self.by_type[category][kind]
                setattr(score, attr, getattr(score, attr) + 1)
                if bucket is not None:
                    bucket.append((category, article, item))

    def to_json(self) -> dict:
        """Return the whole report as a JSON-ready dict."""
        return {
            "articles": self.articles,
            "scores": {c: s.to_json() for c, s in self.scores.items()},
            "by_type": {c: {t: s.to_json() for t, s in sorted(types.items())} for c, types in self.by_type.items()},
            "details": {k: s.to_json() for k, s in sorted(self.extras.items())},
            "misses": [list(m) for m in self.misses],
            "false_positives": [list(f) for f in self.false_positives],
        }


def normalise(text: str) -> str:
    """Return a surface form without a leading "the" or a possessive ending."""
    text = " ".join(text.split())
    if text.lower().startswith("the "):
        text = text[4:]
    text = _POSSESSIVE.sub("", text)
    return _DESIGNATOR.sub("", text)


def load_gold(folder: Path) -> dict[str, dict]:
    """Read every gold JSON file in a folder, keyed by the article's file name."""
    if not folder.is_dir():
        raise EvalError(f"gold folder {folder} does not exist; give the folder of gold JSON files (e.g. tests/gold)")
    gold = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise EvalError(f"{path}: not a readable gold JSON file ({exc})") from exc
        if isinstance(data, dict) and "article" in data and "entities" in data:
            gold[Path(data["article"]).name] = data
    if not gold:
        raise EvalError(f"{folder} holds no gold annotation files (JSON with 'article' and 'entities')")
    return gold


class _Article:
    """One article's predictions mapped onto its gold labels."""

    def __init__(self, gold: dict, extraction: Extraction, entities: dict[str, Entity],
                 entity_of: dict[tuple[str, int, int], str]) -> None:
        self.gold, self.extraction, self.entity_of = gold, extraction, entity_of
        forms: dict[str, set[str]] = defaultdict(set)
        for mention in extraction.mentions:
            forms[self.key(mention)].add(normalise(mention.text))
        self.predicted = {key: (entities[key].type, texts) for key, texts in forms.items()}
        self.label: dict[str, str] = {}

    def key(self, mention: Mention) -> str:
        return self.entity_of[(mention.provenance.article_id, mention.start, mention.end)]

    def match_entities(self, report: Report, name: str) -> None:
        gold = [(g["label"], g["type"], {normalise(s) for s in g["surface_forms"]}) for g in self.gold["entities"]]
        pairs = sorted(((len(texts & forms) + (kind == gtype), key, label)
                        for key, (kind, texts) in self.predicted.items()
                        for label, gtype, forms in gold if texts & forms), reverse=True)
        typed: set[str] = set()
        gold_type = {label: gtype for label, gtype, _ in gold}
        for _, key, label in pairs:
            if key in self.label or label in typed:
                continue
            if self.predicted[key][0] == gold_type[label]:
                self.label[key] = label
                typed.add(label)
        for _, key, label in pairs:  # wrongly typed matches still name the right thing for roles
            self.label.setdefault(key, label)
        for label, gtype, _ in gold:
            report.add("entities", gtype, name, **({"hits": [label]} if label in typed else {"misses": [f"{label} ({gtype})"]}))
        for key, (kind, texts) in sorted(self.predicted.items()):
            if key not in self.label or self.label[key] not in typed or gold_type[self.label[key]] != kind:
                report.add("entities", kind, name, false=[f"{' / '.join(sorted(texts))} ({kind})"])

    def name_of(self, mention: Mention | None) -> str | None:
        if mention is None:
            return None
        key = self.key(mention)
        return self.label.get(key, f"?{normalise(mention.text)}")


def _compare(report: Report, category: str, name: str, gold: Sequence[tuple], predicted: Sequence[tuple],
             kind_of=None) -> list[tuple]:
    """Match predicted against gold tuples as multisets; return the matched items."""
    kind_of = kind_of or (lambda item: category)
    remaining = Counter(gold)
    matched = []
    for item in predicted:
        if remaining[item] > 0:
            remaining[item] -= 1
            matched.append(item)
            report.add(category, kind_of(item), name, hits=[" | ".join(map(str, item))])
        else:
            report.add(category, kind_of(item), name, false=[" | ".join(map(str, item))])
    for item, count in remaining.items():
        for _ in range(count):
            report.add(category, kind_of(item), name, misses=[" | ".join(map(str, item))])
    return matched


def _score_article(report: Report, name: str, article: _Article) -> None:
    article.match_entities(report, name)
    x, gold = article.extraction, article.gold
    holdings = sorted({(article.name_of(h.holder), h.role.lower(), article.name_of(h.jurisdiction)) for h in x.holdings},
                      key=str)
    _compare(report, "post_holdings", name,
             [(h["person"], h["role"].lower(), h["jurisdiction"]) for h in gold["post_holdings"]], holdings)
    capitals = sorted({(article.name_of(r.subject), article.name_of(r.object))
                       for r in x.relations if r.predicate == "capitalOf"}, key=str)
    _compare(report, "capitals", name, [(c["city"], c["province"]) for c in gold["capitals"]], capitals)
    gold_events = [(e["type"], e["agent"], e["place"]) for e in gold["events"]]
    predicted = [(e.type, article.name_of(e.agent), article.name_of(e.place)) for e in x.events]
    _compare(report, "events", name, gold_events, predicted, kind_of=lambda item: item[0])
    _event_details(report, gold["events"], x, article)


def _event_details(report: Report, gold: list[dict], x: Extraction, article: _Article) -> None:
    """Score event type alone, and date, status and quantities of events matched on type and place."""
    types = Counter(e["type"] for e in gold)
    for event in x.events:
        hit = types[event.type] > 0
        types[event.type] -= hit
        score = report.extras["event type only"]
        score.tp, score.fp = score.tp + hit, score.fp + (not hit)
    report.extras["event type only"].fn += sum(max(n, 0) for n in types.values())
    unused = list(gold)
    for event in x.events:
        place = article.name_of(event.place)
        match = next((g for g in unused if g["type"] == event.type and g["place"] == place), None)
        if match is None:
            continue
        unused.remove(match)
        for field_name, ok in (
            ("event date (matched events)", (event.date or None) == match["date"]),
            ("event status (matched events)", event.status == match["status"]),
            ("event quantities (matched events)",
             sorted((q.count, q.of) for q in event.quantities)
             == sorted((q["count"], q["of"]) for q in match["quantities"])),
        ):
            score = report.extras[field_name]
            score.tp, score.fp = score.tp + ok, score.fp + (not ok)


def evaluate(gold: dict[str, dict], extractions: Sequence[Extraction], entities: Sequence[Entity],
             entity_of: dict[tuple[str, int, int], str]) -> Report:
    """Score extractions (with their resolved entities) against gold annotations.

    Raises:
        EvalError: when no input article has a gold file.
    """
    report = Report()
    by_key = {e.key: e for e in entities}
    for extraction in extractions:
        name = Path(extraction.article.source).name
        if name not in gold:
            continue
        report.articles.append(name)
        _score_article(report, name, _Article(gold[name], extraction, by_key, entity_of))
    if not report.articles:
        raise EvalError(f"none of the {len(extractions)} input articles has a gold file; "
                        f"gold files name these articles: {', '.join(sorted(gold)[:5])}")
    return report
