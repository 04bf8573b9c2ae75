"""When a data-subject request must be answered, by the law that applies to the customer.

GDPR Art. 12(3): within one month of receipt, extendable by two further months. A period in
months ends on the same date of the last month, or on that month's last day when it has no
such date (Regulation 1182/71, Art. 3(2)(c)): received 31 January → due 28 (or 29) February.
CCPA (Cal. Civ. Code § 1798.130, 11 CCR § 7021): 45 calendar days, extendable once by 45;
receipt confirmed within 10 business days.

Deadlines are the end of the due day in UTC: a request is late only once that day is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class Regime(StrEnum):
    GDPR = "gdpr"
    CCPA = "ccpa"


@dataclass(frozen=True)
class Deadlines:
    """The dates a request is held to."""

    regime: Regime
    received: datetime
    due: date  # the answer is late after this day
    latest_extension: date  # the furthest an extension may move `due`
    acknowledge_by: date | None  # CCPA: confirm receipt by this day
    tell_extension_by: date  # an extension must be announced before the first period ends


def regime_for(jurisdiction: str | None) -> Regime:
    """`US-CA` (or `US`) → CCPA; everything else, including unknown, → GDPR (the stricter
    clock of the two)."""
    code = (jurisdiction or "").upper()
    return Regime.CCPA if code in {"US", "US-CA"} else Regime.GDPR


def deadlines(regime: Regime, received: datetime) -> Deadlines:
    """The deadlines of a request received at `received` (any time zone; counted in UTC)."""
    day = received.astimezone(UTC).date()
    if regime is Regime.GDPR:
        due = day + relativedelta(months=1)
        return Deadlines(
            regime, received, due, day + relativedelta(months=3), None, tell_extension_by=due
        )
    due = day + timedelta(days=45)
    return Deadlines(
        regime,
        received,
        due,
        due + timedelta(days=45),
        add_business_days(day, 10),
        tell_extension_by=due,
    )


def end_of(day: date) -> datetime:
    """The last moment of `day` in UTC."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def add_business_days(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`."""
    current, left = start, days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current
