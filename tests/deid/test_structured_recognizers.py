"""Structured recognizers (cards, IBANs, national ids, phones, IPs, URLs, dates), run the way
users get them: every registered recognizer at once, so overlaps between them are exercised.

Valid ids come from Faker and python-stdnum with fixed seeds; each positive asserts the entity
type and the exact span, each hard negative that nothing at all is reported.
"""

from __future__ import annotations

import dataclasses
import random
import string

import pytest
from faker import Faker
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import iban, luhn
from stdnum.fr import nir
from stdnum.iso7064 import mod_11_10

from tutela.deid import Analyzer, Finding
from tutela.deid.recognizers._guards import after_reference
from tutela.deid.recognizers.phone import PhoneRecognizer
from tutela.deid.registry import default_recognizers, names

ANALYZER = Analyzer(recognizers=default_recognizers())
RNG = random.Random(20240305)


def _faker(locale: str, seed: int = 7) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


def found(text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in ANALYZER.analyze(text)]


def assert_found(text: str, entity: str, value: str) -> None:
    """Exactly one finding of `entity`, spanning exactly `value` (which occurs once in text)."""
    start = text.index(value)
    spans = [(f.start, f.end) for f in ANALYZER.analyze(text) if f.entity_type == entity]
    assert spans == [(start, start + len(value))], found(text)


def assert_not_found(text: str, entity: str) -> None:
    assert entity not in {e for e, _ in found(text)}, found(text)


