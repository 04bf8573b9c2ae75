"""The recognizer contract and the pattern recognizer most recognizers are.

A recognizer proposes candidate spans with a base score. The analyzer then raises the score
of candidates with one of the recognizer's context words nearby ("card", "IBAN", "born"),
drops those under the threshold, and resolves overlaps.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from tutela.deid._digits import matches_at_numbers
from tutela.deid.findings import Finding


class Recognizer(ABC):
    """Finds one or more entity types in text.

    Attributes:
        name: unique, shown in findings (e.g. "credit_card").
        entities: the entity types it can report.
        context: lower-case words that, found near a candidate, raise its score.
    """

    name: str
    entities: tuple[str, ...]
    context: tuple[str, ...] = ()
    # The highest base score `find` gives. Under the threshold, only context can make a
    # finding count, so the analyzer skips the recognizer on texts without a context word.
    max_score: float = 1.0

    @abstractmethod
    def find(self, text: str) -> Iterator[Finding]:
        """Candidate findings with their base scores (before context)."""


Validator = Callable[[str], bool]


@dataclass(frozen=True)
class Pattern:
    """A regular expression and the score of a match that passes validation.

    `digits`: if set, the regex matches only where a digit that no word character precedes
    starts at least this many digits (joined, if at all, by single spaces, dots or
    dashes). It is then tried at such places only, not searched for across the text:
    much cheaper, with the same matches (see `tutela.deid._digits`).
    """

    name: str
    regex: str
    score: float
    flags: int = 0
    digits: int = 0


class PatternRecognizer(Recognizer):
    """Regex candidates, each kept only if `validate` accepts its text (checksums, ranges).

    Subclasses set `name`, `entity`, `patterns`, `context`, and override `validate` (and
    `span` to trim a match) where needed.
    """

    entity: str
    patterns: Sequence[Pattern] = ()
    # A string every match contains (e.g. "@"): texts without it are skipped unscanned.
    requires: str | None = None

    def __init__(self) -> None:
        self.entities = (self.entity,)
        self._compiled = [(p, re.compile(p.regex, p.flags)) for p in self.patterns]
        self.max_score = max((p.score for p in self.patterns), default=1.0)

    def validate(self, candidate: str) -> bool:
        """Whether the matched text really is the entity (default: accept)."""
        return True

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        """The span to report for a match (default: the whole match, or group "e")."""
        if "e" in match.re.groupindex:
            return match.span("e")
        return match.span()

    def find(self, text: str) -> Iterator[Finding]:
        if self.requires is not None and self.requires not in text:
            return
        for pattern, regex in self._compiled:
            if pattern.digits:
                matches = matches_at_numbers(regex, text, pattern.digits)
            else:
                matches = regex.finditer(text)
            for match in matches:
                start, end = self.span(match)
                if start < end and self.validate(text[start:end]):
                    yield Finding(self.entity, start, end, pattern.score, self.name)
