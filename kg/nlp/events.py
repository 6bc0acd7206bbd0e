"""Events from the dependency parse: trigger words (kg/data/events.json) and their roles.

A trigger is a verb or noun of the event taxonomy. Its agent comes from the
subject (or a noun's modifiers, or "by X"), its target and place from its
objects and prepositional phrases (the most specific place wins), its status
from the words governing it (denied, planned, threatened, hypothetical,
claimed), its date from a date expression in its clause resolved against the
article date, and its attribution from the speech verb above it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from functools import lru_cache

from spacy.tokens import Doc, Token

from kg.model import Event, Mention
from kg.nlp import framing, roles
from kg.nlp.context import AGENT_TYPES, PLACE_RANK, Context
from kg.nlp.framing import SUBJECT_DEPS, TERRITORY
from kg.nlp.happenings import merge_events
from kg.nlp.lexicon import events_lexicon
from kg.nlp.quantities import attach_quantities
from kg.nlp.tokens import tokens

_CLAUSE_DEPS = {"ccomp", "advcl", "conj", "relcl", "xcomp", "parataxis", "csubj", "acl", "cc", "mark", "punct"}
_LOCAL_TYPES = {"Attack", "Capture", "Recapture", "Airstrike", "Deployment", "PrisonBreak", "Surrender", "Defection"}
_AGGREGATES = {"district", "province", "capital", "city", "town", "territory", "swath", "area", "checkpoint"}


def lexicon() -> dict:
    """Return the event lexicon (kg/data/events.json)."""
    return events_lexicon()


@lru_cache(maxsize=1)
def _triggers() -> tuple[dict[str, list[tuple[str, str | None]]], dict[str, list[tuple[str, str | None]]]]:
    verbs: dict[str, list[tuple[str, str | None]]] = {}
    nouns: dict[str, list[tuple[str, str | None]]] = {}
    for kind, entries in lexicon()["verbs"].items():
        for entry in entries:
            lemma, _, word = entry.partition(">")
            verbs.setdefault(lemma, []).append((kind, word or None))
    for kind, entries in lexicon()["nouns"].items():
        for entry in entries:
            modifier, _, lemma = entry.rpartition("<")
            nouns.setdefault(lemma, []).append((kind, modifier or None))
    for table in (verbs, nouns):
        for options in table.values():
            options.sort(key=lambda o: o[1] is None)  # specific ("take>back") before plain ("take")
    return verbs, nouns


def _near(token: Token, word: str) -> bool:
    for child in token.children:
        if word in (child.lower_, child.lemma_.lower()):
            return True
        if child.dep_ in ("prep", "dobj", "prt", "advmod", "pobj") and any(
                word in (g.lower_, g.lemma_.lower()) for g in child.children):
            return True
    return False


def _has_subject_word(token: Token, words: list[str]) -> bool:
    subject = _subject(token)
    return subject is not None and any(t.lemma_.lower() in words for t in subject.subtree)


def _object_is_territory(ctx: Context, token: Token) -> bool:
    for child in token.children:
        if child.dep_ in ("dobj", "nsubjpass") or (child.dep_ == "prep" and child.lower_ in ("into", "to", "of", "in")):
            heads = [child] + [g for g in child.children if g.dep_ == "pobj"]
            for head in heads:
                if head.lemma_.lower() in TERRITORY or ctx.within(head.subtree, set(PLACE_RANK)):
                    return True
    return False


def _idiom(token: Token) -> bool:
    """Tell whether a verb and its object form an idiom that is no event ("take place", "fall short")."""
    lemma = token.lemma_.lower()
    return any(f"{lemma}>{c.lemma_.lower()}" in _idioms() for c in token.children if c.dep_ in ("dobj", "acomp", "attr", "oprd"))


@lru_cache(maxsize=1)
def _idioms() -> frozenset[str]:
    return frozenset(lexicon()["idioms"])


def _noun_lemma(token: Token, nouns: dict) -> str:
    """Return a noun's lemma, also for a capitalised plural the tagger took for a name ("Airstrikes were used")."""
    lemma = token.lemma_.lower()
    if lemma not in nouns and token.pos_ == "PROPN" and token.lower_.endswith("s") and token.lower_[:-1] in nouns:
        return token.lower_[:-1]
    return lemma