def luhn_number(prefix: str, length: int) -> str:
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def grouped(number: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(number[i : i + size])
        i += size
    return sep.join(parts)


# --- registry ---------------------------------------------------------------------------------

MINE = {
    "credit_card",
    "date_time",
    "de_tax_id",
    "es_nif",
    "fr_nir",
    "iban",
    "ip_address",
    "it_fiscal_code",
    "nl_bsn",
    "phone",
    "uk_nino",
    "url",
    "us_ssn",
}


def test_structured_recognizers_are_registered() -> None:
    assert set(names()) >= MINE


# --- CREDIT_CARD ------------------------------------------------------------------------------

_CARD_FAKER = _faker("en_US", 11)
CARDS = {
    **{
        kind: _CARD_FAKER.credit_card_number(card_type=kind)
        for kind in ("visa13", "visa16", "visa19", "mastercard", "amex", "discover", "diners")
    },
    "jcb16": _CARD_FAKER.credit_card_number(card_type="jcb16"),
    "jcb15": _CARD_FAKER.credit_card_number(card_type="jcb15"),
    "mastercard_2_series_low": luhn_number("2221", 16),
    "mastercard_2_series_high": luhn_number("2720", 16),
    "unionpay": luhn_number("62", 16),
    "unionpay_19": luhn_number("62", 19),
    "maestro": luhn_number("6759", 16),
    "discover_644": luhn_number("644", 16),
}


@pytest.mark.parametrize("kind", sorted(CARDS))
def test_card_numbers_of_each_brand_plain(kind: str) -> None:
    number = CARDS[kind]
    assert_found(f"Charged to {number} yesterday.", "CREDIT_CARD", number)


@pytest.mark.parametrize(
    "number",
    [
        grouped(CARDS["visa16"], (4, 4, 4, 4), " "),
        grouped(CARDS["visa16"], (4, 4, 4, 4), "-"),
        grouped(CARDS["mastercard_2_series_low"], (4, 4, 4, 4), " "),
        grouped(CARDS["amex"], (4, 6, 5), " "),
        grouped(CARDS["amex"], (4, 6, 5), "-"),
        grouped(CARDS["diners"], (4, 6, 4), " "),
        grouped(CARDS["visa19"], (4, 4, 4, 4, 3), " "),
        grouped(CARDS["visa13"], (4, 4, 4, 1), " "),
        grouped(CARDS["visa13"], (4, 3, 3, 3), " "),
        grouped(CARDS["visa13"], (4, 3, 3, 3), "-"),
        grouped(luhn_number("6759", 12), (4, 4, 4), " "),  # 12-digit Maestro
    ],
)
def test_card_numbers_spaced_and_dashed(number: str) -> None:
    assert_found(f"My card: {number}, exp 12/27", "CREDIT_CARD", number)


def test_twelve_plain_digits_are_a_card_only_with_card_context() -> None:
    maestro = luhn_number("5018", 12)
    assert_found(f"Card number: {maestro}", "CREDIT_CARD", maestro)
    assert_not_found(f"Batch {maestro}", "CREDIT_CARD")


def test_grouped_card_has_higher_score_than_plain_and_context_raises_it() -> None:
    plain = CARDS["visa16"]
    spaced = grouped(plain, (4, 4, 4, 4), " ")
    (p,) = ANALYZER.analyze(f"number {plain}")
    (s,) = ANALYZER.analyze(f"number {spaced}")
    (c,) = ANALYZER.analyze(f"credit card {plain}")
    assert p.score < s.score
    assert c.score > p.score


@pytest.mark.parametrize(
    "text",
    [
        "4532015112830367",  # Luhn fails
        "4111 1111 1111 1112",
        "4444444444444448",  # a placeholder: one digit repeated, then the check digit
        "0000 0000 0000 0000",
        "1234567812345670",  # passes Luhn, no issuer starts with 1
        "9" + luhn_number("9", 15),
        "4111 1111 1111 1111 2222",  # part of a longer digit run
        "4111-1111 1111-1111",  # mixed separators
    ],
)
def test_not_cards(text: str) -> None:
    assert_not_found(f"value {text} here", "CREDIT_CARD")


# --- IBAN_CODE --------------------------------------------------------------------------------

IBANS = {loc: _faker(loc).iban() for loc in ("de_DE", "en_GB", "fr_FR", "nl_NL", "es_ES", "it_IT")}


@pytest.mark.parametrize("locale", sorted(IBANS))
@pytest.mark.parametrize("form", ["compact", "grouped", "lower"])
def test_ibans(locale: str, form: str) -> None:
    value = IBANS[locale]
    if form == "grouped":
        value = iban.format(value)
    elif form == "lower":
        value = value.lower()
    assert_found(f"Please transfer to {value}. Thanks", "IBAN_CODE", value)


def test_iban_followed_by_short_words_and_by_another_iban() -> None:
    be, nl = "BE68 5390 0754 7034", "NL91 ABNA 0417 1643 00"
    text = f"IBANs {be} {nl} and BE68539007547034 ok"
    assert [f for f in found(text) if f[0] == "IBAN_CODE"] == [
        ("IBAN_CODE", be),
        ("IBAN_CODE", nl),
        ("IBAN_CODE", "BE68539007547034"),
    ]
    assert_found(f"to {be} and more", "IBAN_CODE", be)


@pytest.mark.parametrize(
    "text",
    [
        "DE88 3704 0044 0532 0130 00",  # check digits wrong
        "DE89 3704 0044 0532 0130 0",  # one character short for DE
        "DE89370400440532013000X",  # glued to more text
        "XX89370400440532013000",  # no such country
    ],
)
def test_not_ibans(text: str) -> None:
    assert_not_found(f"IBAN {text} end", "IBAN_CODE")


# --- US_SSN -----------------------------------------------------------------------------------

_SSN_FAKER = _faker("en_US", 3)
SSNS = [_SSN_FAKER.ssn() for _ in range(5)]


@pytest.mark.parametrize("value", SSNS)
def test_ssn_dashed_and_spaced(value: str) -> None:
    assert_found(f"SSN {value} on file", "US_SSN", value)
    spaced = value.replace("-", " ")
    assert_found(f"social security no {spaced}.", "US_SSN", spaced)
    assert_found(f"Applicant {value} signed", "US_SSN", value)  # dashed: found without context


@pytest.mark.parametrize(
    "text", ["SSN: {}", "ssn {}", "Social Security number is {}", "SSN on file: {}"]
)
def test_ssn_plain_digits_with_a_label(text: str) -> None:
    digits = SSNS[0].replace("-", "")
    assert_found(text.format(digits), "US_SSN", digits)


def test_ssn_plain_digits_without_a_label_are_not_reported() -> None:
    digits = SSNS[0].replace("-", "")
    assert_not_found(f"Reference {digits} attached", "US_SSN")
    assert_not_found(f"{digits}", "US_SSN")


@pytest.mark.parametrize(
    "value",
    [
        "000-12-3456",
        "666-12-3456",
        "912-34-5678",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",
        "219-09-9999",
        "123-45-6789",
        "111-11-1111",
    ],
)
def test_not_ssns(value: str) -> None:
    assert_not_found(f"SSN {value}", "US_SSN")


# --- UK_NINO ----------------------------------------------------------------------------------


def _nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
        return _nino(rng)
    return (
        first + second + "".join(rng.choice(string.digits) for _ in range(6)) + rng.choice("ABCD")
    )


NINOS = [_nino(random.Random(seed)) for seed in range(4)]


@pytest.mark.parametrize("value", NINOS)
def test_ninos(value: str) -> None:
    assert_found(f"NI number {value}.", "UK_NINO", value)
    spaced = grouped(value, (2, 2, 2, 2, 1), " ")
    assert_found(f"National Insurance: {spaced}", "UK_NINO", spaced)


def test_ni_number_label_outweighs_a_nearby_address() -> None:
    assert_found("My NI number is XJ 15 08 81 C. Thanks", "UK_NINO", "XJ 15 08 81 C")
    (finding,) = ANALYZER.analyze("NI no. XJ150881C")
    assert finding.score > ANALYZER.analyze("ref XJ150881C")[0].score


def test_lower_case_nino_needs_context() -> None:
    value = NINOS[0].lower()
    assert_found(f"my national insurance number is {value}", "UK_NINO", value)
    assert_not_found(f"part {value} in stock", "UK_NINO")


@pytest.mark.parametrize(
    "value", ["QQ123456C", "DA123456A", "AO123456A", "BG123456A", "ZZ123456D", "AB123456E"]
)
def test_not_ninos(value: str) -> None:
    assert_not_found(f"NINO {value}", "UK_NINO")


# --- FR_NIR -----------------------------------------------------------------------------------

_NIR_FAKER = _faker("fr_FR", 5)
NIRS = [_NIR_FAKER.ssn() for _ in range(3)] + ["253072B07300470"]


@pytest.mark.parametrize("value", NIRS)
def test_nirs(value: str) -> None:
    assert_found(f"Numéro de sécurité sociale : {value}", "FR_NIR", value)
    spaced = nir.format(value)
    assert_found(f"NIR {spaced} (carte vitale)", "FR_NIR", spaced)


def test_nir_with_wrong_key() -> None:
    assert_not_found("NIR 2 95 10 99 126 111 99", "FR_NIR")


# --- DE_TAX_ID --------------------------------------------------------------------------------


def _idnr(rng: random.Random) -> str:
    digits = rng.sample("0123456789", 9)
    if digits[0] == "0":
        digits[0], digits[1] = digits[1], digits[0]
    digits.insert(rng.randrange(1, 10), rng.choice(digits))
    number = "".join(digits)
    return number + mod_11_10.calc_check_digit(number)


TAX_IDS = ["36574261809"] + [_idnr(random.Random(seed)) for seed in range(3)]


@pytest.mark.parametrize("value", TAX_IDS)
def test_de_tax_ids_with_context(value: str) -> None:
    assert_found(f"Steuer-ID: {value}", "DE_TAX_ID", value)
    spaced = grouped(value, (2, 3, 3, 3), " ")
    assert_found(f"Ihre Steueridentifikationsnummer {spaced}.", "DE_TAX_ID", spaced)


def test_de_tax_id_alone_is_reported_at_the_threshold() -> None:
    (alone,) = ANALYZER.analyze(f"Kennung {TAX_IDS[0]}")
    (labelled,) = ANALYZER.analyze(f"Steuer-ID {TAX_IDS[0]}")
    assert alone.entity_type == labelled.entity_type == "DE_TAX_ID"
    assert alone.score < labelled.score


def test_de_tax_id_with_wrong_check_digit() -> None:
    assert_not_found("Steuer-ID 36574261890", "DE_TAX_ID")


# --- ES_NIF -----------------------------------------------------------------------------------

_ES_FAKER = _faker("es_ES", 9)
DNIS = [_ES_FAKER.nif() for _ in range(2)]
NIES = [_ES_FAKER.nie() for _ in range(2)]


@pytest.mark.parametrize("value", DNIS)
def test_dnis(value: str) -> None:
    assert_found(f"DNI {value}", "ES_NIF", value)
    dashed = f"{value[:8]}-{value[8]}"
    assert_found(f"con DNI {dashed}.", "ES_NIF", dashed)
    dotted = f"{value[:2]}.{value[2:5]}.{value[5:8]}-{value[8]}"
    assert_found(f"documento {dotted}", "ES_NIF", dotted)


@pytest.mark.parametrize("value", NIES)
def test_nies(value: str) -> None:
    assert_found(f"NIE: {value}", "ES_NIF", value)
    dashed = f"{value[0]}-{value[1:8]}-{value[8]}"
    assert_found(f"NIE {dashed}", "ES_NIF", dashed)


def test_dni_with_wrong_letter() -> None:
    value = DNIS[0]
    wrong = value[:8] + ("A" if value[8] != "A" else "B")
    assert_not_found(f"DNI {wrong}", "ES_NIF")


# --- IT_FISCAL_CODE ---------------------------------------------------------------------------

_IT_FAKER = _faker("it_IT", 4)
FISCAL_CODES = [_IT_FAKER.ssn() for _ in range(3)]


@pytest.mark.parametrize("value", FISCAL_CODES)
def test_fiscal_codes(value: str) -> None:
    assert_found(f"Codice fiscale {value}.", "IT_FISCAL_CODE", value)
    assert_found(f"cf: {value.lower()}", "IT_FISCAL_CODE", value.lower())


def test_fiscal_code_with_wrong_check_character() -> None:
    value = FISCAL_CODES[0]
    wrong = value[:15] + ("A" if value[15] != "A" else "B")
    assert_not_found(f"Codice fiscale {wrong}", "IT_FISCAL_CODE")


# --- NL_BSN -----------------------------------------------------------------------------------

_NL_FAKER = _faker("nl_NL", 2)
BSNS = [_NL_FAKER.ssn() for _ in range(3)]


@pytest.mark.parametrize("value", BSNS)
def test_bsns_with_context(value: str) -> None:
    assert_found(f"BSN: {value}", "NL_BSN", value)
    dotted = f"{value[:4]}.{value[4:6]}.{value[6:]}"
    assert_found(f"burgerservicenummer {dotted}", "NL_BSN", dotted)


@pytest.mark.parametrize("value", BSNS)
def test_bsn_without_context_is_under_the_threshold(value: str) -> None:
    assert_not_found(f"Artikel {value} besteld", "NL_BSN")


def test_bsn_failing_the_eleven_test() -> None:
    value = BSNS[0]
    wrong = value[:8] + str((int(value[8]) + 1) % 10)
    assert_not_found(f"BSN {wrong}", "NL_BSN")


# --- PHONE_NUMBER -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "(202) 555-0143",
        "202-555-0143",
        "+1 202 555 0143",
        "+44 20 7946 0958",
        "0044 20 7946 0958",
        "020 7946 0958",
        "+49 30 1234567",
        "030 1234567",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "+34 612 34 56 78",
        "+39 06 6982 1234",
        "+31 20 123 4567",
    ],
)
def test_phone_numbers(value: str) -> None:
    assert_found(f"You can reach me at {value} after 5pm", "PHONE_NUMBER", value)


