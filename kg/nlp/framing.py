"""How an event trigger is framed: its status, whether it is an aim or a kind, its date,
its speaker, and which of its words can name where it happened.

Helpers of kg.nlp.events, on the dependency parse of one sentence; cue words come
from kg/data/events.json.
"""

from __future__ import annotations

from collections.abc import Collection

from spacy.tokens import Token

from kg.model import Mention
from kg.nlp import roles
from kg.nlp.context import AGENT_TYPES, PLACE_RANK, Context
from kg.nlp.lexicon import events_lexicon as lexicon
from kg.nlp.tokens import tokens

__all__ = ["COMPASS", "STATUS_ORDER", "SUBJECT_DEPS", "TERRITORY", "date_of", "frames", "generic", "goal",
           "placeable", "regional", "reporting_clauses", "speaker", "status", "where_place"]

REGION_WORDS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northern",
                "southern", "eastern", "western", "northeastern", "northwestern", "southeastern", "southwestern",
                "countryside", "region"}
STATUS_ORDER = ("denied", "threatened", "planned", "hypothetical", "claimed")
SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "expl"}
TERRITORY = {"headquarters", "building", "office", "compound", "base", "airport", "airfield", "district", "city",
              "town", "province", "territory", "prison", "jail", "checkpoint", "outpost", "area", "village",
              "capital", "ground", "center", "centre", "station", "crossing", "border", "country", "control", "part"}
HEARSAY = frozenset({"reportedly", "allegedly", "purportedly"})
COMPASS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "outskirts", "edge"}


def status(token: Token) -> str | None:
    """Return the claim status words around a trigger give it, "negated" when it did not happen."""
    cues = lexicon()["status_cues"]
    found: set[str] = set()
    chain = [token]
    for node in token.ancestors:  # governors only: a coordinated verb ("threatened ... and captured") is not one
        if chain[-1].dep_ == "conj":
            break
        chain.append(node)
    if token.dep_ == "pcomp" and token.head.lower_ == "from" and token.head.head.lemma_.lower() in cues["preventing"]:
        return "negated"  # "to keep them from overrunning the city"
    control = True  # still inside the trigger's chain of infinitives ("did not agree to stop fighting")
    for depth, node in enumerate(chain):
        lemma = node.lemma_.lower()
        if depth > 0 and control and lemma in cues["negating"] and token.dep_ not in ("nsubj", "nsubjpass"):
            return "negated"  # but "talks ... have failed to make progress" did happen
        for child in node.children:
            if child.dep_ == "neg" and (depth == 0 or control):
                return "negated"
            if child.dep_ in ("aux", "advmod") and (depth <= 1 or control) or depth == 0 and child.dep_ == "amod":
                for status in ("planned", "hypothetical", "claimed"):
                    if child.lemma_.lower() in cues[status] and not (status == "claimed" and child.lemma_.lower() == "report"):
                        found.add(status)
        control = control and (node.dep_ == "xcomp" or depth == 0 and node.dep_ in ("dobj", "nsubj", "nsubjpass"))
        # "reinforcements had not yet arrived", "did not sign the deal": the governing verb's negation counts
        if node.lower_ == "without":
            return "negated"
        for status in ("denied", "threatened", "planned", "hypothetical"):
            if lemma in cues[status] and node.pos_ in ("VERB", "NOUN", "ADJ") and depth > 0:
                found.add(status)
        if depth > 0 and lemma == "claim" or lemma in ("reportedly", "allegedly", "purportedly"):
            found.add("claimed")
        if depth > 0 and lemma == "report" and (node.pos_ == "NOUN" or any(c.dep_ == "auxpass" for c in node.children)):
            found.add("claimed")
    sent = token.sent  # its words from the Doc's token table: iterating a Span makes a Token per word
    if not HEARSAY.isdisjoint(tokens(token.doc).lowers[sent.start:sent.end]):
        found.add("claimed")
    return next((s for s in STATUS_ORDER if s in found), None)


