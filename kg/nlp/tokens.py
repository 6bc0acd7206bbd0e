"""A Doc's per-token arrays, read once and kept with the Doc: the rules read these, not Token objects.

Each `doc[i]` builds a new Token object, each `Span.text` joins its tokens, and `Doc.text`
joins them all, every time; the rules look at every token many times.
"""

from __future__ import annotations

from spacy.tokens import Doc


def _name_token(token) -> bool:
    return (token.is_title or (token.is_upper and len(token) > 1)) and (token.is_alpha or "-" in token.text)


class Tokens:
    """Per-token arrays of one Doc, read once (see `tokens`): each `doc[i]` builds a new Token object,
    each `Span.text` joins its tokens, and `Doc.text` joins them all, every time.

    `text_of(start, end)` equals `doc[start:end].text` (a Span's text is the Doc's text from its
    first token's offset to its last token's end), and `text` equals `doc.text`.
    """

    def __init__(self, doc: Doc) -> None:
        tokens = list(doc)
        self.n = len(tokens)  # no reference to the Doc: it keeps this object in its user_data
        self.texts = [t.text for t in tokens]
        self.lowers = [t.lower_ for t in tokens]
        self.starts = [t.idx for t in tokens]
        self.ends = [start + len(text) for start, text in zip(self.starts, self.texts)]
        self.spaced = [bool(t.whitespace_) for t in tokens]
        self.punct = [t.is_punct for t in tokens]
        self.alpha = [t.is_alpha for t in tokens]
        self.names = [_name_token(t) for t in tokens]
        self.pos = [t.pos_ for t in tokens]
        self.lemmas = [t.lemma_ for t in tokens]
        self.ent_types = [t.ent_type_ for t in tokens]
        self.sent_starts = [t.is_sent_start for t in tokens]
        self.text = "".join([text + " " if spaced else text for text, spaced in zip(self.texts, self.spaced)])

    def text_of(self, start: int, end: int) -> str:
        """Return `doc[start:end].text` for 0 <= start (end is clipped to the Doc, as slicing does)."""
        end = min(end, self.n)
        return self.text[self.starts[start]:self.ends[end - 1]] if start < end else ""


_TOKENS = "kg_tokens"  # Doc.user_data key of the Doc's Tokens


def tokens(doc: Doc) -> Tokens:
    """Return the Doc's token arrays, made at the first call and kept in `doc.user_data`."""
    found = doc.user_data.get(_TOKENS)
    if found is None:
        found = doc.user_data[_TOKENS] = Tokens(doc)
    return found
