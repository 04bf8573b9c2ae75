"""Run recognizers over text: context raises scores, a threshold drops weak candidates,
overlaps are resolved, allow- and deny-lists applied.

Overlaps: of two overlapping findings the higher score wins, then the longer span, then the
recognizer listed first; a finding wholly inside a kept one of the same type is dropped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.registry import default_recognizers

DEFAULT_THRESHOLD = 0.5
CONTEXT_BOOST = 0.35
CONTEXT_WINDOW = 5  # words on each side of a candidate
_CONTEXT_CHARS = 120  # enough text on each side to hold CONTEXT_WINDOW words
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class DenyTerm:
    """A term always reported as `entity_type` (e.g. a project code name)."""

    term: str
    entity_type: str


@dataclass
class Analyzer:
    """Finds personal data in text.

    Args:
        recognizers: default: every registered recognizer.
        threshold: findings scoring below it are dropped.
        allow: exact values never reported (compared case-insensitively), e.g. the
            business's own support address.
        deny: terms always reported.
        entities: report only these types (default: all).
    """

    recognizers: Sequence[Recognizer] = field(default_factory=default_recognizers)
    threshold: float = DEFAULT_THRESHOLD
    allow: Iterable[str] = ()
    deny: Iterable[DenyTerm] = ()
    entities: Iterable[str] | None = None

    def __post_init__(self) -> None:
        self._allow = {a.casefold() for a in self.allow}
        self._deny = [
            (re.compile(rf"(?<!\w){re.escape(d.term)}(?!\w)", re.IGNORECASE), d.entity_type)
            for d in self.deny
        ]
        self._entities = set(self.entities) if self.entities is not None else None
        self._order = {r.name: i for i, r in enumerate(self.recognizers)}
        self._cues = {
            r.name: re.compile(
                r"(?<![^\W_])(?:" + "|".join(map(re.escape, r.context)) + ")", re.IGNORECASE
            )
            for r in self.recognizers
            if r.context
        }

    @property
    def supported(self) -> list[str]:
        return sorted({e for r in self.recognizers for e in r.entities})

    def analyze(self, text: str, *, threshold: float | None = None) -> list[Finding]:
        """Findings in `text`, sorted by start offset, none overlapping."""
        floor = self.threshold if threshold is None else threshold
        candidates: list[Finding] = []
        words = _ContextWords(text)
        for recognizer in self.recognizers:
            context = recognizer.context
            if recognizer.max_score < floor and (
                recognizer.max_score + CONTEXT_BOOST < floor
                or not (context and self._cued(text, words, recognizer))
            ):
                continue  # nothing it finds could count here
            in_text: bool | None = None  # whether a context word is anywhere in the text
            for proposed in recognizer.find(text):
                if self._entities is not None and proposed.entity_type not in self._entities:
                    continue
                if proposed.score + CONTEXT_BOOST < floor:
                    continue  # not even context could lift it over the threshold
                found = proposed
                if context and found.score < 1.0:
                    if in_text is None:
                        in_text = words.anywhere(context)
                    if in_text and words.near(found, context):
                        found = found.with_score(min(1.0, found.score + CONTEXT_BOOST))
                if found.score < floor:
                    continue
                if self._allow and text[found.start : found.end].casefold() in self._allow:
                    continue
                candidates.append(found)
        for regex, entity in self._deny:
            candidates.extend(
                Finding(entity, m.start(), m.end(), 1.0, "deny_list") for m in regex.finditer(text)
            )
        return self._resolve(candidates)

    def _cued(self, text: str, words: _ContextWords, recognizer: Recognizer) -> bool:
        """Whether one of the recognizer's context words starts a word of `text`."""
        if not words.maybe_cued(recognizer.context):
            return False
        return self._cues[recognizer.name].search(text) is not None

    def _resolve(self, candidates: list[Finding]) -> list[Finding]:
        order = self._order
        ranked = sorted(
            candidates,
            key=lambda f: (-f.score, f.start - f.end, order.get(f.recognizer, -1), f.start),
        )
        # Kept spans never overlap, so sorted by start they are sorted by end too: a
        # candidate need only be checked against its two neighbours.
        starts: list[int] = []
        kept: list[Finding] = []
        for finding in ranked:
            at = bisect.bisect_right(starts, finding.start)
            if at > 0 and kept[at - 1].end > finding.start:
                continue
            if at < len(kept) and kept[at].start < finding.end:
                continue
            starts.insert(at, finding.start)
            kept.insert(at, finding)
        return kept


class _ContextWords:
    """The words of one text, found once and shared by every recognizer's context check.

    `near` gives the same answer as looking for words in the text within
    `_CONTEXT_CHARS` of the finding: the words of a stretch of text are the words of the
    whole text cut to that stretch (the word pattern has no look-around).
    """

    __slots__ = ("_ends", "_folded", "_lowered", "_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._folded: str | None = None
        self._lowered: str | None = None
        self._starts: list[int] | None = None  # the words' offsets, found on first use
        self._ends: list[int] = []

    def anywhere(self, context: tuple[str, ...]) -> bool:
        """Whether a context word occurs anywhere in the case-folded text: a necessary
        condition for `near` (case folding works character by character)."""
        if self._folded is None:
            self._folded = self._text.casefold()
        folded = self._folded
        return any(word in folded for word in context)

    def maybe_cued(self, context: tuple[str, ...]) -> bool:
        """False only if the analyzer's cue regex cannot match: no context word is in the
        text lower-cased as the regex engine compares characters (one for one: capital I
        with dot to "i"; dotless i and long s, which it takes for "i" and "s", replaced)."""
        if self._lowered is None:
            text = self._text
            if text.isascii():
                self._lowered = text.lower()
            else:
                lowered = text.replace("\u0130", "i").lower()
                self._lowered = lowered.replace("\u0131", "i").replace("\u017f", "s")
        lowered = self._lowered
        return any(word in lowered for word in context)

    def near(self, found: Finding, context: tuple[str, ...]) -> bool:
        """Whether one of the context words (or a word starting with one) is within
        `CONTEXT_WINDOW` words of the finding, looking only at the text around it."""
        if self._starts is None:
            spans = [word.span() for word in _WORD.finditer(self._text)]
            self._starts = [start for start, _ in spans]
            self._ends = [end for _, end in spans]
        text, starts, ends = self._text, self._starts, self._ends
        low, high = max(0, found.start - _CONTEXT_CHARS), found.end + _CONTEXT_CHARS
        # Before: the last words starting before the finding and ending inside the window.
        last = bisect.bisect_left(starts, found.start)
        for i in range(last - 1, max(last - CONTEXT_WINDOW, 0) - 1, -1):
            if ends[i] <= low:
                break
            word = text[max(starts[i], low) : min(ends[i], found.start)]
            if word.casefold().startswith(context):
                return True
        # After: the first words ending after the finding and starting inside the window.
        first = bisect.bisect_right(ends, found.end)
        for i in range(first, min(first + CONTEXT_WINDOW, len(starts))):
            if starts[i] >= high:
                break
            word = text[max(starts[i], found.end) : min(ends[i], high)]
            if word.casefold().startswith(context):
                return True
        return False
