"""Post holdings from titles: premodifiers ("Badghis Governor X") and appositions ("X, head of Y").

Titles come from kg/data/titles.tsv through a PhraseMatcher; the jurisdiction is
the named place or organisation attached to the title (premodifier, possessive,
nationality adjective, of/for-phrase) or, failing that, the article's main place
at the title's scope.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from kg.model import Holding, Mention
from kg.nlp.context import AGENT_TYPES, Context

JURISDICTION_TYPES = AGENT_TYPES | {"Province", "District", "City", "Facility"}
_TEMPORAL = {"then": "former", "former": "former", "ex": "former", "outgoing": "former"}
_APPOS_LEAD = {"a", "an", "the", "who", "is", "was", "also", "now", "currently", "and"}
_BODY_WORD_MAX = 4


@lru_cache(maxsize=1)
def _titles() -> tuple[dict[str, str], tuple[str, ...]]:
    """Return title variant -> scope, and the variants."""
    text = resources.files("kg.data").joinpath("titles.tsv").read_text("utf-8")
    scopes = {}
    for row in csv.reader(text.splitlines(), delimiter="\t"):
        if row and not row[0].startswith("#"):
            for variant in row[1].split("|"):
                scopes[variant] = row[2] if len(row) > 2 else "none"
    return scopes, tuple(scopes)


_MATCHERS: dict[int, PhraseMatcher] = {}


def _matcher(doc: Doc) -> PhraseMatcher:
    """Return the title matcher for this pipeline's vocabulary (built once per vocabulary)."""
    matcher = _MATCHERS.get(id(doc.vocab))
    if matcher is None:
        matcher = PhraseMatcher(doc.vocab, attr="LOWER")
        for variant in _titles()[1]:
            matcher.add("TITLE", [Doc(doc.vocab, words=variant.split())])
        _MATCHERS[id(doc.vocab)] = matcher
    return matcher


def _title_spans(doc: Doc) -> list[Span]:
    """Return the longest non-overlapping title matches."""
    spans = [doc[s:e] for _, s, e in _matcher(doc)(doc)]
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def _role_start(doc: Doc, span: Span) -> int:
    """Grow a title left over qualifiers that are part of the title ("acting", "deputy")."""
    start = span.start
    while start > 0 and doc[start - 1].lower_ in ("acting", "deputy", "senior", "chief", "top"):
        start -= 1
    return start


def _before(ctx: Context, start: int) -> tuple[Mention | None, str | None, int]:
    """Find a jurisdiction and tenure written before a title starting at `start`."""
    doc, i, tenure = ctx.doc, start - 1, None
    while i >= 0 and doc[i].text in ("-", "–"):
        i -= 1
    if i >= 0 and doc[i].lower_ in _TEMPORAL:
        return None, _TEMPORAL[doc[i].lower_], i
    if i >= 0 and doc[i].lower_ in ("'s", "’s", "'", "’"):
        i -= 1
    if i < 0:
        return None, tenure, start
    mention = ctx.at(i)
    if mention is not None and ctx.at(start) is mention:  # "Afghan army chief": the title overlaps "Afghan army"
        mention = None
        i = next((k for k in range(i, start - 6, -1) if k >= 0 and doc[k].text in _demonym_words()), i)
    if mention is not None and mention.type in JURISDICTION_TYPES and mention.type != "Person":
        return mention, tenure, i
    if doc[i].lower_ in ("country", "nation") and i > 0 and doc[i - 1].lower_ == "the":
        return ctx.home(), tenure, i - 1
    if doc[i].text in _demonym_words():  # "Russian Foreign Minister": Russia, if the article names it
        return ctx.demonym_country(doc[i]), tenure or "stated", i
    return None, tenure, start


def _demonym_words() -> frozenset[str]:
    from kg.nlp.context import demonyms

    return frozenset(demonyms())


