"""Recognise typed entity mentions: the statistical model corrected by gazetteers and patterns.

Evidence, strongest first: a type word next to the name ("Dawlat Shah district",
"city of Qala-e-Naw"), the curated organisation list, the place gazetteers
(countries, ISO 3166-2 provinces, GeoNames cities) with context words, then
the model's own label. Spans never cross a line break.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from spacy.tokens import Doc

from kg.dates import MONTHS, WEEKDAYS
from kg.keys import fold, name_key
from kg.nlp import gazetteer
from kg.nlp.gazetteer import Entry
from kg.nlp.tokens import Tokens, tokens

PLACE_TYPES = frozenset({"Country", "Province", "District", "City", "Facility", "Place"})
_MODEL_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"}
CONNECTORS = frozenset({"-", "e", "i", "ye", "al", "el", "ul", "ud", "'", "of"})


@dataclass(frozen=True)
class Found:
    """A recognised span with its type, evidence strength and gazetteer entry."""

    start: int
    end: int
    type: str
    strength: int
    extractor: str
    entry: Entry | None = None

    def overlaps(self, other: "Found") -> bool:
        """Tell whether two token spans share a token."""
        return self.start < other.end and other.start < self.end


@lru_cache(maxsize=1)
def _patterns() -> dict:
    return json.loads(resources.files("kg.data").joinpath("entity_patterns.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _org_heads() -> dict[str, list[str]]:
    data = json.loads(resources.files("kg.data").joinpath("org_head_words.json").read_text("utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


@lru_cache(maxsize=1)
def title_words() -> frozenset[str]:
    """Return every single word that occurs in a title of a post (lower-case)."""
    text = resources.files("kg.data").joinpath("titles.tsv").read_text("utf-8")
    words = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            for variant in line.split("\t")[1].split("|"):
                words.update(variant.split())
    return frozenset(words | {"mr", "mr.", "mrs", "mrs.", "ms", "dr", "dr.", "then-president", "acting", "former", "deputy"})


_RUN_CONNECTORS = CONNECTORS - {"of"}
_KEYWORD_POS = ("PROPN", "PUNCT", "X", "ADP", "NOUN")


def _trim(view: Tokens, start: int, end: int) -> tuple[int, int]:
    lowers, punct = view.lowers, view.punct
    while start < end and (lowers[start] in ("the", "'s") or punct[start]):
        start += 1
    while end > start and (lowers[end - 1] in ("'s", "’s", "'") or punct[end - 1]):
        end -= 1
    return start, end


def _extend(view: Tokens, start: int, end: int) -> tuple[int, int]:
    """Grow a span over hyphen-joined name parts ("Mazar" -> "Mazar-e-Sharif")."""
    n, texts, names, spaced = view.n, view.texts, view.names, view.spaced
    while end + 1 < n and texts[end] == "-" and not spaced[end] and not spaced[end - 1]:
        step = end + 1
        while step < n and texts[step] in CONNECTORS and not names[step]:
            step += 1
        if step < n and names[step] and "\n" not in view.text_of(end, step + 1):
            end = step + 1
        else:
            break
    while start - 2 >= 0 and texts[start - 1] == "-" and not spaced[start - 1]:
        step = start - 2
        while step > 0 and texts[step] in CONNECTORS and not names[step]:
            step -= 1
        if names[step] and "\n" not in view.text_of(step, start):
            start = step
        else:
            break
    return start, end


def _name_run(view: Tokens, index: int, step: int) -> int:
    """Walk from a type word over a run of name tokens (with connectors) and return its far end."""
    position = index + step
    edge = index
    while 0 <= position < view.n and (view.names[position] or view.texts[position] in _RUN_CONNECTORS):
        if view.names[position]:
            edge = position
        position += step
    return edge


def _keyword_spans(view: Tokens) -> list[Found]:
    """Find names next to type words: "<Name> province", "district of <Name>"."""
    found = []
    n, lowers, pos = view.n, view.lowers, view.pos
    for spec in _patterns()["patterns"]:
        keywords, after = spec["keyword"], spec["position"] == "after"
        for i in [k for k, lower in enumerate(lowers) if lower in keywords]:
            if after:
                end, start = i, _name_run(view, i, -1)
            else:
                if i + 2 >= n or lowers[i + 1] != spec.get("link", "of"):
                    continue
                start, end = i + 2, _name_run(view, i + 1, 1) + 1
            start, end = _trim(view, start, end)
            text = view.text_of(start, end)
            if end - start < 1 or end - start > 6 or "\n" in text:
                continue
            if any(view.ent_types[t] == "NORP" or pos[t] not in _KEYWORD_POS for t in range(start, end)):
                continue
            if text.lower() in title_words() or gazetteer.lookup_organisation(text) is not None:
                continue
            if not after and end < n and pos[end] == "NOUN":
                continue  # "clear the city of Taliban fighters": the name modifies a noun
            places = [e for e in gazetteer.lookup_place(text) if e.type == spec["type"]]
            if spec.get("name_includes_keyword") and after:
                end = i + 1  # "Bagram airfield", "Kunduz airport": the type word is part of the name
            found.append(Found(start, end, spec["type"], 5, "pattern", places[0] if places else None))
    return found


def _window_spans(view: Tokens) -> list[Found]:
    """Look capitalised token windows up in the place and organisation gazetteers."""
    found: list[Found] = []
    n, names, texts = view.n, view.names, view.texts
    i = 0
    while i < n:
        if not names[i]:
            i += 1
            continue
        best: Found | None = None
        for j in range(min(n, i + 7), i, -1):
            if not names[j - 1]:
                continue
            text = view.text_of(i, j)
            if "\n" in text or any(not (names[t] or texts[t] in CONNECTORS) for t in range(i, j)):
                continue
            org = gazetteer.lookup_organisation(text) if gazetteer.could_end_organisation(texts[j - 1]) else None
            if org is not None:
                best = Found(i, j, org.type, 4, "gazetteer", org)
                break
            entries = gazetteer.lookup_place(text)
            if entries:
                best = Found(i, j, entries[0].type, 2, "gazetteer", entries[0])
                break
        if best is not None:
            start, end = _trim(view, best.start, best.end)
            best = Found(start, end, best.type, best.strength, best.extractor, best.entry)
            found.append(best)
            i = best.end
        else:
            i += 1
    return found


def _phrase_orgs(view: Tokens) -> list[Found]:
    """Find curated organisations written in lower case ("the defense ministry", "Afghan army")."""
    found = []
    n, texts = view.n, view.texts
    # the last token of a name: a word, not a connector, that some organisation's name can end with
    last = [alpha and lower not in CONNECTORS and gazetteer.could_end_organisation(text)
            for alpha, lower, text in zip(view.alpha, view.lowers, texts)]
    for i in range(n):
        first = texts[i][0]  # a span's text starts with its first token's: lower case, or "the "
        if not (first.islower() or first in "tT"):
            continue
        for j in range(min(n, i + 5), i + 1, -1):
            if not last[j - 1]:
                continue
            text = view.text_of(i, j)
            if text[0].islower() or text.lower().startswith("the "):
                entry = gazetteer.lookup_organisation(text)
                if entry is not None and "\n" not in text:
                    start, end = _trim(view, i, j)
                    found.append(Found(start, end, entry.type, 4, "gazetteer", entry))
                    break
    return found


def _org_type(text: str) -> str:
    words = set(fold(text).replace("-", " ").split())
    for kind, heads in _org_heads().items():
        if words & set(heads):
            return kind
    return "Organization"


def _choose_place(view: Tokens, start: int, end: int, entries: tuple[Entry, ...]) -> Entry | None:
    """Pick Province or City for a name both can bear, from context words."""
    before = view.text_of(max(0, start - 2), start).lower()
    after = view.text_of(end, end + 1).lower()
    wanted = None
    if after in ("province", "provincial", "governor", "provinces") or before.endswith(("governor of", "province of")):
        wanted = "Province"
    elif after in ("city", "town") or before.endswith(("city of", "town of")):
        wanted = "City"
    if wanted:
        return next((e for e in entries if e.type == wanted), None)
    if entries[0].type == "Country":
        return entries[0]
    key = name_key(view.text_of(start, end))
    city = next((e for e in entries if e.type == "City" and name_key(e.name) == key), None)
    if city and (gazetteer.capital_of_country(city) or city.population >= 150_000):
        return city
    return entries[0]


def _model_spans(doc: Doc, view: Tokens) -> list[Found]:
    found = []
    lowers, titles = view.lowers, title_words()
    for ent in doc.ents:
        label = ent.label_
        if label not in _MODEL_LABELS:
            continue
        start, end = _trim(view, ent.start, ent.end)
        while start < end and lowers[start] in titles:
            start += 1
        start, end = _extend(view, start, end)
        if end <= start:
            continue
        text = view.text_of(start, end)
        if "\n" in text or fold(text) in _patterns()["not_names"]:
            continue
        org = gazetteer.lookup_organisation(text)
        if org is not None:
            found.append(Found(start, end, org.type, 4, "gazetteer", org))
            continue
        entries = gazetteer.lookup_place(text)
        if label == "NORP":
            continue
        if entries and (label != "PERSON" or end - start == 1 or _place_context(view, start, end)):
            choice = _choose_place(view, start, end, entries)
            if choice is not None:
                found.append(Found(start, end, choice.type, 3, "model+gazetteer", choice))
                continue
        if label == "PERSON":
            found.append(Found(start, end, "Person", 1, "model"))
        elif label == "ORG":
            found.append(Found(start, end, _org_type(text), 1, "model"))
        elif label == "FAC":
            found.append(Found(start, end, "Facility", 1, "model"))
        else:
            found.append(Found(start, end, "Place", 1, "model"))
    return found


def _place_context(view: Tokens, start: int, end: int) -> bool:
    """Tell whether words around a name make it a place: "in X", "X, the capital of", "X province"."""
    before = view.lowers[start - 1] if start else ""
    after = view.text_of(end, end + 3).lower()
    return before in ("in", "at", "from", "near", "into", "to", "around", "of") or after.startswith(
        (", the capital", ", a provincial", ", the provincial", "province", "district", "city"))


def _one_sense(view: Tokens, found: list[Found]) -> list[Found]:
    """Give a weakly typed name the type the article gives the same name with strong evidence."""
    strong = {}
    for f in found:
        if f.strength >= 3:
            strong.setdefault(view.text_of(f.start, f.end), f)
    out = []
    for f in found:
        best = strong.get(view.text_of(f.start, f.end))
        if f.strength <= 2 and best is not None and best.type != f.type:
            f = Found(f.start, f.end, best.type, f.strength, f.extractor + "+one sense per article", best.entry)
        out.append(f)
    return out


def _focus(found: list[Found]) -> set[str]:
    """Return the countries an article is about: those its strong mentions name."""
    return {f.entry.country for f in found if f.entry is not None and f.entry.country and f.strength >= 3}


def _plausible_window(view: Tokens, window: Found, focus: set[str]) -> bool:
    if window.entry is None or window.type not in ("Province", "City"):
        return True
    tokens = range(window.start, window.end)
    text = view.text_of(window.start, window.end)
    hyphenated = any(view.texts[t] == "-" for t in tokens)  # "Pul-e-Khumri": the tagger often misreads its parts
    if not (hyphenated or all(view.pos[t] == "PROPN" for t in tokens if view.names[t])) or fold(text) in MONTHS or fold(text) in WEEKDAYS:
        return False
    neighbours = [k for k in (window.start - 1, window.end) if 0 <= k < view.n]
    if any(view.names[k] and view.pos[k] == "PROPN" and view.lowers[k] not in title_words() for k in neighbours):
        return False  # part of a longer name ("Ashraf Ghani", "Fawad Aman")
    return window.entry.country in focus or gazetteer.capital_of_country(window.entry)


def _government(view: Tokens, found: Found) -> Found | None:
    """Read "the Kabul government" as the place standing for its government; drop "Afghan government"."""
    if found.type in PLACE_TYPES or found.end - found.start < 2 or view.lowers[found.end - 1] not in _patterns()["government_words"]:
        return found
    if found.entry is not None and found.entry.gid.startswith("kg:"):
        return found  # a curated body whose name ends in "Government"
    start, end = found.start, found.end - 1
    entries = gazetteer.lookup_place(view.text_of(start, end))
    if entries:
        choice = _choose_place(view, start, end, entries)
        return Found(start, end, choice.type, 3, "gazetteer", choice) if choice else None
    if all(view.ent_types[t] == "NORP" or view.lowers[t] == "the" for t in range(start, end)):
        return None  # a nationality and "government" is not a name: the country is the actor
    return found


def recognise(doc: Doc) -> list[Found]:
    """Return non-overlapping typed spans for a parsed document, strongest evidence first."""
    view = tokens(doc)
    candidates = _keyword_spans(view) + _model_spans(doc, view) + _phrase_orgs(view)
    candidates = [g for g in (_government(view, c) for c in candidates) if g is not None]
    focus = _focus(candidates)
    for window in _window_spans(view):
        if window.strength < 4 and any(window.overlaps(c) for c in candidates):
            continue
        if not _plausible_window(view, window, focus):
            continue
        if window.type in ("Province", "City"):
            choice = _choose_place(view, window.start, window.end,
                                   gazetteer.lookup_place(view.text_of(window.start, window.end)))
            if choice is None:
                continue
            window = Found(window.start, window.end, choice.type, 2, "gazetteer", choice)
        candidates.append(window)
    candidates.sort(key=lambda f: (-f.strength, -(f.end - f.start), f.start))
    chosen: list[Found] = []
    for candidate in candidates:
        if not any(candidate.overlaps(c) for c in chosen):
            chosen.append(candidate)
    return _surnames(view, _one_sense(view, sorted(chosen, key=lambda f: f.start)))


def _surnames(view: Tokens, found: list[Found]) -> list[Found]:
    """Type a lone surname as the person named in full elsewhere in the article ("Trump")."""
    last_names = {view.texts[f.end - 1] for f in found if f.type == "Person" and f.end - f.start > 1}
    result = []
    for f in found:
        if f.end - f.start == 1 and f.strength <= 3 and f.type != "Person" and view.texts[f.start] in last_names:
            f = Found(f.start, f.end, "Person", 1, "model+coreference")
        result.append(f)
    return result
