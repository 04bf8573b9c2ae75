"""Optional named-entity recognition: PERSON and LOCATION from a spaCy model (`ner: true`).

Needs the `ner` extra (``pip install 'tutela[ner]'``) and a spaCy pipeline installed as a
package (``python -m spacy download en_core_web_sm``). Nothing is ever downloaded here: if
either is missing, asking for it is a clear error, and not asking costs nothing (spaCy is
imported only when a policy turns NER on).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from typing import Any

from tutela.deid.errors import NerUnavailable
from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer

DEFAULT_MODEL = "en_core_web_sm"
# spaCy labels (OntoNotes and WikiNER schemes) and the entity type each becomes.
LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
}


class NerRecognizer(Recognizer):
    """Entities from a spaCy pipeline's `ner` component, each with one score."""

    name = "ner"
    entities = ("PERSON", "LOCATION")
    SCORE = 0.85

    def __init__(self, model: str = DEFAULT_MODEL, *, nlp: Any = None) -> None:
        self.model = model
        self._nlp = nlp if nlp is not None else load(model)

    def find(self, text: str) -> Iterator[Finding]:
        for entity in self._nlp(text).ents:
            kind = LABELS.get(entity.label_)
            if kind is not None and entity.start_char < entity.end_char:
                yield Finding(kind, entity.start_char, entity.end_char, self.SCORE, self.name)


@functools.cache
def load(model: str = DEFAULT_MODEL) -> Any:
    """A spaCy pipeline with only what NER needs (loaded once per process and model).

    Raises:
        NerUnavailable: spaCy or the model package is not installed (never downloaded).
    """
    try:
        spacy = importlib.import_module("spacy")
    except ImportError:
        raise NerUnavailable(
            "needs spaCy: install the extra with pip install 'tutela[ner]'"
        ) from None
    try:
        return spacy.load(model, disable=["parser", "lemmatizer", "textcat"])
    except (OSError, ImportError):
        raise NerUnavailable(
            f"spaCy model '{model}' is not installed: run python -m spacy download {model} "
            "(Tutela never downloads models itself)"
        ) from None


def available(model: str = DEFAULT_MODEL) -> bool:
    """Whether `NerRecognizer(model)` would load (without loading it)."""
    try:
        importlib.import_module("spacy")
        util = importlib.import_module("spacy.util")
    except ImportError:
        return False
    return bool(util.is_package(model))
