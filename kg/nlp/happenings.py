"""One event per happening: merge the repeated mentions of an article's events.

News repeats itself: the lead, a quote and a later paragraph all report the
same attack, often naming the actor once ("the Taliban attacked the city") and
then not ("fighting was still raging in the city"), or dating it once ("on
Sunday") and then loosely ("this weekend"). Two events are one happening when
they have the same type, place and claim status, their actors do not disagree
(equal, or one unnamed), and their dates do not disagree (equal, one undated or
dated only by the article, or one contained in the other: 2021-08 ⊃ 2021-08-08).
The merged event keeps the first mention's evidence and takes the most
informative value of each role from either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from kg.model import Event, Mention

__all__ = ["merge_events"]

_SYMMETRIC = {"Negotiation", "Agreement", "Ceasefire"}  # the parties, not who is named first, make the event


def _name(mention: Mention | None) -> str | None:
    return None if mention is None else (mention.gazetteer_id or mention.canonical or mention.text)


def _dates_agree(first: Event, other: Event) -> bool:
    if not (first.date_text and other.date_text) or not (first.date and other.date):
        return True
    return first.date.startswith(other.date) or other.date.startswith(first.date)


def _parties_agree(first: Event, other: Event) -> bool:
    if first.type in _SYMMETRIC:  # "a deal Washington signed with the Taliban" ... "after negotiating the deal"
        ours = {_name(first.agent), _name(first.target)} - {None}
        theirs = {_name(other.agent), _name(other.target)} - {None}
        return not ours or not theirs or ours <= theirs or theirs <= ours
    return len({_name(first.agent), _name(other.agent)} - {None}) <= 1


def _same(first: Event, other: Event) -> bool:
    if (first.type, first.status, _name(first.place)) != (other.type, other.status, _name(other.place)):
        return False
    return _parties_agree(first, other) and _dates_agree(first, other)


def _placed(event: Event, events: list[Event]) -> int | None:
    """Return the index of the placed event a placeless, undated mention repeats ("the militants are
    negotiating with the government" after "talks began in Doha"), or None."""
    if event.place is not None or event.date_text:
        return None
    return next((i for i, o in enumerate(events) if o.place is not None and o.type == event.type
                 and o.status == event.status and _parties_agree(o, event)), None)


def _dated(first: Event, other: Event) -> Event:
    """Return whichever of two agreeing events has the more specific own date."""
    if not first.date_text:
        return other if other.date_text else first
    if other.date_text and other.date and first.date and len(other.date) > len(first.date):
        return other
    return first


def _joined(first: Event, other: Event) -> Event:
    when = _dated(first, other)
    return replace(
        first,
        agent=first.agent or other.agent,
        target=first.target or other.target,
        quantities=first.quantities or other.quantities,
        attributed_to=first.attributed_to or other.attributed_to,
        date=when.date, date_precision=when.date_precision, date_text=when.date_text,
    )


def merge_events(events: Iterable[Event]) -> list[Event]:
    """Return the events with repeated mentions of one happening merged, in first-mention order."""
    kept: list[Event] = []
    for event in events:
        for index, first in enumerate(kept):
            if _same(first, event):
                kept[index] = _joined(first, event)
                break
        else:
            kept.append(event)
    absorbed: set[int] = set()
    for index, event in enumerate(kept):
        placed = _placed(event, kept)
        if placed is not None:
            kept[placed] = _joined(kept[placed], event)
            absorbed.add(index)
    return [event for index, event in enumerate(kept) if index not in absorbed]
