"""Geographic relations (capitalOf, locatedIn) from Matcher patterns kept in kg/data/relation_patterns.json.

The patterns test each token's mention type (`_.kg_type`) and whether it is a nationality
adjective (`_.kg_demonym`). Extension attributes are slow for spaCy's Matcher (a Python call
per token and predicate), so the matcher runs on a shadow Doc of the same words, spaces and
sentence starts whose TAG holds the mention type and whose LEMMA marks demonyms, with the
patterns rewritten to test those: the same tokens, the same matches in the same order.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

from kg.model import Mention, Relation
from kg.nlp import gazetteer
from kg.nlp.context import Context, demonyms
from kg.nlp.tokens import tokens

_TYPES = "kg_types"  # Doc.user_data key: each token's mention type ("" outside mentions), written by `mark`
_DEMONYM = "kg:demonym"  # the shadow Doc's LEMMA of a nationality adjective


def _token_type(token: Token) -> str:
    types = token.doc.user_data.get(_TYPES)
    return types[token.i] if types is not None else ""


if not Token.has_extension("kg_type"):
    Token.set_extension("kg_type", getter=_token_type)
if not Token.has_extension("kg_demonym"):
    Token.set_extension("kg_demonym", getter=lambda token: token.text in demonyms())


@lru_cache(maxsize=1)
def _specs() -> list[dict]:
    data = json.loads(resources.files("kg.data").joinpath("relation_patterns.json").read_text("utf-8"))
    return data["patterns"]


def _shadow_token(spec: dict[str, Any]) -> dict[str, Any]:
    """Rewrite one token pattern for the shadow Doc: `_.kg_type` -> TAG, `_.kg_demonym: true` -> LEMMA."""
    out = {key: value for key, value in spec.items() if key != "_"}
    for name, value in spec.get("_", {}).items():
        if name == "kg_type":
            out["TAG"] = value
        elif name == "kg_demonym" and value is True:
            out["LEMMA"] = _DEMONYM
        else:
            raise ValueError(f"relation_patterns.json: the extension test {name}={value!r} is not supported")
    return out


_MATCHERS: dict[int, Matcher] = {}


def _matcher(doc: Doc) -> Matcher:
    """Return the (shadow) relation matcher for this pipeline's vocabulary (built once per vocabulary)."""
    matcher = _MATCHERS.get(id(doc.vocab))
    if matcher is None:
        matcher = Matcher(doc.vocab)
        for index, spec in enumerate(_specs()):
            matcher.add(str(index), [[_shadow_token(token) for token in spec["pattern"]]])
        _MATCHERS[id(doc.vocab)] = matcher
    return matcher


def _shadow(doc: Doc, types: list[str]) -> Doc:
    """Return a Doc of the same words, spaces and sentence starts, TAG = mention type, LEMMA = demonym mark."""
    table, nationalities = tokens(doc), demonyms()
    return Doc(doc.vocab, words=table.texts, spaces=table.spaced, tags=types,
               lemmas=[_DEMONYM if word in nationalities else "" for word in table.texts],
               sent_starts=table.sent_starts)


def _types(ctx: Context) -> list[str]:
    mentions = ctx.mentions
    return [mentions[index].type if index is not None else "" for index in ctx.owner]


def mark(ctx: Context) -> None:
    """Record each recognised mention's type for its tokens (read as Token._.kg_type)."""
    ctx.doc.user_data[_TYPES] = _types(ctx)


def _role(ctx: Context, rule: str, start: int, end: int, subject: Mention | None) -> Mention | None:
    doc = ctx.doc
    if rule == "first":
        return ctx.at(start)
    if rule == "last":
        return ctx.at(end - 1)
    if rule == "first_region":
        return next(iter(ctx.within(doc[start:end], {"Province", "Country"})), None)
    if rule == "city":
        return next(iter(ctx.within(doc[start:end], {"City"})), None)
    if rule == "last_region":
        return next(iter(reversed(ctx.within(doc[start:end], {"Province", "Country"}))), None)
    if rule == "country_of_demonym":
        return next((ctx.demonym_country(t) for t in doc[start:end] if ctx.demonym_country(t)), None)
    if rule == "country_of_capital" and subject is not None:
        entries = [e for e in gazetteer.lookup_place(subject.text) if e.type == "City"]
        capital = next((e for e in entries if gazetteer.capital_of_country(e)), None)
        return ctx.country(capital.country) if capital else None
    if rule == "context_province":
        sentence = doc[start].sent
        return next(iter(ctx.within(sentence, {"Province"})), None) or ctx.most_mentioned("Province")
    return None


def find_relations(ctx: Context) -> list[Relation]:
    """Return capitalOf and locatedIn relations the article states, once per pair."""
    doc = ctx.doc
    found: dict[tuple, Relation] = {}
    for match_id, start, end in _matcher(doc)(_shadow(doc, _types(ctx)), allow_missing=True):
        spec = _specs()[int(doc.vocab.strings[match_id])]
        subject = _role(ctx, spec["subject"], start, end, None)
        obj = _role(ctx, spec["object"], start, end, subject)
        if subject is None or obj is None or subject is obj or (subject.type, subject.text) == (obj.type, obj.text):
            continue
        key = (spec["relation"], subject.type, subject.canonical or subject.text, obj.type, obj.canonical or obj.text)
        if key not in found:
            found[key] = Relation(subject=subject, predicate=spec["relation"], object=obj,
                                  provenance=ctx.provenance(doc[start:end], f"pattern: {spec['name']}", 0.85))
    implied = _implied_capital(ctx, list(found.values()))
    if implied is not None:
        found[("implied",)] = implied
    return sorted(found.values(), key=lambda r: (r.provenance.start, r.predicate))


def _implied_capital(ctx: Context, relations: list[Relation]) -> Relation | None:
    """Read "a provincial capital" in a story about one city as that city being its province's capital."""
    doc = ctx.doc
    if "capital" not in ctx.text.lower():  # a token whose lower case is "capital" is in the lower-cased text
        return None
    phrase = next((doc[t.i - 1:t.i + 1] for t in doc if t.lower_ == "capital" and t.i and doc[t.i - 1].lower_ == "provincial"), None)
    if phrase is None:
        return None
    capitals = {e.gid for m in ctx.mentions if m.type == "City"
                for e in gazetteer.lookup_place(m.text) if e.type == "City" and gazetteer.capital_of_country(e)}
    city = ctx.most_mentioned("City", exclude=capitals)
    if city is None or any(r.predicate == "capitalOf" and r.object.type == "Province" for r in relations):
        return None
    key = city.canonical or city.text
    located = [r.object for r in relations if r.predicate == "locatedIn" and (r.subject.canonical or r.subject.text) == key
               and r.object.type == "Province"]
    province = located[0] if located else ctx.most_mentioned("Province")
    if province is None:
        return None
    return Relation(subject=city, predicate="capitalOf", object=province,
                    provenance=ctx.provenance(phrase, "implied: the story's city is 'a provincial capital'", 0.6))
