"""The de-identification operators: properties that hold for any value (Hypothesis), the
formats they keep, and how bad entries are refused (naming the option, never a value)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tutela.core.crypto.deterministic import recipient_key
from tutela.deid.errors import KeyRequired
from tutela.deid.keys import MasterKey, NoKey
from tutela.deid.operators import Encrypt, Operator, OperatorSpecError, build, names
from tutela.deid.operators.date_shift import DateShift
from tutela.deid.operators.fake import luhn_digit
from tutela.errors import DecryptionFailed

KEY_A = MasterKey(b"a" * 64)
KEY_B = MasterKey(b"b" * 64)
TEXT = st.text(min_size=1, max_size=60)
EMAIL = st.from_regex(r"[a-z][a-z0-9.]{0,15}@[a-z]{1,10}\.(com|org|net)", fullmatch=True)


def op(spec: dict[str, Any], keys: Any = KEY_A, recipient: str = "default") -> Operator:
    return build(spec, keys=keys, recipient=recipient)


def luhn_valid(number: str) -> bool:
    digits = [c for c in number if c.isdigit()]
    return luhn_digit(digits[:-1]) == digits[-1]


def shape(value: str) -> str:
    """Digits as 9, everything else as itself."""
    return re.sub(r"\d", "9", value)


# -- pseudonymize -----------------------------------------------------------------------------


@given(value=TEXT, entity=st.sampled_from(["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"]))
def test_pseudonyms_are_stable_within_a_key_and_differ_across_keys(value: str, entity: str) -> None:
    a1 = op({"operator": "pseudonymize"}).apply(value, entity)
    a2 = op({"operator": "pseudonymize"}).apply(value, entity)
    b = op({"operator": "pseudonymize"}, KEY_B).apply(value, entity)
    other_recipient = op({"operator": "pseudonymize"}, recipient="partner").apply(value, entity)
    assert a1 == a2
    assert a1 != b
    assert a1 != other_recipient
    assert re.fullmatch(rf"{entity}_[0-9a-f]{{16}}", a1)


@given(email=EMAIL)
def test_emails_are_normalised_before_pseudonymizing(email: str) -> None:
    pseudonymize = op({"operator": "pseudonymize"})
    spelled_otherwise = f"  {email.upper()} "
    assert pseudonymize.apply(email, "EMAIL_ADDRESS") == pseudonymize.apply(
        spelled_otherwise, "EMAIL_ADDRESS"
    )


@given(a=EMAIL, b=EMAIL)
def test_different_values_get_different_pseudonyms(a: str, b: str) -> None:
    assume(a.casefold() != b.casefold())
    pseudonymize = op({"operator": "pseudonymize"})
    assert pseudonymize.apply(a, "EMAIL_ADDRESS") != pseudonymize.apply(b, "EMAIL_ADDRESS")


def test_pseudonym_length_and_prefix_are_options() -> None:
    token = op({"operator": "pseudonymize", "length": 8, "prefix": "cust"}).apply("x", "PERSON")
    assert re.fullmatch(r"cust_[0-9a-f]{8}", token)
    assert re.fullmatch(
        r"[0-9a-f]{8}", op({"operator": "pseudonymize", "length": 8, "prefix": ""}).apply("x", "P")
    )


def test_recipient_keys_come_from_the_master_by_hkdf() -> None:
    assert KEY_A.key("analytics") == recipient_key(b"a" * 64, "analytics")
    assert KEY_A.key("analytics") != KEY_A.key("partner")
    assert len(KEY_A.key("analytics")) == 64


# -- encrypt ----------------------------------------------------------------------------------


@given(value=TEXT)
def test_encrypt_round_trips_and_is_deterministic(value: str) -> None:
    encrypt = op({"operator": "encrypt"})
    assert isinstance(encrypt, Encrypt)
    token = encrypt.apply(value, "PERSON")
    assert token.startswith("enc:v1:")
    assert re.fullmatch(r"enc:v1:[A-Za-z0-9_-]+", token)
    assert encrypt.apply(value, "PERSON") == token
    assert encrypt.decrypt(token) == value


@given(value=TEXT)
def test_an_encrypt_token_opens_only_with_its_key(value: str) -> None:
    token = op({"operator": "encrypt"}).apply(value, "PERSON")
    other = op({"operator": "encrypt"}, KEY_B)
    assert isinstance(other, Encrypt)
    with pytest.raises(DecryptionFailed):
        other.decrypt(token)


def test_an_altered_token_fails_as_one_opaque_error() -> None:
    encrypt = op({"operator": "encrypt"})
    assert isinstance(encrypt, Encrypt)
    token = encrypt.apply("Ada Lovelace", "PERSON")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (flipped, token[:-6], "enc:v1:", "enc:v1:!!!", "not a token"):
        with pytest.raises(DecryptionFailed) as caught:
            encrypt.decrypt(bad)
        assert str(caught.value) == "decryption failed"


# -- fake -------------------------------------------------------------------------------------

PHONE = st.from_regex(
    r"\+44 7[0-9]{3} [0-9]{6}|0[0-9]{3}-[0-9]{3}-[0-9]{4}|\([0-9]{3}\) [0-9]{3}-[0-9]{4}",
    fullmatch=True,
)
CARD_PREFIX = st.sampled_from(["4", "51", "55", "34", "37", "6011", "2221", "3530", "65"])


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix = draw(CARD_PREFIX)
    length = 15 if prefix in {"34", "37"} else 16
    body = list(prefix) + [str(draw(st.integers(0, 9))) for _ in range(length - len(prefix) - 1)]
    digits = "".join([*body, luhn_digit(body)])
    separator = draw(st.sampled_from(["", " ", "-"]))
    groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    return separator.join(groups)


FAKE = op({"operator": "fake"})
FAKE_GB = op({"operator": "fake", "locale": "en_GB"})
FAKE_GB_AGAIN = op({"operator": "fake", "locale": "en_GB"})


@given(value=TEXT, entity=st.sampled_from(["PERSON", "EMAIL_ADDRESS", "ADDRESS", "CUSTOM_ID"]))
@settings(max_examples=50, deadline=None)
def test_fakes_are_consistent_per_value_and_key(value: str, entity: str) -> None:
    first = FAKE_GB.apply(value, entity)
    assert FAKE_GB.apply(value, entity) == first
    assert FAKE_GB_AGAIN.apply(value, entity) == first


def test_fakes_differ_across_keys_and_follow_the_email_normalisation() -> None:
    a = op({"operator": "fake"})
    b = op({"operator": "fake"}, KEY_B)
    values = [f"person{n}@shop.example" for n in range(20)]
    assert [a.apply(v, "EMAIL_ADDRESS") for v in values] != [
        b.apply(v, "EMAIL_ADDRESS") for v in values
    ]
    assert a.apply("Ada@X.com", "EMAIL_ADDRESS") == a.apply("ada@x.com", "EMAIL_ADDRESS")
    fake_email = a.apply("ada@x.com", "EMAIL_ADDRESS")
    assert re.fullmatch(r"[^@\s]+@example\.(com|org|net)", fake_email)


@given(phone=PHONE)
@settings(max_examples=60, deadline=None)
def test_fake_phones_keep_digit_count_separators_and_country_code(phone: str) -> None:
    fake = FAKE.apply(phone, "PHONE_NUMBER")
    assert shape(fake) == shape(phone)
    assert fake != phone
    if phone.startswith("+44"):
        assert fake.startswith("+44")


@given(card=cards())
@settings(max_examples=80, deadline=None)
def test_fake_cards_keep_length_separators_and_brand_and_are_luhn_valid(card: str) -> None:
    fake = FAKE.apply(card, "CREDIT_CARD")
    assert shape(fake) == shape(card)
    assert luhn_valid(fake)
    assert fake != card
    digits, original = (
        fake.replace(" ", "").replace("-", ""),
        card.replace(" ", "").replace("-", ""),
    )
    if original.startswith("4"):
        assert digits.startswith("4")
    elif original[:2] in {"34", "37", "51", "55", "65"}:
        assert digits[:2] == original[:2]
    else:
        assert digits[:4] == original[:4]


def test_fake_ibans_keep_country_and_layout_with_valid_check_digits() -> None:
    from stdnum import iban

    fake = op({"operator": "fake"}).apply("GB82 WEST 1234 5698 7654 32", "IBAN_CODE")
    assert fake.startswith("GB")
    assert shape(re.sub("[A-Z]", "A", fake)) == shape(
        re.sub("[A-Z]", "A", "GB82 WEST 1234 5698 7654 32")
    )
    assert iban.mod_97_10.is_valid(iban.compact(fake)[4:] + iban.compact(fake)[:4])


def test_fakes_are_realistic_per_type_and_locale_aware() -> None:
    gb = op({"operator": "fake", "locale": "en_GB"})
    de = op({"operator": "fake", "locale": "de_DE"})
    assert len(gb.apply("Ada Lovelace", "PERSON").split()) >= 2
    assert gb.apply("Ada Lovelace", "PERSON") != de.apply("Ada Lovelace", "PERSON")
    assert "\n" not in gb.apply("1 High Street, London", "ADDRESS")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", gb.apply("05/03/1984", "DATE_TIME"))
    assert re.fullmatch(r"[\d.]+", gb.apply("10.0.0.1", "IP_ADDRESS"))
    assert shape(gb.apply("AB-1234-x", "CUSTOM_ID")).count("9") == 4


# -- mask -------------------------------------------------------------------------------------


@given(
    value=st.text(max_size=40),
    keep_last=st.integers(0, 8),
    keep_first=st.integers(0, 3),
    separators=st.booleans(),
)
def test_masks_keep_length_and_never_reveal_a_whole_value(
    value: str, keep_last: int, keep_first: int, separators: bool
) -> None:
    spec = {
        "operator": "mask",
        "keep_last": keep_last,
        "keep_first": keep_first,
        "keep_separators": separators,
    }
    masked = op(spec).apply(value, "X")
    assert len(masked) == len(value)
    hidden = [i for i, c in enumerate(value) if not separators or c.isalnum()]
    shown = [i for i in hidden if masked[i] == value[i] and value[i] != "*"]
    if len(hidden) <= keep_first + keep_last:
        assert all(masked[i] == "*" for i in hidden)
    else:
        assert len(shown) <= keep_first + keep_last
        assert all(masked[i] == value[i] for i in hidden[len(hidden) - keep_last :])
    if separators:
        assert all(masked[i] == c for i, c in enumerate(value) if not c.isalnum())


def test_mask_examples() -> None:
    assert op({"operator": "mask"}).apply("4111111111111111", "CREDIT_CARD") == "************1111"
    phone = op({"operator": "mask", "keep_last": 3, "char": "#", "keep_separators": True})
    assert phone.apply("+44 (0)20 7946-0018", "PHONE_NUMBER") == "+## (#)## ####-#018"
    assert op({"operator": "mask", "keep_last": 4}).apply("abc", "X") == "***"


# -- date_shift and generalize ----------------------------------------------------------------

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2090, 12, 31))
FORMATS = {
    "%Y-%m-%d": r"\d{4}-\d{2}-\d{2}",
    "%d/%m/%Y": r"\d{2}/\d{2}/\d{4}",
    "%d.%m.%Y": r"\d{2}\.\d{2}\.\d{4}",
    # a day without a leading zero is written without one ("1 January", not "01 January")
    "%d %B %Y": r"\d{1,2} [A-Z][a-z]+ \d{4}",
    "%B %d, %Y": r"[A-Z][a-z]+ \d{1,2}, \d{4}",
}


@given(day=DATES, other=DATES, subject=st.text(max_size=20), fmt=st.sampled_from(list(FORMATS)))
def test_date_shift_is_consistent_per_subject_and_keeps_the_format(
    day: dt.date, other: dt.date, subject: str, fmt: str
) -> None:
    shift = op({"operator": "date_shift", "max_days": 30})
    assert isinstance(shift, DateShift)
    moved = shift.apply_for(day.strftime(fmt), "DATE_TIME", subject)
    assert re.fullmatch(FORMATS[fmt], moved)
    moved_date = dt.datetime.strptime(moved, fmt).date()
    offset = (moved_date - day).days
    assert 1 <= abs(offset) <= 30
    assert offset == shift.offset(subject)
    # the same subject's other dates move by the same offset: intervals survive
    moved_other = dt.datetime.strptime(
        shift.apply_for(other.strftime(fmt), "DATE_TIME", subject), fmt
    )
    assert (moved_other.date() - moved_date).days == (other - day).days


def test_date_shift_differs_across_subjects_and_keys() -> None:
    a = op({"operator": "date_shift", "max_days": 365})
    b = op({"operator": "date_shift", "max_days": 365}, KEY_B)
    assert isinstance(a, DateShift) and isinstance(b, DateShift)
    subjects = [f"sub_{n}" for n in range(20)]
    assert len({a.offset(s) for s in subjects}) > 5
    assert [a.offset(s) for s in subjects] != [b.offset(s) for s in subjects]
    assert a.apply("2024-03-05T10:20:00Z", "DATE_TIME").endswith("T10:20:00Z")
    assert a.apply("next Tuesday", "DATE_TIME") == "<DATE_TIME>"


@given(day=DATES, fmt=st.sampled_from(list(FORMATS)))
def test_generalize_dates_to_year_or_month(day: dt.date, fmt: str) -> None:
    text = day.strftime(fmt)
    assert op({"operator": "generalize"}).apply(text, "DATE_TIME") == f"{day.year:04d}"
    month = op({"operator": "generalize", "to": "year-month"}).apply(text, "DATE_OF_BIRTH")
    assert month == f"{day.year:04d}-{day.month:02d}"


@given(age=st.integers(0, 120), band=st.integers(1, 20))
def test_generalize_ages_into_bands(age: int, band: int) -> None:
    result = op({"operator": "generalize", "band": band, "top": None}).apply(str(age), "AGE")
    low, _, high = result.partition("-")
    assert int(low) <= age <= int(high or low)
    assert int(high or low) - int(low) + 1 == band
    assert int(low) % band == 0


@pytest.mark.parametrize(
    ("value", "entity", "expected"),
    [
        ("SW1A 1AA", "POSTCODE", "SW1A"),
        ("m1 1ae", "POSTCODE", "M1"),
        ("94105", "ZIP_CODE", "941"),
        ("94105-1234", "POSTCODE", "941"),
        ("75008", "POSTAL_CODE", "750"),
        ("10115 ", "POSTCODE", "101"),
        ("1012 AB", "POSTCODE", "10"),
        ("37", "AGE", "30-39"),
        ("92 years", "AGE", "90+"),
        ("not a date", "DATE_TIME", "<DATE_TIME>"),
        ("anything", "UNKNOWN", "<UNKNOWN>"),
    ],
)
def test_generalize_examples(value: str, entity: str, expected: str) -> None:
    assert op({"operator": "generalize"}).apply(value, entity) == expected


def test_generalize_postcodes_of_other_countries_by_option() -> None:
    assert op({"operator": "generalize", "country": "other"}).apply("75008", "POSTCODE") == "75"


# -- the others, and building -----------------------------------------------------------------


@given(value=TEXT)
def test_keep_redact_and_replace(value: str) -> None:
    assert op({"operator": "keep"}).apply(value, "PERSON") == value
    assert op({"operator": "redact"}).apply(value, "PERSON") == ""
    assert op({"operator": "replace"}).apply(value, "PERSON") == "<PERSON>"
    template = op({"operator": "replace", "template": "[{entity_type}] {{x}}"})
    assert template.apply(value, "EMAIL_ADDRESS") == "[EMAIL_ADDRESS] {x}"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"operator": "nope"}, "entities.X.operator: unknown operator"),
        ({}, "entities.X.operator: is required"),
        ({"operator": "mask", "keep_last": -1}, "entities.X.keep_last: must be >= 0"),
        ({"operator": "mask", "keep_lats": 3}, "entities.X.keep_lats: is not a known option"),
        ({"operator": "mask", "char": "**"}, "entities.X.char: must have at most 1 character"),
        ({"operator": "replace", "template": "{0}"}, "entities.X.template: may only use"),
        ({"operator": "replace", "template": "{entity_type.__class__}"}, "may only use"),
        ({"operator": "replace", "template": "{"}, "unbalanced braces"),
        ({"operator": "fake", "locale": "xx_XX"}, "entities.X.locale: is not a locale"),
        ({"operator": "generalize", "to": "decade"}, "entities.X.to: must be one of"),
        ({"operator": "pseudonymize", "length": 4}, "entities.X.length: must be >= 8"),
        ({"operator": "date_shift", "max_days": 0}, "entities.X.max_days: must be >= 1"),
    ],
)
def test_bad_entries_are_refused_naming_the_entry_and_option(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(OperatorSpecError) as caught:
        build(spec, keys=KEY_A, where="entities.X")
    assert message in str(caught.value)


@pytest.mark.parametrize("name", ["pseudonymize", "fake", "encrypt", "date_shift"])
def test_keyed_operators_need_a_key(name: str) -> None:
    with pytest.raises(KeyRequired) as caught:
        build({"operator": name}, keys=NoKey(), where="entities.EMAIL_ADDRESS")
    assert "entities.EMAIL_ADDRESS" in str(caught.value)
    assert "TUTELA_DEID_KEY" in str(caught.value)


def test_every_operator_is_registered() -> None:
    assert names() == [
        "date_shift",
        "encrypt",
        "fake",
        "generalize",
        "keep",
        "mask",
        "pseudonymize",
        "redact",
        "replace",
    ]