def trigger_type(ctx: Context, token: Token) -> str | None:
    """Return the event type a token triggers, or None."""
    verbs, nouns = _triggers()
    lemma = token.lemma_.lower()
    if token.pos_ == "VERB" and lemma in verbs:
        if _idiom(token):
            return None
        for kind, word in verbs[lemma]:
            if word is not None and _near(token, word):
                return kind
            if word is None:
                if lemma in ("take", "enter", "leave", "fall", "pull", "arrive", "lose") and not (
                        _object_is_territory(ctx, token) or lemma == "fall" and (_near(token, "to") or _has_subject_word(token, TERRITORY))):
                    return None
                if lemma == "join" and not any(m.type == "ArmedGroup" for m in ctx.within(token.subtree)):
                    return None
                if kind == "PrisonBreak" and not _has_subject_word(token, lexicon()["quantity_nouns"]["prisoners"]):
                    return None
                return kind
    lemma = _noun_lemma(token, nouns) if token.pos_ in ("NOUN", "PROPN") else lemma
    if token.pos_ in ("NOUN", "PROPN") and lemma in nouns and ctx.at(token) is None:
        for kind, modifier in nouns[lemma]:
            if modifier is None or any(c.lemma_.lower() == modifier or c.lower_ == modifier for c in token.children):
                return kind
    return None


def _candidates(doc: Doc) -> list[int]:
    """Return the indices of the tokens `trigger_type` may accept: a trigger verb, or a trigger noun (or its plural)."""
    verbs, nouns = _triggers()
    view = tokens(doc)
    lemmas = [lemma.lower() for lemma in view.lemmas]
    return [i for i, (pos, lemma) in enumerate(zip(view.pos, lemmas))
            if pos == "VERB" and lemma in verbs
            or pos in ("NOUN", "PROPN") and (lemma in nouns or view.lowers[i][:-1] in nouns)]


def _region(token: Token, skip: set[str]) -> list[Token]:
    """Return the tokens of a trigger's own phrase: its subtree minus clauses and `skip` deps.

    A clause modifying a trigger noun stays ("negotiations, which started in Qatar").
    """
    out = [token]
    keep = {"relcl", "acl"} if token.pos_ in ("NOUN", "PROPN") else set()
    for child in token.children:
        if child.dep_ not in skip and (child.dep_ not in _CLAUSE_DEPS or child.dep_ in keep):
            out.extend(child.subtree)
    return out


def _subject(token: Token) -> Token | None:
    for child in token.children:
        if child.dep_ in SUBJECT_DEPS:
            if child.lower_ in ("which", "who", "that") and token.dep_ == "relcl":
                return token.head  # "The United States, which toppled ..."
            return child
    if token.dep_ == "xcomp":  # "forcing soldiers to surrender": the object of the governing verb acts
        obj = next((c for c in token.head.children if c.dep_ == "dobj"), None)
        if obj is not None:
            return obj
    if token.dep_ == "pcomp" and token.head.head.pos_ in ("VERB", "AUX"):  # "came close after capturing ..."
        return _subject(token.head.head)
    if token.dep_ in ("xcomp", "conj", "advcl") and token.head.i != token.i:
        return _subject(token.head)
    if token.dep_ in ("relcl", "acl"):
        return token.head
    return None


