"""A labelled text (`Sample`), its labels (`Span`), and the builder that records each label's
offsets while the text is being concatenated — never by searching the finished text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """`text[start:end]` is a value of `entity_type` (for a hard negative: of that kind)."""

    entity_type: str
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return {"entity_type": self.entity_type, "start": self.start, "end": self.end}

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class Sample:
    """One evaluation text with every personal value in it labelled.

    Attributes:
        text: the text.
        spans: every personal value inserted, sorted by offset, none overlapping.
        negatives: values that look like personal data and are not (order numbers, UUIDs …),
            by kind; a detector should report none of them.
        locale: the Faker locale the values come from (e.g. "de_DE").
        style: the kind of message ("email", "log_line" …).
    """

    text: str
    spans: list[Span]
    negatives: list[Span] = field(default_factory=list)
    locale: str = ""
    style: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "locale": self.locale,
            "style": self.style,
            "spans": [s.as_dict() for s in self.spans],
            "negatives": [s.as_dict() for s in self.negatives],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        return cls(
            text=data["text"],
            spans=[Span(**s) for s in data.get("spans", ())],
            negatives=[Span(**s) for s in data.get("negatives", ())],
            locale=data.get("locale", ""),
            style=data.get("style", ""),
        )


class Builder:
    """Concatenates pieces of text, recording where each labelled value lands."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._spans: list[Span] = []
        self._negatives: list[Span] = []

    def text(self, piece: str) -> None:
        self._parts.append(piece)
        self._length += len(piece)

    def value(self, entity_type: str, piece: str, *, negative: bool = False) -> None:
        """Append a value and label it (as a hard negative if `negative`)."""
        if not piece or piece != piece.strip():
            raise ValueError(f"{entity_type} value is empty or has surrounding whitespace")
        start = self._length
        self.text(piece)
        (self._negatives if negative else self._spans).append(
            Span(entity_type, start, self._length)
        )

    def build(self, *, locale: str, style: str) -> Sample:
        return Sample("".join(self._parts), self._spans, self._negatives, locale, style)
