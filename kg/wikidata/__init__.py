"""Link entities to Wikidata: live through SPARQLWrapper, offline from a verified snapshot.

The same SPARQL text (`kg.wikidata.sparql`) goes to the Wikidata Query Service or to the
snapshot in an embedded rdflib store (`kg.wikidata.sources`); `kg.wikidata.linker` scores
the answers. Links are written as skos:exactMatch (see ontology/kg.ttl, kg:Resolution).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kg.config import Settings
from kg.model import Entity, Extraction
from kg.wikidata.linker import (
    AMBIGUOUS,
    LINKED,
    NIL,
    UNLINKED,
    Candidate,
    Context,
    Link,
    Linker,
    LinkReport,
    context_of,
)
from kg.wikidata.sources import Cache, Endpoint, EndpointUnavailable, Snapshot, Source, default_cache_dir

__all__ = [
    "AMBIGUOUS", "LINKED", "NIL", "UNLINKED", "Cache", "Candidate", "Context", "Endpoint", "EndpointUnavailable",
    "Link", "LinkReport", "Linker", "Snapshot", "Source", "article_context", "context_of", "default_cache_dir",
    "link_entities", "sources_for",
]


def sources_for(settings: Settings) -> tuple[Source, Source | None]:
    """Return (source, fallback) for the settings: the snapshot offline, else the endpoint and the snapshot."""
    snapshot = Snapshot(settings.wikidata_snapshot)
    if settings.offline:
        return snapshot, None
    cache = Cache(settings.cache_dir or default_cache_dir())
    endpoint = Endpoint(settings.wikidata_endpoint, timeout=settings.link_timeout, cache=cache)
    return endpoint, snapshot if settings.wikidata_fallback else None


def link_entities(
    entities: Sequence[Entity],
    *,
    settings: Settings,
    extractions: Sequence[Extraction] = (),
    entity_of: Mapping[tuple[str, int, int], str] | None = None,
    source: Source | None = None,
    fallback: Source | None = None,
    context: Context | None = None,
) -> LinkReport:
    """Link entities to Wikidata items, using the articles as context.

    Args:
        entities: resolved entities.
        settings: offline or online, endpoint, snapshot, timeout, cache.
        extractions: the articles' extractions (a person's posts become context).
        entity_of: (article id, start, end) -> entity key, from `kg.resolve.resolve`.
        source, fallback: where to send the queries, overriding the settings (tests, tools).
        context: the articles' context, already taken (`article_context`); it replaces
            `extractions` and `entity_of`.
    Returns:
        The entities with wikidata / link_score / link_method filled where linked, one decision
        per entity, and warnings (an endpoint that failed) for the caller to show.
    Raises:
        LinkError: the snapshot cannot be read, or the endpoint rejected a query as malformed.
    """
    if source is None:
        source, fallback = sources_for(settings)
    if context is None:
        context = article_context(entities, extractions, entity_of)
    return Linker(source, fallback=fallback).link(entities, context)


def article_context(entities: Sequence[Entity], extractions: Sequence[Extraction] = (),
                    entity_of: Mapping[tuple[str, int, int], str] | None = None) -> Context:
    """Return what the articles say around each entity: co-mentioned entities, a person's posts."""
    holdings = []
    for extraction in extractions:
        for holding in extraction.holdings:
            holder = _key(entity_of, holding.holder)
            if holder is not None:
                holdings.append((holder, holding.role, _key(entity_of, holding.jurisdiction)))
    return context_of(entities, holdings)


def _key(entity_of: Mapping[tuple[str, int, int], str] | None, mention) -> str | None:  # noqa: ANN001
    if entity_of is None or mention is None:
        return None
    return entity_of.get((mention.provenance.article_id, mention.start, mention.end))
