"""Where an event happened and who stands behind a name: places, anaphora, metonymy, clauses.

Helpers of the event finder (kg/nlp/events.py), kept apart so each module stays small.
"""

from __future__ import annotations

from spacy.attrs import HEAD, POS
from spacy.symbols import AUX, VERB
from spacy.tokens import Doc, Token

from kg.model import Mention
from kg.nlp import gazetteer
from kg.nlp.context import PLACE_RANK, Context
from kg.nlp.lexicon import events_lexicon

_CLAUSES = "kg_clauses"  # Doc.user_data key: each token's clause verb index (clause_of)
_VERBS = (VERB, AUX)
_LOCATIVE = {"in", "at", "into", "near", "across", "inside", "outside", "around", "to", "toward", "towards", "from"}


def locative(token: Token) -> bool:
    """Tell whether a token names where something is ("refuge in Pakistan and Uzbekistan"), not who acts."""
    node = token
    while node.dep_ in ("conj", "compound", "appos", "amod") and node.head.i != node.i:
        node = node.head
    return node.head.dep_ == "prep" and node.head.lower_ in _LOCATIVE


def capital_country(ctx: Context, city: Mention) -> Mention | None:
    """Return the country a capital city stands for ("Washington signed" -> United States)."""
    for entry in gazetteer.lookup_place(city.text):
        if entry.type == "City" and gazetteer.capital_of_country(entry):
            return ctx.country(entry.country)
    return None


def recent_group(ctx: Context, token: Token) -> Mention | None:
    """Return the armed group named last before a trigger, in its sentence or the one before."""
    sent = token.sent
    start = ctx.doc[sent.start - 1].sent.start if sent.start > 0 else sent.start
    groups = [m for m in ctx.mentions if m.type == "ArmedGroup" and ctx.doc[start].idx <= m.start < token.idx]
    return groups[-1] if groups else None


def root_of(ctx: Context, mention: Mention) -> Token:
    """Return the syntactic head token of a mention."""
    return ctx.span(mention).root


def metonym(ctx: Context, mention: Mention) -> bool:
    """Tell whether a capital city is the subject of a verb ("Washington signed"): an actor, not a place."""
    return mention.type == "City" and ctx.span(mention).root.dep_ in ("nsubj", "nsubjpass") \
        and capital_country(ctx, mention) is not None


def dateline(ctx: Context, mention: Mention) -> bool:
    """Tell whether a mention is a dateline ("MAIMANA, Afghanistan -"): where the story was filed."""
    root = root_of(ctx, mention)
    return mention.text.isupper() and len(mention.text) > 4 and root.i - root.sent.start <= 1


def _clauses(doc: Doc) -> list[int]:
    """Return, for each token of a Doc, the index of the verb heading its clause (see clause_of)."""
    count = len(doc)
    heads = [i + offset for i, offset in enumerate(doc.to_array([HEAD]).astype("int64").tolist())]
    pos = doc.to_array([POS]).tolist()
    clauses: list[int | None] = [None] * count
    for i in range(count):
        node, path = i, []
        while clauses[node] is None and pos[node] not in _VERBS and heads[node] != node:
            path.append(node)
            node = heads[node]
        found = clauses[node] if clauses[node] is not None else node
        for k in path:  # every token on the way up heads the same clause
            clauses[k] = found
        clauses[node] = found
    return clauses  # type: ignore[return-value]


def clause_indices(doc: Doc) -> list[int]:
    """Return, for each token of a Doc, the index of its clause's verb (`clause_of` without making Tokens)."""
    clauses = doc.user_data.get(_CLAUSES)
    if clauses is None:
        clauses = doc.user_data[_CLAUSES] = _clauses(doc)
    return clauses


def clause_of(token: Token) -> Token:
    """Return the verb heading the clause a token is in (the sentence root at most)."""
    return token.doc[clause_indices(token.doc)[token.i]]


def clause_chain(token: Token) -> set[int]:
    """Return the clause of a trigger and the clauses it complements ("heading to the U.S. to hold talks")."""
    clause, chain = clause_of(token), set()
    while True:
        chain.add(clause.i)
        if clause.dep_ not in ("xcomp", "advcl") or clause.head.i == clause.i:
            return chain
        clause = clause_of(clause.head)


def best_place(ctx: Context, candidates: list[Mention], exclude: set[int]) -> Mention | None:
    government = set(events_lexicon()["government_words"])
    candidates = [m for m in candidates if not metonym(ctx, m)]
    places = [m for m in candidates if m.type in PLACE_RANK and id(m) not in exclude
              and ctx.span(m).end < len(ctx.doc) and ctx.doc[ctx.span(m).end].lower_ not in government]
    return min(places, key=lambda m: (PLACE_RANK[m.type], m.start)) if places else None


_ANAPHOR_TYPES = {"district": {"District"}, "centre": {"District", "City"}, "center": {"District", "City"}, "city": {"City"}, "town": {"City"}, "province": {"Province"},
                  "airport": {"Facility"}, "it": {"City", "District", "Facility"}}


def anaphor(ctx: Context, token: Token, tokens: list[Token]) -> Mention | None:
    """Resolve "it" or "the district" to the nearest place of that kind named before the trigger."""
    for t in tokens:
        word = t.lower_
        if word not in _ANAPHOR_TYPES and word not in ("country", "nation"):
            continue  # neither test below can pass
        definite = word != "it" and any(c.lower_ in ("the", "this", "that") for c in (*t.children, *t.head.children))
        pronoun = word == "it" and (t.dep_ == "dobj" or t.dep_ == "nsubj" and token.lemma_.lower() == "fall")
        if word in ("country", "nation") and definite:
            return ctx.home()  # "withdraw from the country": the country the story is set in
        if word in _ANAPHOR_TYPES and (definite or pronoun):
            before = [m for m in ctx.mentions if m.end <= token.idx and m.type in _ANAPHOR_TYPES[word]]
            if before:
                return before[-1]
    return None


def focus_place(ctx: Context) -> Mention | None:
    capitals = {e.gid for m in ctx.mentions if m.type == "City"
                for e in gazetteer.lookup_place(m.text) if e.type == "City" and gazetteer.capital_of_country(e)}
    return ctx.most_mentioned("City", exclude=capitals) or ctx.most_mentioned("Province")
