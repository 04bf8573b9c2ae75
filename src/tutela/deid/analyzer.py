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
        for recognizer in self.recognizers:
            context = recognizer.context
            if recognizer.max_score < floor and (
                recognizer.max_score + CONTEXT_BOOST < floor
                or not (context and self._cues[recognizer.name].search(text))
            ):
                continue  # nothing it finds could count here
            for proposed in recognizer.find(text):
                if self._entities is not None and proposed.entity_type not in self._entities:
                    continue
                if proposed.score + CONTEXT_BOOST < floor:
                    continue  # not even context could lift it over the threshold
                found = proposed
                if context and found.score < 1.0 and _near(text, found, context):
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


def _near(text: str, found: Finding, context: tuple[str, ...]) -> bool:
    """Whether one of the context words (or a word starting with one) is within
    `CONTEXT_WINDOW` words of the finding (looking only at the text around it)."""
    before = _WORD.findall(text, max(0, found.start - _CONTEXT_CHARS), found.start)
    after = _WORD.findall(text, found.end, found.end + _CONTEXT_CHARS)
    return any(
        w.casefold().startswith(context)
        for w in (*before[-CONTEXT_WINDOW:], *after[:CONTEXT_WINDOW])
    )