def test_plain_digit_phone_needs_context() -> None:
    assert_found("call me on 2025550143", "PHONE_NUMBER", "2025550143")
    assert_not_found("batch 2025550143 processed", "PHONE_NUMBER")


def test_an_id_labelled_as_such_is_not_a_phone_number() -> None:
    assert_found("Naam: X | BSN: 786543012 | Telefoon: 0612345678", "NL_BSN", "786543012")
    assert_not_found("ID: 0612345678", "PHONE_NUMBER")
    assert_found("SSN 536 90 4399, call me", "US_SSN", "536 90 4399")


def test_phone_span_leaves_out_an_unclosed_bracket() -> None:
    assert_found("call me [2025550143]", "PHONE_NUMBER", "2025550143")
    assert_found("call me (202) 555-0143", "PHONE_NUMBER", "(202) 555-0143")


def test_phone_regions_are_configurable() -> None:
    us_only = Analyzer(recognizers=[PhoneRecognizer(regions=("US",))])
    assert us_only.analyze("Tel. 030 1234567") == []
    (finding,) = us_only.analyze("Tel. +49 30 1234567")
    assert (finding.start, finding.end) == (5, 19)


@pytest.mark.parametrize(
    "text",
    [
        "Order number: 2025550143",
        "ref 0612345678",
        "Meeting at 10:30 on 05.03.2024",
        "Epoch 1709634121 and 1709634121123 ms",
        "Riferimento: 4957 3111 9704 2391",
        "[1690246] Parcel missing",
        "DNI 16864695-Z, you can reach me",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert_not_found(text, "PHONE_NUMBER")


# --- IP_ADDRESS -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "192.168.1.10",
        "8.8.8.8",
        "255.255.255.255",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "2001:db8::8a2e:370:7334",
        "fe80::1ff:fe23:4567:890a",
        "2001:db8::",
        "::ffff:192.0.2.128",
    ],
)
def test_ip_addresses(value: str) -> None:
    assert_found(f"Login from {value}.", "IP_ADDRESS", value)


