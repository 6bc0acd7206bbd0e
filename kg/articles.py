"""Read article files, decode them, strip page furniture and find metadata.

Accepts .txt and .html/.htm files, folders (recursively) and "-" for stdin.
A `metadata.json` beside the files (keyed by file name) gives curated metadata
that wins over what the text reveals; articles need no metadata at all.

Whatever a scraper produced, one file never stops the others: binary data,
empty files, undecodable bytes, texts over `MAX_CHARS` and articles in another
language become a Problem, one line naming the file and what was wrong.
Encodings: BOMs (UTF-8/16/32), BOM-less UTF-16, UTF-8, else each line as
UTF-8 or a detected 8-bit encoding (so a file mixing UTF-8 and Latin-1 lines
reads right). Control characters and bidirectional overrides are dropped.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from kg.cleaning import clean_lines, normalise
from kg.dates import parse_absolute
from kg.errors import InputError
from kg.htmltext import read_html
from kg.language import foreign_language
from kg.model import Article

SUFFIXES = (".txt", ".html", ".htm")
METADATA_FILE = "metadata.json"
MAX_BYTES = 20_000_000
MAX_CHARS = 1_000_000  # characters of clean text in one article: spaCy's own default max_length


@dataclass(frozen=True)
class Problem:
    """An input that could not be turned into an article, and why."""

    source: str
    message: str


def discover(inputs: Iterable[str | Path]) -> Iterator[tuple[Path | str, str]]:
    """Yield (file, name) for article files under the inputs, in a stable order.

    The name is the path relative to the folder given (or the file's own name),
    so the graph does not depend on where the corpus sits; "-" passes through.
    """
    for item in inputs:
        if str(item) == "-":
            yield "-", "<stdin>"
            continue
        path = Path(item)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path)
                if found.is_file() and found.suffix.lower() in SUFFIXES and not any(
                    part.startswith(".") for part in relative.parts
                ):
                    yield found, relative.as_posix()
        else:
            yield path, path.name


_MAGIC = ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive or Office document"),
          (b"\xd0\xcf\x11\xe0", "an old Office document"), (b"\x1f\x8b", "gzip-compressed data"),
          (b"BZh", "bzip2-compressed data"), (b"\xfd7zXZ\x00", "xz-compressed data"), (b"7z\xbc\xaf", "a 7-Zip archive"),
          (b"\x7fELF", "a program"), (b"RIFF", "a RIFF file (WebP, WAV or AVI)"), (b"OggS", "an Ogg file"),
          (b"ID3", "an MP3 file"), (b"wOF", "a web font"), (b"SQLite format 3\x00", "an SQLite database"))
_CONTROL_BYTES = frozenset({*range(0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F})
_CONTROL_DELETE = bytes(sorted(_CONTROL_BYTES))


def _binary_kind(raw: bytes) -> str | None:
    """Name what binary data this looks like, or None for text."""
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    if raw[4:8] == b"ftyp":
        return "an MP4 or QuickTime video"
    return None


def _control_share(raw: bytes) -> float:
    sample = raw[:8192]
    return (len(sample) - len(sample.translate(None, _CONTROL_DELETE))) / max(len(sample), 1)


def _utf16_without_bom(raw: bytes) -> str | None:
    """Return "utf-16-le"/"-be" when every other byte is NUL, as in BOM-less UTF-16 English."""
    sample = raw[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _legacy_encoding(raw: bytes) -> str | None:
    """Guess the 8-bit encoding of bytes that are not UTF-8: Windows-1252 for Latin text, else detection."""
    high = sum(byte >= 0x80 for byte in raw)
    letters = sum(65 <= byte <= 90 or 97 <= byte <= 122 for byte in raw)
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        pass
    else:
        if high <= 0.3 * (letters + high):  # accents among Latin letters, not a whole other alphabet
            return "cp1252"
    best = from_bytes(raw).best()
    return best.encoding if best is not None else None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode(raw: bytes, *, source: str) -> str:
    """Decode article bytes: BOMs, UTF-16, UTF-8, then line by line with a detected 8-bit encoding.

    A file mixing UTF-8 lines and Latin-1 lines (a common result of concatenating
    scrapes) gets each line decoded the way it was written.

    Raises:
        InputError: when the bytes are empty, binary, or of no detectable encoding.
    """
    kind = _binary_kind(raw)
    if kind is not None:
        raise InputError(f"{source}: binary file ({kind}), not text; give a .txt or .html article")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return _not_empty(raw.decode(encoding, errors="replace"), source=source)
    utf16 = _utf16_without_bom(raw)
    if utf16 is not None:
        return _not_empty(raw.decode(utf16, errors="replace"), source=source)
    share = _control_share(raw)
    if share > 0.3 or (share > 0.05 and not _is_utf8(raw)):
        raise InputError(f"{source}: binary file ({share:.0%} control bytes), not text; give a .txt or .html article")
    if _is_utf8(raw):
        return _not_empty(raw.decode("utf-8"), source=source)
    lines = raw.splitlines(keepends=True)
    encoding = _legacy_encoding(b"".join(line for line in lines if not _is_utf8(line)))
    if encoding is None:
        raise InputError(f"{source}: cannot detect the text encoding; re-save the file as UTF-8")
    return _not_empty("".join(line.decode("utf-8") if _is_utf8(line) else line.decode(encoding, errors="replace")
                              for line in lines), source=source)


def _not_empty(text: str, *, source: str) -> str:
    if not normalise(text).strip():
        raise InputError(f"{source}: empty file (no text to read)")
    return text


def shown(name: str) -> str:
    """Return a file name fit for a one-line message: control characters escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in name)


