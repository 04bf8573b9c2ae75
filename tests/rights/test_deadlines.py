"""Legal deadlines of data-subject requests: GDPR calendar months (Regulation 1182/71), CCPA
days and business days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutela.rights.deadlines import (
    Regime,
    add_business_days,
    deadlines,
    end_of,
    regime_for,
)


def at(day: str, clock: str = "10:00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}+00:00")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-01-31", "2026-02-28"),  # no 31 February: the month's last day
        ("2028-01-31", "2028-02-29"),  # leap year
        ("2026-01-30", "2026-02-28"),
        ("2026-03-31", "2026-04-30"),
        ("2026-02-28", "2026-03-28"),  # same date of the next month, not its last day
        ("2026-12-15", "2027-01-15"),  # across the year end
    ],
)
def test_gdpr_due_is_one_calendar_month_later(received: str, due: str) -> None:
    assert deadlines(Regime.GDPR, at(received)).due == date.fromisoformat(due)


def test_gdpr_extension_reaches_three_months_and_must_be_told_in_the_first() -> None:
    d = deadlines(Regime.GDPR, at("2026-01-31"))
    assert d.latest_extension == date(2026, 4, 30)
    assert d.tell_extension_by == d.due
    assert d.acknowledge_by is None


def test_ccpa_is_45_days_extendable_once_and_acknowledged_in_10_business_days() -> None:
    d = deadlines(Regime.CCPA, at("2026-11-27"))  # a Friday
    assert d.due == date(2027, 1, 11)
    assert d.latest_extension == date(2027, 2, 25)
    assert d.acknowledge_by == date(2026, 12, 11)  # two working weeks, weekends skipped


def test_the_day_is_counted_in_utc() -> None:
    late_in_new_york = datetime.fromisoformat("2026-01-30T23:30:00-05:00")  # 31 Jan in UTC
    assert deadlines(Regime.GDPR, late_in_new_york).due == date(2026, 2, 28)


def test_a_request_is_late_only_after_its_due_day() -> None:
    due = deadlines(Regime.GDPR, at("2026-01-31")).due
    assert end_of(due) > at("2026-02-28", "23:59:59")
    assert end_of(due) < at("2026-03-01", "00:00:00")


@pytest.mark.parametrize(
    ("jurisdiction", "regime"),
    [
        ("US-CA", Regime.CCPA),
        ("us", Regime.CCPA),
        ("GB", Regime.GDPR),
        ("DE", Regime.GDPR),
        (None, Regime.GDPR),
        ("", Regime.GDPR),
    ],
)
def test_the_regime_follows_the_jurisdiction(jurisdiction: str | None, regime: Regime) -> None:
    assert regime_for(jurisdiction) is regime


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_gdpr_due_falls_28_to_31_days_after_receipt(received: datetime) -> None:
    d = deadlines(Regime.GDPR, received.replace(tzinfo=UTC))
    assert 28 <= (d.due - received.date()).days <= 31
    assert d.due.day == received.day or d.due.month != (d.due + timedelta(days=1)).month


@given(st.dates(), st.integers(min_value=0, max_value=60))
def test_business_days_skip_weekends(start: date, days: int) -> None:
    end = add_business_days(start, days)
    span = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(d.weekday() < 5 for d in span) == days
    assert days == 0 or end.weekday() < 5
