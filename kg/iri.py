"""Mint IRIs from content (never counters or clocks), under a configurable base."""

from __future__ import annotations

import hashlib

from rdflib import URIRef


class Minter:
    """Mint the IRIs of one build from its base IRI."""

    def __init__(self, base: str) -> None:
        """Remember the base IRI (validated by `Settings`)."""
        self.base = base

    def article(self, article_id: str) -> URIRef:
        """Return the IRI of an article."""
        return URIRef(f"{self.base}article/{article_id}")

    def graph(self, article_id: str) -> URIRef:
        """Return the IRI of the named graph holding what an article states."""
        return URIRef(f"{self.base}graph/{article_id}")

    def entities_graph(self) -> URIRef:
        """Return the IRI of the graph of resolved entities and article metadata."""
        return URIRef(f"{self.base}graph/entities")

    def entity(self, key: str) -> URIRef:
        """Return the IRI of a resolved entity from its key ("person/joe-biden")."""
        return URIRef(f"{self.base}entity/{key}")

    def mention(self, article_id: str, start: int, end: int) -> URIRef:
        """Return the IRI of a mention: its article and character span."""
        return URIRef(f"{self.base}mention/{article_id}/{start}-{end}")

    def node(self, kind: str, *parts: object) -> URIRef:
        """Return the IRI of an n-ary node (event, holding, post, quantity) from its content."""
        digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
        return URIRef(f"{self.base}{kind}/{digest}")
