"""Normalisation keys for names: ASCII folding and transliteration keys.

Dari and Pashto names reach English news in many spellings: connectors vary
("Qala-e-Naw", "Qala i Naw"), vowels vary ("Husamuddin", "Hessamuddin",
"Hisamudin"), letters double. `fold` removes case and diacritics, `name_key`
also drops connectors and separators, `skeleton` keeps only the consonant
frame, which is only safe together with other evidence.

Letters of other scripts ("کابل", "هرات province") stay in the key, and a slug
holding them ends in a short hash of them, so names that differ only there never
share an entity or an IRI.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

CONNECTORS = frozenset({"e", "i", "ye", "yi", "y", "al", "el", "ul", "ud", "ad", "as", "ash", "ar"})
_ARTICLES = ("the ",)


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case and strip diacritics, apostrophes and ayn/hamza marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"[\u2018\u2019\u02bb\u02bc\u02be\u02bf'`´]", "", plain)
    return plain.lower().strip()


@lru_cache(maxsize=200_000)
def name_key(text: str) -> str:
    """Return the key under which spelling variants of a name meet.

    "Qala-e-Naw", "Qala-e Naw" and "Qala i Naw" all give "qalanaw";
    "Mazar-e-Sharif" and "Mazār-i Sharīf" give "mazarsharif".
    """
    low = fold(text)
    for article in _ARTICLES:
        if low.startswith(article):
            low = low[len(article):]
    low = re.sub(r"'s$", "", low)
    parts = _words(low)
    if len(parts) > 2:
        parts = [parts[0]] + [p for p in parts[1:-1] if p not in CONNECTORS] + [parts[-1]]
    return "".join(parts)


@lru_cache(maxsize=200_000)
def skeleton(text: str) -> str:
    """Return the consonant frame of a name: vowels dropped, doubles collapsed.

    "Husamuddin", "Hessamuddin" and "Hisamudin" all give "hsmdn".
    """
    key = name_key(text)
    if not key:
        return ""
    head, rest = key[0], re.sub(r"[aeiouyw]", "", key[1:])
    frame = head + rest
    return re.sub(r"(.)\1+", r"\1", frame)


def slug(text: str) -> str:
    """Return an IRI path segment for a label: readable, with a hash for letters outside Latin.

    "Qala-e-Naw" -> "qala-e-naw"; "کابل" -> "x-" and 12 hex digits of the SHA-256 of its
    folded letters; "Ministry of قندهار" -> "ministry-of-x-…". So labels in any script get
    different segments, and the same label (in any Unicode form or case) the same one.
    """
    low = fold(text)
    readable = re.sub(r"[^0-9a-z]+", "-", low).strip("-")
    words = _words(low)
    if all(word.isascii() for word in words):
        return readable or "x"
    digest = hashlib.sha256(unicodedata.normalize("NFC", "-".join(words)).encode("utf-8")).hexdigest()[:12]
    return f"{readable}-x-{digest}" if readable else f"x-{digest}"


def _words(low: str) -> list[str]:
    """Split folded text into runs of ASCII letters and digits and of letters and digits of other scripts.

    Latin letters that folding leaves (ł, ß, ø) separate words, as they always have: only
    other scripts (Arabic, Cyrillic, …) add words, so Latin keys and slugs stay as they were.
    """
    if low.isascii():
        return [part for part in re.split(r"[^0-9a-z]+", low) if part]
    return "".join(ch if ch.isalnum() and (ch.isascii() or not _latin(ch)) else " " for ch in low).split()


@lru_cache(maxsize=4096)
def _latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")
