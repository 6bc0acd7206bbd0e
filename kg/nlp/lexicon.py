"""The event lexicon: trigger words, cue words and quantity nouns (kg/data/events.json)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def events_lexicon() -> dict:
    """Return the event lexicon (kg/data/events.json), read once."""
    return json.loads(resources.files("kg.data").joinpath("events.json").read_text("utf-8"))
