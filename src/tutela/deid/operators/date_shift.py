"""`date_shift`: move dates by a number of days derived from the key and the subject.

Every date of one subject moves by the same offset (so intervals between them survive), in
±`max_days` and never 0; another subject, or another recipient's key, gets an unrelated
offset. The date is written back in its own format (``05/03/2024`` stays ``DD/MM/YYYY``).
Without a subject (free text) one offset per key applies. A value that is not a date in a
form understood becomes ``<ENTITY_TYPE>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from pydantic import Field

from tutela.core.crypto import KeyedMac
from tutela.core.crypto.deterministic import subkey
from tutela.deid.operators import _dates
from tutela.deid.operators._spec import OperatorType, Options


class DateShiftOptions(Options):
    """`subject_column`: for tables, the column whose value names the subject of a row."""

    max_days: int = Field(30, ge=1, le=3650)
    day_first: bool = True
    subject_column: str | None = Field(None, min_length=1, max_length=200)


@runtime_checkable
class SubjectAware(Protocol):
    """An operator whose output depends on whose value it is (a table row's subject)."""

    subject_column: str | None

    def apply_for(self, value: str, entity_type: str, subject: str) -> str: ...


class DateShift:
    name = "date_shift"

    def __init__(self, options: DateShiftOptions, key: bytes) -> None:
        self.max_days = options.max_days
        self.day_first = options.day_first
        self.subject_column = options.subject_column
        self._mac = KeyedMac(subkey(key, "date_shift"))

    def offset(self, subject: str) -> int:
        """Days to move this subject's dates: in [-max_days, -1] or [1, max_days]."""
        digest = self._mac.digest(" ".join(subject.split()).encode("utf-8"))
        n = int.from_bytes(digest[:8], "big") % (2 * self.max_days)
        return n - self.max_days if n < self.max_days else n - self.max_days + 1

    def apply(self, value: str, entity_type: str) -> str:
        return self.apply_for(value, entity_type, "")

    def apply_for(self, value: str, entity_type: str, subject: str) -> str:
        written = _dates.parse(value, day_first=self.day_first)
        if written is None:
            return f"<{entity_type}>"
        try:
            moved = written.date + dt.timedelta(days=self.offset(subject))
        except OverflowError:
            return f"<{entity_type}>"
        return written.render(moved)


TYPE = OperatorType("date_shift", DateShiftOptions, DateShift, keyed=True)
