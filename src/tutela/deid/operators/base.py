"""The operator contract."""

from __future__ import annotations

from typing import Protocol


class OperatorSpecError(ValueError):
    """A policy entry names an unknown operator or gives it a bad option (the message names
    the entry and the option, never a value). `location` is where (``entities.PHONE_NUMBER
    .keep_last``), `reason` what is wrong there."""

    def __init__(self, location: str, reason: str | None = None) -> None:
        if reason is None:  # one argument: the whole message
            location, reason = "", location
        self.location, self.reason = location, reason
        super().__init__(f"{location}: {reason}" if location else reason)


class Operator(Protocol):
    """Turns one found value into its de-identified form.

    `apply` is called once per value (a span of text, or a table cell); `entity_type` is the
    type it was found as (or the column's type). Operators with keys are deterministic for a
    given key, so the same input gives the same output across a file, a table and runs.
    """

    name: str

    def apply(self, value: str, entity_type: str) -> str: ...
