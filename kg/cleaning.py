"""Remove page furniture from article lines and collect in-text metadata.

General rules, not lists of lines: markup remnants, date-only lines, short
lines made of navigation/sharing vocabulary, breadcrumbs, captions (repeated
lines, lines ending in a dateline, credit markers), headings (short lines
without sentence punctuation), bylines, labelled dates and credit lines.
The vocabulary lives in kg/data/furniture.json.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from kg.dates import parse_absolute

import warnings

warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

_SENTENCE_END = tuple('.!?:;"”’\')…')
_WORD = re.compile(r"[\w©][\w'’.\-…]*")
_DATELINE = re.compile(
    r",\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},\s+\d{4}\.?$", re.I
)
_BREADCRUMB = re.compile(r"\s(?:/|\||›|»|>|•)\s")
_BYLINE = re.compile(r"^[Bb]y\s+(?P<names>[A-Z][^|]{2,120})$")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, object]:
    """Load the furniture vocabulary shipped in kg/data/furniture.json."""
    return json.loads(resources.files("kg.data").joinpath("furniture.json").read_text("utf-8"))


@dataclass
class Cleaned:
    """Clean paragraphs plus the metadata the text itself revealed."""

    paragraphs: list[str] = field(default_factory=list)
    title: str | None = None
    published: str | None = None
    published_precision: str | None = None
    authors: list[str] = field(default_factory=list)
    byline_outlet: str | None = None
    contributors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _words(line: str) -> list[str]:
    return [w.lower().strip(".…") or w for w in _WORD.findall(line)]


def _strip_markup(line: str) -> str:
    if "<" not in line or ">" not in line:
        return line
    return BeautifulSoup(line, "html.parser").get_text(" ").strip()


@lru_cache(maxsize=1)
def _word_sets() -> tuple[frozenset[str], frozenset[str]]:
    vocab = vocabulary()
    return frozenset(vocab["navigation_words"]), frozenset(vocab["function_words"])


@lru_cache(maxsize=1)
def _caption_marker() -> re.Pattern[str]:
    markers = "|".join(re.escape(m) for m in vocabulary()["caption_markers"])
    return re.compile(rf"(?<!\w)(?:{markers})(?!\w)")


@lru_cache(maxsize=1)
def _date_label() -> re.Pattern[str]:
    labels = "|".join(re.escape(label) for label in vocabulary()["date_labels"])
    return re.compile(rf"^(?:{labels})\s*(?:on)?\s*:?\s*(?P<rest>.+)$", re.I)


def _is_navigation(words: list[str]) -> bool:
    nav, function = _word_sets()
    content = [w for w in words if w not in function]
    if not content or len(words) > 12:
        return False
    return sum(w in nav for w in content) / len(content) >= 0.6


def _is_date_only(line: str) -> bool:
    found = parse_absolute(line)
    if found is None:
        return False
    rest = line.replace(found.text, " ")
    rest = re.sub(r"\b(?:UTC|GMT|[A-Z]{1,4}T)(?:[+-]\d{1,2}(?::?\d{2})?)?\b", " ", rest)  # time zones: AFT, IST, UTC+4:30
    rest = re.sub(r"\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\d{1,2}:\d{2}\s*(am|pm)?|[,.\s|-]", "", rest, flags=re.I)
    return not rest


def _labelled_date(line: str) -> tuple[str, str] | None:
    found = _date_label().match(line)
    when = parse_absolute(found.group("rest")) if found else None
    return (when.iso, when.precision) if when else None


def _split_names(text: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|;\s*|\s*&\s*", text.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip()]


def _is_caption(line: str, low: str, repeated: bool) -> bool:
    if repeated or _DATELINE.search(line):
        return True
    return len(line) < 300 and _caption_marker().search(low) is not None


# One translation table, applied in C: control characters (but tab and newline; NEL
# too, which in scraped text is mostly a mis-decoded Windows-1252 ellipsis), zero-width
# spaces, byte-order marks, bidirectional overrides (which can make a label read
# backwards) and the non-characters XML forbids go; vertical tab and form feed become a
# space, the Unicode line and paragraph separators line breaks.
_NORMALISE = {
    **{code: None for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\n\t"},
    **dict.fromkeys(map(ord, "\u200b\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe\uffff")),
    **{ord(ch): " " for ch in "\x0b\x0c"},
    ord("\u2028"): "\n",
    ord("\u2029"): "\n\n",
    ord("\u00a0"): " ",
}
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # terminal colour codes from scraper logs
_TO_NORMALISE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_NORMALISE)) + "]")
_LONGEST_DATE_LINE = 120  # characters; a longer line is never only a date


def normalise(text: str) -> str:
    """Normalise Unicode (NFC), line ends, non-breaking spaces and control characters."""
    text = _ANSI_ESCAPE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if _TO_NORMALISE.search(text):  # translate looks every character up: only when one is there to change
        text = text.translate(_NORMALISE)
    return unicodedata.normalize("NFC", text)


def clean_lines(lines: list[str]) -> Cleaned:
    """Classify lines as text, metadata or furniture and return clean paragraphs.

    Args:
        lines: the article's lines (paragraphs), in order, before any NLP.
    Returns:
        the kept paragraphs and the metadata found in the text.
    """
    vocab = vocabulary()
    out = Cleaned()
    stripped = [re.sub(r"\s+", " ", _strip_markup(line)).strip() for line in lines]
    counts: dict[str, int] = {}
    for line in stripped:
        if len(line) > 20:
            counts[line.lower()] = counts.get(line.lower(), 0) + 1
    body_started = False
    masthead = None
    total = len(stripped)
    for index, line in enumerate(stripped):
        if not line:
            continue
        low = line.lower()
        words = _words(line)
        if any(low.startswith(prefix) for prefix in vocab["credit_prefixes"]):
            for prefix in vocab["credit_prefixes"]:
                if low.startswith(prefix):
                    out.contributors.extend(_split_names(line[len(prefix):]))
                    break
            out.removed.extend(s for s in stripped[index:] if s)
            break  # a credit line ends the story; what follows is footer
        if body_started and index > total * 0.6 and low.strip(" :.") in vocab["section_end_phrases"]:
            out.removed.extend(s for s in stripped[index:] if s)
            break
        dated = _labelled_date(line) if len(words) <= 12 else None
        if dated:
            if out.published is None:
                out.published, out.published_precision = dated
            out.removed.append(line)
            continue
        byline = _BYLINE.match(line)
        if byline and len(words) <= 12 and not line.endswith("."):
            names = _split_names(byline.group("names"))
            out.authors.extend(n for n in names if len(n.split()) <= 4)
            outlet_words = set(vocab["outlet_words"])
            last = _words(names[-1])
            # a byline's people have two or more names; a one-word or news-word tail is the outlet
            if len(names) > 1 and (len(last) == 1 or outlet_words & set(last)):
                out.authors = [a for a in out.authors if a != names[-1]]
                out.byline_outlet = names[-1]
            out.removed.append(line)
            continue
        repeated = counts.get(low, 0) > 1
        short = len(words) <= 12 and not line.endswith(_SENTENCE_END)
        date_only = len(line) <= _LONGEST_DATE_LINE and _is_date_only(line)
        if date_only and not body_started and masthead is None:
            masthead = parse_absolute(line)
        if (
            not words
            or date_only
            or _is_navigation(words)
            or (_BREADCRUMB.search(line) and short)
            or _is_caption(line, low, repeated)
            or line.startswith(("•", "·", "▪"))
        ):
            out.removed.append(line)
            continue
        if short or (len(words) <= 25 and not line.endswith(_SENTENCE_END) and not body_started):
            if out.title is None and not body_started and len(words) >= 3:
                out.title = line
            out.removed.append(line)
            continue
        body_started = True
        out.paragraphs.append(line)
    if out.published is None and masthead is not None:
        # A date line above the story is its date unless a labelled one ("Published: ...") says
        # otherwise: a page-print date sits beside the labelled date it must not replace.
        out.published, out.published_precision = masthead.iso, masthead.precision
    return out
