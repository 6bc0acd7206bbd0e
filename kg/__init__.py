"""kg: build a provenance-carrying knowledge graph from news articles.

The programming interface: `build` writes a graph from article files;
the model records describe what flows between the stages.
"""

from __future__ import annotations

from kg.model import Article, Entity, Event, Extraction, Holding, Mention, Provenance, Quantity, Relation

__all__ = ["Article", "Entity", "Event", "Extraction", "Holding", "Mention", "Provenance", "Quantity",
           "Relation", "build"]


def build(**options):  # noqa: ANN001, ANN201 - thin lazy re-export, documented on kg.pipeline.build
    """Build a graph; see `kg.pipeline.build` (imported lazily to keep `import kg` light)."""
    from kg.pipeline import build as _build

    return _build(**options)