def _agent_from(ctx: Context, tokens: list[Token], head: Token | None, kind: str, *, trigger: Token) -> Mention | None:
    focus = ctx.home()
    # "refuge in Pakistan" is where, not who; but "led to the British invasion": British modifies the trigger
    tokens = [t for t in tokens if t.head.i == trigger.i or not roles.locative(t)]
    if head is not None:  # "the province, which borders Turkmenistan, ... entered": not Turkmenistan
        clausal = {t.i for c in head.subtree if c.dep_ in ("relcl", "acl") and c.i != head.i for t in c.subtree}
        tokens = [t for t in tokens if t.i not in clausal]
    own = ctx.at(head) if head is not None else None
    ordered = ctx.within(tokens, AGENT_TYPES | {"City"})
    possessors = [m for m in ordered if roles.root_of(ctx, m).dep_ == "poss"]
    if len(possessors) < len(ordered):  # "talks between Ghani's officials and the Taliban": the officials talk
        ordered = [m for m in ordered if m not in possessors]
    if own is not None and own in ordered:  # "the Afghan army chief Mohammad Yasin Zia": the head noun acts
        ordered = [own] + [m for m in ordered if m is not own]
    for mention in ordered:
        if mention.type == "City":
            mention = roles.capital_country(ctx, mention)
            if mention is None:
                continue
        if mention.type == "Country" and focus is not None and mention.gazetteer_id == focus.gazetteer_id:
            continue  # "Afghan forces": the government side of the story, an unnamed actor
        return mention
    for token in tokens:
        country = ctx.demonym_country(token) if token.dep_ in ("amod", "compound", "nmod") else None
        if country is not None and (focus is None or country.gazetteer_id != focus.gazetteer_id):
            return country
    pronoun = head is not None and head.pos_ == "PRON" and head.lower_ in ("they", "it")
    if head is not None and (head.lower_ in lexicon()["insurgent_words"] or pronoun and kind in ("Capture", "Attack")) \
            and head.dep_ != "poss":
        return ctx.most_mentioned("ArmedGroup")
    return None


def _state_side(ctx: Context, subject: Token | None) -> bool:
    """Tell whether a subject is the government side ("Afghan troops", "government forces")."""
    if subject is None or subject.lower_ in lexicon()["insurgent_words"]:
        return False
    words = {subject.lower_} | {c.lower_ for c in subject.children if c.dep_ in ("compound", "amod", "nmod", "poss")}
    return bool(words & set(lexicon()["state_words"])) and not ctx.within(subject.subtree, {"ArmedGroup"})


