"""Normalisers: what is equal for search normalises equally, and bad values name the field only."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tutela.datamap import load_datamap
from tutela.errors import ValidationFailed
from tutela.home import example_datamap
from tutela.vault.values import ValueRules, decode, encode

DATAMAP = load_datamap(example_datamap())
RULES = ValueRules("GB")


def normalise(field: str, value: object):  # type: ignore[no-untyped-def]
    return RULES.normalise(field, DATAMAP.fields[field], value)


local_parts = st.from_regex(r"[a-z][a-z0-9._]{0,20}[a-z0-9]", fullmatch=True)
domains = st.from_regex(r"[a-z]{2,12}\.(com|org|net|example)", fullmatch=True)


@given(local_parts, domains, st.sampled_from(["", " ", "\t"]))
def test_email_index_ignores_case_and_surrounding_space(local: str, domain: str, pad: str) -> None:
    assume(".." not in local)
    email = f"{local}@{domain}"
    plain = normalise("email", email)
    shouted = normalise("email", f"{pad}{email.upper()}{pad}")
    assert plain.index_text == shouted.index_text == email


@given(st.integers(min_value=0, max_value=999))
def test_phone_index_is_e164_whatever_the_notation(n: int) -> None:
    as_e164 = f"+44207946{n:04d}"
    written = [f"020 7946 {n:04d}", as_e164, f"+44 (0)20 7946 {n:04d}", f"0044 20 7946 {n:04d}"]
    assert {normalise("phone", w).index_text for w in written} == {as_e164}


@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
        min_size=1,
        max_size=60,
    )
)
def test_normalising_a_name_is_idempotent(name: str) -> None:
    assume(name.strip())
    once = normalise("name", name)
    assert normalise("name", once.value).value == once.value
    assert decode(encode(once.value)) == once.value


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("email", "no-at-sign", "valid email"),
        ("email", 42, "string"),
        ("phone", "+44 12", "phone"),
        ("date_of_birth", "2001-02-29", "real date"),
        ("date_of_birth", "29/02/2000", "real date"),
        ("name", "x" * 201, "longer than 200"),
        ("name", "Ada\nLovelace", "one line"),
        ("name", "Ada\x00", "control"),
        ("loyalty_id", "L 1", "letters, digits"),
        ("marketing_preferences", ["fax"], "not one of"),
        ("marketing_preferences", 3, "list of choices"),
    ],
)
def test_invalid_values_name_field_and_rule_never_the_value(
    field: str, value: object, reason: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        normalise(field, value)
    assert raised.value.field == field
    assert reason in str(raised.value)
    if isinstance(value, str) and len(value) > 3:
        assert value not in str(raised.value)


def test_csv_strings_are_coerced_by_type() -> None:
    assert normalise("marketing_preferences", "sms;email").value == ["email", "sms"]
    assert normalise("date_of_birth", "1990-01-31").value == "1990-01-31"


@given(
    st.one_of(
        st.emails(),
        st.from_regex(r"[A-Za-z0-9.+_-]{1,20}@[A-Za-z0-9.-]{1,20}\.[A-Za-z]{1,5}", fullmatch=True),
        st.text(max_size=40),
    )
)
def test_plain_address_fast_path_agrees_with_email_validator(text: str) -> None:
    """The fast path may only answer where email-validator would answer the same."""
    from email_validator import EmailNotValidError, validate_email

    from tutela.vault.values import plain_email

    fast = plain_email(text)
    if fast is None:
        return
    try:
        expected = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    assert fast == expected
