"""What a recognizer reports: a typed span of text with a confidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """`text[start:end]` looks like `entity_type`, with `score` in [0, 1].

    Offsets are Python string indices (characters, not bytes). A finding never holds the
    matched text itself, so it can be logged or returned without the personal value.
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str

    def __len__(self) -> int:
        return self.end - self.start

    def with_score(self, score: float) -> Finding:
        return Finding(self.entity_type, self.start, self.end, score, self.recognizer)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
        }