def _event(ctx: Context, token: Token, kind: str, *, triggers: Collection[int] = ()) -> Event | None:
    status = framing.status(token)
    if status == "negated" or framing.goal(token):
        return None
    lex = lexicon()
    verb = token.pos_ == "VERB"
    subject = _subject(token) if verb else None
    passive = subject is not None and subject.dep_ == "nsubjpass" and subject.head.i == token.i
    by_agent = [t for c in token.children if c.dep_ == "agent" for t in c.subtree]
    if verb:
        agent_tokens = by_agent if passive else (list(subject.subtree) if subject is not None else [])
        agent_head = (by_agent[1] if len(by_agent) > 1 else None) if passive else subject
    else:
        agent_tokens = [t for c in token.children if c.dep_ in ("compound", "amod", "poss", "nmod") for t in c.subtree]
        agent_tokens += [t for c in token.children if c.dep_ == "prep" and c.lower_ in ("by", "between") for t in c.subtree]
        of = [t for c in token.children if c.dep_ == "prep" and c.lower_ == "of" for t in c.subtree]
        named = ctx.within(agent_tokens, AGENT_TYPES) or any(
            ctx.demonym_country(t) is not None for t in agent_tokens if t.dep_ in ("amod", "compound", "nmod"))
        if not named and ctx.within(of, AGENT_TYPES):  # "the withdrawal of U.S. troops", not "the British invasion of X"
            agent_tokens += of
            named = True
        agent_head = next((c for c in token.children if c.dep_ == "poss"), None)
        if not named and token.dep_ in ("dobj", "nsubjpass", "pobj"):
            governor = token.head if token.dep_ != "pobj" else token.head.head
            subject = _subject(governor) if governor.pos_ == "VERB" else None
            if subject is not None and (subject.dep_ == "nsubjpass" or trigger_type(ctx, subject) is not None):
                subject = None  # "insurgents were killed in air strikes": the passive subject is the victim;
                # "the attacks that sparked the invasion": an event causes it, nobody does it
            if subject is not None:
                agent_tokens, agent_head = list(subject.subtree), subject
    skip = {"nsubj", "csubj", "agent", "expl"} | ({"nsubjpass"} if not passive else set())
    clause_at, agent_at = roles.clause_indices(token.doc), {t.i for t in agent_tokens}
    noun = token.pos_ in ("NOUN", "PROPN")
    region = [t for t in _region(token, skip) if t.i not in agent_at and (noun or clause_at[t.i] == clause_at[token.i])]
    agent = _agent_from(ctx, agent_tokens, agent_head, kind, trigger=token)
    if token.lemma_.lower() == "fall":  # "the city fell to the Taliban": the place falls, the group takes it
        to = [t for c in token.children if c.dep_ == "prep" and c.lower_ == "to" for t in c.subtree]
        agent = next(iter(ctx.within(to, AGENT_TYPES)), None)
        agent_tokens, region = agent_tokens + to, [t for t in region if t not in to] + list(subject.subtree if subject is not None else [])
    if token.lemma_.lower() == "host" and subject is not None:  # "Iran hosted Taliban ...": guests act, host is the place
        guests = ctx.within(region, AGENT_TYPES - {"Country"})
        agent = guests[0] if guests else None
        region = region + list(subject.subtree)
    if kind == "Recapture" and agent is not None and agent.type == "ArmedGroup":
        kind = "Capture"  # "it has regained territory": an insurgent gain is a capture
    if token.lemma_.lower() == "lose":  # "the group had lost Qaisar": the other side took it
        kind, agent = ("Capture", None) if _state_side(ctx, subject) else ("Recapture", None)
    if kind == "Capture" and (_state_side(ctx, subject) or (agent is not None and agent.type in ("SecurityForce", "GovernmentBody"))):
        kind, agent = "Recapture", agent if agent is not None and agent.type == "SecurityForce" else None
    exclude = {id(agent)} if agent is not None else set()
    if kind == "Attack" and agent is None:  # "battles with Taliban insurgents": fighting has the armed group as actor
        agent = next(iter(ctx.within(region, {"ArmedGroup"})), None)
    if kind in ("Attack", "Capture") and agent is None and not _state_side(ctx, subject):
        agent = roles.recent_group(ctx, token)
    exclude = {id(agent)} if agent is not None else set()
    objects = [m for m in ctx.within(region, AGENT_TYPES - {"Country"}) if id(m) not in exclude]
    target = objects[0] if objects else None
    if target is None and kind in ("Recapture", "Airstrike", "Surrender", "Defection"):
        target = next(iter(ctx.within(token.sent, {"ArmedGroup"})), None)
    if kind == "PrisonBreak" and _state_side(ctx, subject):
        return None  # "the government will free 150 prisoners": a release, not a prison break
    if kind == "Withdrawal" and subject is not None and subject.lemma_.lower() in lex["civilian_words"]:
        return None  # "20,000 families had fled their homes": people fleeing, not forces withdrawing
    if kind in lex["needs_named_party"] and agent is None and target is None:
        return None
    owner = ctx.owner  # only tokens of a mention can name a place: the others are not worth asking about
    region_places = [t for t in region if owner[t.i] is not None and framing.placeable(t, token)]
    if framing.generic(ctx, token, region_places):
        return None
    if kind != "Withdrawal":  # "freed prisoners from the prison": where they came from, not where it happened
        region_places = [t for t in region_places if not (t.head.dep_ == "prep" and t.head.lower_ == "from")]
    place = roles.best_place(ctx, ctx.within(region_places), exclude)
    home = ctx.home()
    if place is not None and home is not None and place.gazetteer_id == home.gazetteer_id \
            and any(t.lemma_.lower() in ("capital", "city", "town") for t in region):
        place = roles.focus_place(ctx) or place  # "an attack on a provincial capital in Afghanistan": the story's city
    if place is None and (verb or kind == "Negotiation"):  # "200 prisoners in the prison of Badghis escaped"
        own = {id(m) for m in ctx.within([agent_head])} if agent_head is not None else set()
        place = roles.best_place(ctx, ctx.within(agent_tokens), exclude | own)
    if place is None and token.lemma_.lower() == "fall":  # "after it fell": the place named before
        place = roles.anaphor(ctx, token, region + ([t for t in subject.subtree] if subject is not None else []))
    if place is None and kind == "Withdrawal" and agent is not None and agent.type == "Country":
        place = ctx.home()  # "since the United States began withdrawing its troops"
    if place is None:
        place = framing.where_place(ctx, token)
    if place is None:
        clauses = roles.clause_chain(token)
        sent, agent_at = token.sent, {t.i for t in agent_tokens}
        candidates = [token.doc[i] for i in range(sent.start, sent.end)
                      if owner[i] is not None and i not in agent_at and clause_at[i] in clauses]
        nearby = [m for m in ctx.within([t for t in candidates if framing.placeable(t, token, others=triggers)])
                  if not roles.dateline(ctx, m)]
        place = roles.best_place(ctx, nearby, exclude)
    when = framing.date_of(ctx, token, region)
    perfect = any(c.lemma_ == "have" and c.dep_ == "aux" and c.tag_ in ("VBP", "VBZ") for c in token.children)
    current = when is None or (ctx.article.published or "")[:7] == when.iso[:7]
    if place is None:
        place = roles.anaphor(ctx, token, region + ([t for t in subject.subtree] if subject is not None else []))
    regional = framing.regional(region)  # "across towns in the north": somewhere, but not the story's city
    if place is None and kind in _LOCAL_TYPES and current and not perfect and not regional:
        place = roles.focus_place(ctx)  # a happening of the main story with no place of its own
    if place is None and kind == "Withdrawal" and agent is not None and agent.type == "Country":
        place = ctx.home()
    if place is None and not regional and any(t.tag_ in ("NNS", "NNPS") and t.lemma_.lower() in _AGGREGATES for t in region):
        place = ctx.home()  # "seized dozens of districts": a nationwide aggregate happens in the country
    if when is None and not perfect and ctx.article.published:
        date, precision, text = ctx.article.published, ctx.article.published_precision or "day", None
    else:
        date, precision, text = (when.iso, when.precision, when.text) if when else (None, None, None)
    if not verb and agent is None and target is None and place is None:
        return None  # "the military drawdown": a background noun with no party and no place
    covered = [token, *region, *agent_tokens]
    span = token.doc[min(t.i for t in covered):max(t.i for t in covered) + 1]
    return Event(type=kind, provenance=ctx.provenance(span, f"trigger: {token.lemma_.lower()}", 0.7),
                 trigger=token.text, agent=agent, target=target, place=place, date=date, date_precision=precision,
                 date_text=text, status=status or "asserted", attributed_to=framing.speaker(ctx, token))


