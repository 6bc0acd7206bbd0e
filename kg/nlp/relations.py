"""Relations, post holdings and events of one parsed article (the claim finders' entry point)."""

from __future__ import annotations

from spacy.tokens import Doc

from kg.model import Article, Event, Holding, Mention, Relation
from kg.nlp.context import Context
from kg.nlp.entities import Found
from kg.nlp.events import find_events
from kg.nlp.geo import find_relations, mark
from kg.nlp.posts import find_holdings

# A post's role word that makes its holder part of the organisation it belongs to.
_ORG_RELATIONS = (("spokes", "spokespersonFor"), ("member", "memberOf"), ("leader", "leaderOf"),
                  ("head", "leaderOf"), ("chairman", "leaderOf"), ("chief", "leaderOf"), ("commander", "leaderOf"))
_ORG_TYPES = {"Organization", "ArmedGroup", "GovernmentBody", "SecurityForce", "MilitaryUnit", "PoliticalBody",
              "InternationalOrganization", "MediaOrganization"}


def _from_holdings(holdings: list[Holding]) -> list[Relation]:
    out = []
    for h in holdings:
        if h.jurisdiction is None or h.jurisdiction.type not in _ORG_TYPES:
            continue
        for word, predicate in _ORG_RELATIONS:
            if h.role.split()[-1].startswith(word) or h.role.split()[0].startswith(word):
                out.append(Relation(subject=h.holder, predicate=predicate, object=h.jurisdiction,
                                    provenance=h.provenance, status=h.status))
                if predicate != "memberOf":
                    out.append(Relation(subject=h.holder, predicate="memberOf", object=h.jurisdiction,
                                        provenance=h.provenance, status=h.status))
                break
    return out


def find_claims(
    doc: Doc, article: Article, found: list[Found], by_start: dict[int, Mention]
) -> tuple[tuple[Relation, ...], tuple[Holding, ...], tuple[Event, ...]]:
    """Return the relations, holdings and events one article states."""
    mentions = [by_start[f.start] for f in found]
    ctx = Context(doc=doc, article=article, found=found, mentions=mentions)
    mark(ctx)
    holdings = find_holdings(ctx)
    relations = find_relations(ctx) + _from_holdings(holdings)
    return tuple(relations), tuple(holdings), tuple(find_events(ctx))
