"""Parse dates in article text and resolve relative ones against the publication date.

Dates carry a precision ("day", "month", "year") so "late last month" is not
pretended to be a day. Only the NLP stage and the article loader call this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ABSOLUTE = [
    re.compile(r"(?P<year>\d{4})-(?P<m>\d{2})-(?P<day>\d{2})"),
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(?P<year>\d{4})", re.I),
    re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})", re.I),
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b", re.I),
    re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"\b", re.I),
    re.compile(r"(?:mid-|early |late )?" + _MONTH + r"\s+(?P<year>\d{4})", re.I),
    re.compile(r"\b(?:in |since )?(?:mid-|early |late )?" + _MONTH + r"\b", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d{2})\b"),
]


@dataclass(frozen=True)
class When:
    """A date with its precision and the text it came from."""

    iso: str
    precision: str
    text: str


def _iso(year: int, month: int | None = None, day: int | None = None) -> tuple[str, str] | None:
    try:
        if day is not None and month is not None:
            return date(year, month, day).isoformat(), "day"
    except ValueError:
        return None
    if month is not None:
        return f"{year:04d}-{month:02d}", "month"
    return f"{year:04d}", "year"


def parse_absolute(text: str, *, anchor: date | None = None) -> When | None:
    """Parse an explicit calendar date ("June 22, 2021", "July 7", "February 2020").

    Args:
        text: the date expression.
        anchor: the publication date, used to supply a missing year.
    Returns:
        the date, or None when the text holds no calendar date.
    """
    for pattern in _ABSOLUTE:
        found = pattern.search(text)
        if not found:
            continue
        parts = found.groupdict()
        month_word = parts.get("month")
        month = MONTHS[month_word.lower()] if month_word else (int(parts["m"]) if parts.get("m") else None)
        day = int(parts["day"]) if parts.get("day") else None
        if parts.get("year"):
            year = int(parts["year"])
        elif anchor is not None and month is not None:
            # A bare "July 7" is the nearest such date: within six months of the anchor.
            shift = month - anchor.month
            year = anchor.year - (shift > 6) + (shift < -6)
        else:
            continue
        result = _iso(year, month, day)
        if result:
            return When(result[0], result[1], found.group(0).strip())
    return None


_LAST_MONTH_NAME = re.compile(r"\blast\s+" + _MONTH, re.I)
_DAY_SPANS = re.compile(r"\b(this weekend|last weekend|in recent days|(?:past|last) (?:two|three|few|several|\d+) days"
                        r"|days? (?:ago|earlier))\b")
_LONG_SPANS = re.compile(r"\b(recent weeks|recent months|(?:past|last) (?:two|three|four|few|several|\d+) "
                         r"(?:weeks|months)|since (?:mid-|early |late )?\w+|weeks ago|months ago)\b")


def _relative(low: str, anchor: date) -> tuple[str, str] | None:
    named = _LAST_MONTH_NAME.search(low)
    if named:  # "last September": the latest such month before the anchor's month
        month = MONTHS[named.group("month").lower()]
        return f"{anchor.year - (month >= anchor.month):04d}-{month:02d}", "month"
    if _DAY_SPANS.search(low):
        return f"{anchor.year:04d}-{anchor.month:02d}", "month"
    if _LONG_SPANS.search(low):
        return f"{anchor.year:04d}", "year"
    for name, number in WEEKDAYS.items():
        if re.search(rf"\b{name}\b", low):
            back = (anchor.weekday() - number) % 7
            if "next" in low:
                return (anchor + timedelta(days=(number - anchor.weekday()) % 7 or 7)).isoformat(), "day"
            if "last" in low and back == 0:
                back = 7
            return (anchor - timedelta(days=back)).isoformat(), "day"
    if re.search(r"\b(yesterday|last night)\b", low):
        return (anchor - timedelta(days=1)).isoformat(), "day"
    if re.search(r"\b(today|overnight|this morning|tonight|earlier in the day|this afternoon)\b", low):
        return anchor.isoformat(), "day"
    if re.search(r"\blast month\b", low):
        first = anchor.replace(day=1) - timedelta(days=1)
        return f"{first.year:04d}-{first.month:02d}", "month"
    if re.search(r"\b(this month|earlier this month)\b", low):
        return f"{anchor.year:04d}-{anchor.month:02d}", "month"
    if re.search(r"\blast year\b", low):
        return f"{anchor.year - 1:04d}", "year"
    if re.search(r"\bthis year\b", low):
        return f"{anchor.year:04d}", "year"
    if re.search(r"\b(this week|earlier this week|in recent days|last week)\b", low):
        start = anchor - timedelta(days=anchor.weekday() + (7 if "last week" in low else 0))
        return f"{start.year:04d}-{start.month:02d}", "month"
    return None


def resolve(text: str, *, anchor: date | None, precision: str = "day") -> When | None:
    """Resolve a date expression, absolute or relative to `anchor`.

    Args:
        text: the expression as written ("on Wednesday", "late last month", "July 7").
        anchor: the article's publication date; relative expressions need it.
        precision: the anchor's precision; with "month" a day-scale expression
            ("on Friday", "overnight") resolves to the anchor's month, never a guessed day.
    Returns:
        the resolved date, or None when it cannot be resolved.
    """
    low = text.lower()
    if anchor is not None and _LAST_MONTH_NAME.search(low):
        found = _relative(low, anchor)
        return When(found[0], found[1], text.strip()) if found else None
    if re.search(r"\bsince\b", low):  # a span running up to now: its smallest container is the year
        start = parse_absolute(text, anchor=anchor)
        year = start.iso[:4] if start else (f"{anchor.year:04d}" if anchor else None)
        return When(year, "year", text.strip()) if year else None
    absolute = parse_absolute(text, anchor=anchor)
    if absolute is not None:
        return absolute
    if anchor is None:
        return None
    found = _relative(low, anchor)
    if found and precision == "month" and (found[1] == "day" or (found[1] == "month" and "week" in low)):
        found = (f"{anchor.year:04d}-{anchor.month:02d}", "month")
    return When(found[0], found[1], text.strip()) if found else None


def anchor_with_precision(published: str | None) -> tuple[date | None, str]:
    """Return an anchor date and its precision for an ISO date of day or month precision."""
    if published and re.fullmatch(r"\d{4}-\d{2}", published):
        return date.fromisoformat(published + "-01"), "month"
    return anchor_of(published), "day"


def anchor_of(published: str | None) -> date | None:
    """Return a usable anchor date for an ISO publication date of day precision."""
    if published and re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        return date.fromisoformat(published)
    return None