@pytest.mark.parametrize(
    "text",
    [
        "v1.2.3.4",
        "version 1.2.3.4",
        "build 10.0.0.1",
        "version 10.0.19045.2965",
        "256.1.1.1",
        "1.2.3",
        "01.02.03.04",
        "MAC 00:1A:2B:3C:4D:5E",
        "at 10:22:01",
        "std::vector",
        "the update to 2.22.95.27",
        "Version de l'app : 8.22.44.67",
        'ua="shop-app/10.29.29.99"',
        "shop-app 2.33.41.200 started",
        "0.13.171.52",
    ],
)
def test_not_ip_addresses(text: str) -> None:
    assert_not_found(f"Installed {text} today", "IP_ADDRESS")


# --- URL --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("see https://example.com/profile?id=42.", "https://example.com/profile?id=42"),
        ("(see http://example.org/a)", "http://example.org/a"),
        (
            "wiki https://en.wikipedia.org/wiki/Foo_(bar), ok",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("files at ftp://files.example.net/x.zip;", "ftp://files.example.net/x.zip"),
        ("my site www.example.co.uk!", "www.example.co.uk"),
        ("HTTPS://EXAMPLE.COM/Page", "HTTPS://EXAMPLE.COM/Page"),
    ],
)
def test_urls(text: str, value: str) -> None:
    assert_found(text, "URL", value)


