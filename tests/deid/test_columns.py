"""Column classification: header hints, value evidence, and how the two combine."""

from __future__ import annotations

import pytest

from tutela.deid import Analyzer
from tutela.deid.columns import (
    HEADER_EXACT,
    HEADER_PARTIAL,
    UNCONFIRMED,
    ColumnKind,
    classify,
    header_type,
)

ANALYZER = Analyzer()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("email", ("EMAIL_ADDRESS", HEADER_EXACT)),
        ("E-Mail", ("EMAIL_ADDRESS", HEADER_EXACT)),
        ("customerEmail", ("EMAIL_ADDRESS", HEADER_PARTIAL)),
        ("email_address", ("EMAIL_ADDRESS", HEADER_PARTIAL)),
        ("ip_address", ("IP_ADDRESS", HEADER_EXACT)),
        ("Tel", ("PHONE_NUMBER", HEADER_EXACT)),
        ("mobile_number", ("PHONE_NUMBER", HEADER_PARTIAL)),
        ("IBAN", ("IBAN_CODE", HEADER_EXACT)),
        ("SSN", ("US_SSN", HEADER_EXACT)),
        ("DOB", ("DATE_OF_BIRTH", HEADER_EXACT)),
        ("date_of_birth", ("DATE_OF_BIRTH", HEADER_PARTIAL)),
        ("first_name", ("PERSON", HEADER_EXACT)),
        ("Surname", ("PERSON", HEADER_EXACT)),
        ("customer name", ("PERSON", HEADER_PARTIAL)),
        ("billingStreet", ("ADDRESS", HEADER_PARTIAL)),
        ("zip", ("POSTCODE", HEADER_EXACT)),
        ("Postal Code", ("POSTCODE", HEADER_EXACT)),
        ("card_number", ("CREDIT_CARD", HEADER_EXACT)),
        ("company_name", None),
        ("filename", None),
        ("amount", None),
        ("shipping", None),  # "ip" only as a word of its own
        ("", None),
    ],
)
def test_header_hints(header: str, expected: tuple[str, float] | None) -> None:
    assert header_type(header) == expected


def test_values_alone_classify_a_column_with_an_opaque_header() -> None:
    values = [f"user{i}@shop.example" for i in range(40)]

    report = classify("col_7", values, ANALYZER)

    assert (report.kind, report.entity_type) == (ColumnKind.PII, "EMAIL_ADDRESS")
    assert report.confidence == report.share == 1.0
    assert report.header_type is None


def test_header_and_values_agreeing_reinforce_each_other() -> None:
    values = [f"+44 7400 {i:06d}" for i in range(40)] + ["unknown"] * 10

    report = classify("phone", values, ANALYZER)

    assert report.entity_type == "PHONE_NUMBER"
    assert report.share == pytest.approx(0.8)
    assert report.confidence == pytest.approx(1 - (1 - HEADER_EXACT) * (1 - 0.8))


def test_a_date_of_birth_is_confirmed_by_dates_under_its_header() -> None:
    values = [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}" for i in range(40)]

    report = classify("dob", values, ANALYZER)

    assert (report.entity_type, report.value_type) == ("DATE_OF_BIRTH", "DATE_TIME")
    assert report.confidence > 0.95
    assert classify("created_at", values, ANALYZER).kind is ColumnKind.NONE


def test_a_header_the_values_contradict_loses_weight() -> None:
    values = ["visa", "mastercard", "amex", "maestro"] * 10

    report = classify("card_type", values, ANALYZER)

    assert report.kind is ColumnKind.NONE  # partial header, unconfirmed: under the bar
    assert HEADER_PARTIAL * UNCONFIRMED < 0.5 <= HEADER_EXACT * UNCONFIRMED


def test_prose_with_personal_data_inside_is_free_text() -> None:
    values = [
        f"Customer wrote from user{i}@shop.example about a late parcel, please call back."
        for i in range(10)
    ] + ["Asked about delivery times for the spring collection, nothing else."] * 30

    report = classify("notes", values, ANALYZER)

    assert report.kind is ColumnKind.FREE_TEXT
    assert report.contains == ("EMAIL_ADDRESS",)
    assert report.share == pytest.approx(0.25)
    assert report.label == "free text containing EMAIL_ADDRESS"


def test_reports_never_hold_a_value() -> None:
    values = [f"canary{i}@leak.example" for i in range(20)]

    report = classify("email", values, ANALYZER)

    assert "canary" not in repr(report) and "canary" not in str(report.as_dict())
