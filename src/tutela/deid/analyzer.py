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
from functools import lru_cache
from operator import attrgetter

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.registry import default_recognizers

DEFAULT_THRESHOLD = 0.5
CONTEXT_BOOST = 0.35
CONTEXT_WINDOW = 5  # words on each side of a candidate
_CONTEXT_CHARS = 120  # enough text on each side to hold CONTEXT_WINDOW words
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_START = attrgetter("start")


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
        entities, allow = self._entities, self._allow
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
                if entities is not None and proposed.entity_type not in entities:
                    continue
                score = proposed.score
                if score + CONTEXT_BOOST < floor:
                    continue  # not even context could lift it over the threshold
                found = proposed
                if context and score < 1.0:
                    if in_text is None:
                        in_text = words.anywhere(context)
                    if in_text and words.near(proposed, context):
                        score = min(1.0, score + CONTEXT_BOOST)
                        found = proposed.with_score(score)
                if score < floor:
                    continue
                if allow and text[found.start : found.end].casefold() in allow:
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
        if len(candidates) < 2:
            return candidates
        by_start = sorted(candidates, key=_START)
        if _disjoint(by_start):
            return by_start  # the common case: nothing to resolve
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


def _disjoint(by_start: list[Finding]) -> bool:
    """Whether findings sorted by start are all non-empty and none overlaps the next: then
    `_resolve` keeps every one, and in that order (their starts all differ)."""
    end = -1
    for finding in by_start:
        if finding.start < end or finding.start >= finding.end:
            return False
        end = finding.end
    return True


class _ContextWords:
    """What the recognizers' context checks of one text share: the text case-folded and
    lower-cased once, for the pre-checks that let most texts skip `near`."""

    __slots__ = ("_folded", "_lowered", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._folded: str | None = None
        self._lowered: str | None = None

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
        blank, by_letter = _by_first_letter(context)
        for word in (*_words_before(self._text, found.start), *_words_after(self._text, found.end)):
            folded = word.casefold()
            # Only the context words with the word's first letter can start it: far fewer
            # to try than all of them (a phone number has 28).
            if folded.startswith(by_letter.get(folded[:1], blank)):
                return True
        return False


@lru_cache(maxsize=64)
def _by_first_letter(
    context: tuple[str, ...],
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The empty context words (which start every word), and under each first letter the
    context words starting with it, the empty ones too."""
    blank = tuple(word for word in context if not word)
    letters: dict[str, list[str]] = {}
    for word in context:
        if word:
            letters.setdefault(word[0], []).append(word)
    return blank, {letter: (*words, *blank) for letter, words in letters.items()}


# The words near a finding are first looked for this close to it: a few words fill it, and
# most texts need the check only next to a finding or two, not a whole text's words.
_NEAR_CHARS = 48


def _words_before(text: str, start: int) -> list[str]:
    """The last `CONTEXT_WINDOW` words of the `_CONTEXT_CHARS` before `start`, each cut to
    that stretch (the word pattern has no look-around: those are the whole text's words cut
    to it). Found in the nearest `_NEAR_CHARS` when those hold a word more than needed,
    as then only the first, maybe cut at a different place, differs."""
    words = _WORD.findall(text, max(0, start - _NEAR_CHARS), start)
    if len(words) <= CONTEXT_WINDOW and start > _NEAR_CHARS:
        words = _WORD.findall(text, max(0, start - _CONTEXT_CHARS), start)
    return words[-CONTEXT_WINDOW:]


def _words_after(text: str, end: int) -> list[str]:
    """The first `CONTEXT_WINDOW` words of the `_CONTEXT_CHARS` after `end`, the same way."""
    words = _WORD.findall(text, end, end + _NEAR_CHARS)
    if len(words) <= CONTEXT_WINDOW and end + _NEAR_CHARS < len(text):
        words = _WORD.findall(text, end, end + _CONTEXT_CHARS)
    return words[:CONTEXT_WINDOW]