def _after(ctx: Context, end: int, role: str) -> tuple[str, Mention | None]:
    """Read an of/for-phrase after a title: a named jurisdiction and the words that name a body.

    "spokesman for the governor of Kunduz" -> ("spokesman for the governor", Kunduz);
    "member of the Kunduz provincial council" -> ("member of provincial council", Kunduz);
    "deputy head of the government negotiating team" -> ("deputy head of negotiating team", home country).
    """
    doc = ctx.doc
    if end >= len(doc) or doc[end].lower_ not in ("of", "for"):
        return role, None
    prep, i = doc[end].lower_, end + 1
    has_the = i < len(doc) and doc[i].lower_ == "the"
    i += has_the
    mention, government, words, last = None, False, [], None
    while i < len(doc) and len(words) <= _BODY_WORD_MAX:
        token, found = doc[i], ctx.at(i)
        if found is not None and mention is None and found.type in JURISDICTION_TYPES and found.type != "Person":
            mention, words = found, []  # words before a name modified it: "the army's 215th Corps"
            while i < len(doc) and ctx.at(i) is found:
                i += 1
            while i < len(doc) and doc[i].lower_ in ("province", "district", "city"):
                i += 1
            continue
        if token.lower_ in ("'s", "’s", "'", "’"):
            i += 1
        elif token.lower_ in ("government", "country", "nation") and mention is None:
            government, i = True, i + 1
        elif token.lower_ == "of" and words and mention is None and i + 1 < len(doc):
            k = i + 1 + (doc[i + 1].lower_ == "the")
            named = ctx.at(k) if k < len(doc) else None
            if named is not None and named.type in JURISDICTION_TYPES and named.type != "Person":
                mention = named
            break
        elif token.is_alpha and token.is_lower and token.pos_ in ("NOUN", "ADJ", "PROPN", "VERB") and token.dep_ != "ROOT":
            words.append(token.text)
            last, i = token, i + 1
        else:
            break
    if words and last is not None and last.pos_ in ("NOUN", "PROPN"):
        inside = mention is not None and mention.start < last.idx or government
        article = "the " if has_the and not inside else ""
        role = f"{role} {prep} {article}{' '.join(words)}"
    if mention is None and government:
        mention = ctx.home()
    return role, mention


def _scope_default(ctx: Context, scope: str) -> Mention | None:
    if scope == "national":
        return ctx.home()
    if scope == "province":
        return ctx.most_mentioned("Province")
    if scope == "district":
        return ctx.most_mentioned("District")
    return None


def _holding(ctx: Context, person: Mention, title: Span, evidence: Span) -> Holding:
    doc = ctx.doc
    start = _role_start(doc, title)
    role = doc[start:title.end].text.lower()
    scope = _titles()[0].get(title.text.lower(), "none")
    if role.startswith("provincial ") and len(role.split()) == 2:
        role, scope = role.split()[1], "province"  # "Provincial governor": the province's governor
    jurisdiction, tenure, _ = _before(ctx, start)
    stated = tenure == "stated"
    tenure = None if stated else tenure
    role, after = _after(ctx, title.end, role)
    jurisdiction = jurisdiction or after
    extractor = "title pattern"
    if jurisdiction is None and not stated and (role != doc[start:title.end].text.lower() or scope != "none"):
        extractor = "title pattern, jurisdiction from context"
        words = set(role.split())
        body_scope = "province" if words & {"provincial", "governor", "police"} else scope
        jurisdiction = _scope_default(ctx, body_scope)
    return Holding(holder=person, role=role, provenance=ctx.provenance(evidence, extractor, 0.8),
                   jurisdiction=jurisdiction, tenure=tenure)


def _person_at(ctx: Context, i: int) -> Mention | None:
    mention = ctx.at(i) if 0 <= i < len(ctx.doc) else None
    return mention if mention is not None and mention.type == "Person" else None


def find_holdings(ctx: Context) -> list[Holding]:
    """Return the post holdings the article states, one per (person, role, jurisdiction)."""
    doc = ctx.doc
    holdings: list[Holding] = []
    for title in _title_spans(doc):
        start = title.start
        # "Badghis Governor Hessamuddin Shams": the title runs straight into the name
        person = _person_at(ctx, title.end)
        if person is not None and title.end < len(doc) and doc[title.end].is_title:
            holdings.append(_holding(ctx, person, title, doc[_role_start(doc, title):title.end + 1]))
            continue
        # "Fawad Aman, Deputy Spokesman for ...": a name, a comma, then the title
        i = _role_start(doc, title) - 1
        while i >= 0 and (doc[i].lower_ in _APPOS_LEAD or ctx.at(i) is not None and ctx.at(i).type != "Person"
                          or doc[i].lower_ in ("'s", "’s", "country") or doc[i].text in _demonym_words()):
            i -= 1
        if i >= 1 and doc[i].text == "," and _person_at(ctx, i - 1) is not None:
            holdings.append(_holding(ctx, _person_at(ctx, i - 1), title, doc[i - 1:title.end]))
            continue
        # "a special forces commander, Sayed Nezami": the title, a comma, then the name
        j = title.end
        role, _ = _after(ctx, j, "x")
        if role != "x":
            while j < len(doc) and doc[j].text not in (",", ".") and j - title.end < 8:
                j += 1
        if j + 1 < len(doc) and doc[j].text == "," and _person_at(ctx, j + 1) is not None:
            holdings.append(_holding(ctx, _person_at(ctx, j + 1), title, doc[start:j + 2]))
    unique: dict[tuple, Holding] = {}
    for h in holdings:
        key = (h.holder.canonical or h.holder.text, h.role, h.jurisdiction.text if h.jurisdiction else None)
        unique.setdefault(key, h)
    return list(unique.values())

