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

from spacy.tokens import Doc, Span

from kg.dates import MONTHS, WEEKDAYS
from kg.keys import fold, name_key
from kg.nlp import gazetteer
from kg.nlp.gazetteer import Entry

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


def _name_token(token) -> bool:
    return (token.is_title or (token.is_upper and len(token) > 1)) and (token.is_alpha or "-" in token.text)


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    while start < end and (doc[start].lower_ in ("the", "'s") or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].lower_ in ("'s", "’s", "'") or doc[end - 1].is_punct):
        end -= 1
    return start, end


def _extend(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Grow a span over hyphen-joined name parts ("Mazar" -> "Mazar-e-Sharif")."""
    while end + 1 < len(doc) and doc[end].text == "-" and not doc[end].whitespace_ == " " and not doc[end - 1].whitespace_:
        step = end + 1
        while step < len(doc) and doc[step].text in CONNECTORS and not _name_token(doc[step]):
            step += 1
        if step < len(doc) and _name_token(doc[step]) and "\n" not in doc[end:step + 1].text:
            end = step + 1
        else:
            break
    while start - 2 >= 0 and doc[start - 1].text == "-" and not doc[start - 1].whitespace_:
        step = start - 2
        while step > 0 and doc[step].text in CONNECTORS and not _name_token(doc[step]):
            step -= 1
        if _name_token(doc[step]) and "\n" not in doc[step:start].text:
            start = step
        else:
            break
    return start, end


def _name_run(doc: Doc, index: int, step: int) -> int:
    """Walk from a type word over a run of name tokens (with connectors) and return its far end."""
    position = index + step
    edge = index
    while 0 <= position < len(doc) and (_name_token(doc[position]) or doc[position].text in CONNECTORS - {"of"}):
        if _name_token(doc[position]):
            edge = position
        position += step
    return edge


def _crosses_line(span: Span) -> bool:
    return "\n" in span.text


def _keyword_spans(doc: Doc) -> list[Found]:
    """Find names next to type words: "<Name> province", "district of <Name>"."""
    found = []
    for spec in _patterns()["patterns"]:
        for i, token in enumerate(doc):
            if token.lower_ not in spec["keyword"]:
                continue
            if spec["position"] == "after":
                end, start = i, _name_run(doc, i, -1)
            else:
                if i + 2 >= len(doc) or doc[i + 1].lower_ != spec.get("link", "of"):
                    continue
                start, end = i + 2, _name_run(doc, i + 1, 1) + 1
            start, end = _trim(doc, start, end)
            if end - start < 1 or end - start > 6 or _crosses_line(doc[start:end]):
                continue
            span = doc[start:end]
            if any(t.ent_type_ == "NORP" or t.pos_ not in ("PROPN", "PUNCT", "X", "ADP", "NOUN") for t in span):
                continue
            if span.text.lower() in title_words() or gazetteer.lookup_organisation(span.text) is not None:
                continue
            if spec["position"] == "before" and end < len(doc) and doc[end].pos_ == "NOUN":
                continue  # "clear the city of Taliban fighters": the name modifies a noun
            places = [e for e in gazetteer.lookup_place(doc[start:end].text) if e.type == spec["type"]]
            if spec.get("name_includes_keyword") and spec["position"] == "after":
                end = i + 1  # "Bagram airfield", "Kunduz airport": the type word is part of the name
            found.append(Found(start, end, spec["type"], 5, "pattern", places[0] if places else None))
    return found


def _window_spans(doc: Doc) -> list[Found]:
    """Look capitalised token windows up in the place and organisation gazetteers."""
    found: list[Found] = []
    i = 0
    while i < len(doc):
        if not _name_token(doc[i]):
            i += 1
            continue
        best: Found | None = None
        for j in range(min(len(doc), i + 7), i, -1):
            span = doc[i:j]
            if not _name_token(doc[j - 1]) or _crosses_line(span):
                continue
            if any(not (_name_token(t) or t.text in CONNECTORS) for t in span):
                continue
            org = gazetteer.lookup_organisation(span.text)
            if org is not None:
                best = Found(i, j, org.type, 4, "gazetteer", org)
                break
            entries = gazetteer.lookup_place(span.text)
            if entries:
                best = Found(i, j, entries[0].type, 2, "gazetteer", entries[0])
                break
        if best is not None:
            start, end = _trim(doc, best.start, best.end)
            best = Found(start, end, best.type, best.strength, best.extractor, best.entry)
            found.append(best)
            i = best.end
        else:
            i += 1
    return found


def _phrase_orgs(doc: Doc) -> list[Found]:
    """Find curated organisations written in lower case ("the defense ministry", "Afghan army")."""
    found = []
    for i in range(len(doc)):
        for j in range(min(len(doc), i + 5), i + 1, -1):
            span = doc[i:j]
            if not doc[j - 1].is_alpha or doc[j - 1].lower_ in CONNECTORS:
                continue
            if span.text[0].islower() or span.text.lower().startswith("the "):
                entry = gazetteer.lookup_organisation(span.text)
                if entry is not None and not _crosses_line(span):
                    start, end = _trim(doc, i, j)
                    found.append(Found(start, end, entry.type, 4, "gazetteer", entry))
                    break
    return found


def _org_type(text: str) -> str:
    words = set(fold(text).replace("-", " ").split())
    for kind, heads in _org_heads().items():
        if words & set(heads):
            return kind
    return "Organization"


def _choose_place(doc: Doc, start: int, end: int, entries: tuple[Entry, ...]) -> Entry | None:
    """Pick Province or City for a name both can bear, from context words."""
    before = doc[max(0, start - 2):start].text.lower()
    after = doc[end:end + 1].text.lower()
    wanted = None
    if after in ("province", "provincial", "governor", "provinces") or before.endswith(("governor of", "province of")):
        wanted = "Province"
    elif after in ("city", "town") or before.endswith(("city of", "town of")):
        wanted = "City"
    if wanted:
        return next((e for e in entries if e.type == wanted), None)
    if entries[0].type == "Country":
        return entries[0]
    key = name_key(doc[start:end].text)
    city = next((e for e in entries if e.type == "City" and name_key(e.name) == key), None)
    if city and (gazetteer.capital_of_country(city) or city.population >= 150_000):
        return city
    return entries[0]


def _model_spans(doc: Doc) -> list[Found]:
    found = []
    for ent in doc.ents:
        if ent.label_ not in _MODEL_LABELS:
            continue
        start, end = _trim(doc, ent.start, ent.end)
        while start < end and doc[start].lower_ in title_words():
            start += 1
        start, end = _extend(doc, start, end)
        if end <= start or _crosses_line(doc[start:end]):
            continue
        text = doc[start:end].text
        if fold(text) in _patterns()["not_names"]:
            continue
        org = gazetteer.lookup_organisation(text)
        if org is not None:
            found.append(Found(start, end, org.type, 4, "gazetteer", org))
            continue
        entries = gazetteer.lookup_place(text)
        if ent.label_ == "NORP":
            continue
        if entries and (ent.label_ != "PERSON" or end - start == 1 or _place_context(doc, start, end)):
            choice = _choose_place(doc, start, end, entries)
            if choice is not None:
                found.append(Found(start, end, choice.type, 3, "model+gazetteer", choice))
                continue
        if ent.label_ == "PERSON":
            found.append(Found(start, end, "Person", 1, "model"))
        elif ent.label_ == "ORG":
            found.append(Found(start, end, _org_type(text), 1, "model"))
        elif ent.label_ == "FAC":
            found.append(Found(start, end, "Facility", 1, "model"))
        else:
            found.append(Found(start, end, "Place", 1, "model"))
    return found


def _place_context(doc: Doc, start: int, end: int) -> bool:
    """Tell whether words around a name make it a place: "in X", "X, the capital of", "X province"."""
    before = doc[start - 1].lower_ if start else ""
    after = doc[end:end + 3].text.lower()
    return before in ("in", "at", "from", "near", "into", "to", "around", "of") or after.startswith(
        (", the capital", ", a provincial", ", the provincial", "province", "district", "city"))


def _one_sense(doc: Doc, found: list[Found]) -> list[Found]:
    """Give a weakly typed name the type the article gives the same name with strong evidence."""
    strong = {}
    for f in found:
        if f.strength >= 3:
            strong.setdefault(doc[f.start:f.end].text, f)
    out = []
    for f in found:
        best = strong.get(doc[f.start:f.end].text)
        if f.strength <= 2 and best is not None and best.type != f.type:
            f = Found(f.start, f.end, best.type, f.strength, f.extractor + "+one sense per article", best.entry)
        out.append(f)
    return out


def _focus(found: list[Found]) -> set[str]:
    """Return the countries an article is about: those its strong mentions name."""
    return {f.entry.country for f in found if f.entry is not None and f.entry.country and f.strength >= 3}


def _plausible_window(doc: Doc, window: Found, focus: set[str]) -> bool:
    span = doc[window.start:window.end]
    if window.entry is None or window.type not in ("Province", "City"):
        return True
    hyphenated = any(t.text == "-" for t in span)  # "Pul-e-Khumri": the tagger often misreads its parts
    if not (hyphenated or all(t.pos_ == "PROPN" for t in span if _name_token(t))) or fold(span.text) in MONTHS or fold(span.text) in WEEKDAYS:
        return False
    neighbours = [doc[k] for k in (window.start - 1, window.end) if 0 <= k < len(doc)]
    if any(_name_token(t) and t.pos_ == "PROPN" and t.lower_ not in title_words() for t in neighbours):
        return False  # part of a longer name ("Ashraf Ghani", "Fawad Aman")
    return window.entry.country in focus or gazetteer.capital_of_country(window.entry)


def _government(doc: Doc, found: Found) -> Found | None:
    """Read "the Kabul government" as the place standing for its government; drop "Afghan government"."""
    if found.type in PLACE_TYPES or found.end - found.start < 2 or doc[found.end - 1].lower_ not in _patterns()["government_words"]:
        return found
    if found.entry is not None and found.entry.gid.startswith("kg:"):
        return found  # a curated body whose name ends in "Government"
    name = doc[found.start:found.end - 1]
    entries = gazetteer.lookup_place(name.text)
    if entries:
        choice = _choose_place(doc, name.start, name.end, entries)
        return Found(name.start, name.end, choice.type, 3, "gazetteer", choice) if choice else None
    if all(t.ent_type_ == "NORP" or t.lower_ == "the" for t in name):
        return None  # a nationality and "government" is not a name: the country is the actor
    return found


def recognise(doc: Doc) -> list[Found]:
    """Return non-overlapping typed spans for a parsed document, strongest evidence first."""
    candidates = _keyword_spans(doc) + _model_spans(doc) + _phrase_orgs(doc)
    candidates = [g for g in (_government(doc, c) for c in candidates) if g is not None]
    focus = _focus(candidates)
    for window in _window_spans(doc):
        if window.strength < 4 and any(window.overlaps(c) for c in candidates):
            continue
        if not _plausible_window(doc, window, focus):
            continue
        if window.type in ("Province", "City"):
            choice = _choose_place(doc, window.start, window.end, gazetteer.lookup_place(doc[window.start:window.end].text))
            if choice is None:
                continue
            window = Found(window.start, window.end, choice.type, 2, "gazetteer", choice)
        candidates.append(window)
    candidates.sort(key=lambda f: (-f.strength, -(f.end - f.start), f.start))
    chosen: list[Found] = []
    for candidate in candidates:
        if not any(candidate.overlaps(c) for c in chosen):
            chosen.append(candidate)
    return _surnames(doc, _one_sense(doc, sorted(chosen, key=lambda f: f.start)))


def _surnames(doc: Doc, found: list[Found]) -> list[Found]:
    """Type a lone surname as the person named in full elsewhere in the article ("Trump")."""
    last_names = {doc[f.end - 1].text for f in found if f.type == "Person" and f.end - f.start > 1}
    result = []
    for f in found:
        if f.end - f.start == 1 and f.strength <= 3 and f.type != "Person" and doc[f.start].text in last_names:
            f = Found(f.start, f.end, "Person", 1, "model+coreference")
        result.append(f)
    return result