def _sidecar(path: Path, cache: dict[Path, dict]) -> dict:
    folder = path.parent
    if folder not in cache:
        meta_file = folder / METADATA_FILE
        try:
            cache[folder] = json.loads(meta_file.read_text("utf-8")) if meta_file.is_file() else {}
        except (OSError, ValueError) as exc:
            raise InputError(f"{meta_file}: unreadable metadata ({exc}); fix the JSON or remove the file") from exc
    entry = cache[folder].get(path.name, {})
    return entry if isinstance(entry, dict) else {}


def article_id(text: str) -> str:
    """Return the content hash that identifies an article (16 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _normalised(value: object) -> object:
    """Normalise the text in a metadata value (a string, or a list of strings) as article text is."""
    if isinstance(value, str):
        return normalise(value)
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def parse(text: str, *, source: str, html: bool, meta: dict | None = None, where: str | None = None) -> Article:
    """Turn decoded text (or HTML) into a clean Article with its metadata.

    Args:
        text: the decoded file.
        source: the name the article keeps (kg:sourcePath).
        html: whether the text is an HTML page.
        meta: curated metadata that wins over what the text reveals.
        where: how error messages name the file (default: source).
    Raises:
        InputError: when nothing of the article is left after cleaning.
    """
    meta = {key: _normalised(value) for key, value in (meta or {}).items()}
    text = normalise(text)
    page = read_html(text) if html else None
    lines = page.lines if page else text.split("\n")
    cleaned = clean_lines(lines)
    body = "\n\n".join(cleaned.paragraphs)
    if not body.strip():
        raise InputError(f"{where or shown(source)}: no article text left after removing page furniture")
    if len(body) > MAX_CHARS:
        raise InputError(f"{where or shown(source)}: {len(body):,} characters of text, over the {MAX_CHARS:,}-character limit "
                         "for one article; split the file into its articles")
    published, precision = cleaned.published, cleaned.published_precision
    if page and page.published:
        when = parse_absolute(page.published)
        if when:
            published, precision = when.iso, when.precision
    if meta.get("published"):
        published = str(meta["published"])
        precision = meta.get("published_precision") or ("day" if len(published) == 10 else "month" if len(published) == 7 else "year")
    authors = tuple(meta.get("authors") or ([meta["author"]] if meta.get("author") else None)
                    or (page.authors if page and page.authors else cleaned.authors))
    return Article(
        id=article_id(body),
        source=source,
        text=body,
        title=meta.get("title") or (page.title if page else None) or cleaned.title,
        outlet=meta.get("outlet") or (page.outlet if page else None) or cleaned.byline_outlet,
        published=published,
        published_precision=precision if published else None,
        url=meta.get("url") or (page.url if page else None),
        authors=authors,
        contributors=tuple(meta.get("contributors") or cleaned.contributors),
    )


def load(inputs: Iterable[str | Path], *, english_only: bool = True) -> Iterator[Article | Problem]:
    """Read every article under the inputs, yielding Articles or Problems in order.

    One bad file never stops the others: it becomes a Problem naming the file.
    Duplicate texts (same content hash) are reported once and skipped, and so
    (with english_only) is an article clearly written in another language.
    """
    sidecars: dict[Path, dict] = {}
    seen: dict[str, str] = {}
    for item, name in discover(inputs):
        source = "<stdin>" if item == "-" else shown(str(item))
        try:
            if item == "-":
                raw, meta, html = sys.stdin.buffer.read(), {}, False
            else:
                path = Path(item)
                if not path.exists():
                    raise InputError(f"{path}: no such file or folder")
                if path.stat().st_size > MAX_BYTES:
                    raise InputError(f"{path}: {path.stat().st_size:,} bytes is over the {MAX_BYTES:,}-byte limit; split the file")
                raw = path.read_bytes()
                meta = _sidecar(path, sidecars)
                html = path.suffix.lower() in (".html", ".htm")
            text = decode(raw, source=source)
            if not html and item == "-" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
                html = True
            article = parse(text, source=shown(name), html=html, meta=meta, where=source)
            language = foreign_language(article.text) if english_only else None
            if language is not None:
                raise InputError(f"{source}: the text is in {language}, not English; kg extracts from English "
                                 "articles only, so it was left out")
        except InputError as exc:
            yield Problem(source, str(exc))
            continue
        except OSError as exc:
            yield Problem(source, f"{source}: cannot read ({exc.strerror or exc})")
            continue
        if article.id in seen:
            yield Problem(source, f"{source}: same text as {seen[article.id]}; skipped as a duplicate")
            continue
        seen[article.id] = source
        yield article