def test_email_in_a_key_value_log_field() -> None:
    text = "INFO auth: login ok user=jane.doe+shop@example.com ip=10.1.2.3"
    assert_found(text, "EMAIL_ADDRESS", "jane.doe+shop@example.com")


def test_email_is_not_a_url() -> None:
    text = "write to john@www.example.com or jane@example.com"
    assert {e for e, _ in found(text)} == {"EMAIL_ADDRESS"}


# --- DATE_TIME --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Born 1984-03-05 in Leeds", "1984-03-05"),
        ("DOB: 05/03/1984", "05/03/1984"),
        ("date of birth 12/31/1984", "12/31/1984"),
        ("born on March 5, 1984", "March 5, 1984"),
        ("birthday: 5 March 1984", "5 March 1984"),
        ("born 5th Mar. 1984", "5th Mar. 1984"),
        ("geboren am 5. März 1984", "5. März 1984"),
        ("Geburtsdatum 05.03.1984", "05.03.1984"),
        ("né le 5 mars 1984", "5 mars 1984"),
        ("nacido el 5 de marzo de 1984", "5 de marzo de 1984"),
        ("data di nascita 5 marzo 1984", "5 marzo 1984"),
    ],
)
def test_dates_of_birth(text: str, value: str) -> None:
    assert_found(text, "DATE_TIME", value)