def speaker(ctx: Context, token: Token) -> Mention | None:
    speech = set(lexicon()["speech_verbs"])
    for node in token.ancestors:
        if node.lemma_.lower() in speech:
            subject = next((c for c in node.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subject is not None:
                found = ctx.within(subject.subtree, AGENT_TYPES)
                if found:
                    return found[0]
            return None
    return None


def generic(ctx: Context, token: Token, region: list[Token]) -> bool:
    """Tell whether a noun trigger names a kind of happening, not one ("support in battles against the
    Taliban"): a bare plural in a prepositional phrase, with no determiner, number, owner or place."""
    if token.pos_ != "NOUN" or token.tag_ != "NNS" or token.dep_ != "pobj":
        return False
    if any(c.dep_ in ("det", "nummod", "poss") or ctx.demonym_country(c) is not None for c in token.children):
        return False
    return not ctx.within(region, set(PLACE_RANK))


def reporting_clauses(token: Token) -> set[int]:
    """Return the clause of a trigger and the clauses above it that frame or report it, not coordinated
    ones ("began talks in 2018, and Biden said the withdrawal was justified": 2018 is not its date)."""
    clause, chain = roles.clause_of(token), set()
    while True:
        chain.add(clause.i)
        if clause.dep_ not in ("xcomp", "advcl", "ccomp", "pcomp") or clause.head.i == clause.i:
            return chain
        clause = roles.clause_of(clause.head)


def date_of(ctx: Context, token: Token, region: list[Token]):
    dates = [e for e in ctx.sentence_ents(token) if e.label_ in ("DATE", "TIME")]  # Span.ents rebuilds doc.ents
    roots = [e.root for e in dates]  # a Span's root is found anew each time it is read
    at = {t.i for t in region} if dates else set()
    inside = [e for e, root in zip(dates, roots) if root.i in at or root.head.i in at]
    clauses, clause_at = reporting_clauses(token), roles.clause_indices(token.doc)
    below = {t.i for t in token.subtree} if dates else set()
    framing = [e for e, root in zip(dates, roots) if clause_at[root.i] in clauses or root.i in below]
    for ent in inside + sorted(framing, key=lambda e: abs(e.start - token.i)):
        when = ctx.when(ent.text)
        if when is not None:
            return when
    for word in ("overnight", "yesterday", "today"):
        if any(t.lower_ == word for t in region):
            return ctx.when(word)
    return None


def goal(token: Token) -> bool:
    """Tell whether a trigger is only a purpose or an effort's goal ("battling to take the city",
    "deployed to reinforce it", "negotiating to reach an agreement"): an aim, not a happening."""
    verb = token if token.pos_ in ("VERB", "AUX") else (token.head if token.dep_ == "dobj" else None)
    if verb is None or not any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children):
        return False
    if verb.dep_ == "advcl" and not any(c.dep_ in SUBJECT_DEPS for c in verb.children):
        return True  # "in order to" purpose
    return verb.dep_ == "xcomp" and verb.head.lemma_.lower() in lexicon()["effort_verbs"]


def placeable(token: Token, trigger: Token, *, others: Collection[int] = ()) -> bool:
    """Tell whether a token of a trigger's phrase or clauses can name where it happened.

    Not a party ("talks with the United States", "battles against the Taliban"), not the far end
    of a distance ("70 kilometers from Kabul"), not the possessor of a body ("the country's spy
    agency"), not the place of another trigger (`others`: "The attack on Qala-e Naw came as
    authorities vowed to retake all districts").
    """
    lex = lexicon()
    node = token
    while node.dep_ in ("conj", "appos", "compound", "amod", "cc") and node.head.i != node.i:
        node = node.head
    if node.dep_ == "pobj" and node.head.lower_ in lex["party_preps"]:
        return False
    if node.dep_ in ("nsubj", "nsubjpass") and node.head.i != trigger.i:
        return False  # "an offensive that accelerated as the United States pulled out": an actor elsewhere
    if node.dep_ == "poss" and node.head.lemma_.lower() not in TERRITORY and node.head.lemma_.lower() not in COMPASS:
        return False
    for ancestor in token.ancestors:
        if ancestor.i == trigger.i:
            break
        if ancestor.i in others:
            return False
        if ancestor.dep_ == "prep" and ancestor.lower_ == "from" and (ancestor.head.lemma_.lower() in lex["distance_words"]
                                                                      or any(c.lemma_.lower() in lex["distance_words"] for c in ancestor.children)):
            return False
    return True


def regional(region: list[Token]) -> bool:
    """Tell whether a trigger's phrase places it in an unnamed region ("across towns in the north",
    "in western provinces")."""
    return any(t.lemma_.lower() in REGION_WORDS and t.dep_ in ("pobj", "amod", "compound", "conj") for t in region)


def where_place(ctx: Context, token: Token) -> Mention | None:
    """Return the place a "where" clause hangs on ("the provinces of Takhar and Badakhshan, where the
    Taliban has captured territory": Takhar)."""
    clause = token
    while clause.dep_ not in ("relcl", "ROOT") and clause.head.i != clause.i:
        clause = clause.head
    if clause.dep_ != "relcl" or not any(c.lower_ == "where" for c in clause.children):
        return None
    head = clause.head
    while head.dep_ == "conj" and head.head.i != head.i:
        head = head.head
    inside = {t.i for t in clause.subtree}
    return roles.best_place(ctx, ctx.within([t for t in head.subtree if t.i not in inside]), set())


def frames(token: Token, verb_at: set[int]) -> bool:
    """Tell whether a noun trigger only frames a verb trigger's happening ("recaptured two districts during
    a fierce battle that left 80 fighters dead": the battle is the recapture)."""
    return token.dep_ == "pobj" and token.head.lower_ in ("during", "amid", "in") and token.head.head.i in verb_at
