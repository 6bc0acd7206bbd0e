"""Read article files, decode them, strip page furniture and find metadata.

Accepts .txt and .html/.htm files, folders (recursively) and "-" for stdin.
A `metadata.json` beside the files (keyed by file name) gives curated metadata
that wins over what the text reveals; articles need no metadata at all.
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
from kg.model import Article

SUFFIXES = (".txt", ".html", ".htm")
METADATA_FILE = "metadata.json"
MAX_BYTES = 20_000_000


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


def decode(raw: bytes, *, source: str) -> str:
    """Decode article bytes: BOMs, UTF-8, then detection; refuse binary and empty input.

    Raises:
        InputError: when the bytes are empty, binary, or of no detectable encoding.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    if not raw.strip():
        raise InputError(f"{source}: empty file (no text to read)")
    if b"\x00" in raw[:4096]:
        raise InputError(f"{source}: binary file, not text (NUL bytes); give a .txt or .html article")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        if best is None:
            raise InputError(f"{source}: cannot detect the text encoding; re-save the file as UTF-8") from None
        return str(best)


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


def parse(text: str, *, source: str, html: bool, meta: dict | None = None) -> Article:
    """Turn decoded text (or HTML) into a clean Article with its metadata.

    Raises:
        InputError: when nothing of the article is left after cleaning.
    """
    meta = meta or {}
    text = normalise(text)
    page = read_html(text) if html else None
    lines = page.lines if page else text.split("\n")
    cleaned = clean_lines(lines)
    body = "\n\n".join(cleaned.paragraphs)
    if not body.strip():
        raise InputError(f"{source}: no article text left after removing page furniture")
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


def load(inputs: Iterable[str | Path]) -> Iterator[Article | Problem]:
    """Read every article under the inputs, yielding Articles or Problems in order.

    One bad file never stops the others: it becomes a Problem naming the file.
    Duplicate texts (same content hash) are reported once and skipped.
    """
    sidecars: dict[Path, dict] = {}
    seen: dict[str, str] = {}
    for item, name in discover(inputs):
        source = "<stdin>" if item == "-" else str(item)
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
            article = parse(text, source=name, html=html, meta=meta)
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