@pytest.mark.parametrize(
    "text", ["Shipped 2024-03-05", "Meeting on 5 March 2024", "due 05/03/2024"]
)
def test_dates_without_birth_context_are_not_reported(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("value", ["31/02/1984", "30 February 1984", "1984-13-01", "32.01.1984"])
def test_impossible_dates(value: str) -> None:
    assert_not_found(f"born {value}", "DATE_TIME")


@pytest.mark.parametrize(
    "text", ["Date of birth: Aug 1. App version 4.13.57", "born; App-Version: 12.20.17+build.1763"]
)
def test_version_numbers_are_not_dates(text: str) -> None:
    assert_not_found(text, "DATE_TIME")


def test_dob_context_does_not_revive_a_timestamp() -> None:
    assert found("user born check 2024-03-05T10:22:01Z") == []


# --- hard negatives: nothing at all is reported -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Order #123456789 has shipped",
        "Your order 4532015112830366 is on its way",  # passes Luhn: the word "order" decides
        "Your order 4532015112830367 is on its way",  # fails Luhn
        "Invoice INV-2024-000123 is attached",
        "Tracking number 1Z999AA10123456784",
        "USPS tracking 9400 1000 0000 0000 0000 00",
        "Value 4532015112830367 copied",
        "Running v1.2.3.4 on Windows version 10.0.19045.2965",
        "Total $1,234.56 or € 99,90",
        "2024-03-05T10:22:01Z INFO worker started",
        "2024-03-05 10:22:01,123 WARN retrying",
        "[05/03/2024 10:22:01] GET /health 200",
        "request 550e8400-e29b-41d4-a716-446655440000 failed",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (abc1234)",
        "colours #336699, #ff0000 and #123456",
        "ISBN 978-3-16-148410-0",
    ],
)
def test_hard_negatives(text: str) -> None:
    assert found(text) == []


# --- properties -------------------------------------------------------------------------------

_BRAND_PREFIXES = [
    ("4", 16),
    ("4", 13),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 19),
    ("36", 14),
    ("3530", 16),
    ("62", 17),
    ("6759", 18),
]
_WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + "äéß", min_size=1, max_size=10), max_size=6
)


@given(
    card=st.sampled_from(_BRAND_PREFIXES).flatmap(
        lambda p: st.text(
            alphabet=string.digits, min_size=p[1] - len(p[0]) - 1, max_size=p[1] - len(p[0]) - 1
        ).map(lambda body: p[0] + body + luhn.calc_check_digit(p[0] + body))
    ),
    before=_WORDS,
    after=_WORDS,
    sep=st.sampled_from([" ", ", ", ": ", "\n", " - "]),
)
def test_card_among_arbitrary_words_is_found_with_its_exact_span(
    card: str, before: list[str], after: list[str], sep: str
) -> None:
    assume(len(set(card)) > 1)
    prefix = sep.join([*before, ""]) if before else ""
    text = prefix + card + (sep + sep.join(after) if after else "")
    assume(not after_reference(text, len(prefix)))
    cards = [(f.start, f.end) for f in ANALYZER.analyze(text) if f.entity_type == "CREDIT_CARD"]
    assert cards == [(len(prefix), len(prefix) + len(card))]


def test_a_finding_never_holds_the_value() -> None:
    values = [CARDS["visa16"], IBANS["de_DE"], SSNS[0], NINOS[0], FISCAL_CODES[0], "192.168.1.10"]
    labels = ["card", "IBAN", "SSN", "NINO", "codice fiscale", "IP"]
    text = "; ".join(f"{label} {value}" for label, value in zip(labels, values, strict=True))
    findings = ANALYZER.analyze(text)
    assert len(findings) == len(values)
    assert {f.name for f in dataclasses.fields(Finding)} == {
        "entity_type",
        "start",
        "end",
        "score",
        "recognizer",
    }
    for finding in findings:
        dumped = repr(finding) + repr(finding.as_dict())
        assert not any(v in dumped for v in values)


def test_a_phone_number_in_brackets_leaves_the_closing_bracket_out() -> None:
    text = "Call (jane@example.com, +44 20 7946 0958) today, or (020) 7946 0018."
    found = [(f.entity_type, text[f.start : f.end]) for f in Analyzer().analyze(text)]
    assert ("PHONE_NUMBER", "+44 20 7946 0958") in found
    assert ("PHONE_NUMBER", "(020) 7946 0018") in found
