"""Quantities in event sentences: "more than 200 prisoners", "118 of the country's 407 districts"."""

from __future__ import annotations

from dataclasses import replace

from spacy.attrs import LIKE_NUM
from spacy.tokens import Token

from kg.model import Event, Quantity
from kg.nlp.context import Context
from kg.nlp.lexicon import events_lexicon
from kg.nlp.tokens import tokens

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
          "fifty": 50, "hundred": 100}


def _lexicon() -> dict:
    return events_lexicon()


def number(token: Token) -> int | None:
    """Return the integer a number token writes ("1,000", "seven"), or None."""
    text = token.text.replace(",", "")
    if text.isdigit():
        return int(text)
    return _WORDS.get(token.lower_)


def _of(noun: Token) -> str | None:
    lex = _lexicon()
    lemma = noun.lemma_.lower()
    context = {noun.lemma_.lower(), noun.head.lemma_.lower()} | {c.lemma_.lower() for c in noun.children}
    context |= {c.lemma_.lower() for c in noun.head.children if c.dep_ in ("acomp", "oprd", "xcomp")}
    top = noun  # "40 insurgents and six civilians were killed": climb coordinations to the verb
    while top.dep_ in ("conj", "appos") and top.head.i != top.i:
        top = top.head
    context.add(top.head.lemma_.lower())
    kinds = next((k for k, words in lex["quantity_nouns"].items() if lemma in words or noun.lower_ in words), None)
    if kinds in ("fighters", "troops", "civilians", "security personnel", "fatalities") and context & set(lex["killing_words"]):
        return "fatalities"
    if context & set(lex["wounding_words"]):
        return "wounded"
    return None if kinds == "civilians" else kinds


def _qualifier(token: Token) -> str | None:
    doc = token.doc
    before = doc[max(0, token.i - 3):token.i].text.lower()
    return next((q for q in sorted(_lexicon()["qualifiers"], key=len, reverse=True) if before.endswith(q)), None)


def _quantity(token: Token) -> Quantity | None:
    count = number(token)
    if count is None or token.ent_type_ in ("DATE", "TIME", "MONEY", "ORDINAL"):
        return None
    noun, out_of = token.head, None
    of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    if token.dep_ != "nummod" and of is not None:  # "118 of the country's 407 districts"
        pobj = next((c for c in of.children if c.dep_ == "pobj"), None)
        total = next((number(c) for c in pobj.children if c.dep_ == "nummod"), None) if pobj is not None else None
        if pobj is not None:
            noun, out_of = pobj, total
    elif token.dep_ not in ("nummod", "quantmod", "npadvmod") and token.pos_ != "NUM":
        return None
    if noun.i + 1 < len(token.doc) and noun.lower_ == "percent" or token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == "percent":
        return Quantity(count=count, of="percent", text=token.doc[token.i:token.i + 2].text, qualifier=_qualifier(token))
    of_word = _of(noun)
    if of_word is None:
        return None
    span = token.doc[min(token.i, noun.i):max(token.i, noun.i) + 1]
    return Quantity(count=count, of=of_word, text=span.text, qualifier=_qualifier(token), out_of=out_of)


def attach_quantities(ctx: Context, events: list[tuple[Token, Event]]) -> list[Event]:
    """Give each quantity of a sentence to the event whose trigger governs it, else the nearest one."""
    found: dict[int, list[Quantity]] = {}
    if not events:  # a quantity is only ever given to an event
        return []
    sentences: list[tuple[int, int]] = []  # each trigger's sentence, as Span equality compares it

    def sentence(token: Token) -> tuple[int, int]:
        sent = token.sent
        return sent.start_char, sent.end_char

    doc, lowers, owner = ctx.doc, tokens(ctx.doc).lowers, ctx.owner
    numeric = doc.to_array([LIKE_NUM]).tolist()
    for position in range(len(doc)):
        if not (numeric[position] or lowers[position] in _WORDS) or owner[position] is not None:
            continue
        token = doc[position]
        quantity = _quantity(token)
        if quantity is None:
            continue
        if not sentences:
            sentences = [sentence(trigger) for trigger, _ in events]
        here = sentence(token)
        same = [i for i, bounds in enumerate(sentences) if bounds == here]
        if not same:
            continue
        ancestors = {a.i for a in token.ancestors}
        governing = [i for i in same if events[i][0].i in ancestors]
        chosen = (governing or sorted(same, key=lambda i: abs(events[i][0].i - token.i)))[0]
        found.setdefault(chosen, []).append(quantity)
    return [replace(event, quantities=tuple(found.get(i, ()))) for i, (_, event) in enumerate(events)]