def _conjoined(ctx: Context, token: Token, place: Mention | None) -> list[Mention]:
    """Return places of another kind coordinated with an event's place ("Kunduz airport and the Imam Sahib district").

    Places of the same kind ("two districts in Balkh and Baghlan") stay one happening at the first.
    """
    if place is None:
        return []
    root = roles.root_of(ctx, place)
    heads = [t for t in token.subtree if t.dep_ == "conj" and t.head.i == root.i]
    found: list[Mention] = []
    for head in heads:
        for mention in ctx.within(head.subtree, set(PLACE_RANK)):
            if mention.type != place.type and mention not in found:
                found.append(mention)
    return found[:2]


def find_events(ctx: Context) -> list[Event]:
    """Return the events an article reports, one per happening (see kg.nlp.happenings)."""
    events: list[tuple[Token, Event]] = []
    kinds = {i: kind for i in _candidates(ctx.doc) if (kind := trigger_type(ctx, ctx.doc[i])) is not None}
    for index, kind in kinds.items():
        token = ctx.doc[index]
        event = _event(ctx, token, kind, triggers=kinds.keys())
        if event is not None:
            events.append((token, event))
            events.extend((token, replace(event, place=other)) for other in _conjoined(ctx, token, event.place))
    verbs = {(token.i, event.type) for token, event in events if token.pos_ == "VERB"}
    verb_at = {token.i for token, _ in events if token.pos_ == "VERB"}
    events = [(token, event) for token, event in events if token.pos_ == "VERB" or not (any(
        (t.i, event.type) in verbs for t in token.subtree)  # "a deal Washington signed": one happening
        or framing.frames(token, verb_at))]
    return merge_events(attach_quantities(ctx, events))
