"""Policies: a valid one does what it says (operators per type and column, custom recognizers,
allow and deny lists); an invalid one is refused naming the location, never a value."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tutela.deid.errors import KeyRequired, NerUnavailable, PolicyInvalid
from tutela.deid.keys import MasterKey
from tutela.deid.policy import Policy, load_named
from tutela.deid.text import DetectText, redact, redact_text, reveal_text
from tutela.testing import PiiCanary

KEYS = MasterKey(b"k" * 64)
POLICY = """
threshold: 0.5
recipient: analytics-team
default: {operator: replace}
entities:
  EMAIL_ADDRESS: {operator: pseudonymize}
  PHONE_NUMBER: {operator: mask, keep_last: 4, char: "*"}
  DATE_TIME: {operator: generalize, to: year}
columns:
  email: {operator: pseudonymize, entity_type: EMAIL_ADDRESS}
  notes: {operator: detect}
  country: {operator: keep}
  Customer Name: {operator: fake}
allow: ["support@shop.example"]
deny: [{term: "Project Falcon", entity_type: PROJECT}]
recognizers:
  - name: employee_id
    entity_type: EMPLOYEE_ID
    regex: "EMP-\\\\d{6}"
    validator: luhn
    context: [employee, staff]
    score: 0.8
"""


@pytest.fixture
def policy() -> Policy:
    return Policy.parse(POLICY, "policy.yaml", keys=KEYS)


def test_a_valid_policy_de_identifies_text_as_written(policy: Policy) -> None:
    text = (
        "Mail Ada@Example.com (cc support@shop.example), employee EMP-000018 born "
        "05/03/1984, on Project Falcon."
    )
    result = redact(text, policy)
    found = {(f.entity_type, text[f.start : f.end]) for f in result.findings}
    assert ("EMPLOYEE_ID", "EMP-000018") in found
    assert ("PROJECT", "Project Falcon") in found
    assert not any(v == "support@shop.example" for _, v in found)  # allowed
    pseudonym = policy.operator_for("EMAIL_ADDRESS").apply("ada@example.com", "EMAIL_ADDRESS")
    assert result.text.startswith(f"Mail {pseudonym} (cc support@shop.example)")
    assert "<EMPLOYEE_ID>" in result.text
    assert "born 1984" in result.text
    assert "<PROJECT>" in result.text
    assert "Ada" not in result.text and "EMP-000018" not in result.text


def test_custom_recognizers_keep_only_candidates_their_validator_accepts(policy: Policy) -> None:
    analyzer = policy.analyzer()
    assert [f.entity_type for f in analyzer.analyze("staff id EMP-000018")] == ["EMPLOYEE_ID"]
    assert analyzer.analyze("staff id EMP-000017") == []  # fails the Luhn check
    assert analyzer.analyze("EMP-000018")[0].score == 0.8  # no context word: base score
    assert analyzer.analyze("employee EMP-000018")[0].score > 0.8


def test_types_not_listed_get_the_default_and_columns_their_own(policy: Policy) -> None:
    assert policy.operator_for("US_SSN").apply("123-45-6789", "US_SSN") == "<US_SSN>"
    assert policy.operator_for("PHONE_NUMBER").apply("07700 900123", "X") == "********0123"
    email = policy.column_operator("email")
    assert email is not None
    assert email.apply(
        "Ada@Example.com", policy.column_entity_type("email")
    ) == policy.operator_for("EMAIL_ADDRESS").apply("ada@example.com", "EMAIL_ADDRESS")
    assert policy.column_operator("country") is None  # keep
    assert policy.column_operator("unlisted") is None
    assert policy.column_entity_type("Customer Name") == "CUSTOMER_NAME"
    notes = policy.column_operator("notes")
    assert isinstance(notes, DetectText)
    assert notes.apply("write to ada@example.com", "NOTES").startswith("write to EMAIL_ADDRESS_")


def test_redact_text_replaces_from_the_end_so_offsets_hold(policy: Policy) -> None:
    text = "a@b.com and c@d.com"
    findings = policy.analyzer().analyze(text)
    assert len(findings) == 2
    out = redact_text(text, findings, Policy.parse("default: {operator: redact}"))
    assert out == " and "
    long = redact_text(
        text,
        findings,
        Policy.parse("default: {operator: replace, template: '[{entity_type} here]'}"),
    )
    assert long == "[EMAIL_ADDRESS here] and [EMAIL_ADDRESS here]"


def test_pseudonyms_depend_on_the_recipient() -> None:
    a = Policy.parse("recipient: team-a\ndefault: {operator: pseudonymize}", keys=KEYS)
    b = Policy.parse("recipient: team-b\ndefault: {operator: pseudonymize}", keys=KEYS)
    assert a.operator_for("PERSON").apply("Ada", "PERSON") != b.operator_for("PERSON").apply(
        "Ada", "PERSON"
    )


def test_keyed_operators_without_a_key_fail_when_used_naming_the_entry() -> None:
    policy = Policy.parse(POLICY)  # checked without a key: fine
    assert policy.needs_key
    assert policy.operator_for("PHONE_NUMBER").name == "mask"
    with pytest.raises(KeyRequired) as caught:
        policy.prepare()
    assert "entities.EMAIL_ADDRESS" in str(caught.value)
    assert not Policy.parse("default: {operator: mask}").needs_key


def test_encrypted_values_are_revealed_with_the_key_only() -> None:
    policy = Policy.parse("recipient: legal\ndefault: {operator: encrypt}", keys=KEYS)
    text = "Call Ada Lovelace at ada@example.com."
    redacted = redact(text, policy).text
    assert "ada@example.com" not in redacted and "enc:v1:" in redacted
    back = reveal_text(redacted, KEYS, recipient="legal")
    assert (back.revealed, back.failed) == (len(redact(text, policy).findings), 0)
    assert back.text == text
    wrong = reveal_text(redacted, MasterKey(b"x" * 64), recipient="legal")
    assert (wrong.text, wrong.revealed) == (redacted, 0)
    assert reveal_text(redacted, KEYS, recipient="other").revealed == 0


INVALID = [
    (
        "entities: {PHONE_NUMBER: {operator: mask, keep_last: -1}}",
        "entities.PHONE_NUMBER.keep_last: must be >= 0",
    ),
    (
        "entities: {EMAIL_ADDRESS: {operator: mask, keep_lats: 3}}",
        "entities.EMAIL_ADDRESS.keep_lats: is not a known option",
    ),
    (
        "entities: {EMAIL_ADDRESS: {operator: shred}}",
        "entities.EMAIL_ADDRESS.operator: unknown operator",
    ),
    ("default: {operator: fake, locale: zz}", "default.locale: is not a locale"),
    ("threshold: 1.5", "threshold: must be <= 1"),
    ("threshold: lots", "threshold: must be a number"),
    ("recipient: 'a b'", "recipient: must match"),
    ("entities: {email: {operator: keep}}", "entities (a name): must match"),
    (
        "columns: {notes: {operator: detect, threshold: 1}}",
        "columns.notes.threshold: is not a known option",
    ),
    (
        "columns: {email: {operator: keep, entity_type: email}}",
        "columns.email.entity_type: must match",
    ),
    ("deny: [{term: Falcon}]", "deny[0].entity_type: is required"),
    (
        "recognizers: [{name: x, entity_type: X, regex: '(unclosed'}]",
        "recognizers[0].regex: is not a valid regular expression",
    ),
    (
        "recognizers: [{name: x, entity_type: X, regex: 'a*'}]",
        "recognizers[0].regex: must not match the empty string",
    ),
    (
        "recognizers: [{name: x, entity_type: X, regex: a, validator: crc32}]",
        "recognizers[0].validator: must be one of",
    ),
    (
        "recognizers: [{name: email, entity_type: X, regex: a}]",
        "recognizers[0].name: is the name of a built-in",
    ),
    (
        "recognizers: [{name: x, entity_type: X, regex: a}, {name: x, entity_type: Y, regex: b}]",
        "recognizers[1].name: is used twice",
    ),
    ("surprise: 1", "surprise: is not a known option"),
    ("- a list", "policy.yaml: must be a mapping"),
    ("entities: {A: [", "policy.yaml: is not valid YAML at line 1"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_policies_name_the_location(text: str, message: str) -> None:
    with pytest.raises(PolicyInvalid) as caught:
        Policy.parse(text, "policy.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("policy.yaml: ")


def test_errors_never_quote_a_value(canary: PiiCanary) -> None:
    """A secret in the wrong place (an allow entry too long, a term with a bad type, a key
    that is not an entity type) is located, never repeated."""
    secret = canary.customer()["email"]
    documents: list[dict[str, Any]] = [
        {"allow": [secret * 40]},
        {"deny": [{"term": secret, "entity_type": secret}]},
        {"entities": {secret: {"operator": "keep"}}},
        {"entities": {"X": {"operator": "mask", "char": secret}}},
        {"entities": {"X": {"operator": "replace", "template": "{" + secret + "}"}}},
        {"threshold": secret},
        {"recipient": f"{secret} / {secret}"},
        {"recognizers": [{"name": "x", "entity_type": "X", "regex": secret + "("}]},
    ]
    for document in documents:
        with pytest.raises(PolicyInvalid) as caught:
            Policy.from_mapping(document)
        assert secret not in str(caught.value)
        assert not canary.leaks([str(caught.value), repr(caught.value)])


def test_all_problems_are_kept_and_counted() -> None:
    with pytest.raises(PolicyInvalid) as caught:
        Policy.parse("threshold: 3\nrecipient: 'a b'\nnope: 1")
    assert len(caught.value.problems) == 3
    assert "(and 2 more)" in str(caught.value)


def test_inline_policies_may_not_declare_recognizers() -> None:
    document = {"recognizers": [{"name": "x", "entity_type": "X", "regex": "a"}]}
    with pytest.raises(PolicyInvalid, match="recognizers: an inline policy cannot"):
        Policy.from_mapping(document, trusted=False)


def test_policies_load_from_files_and_by_name(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "partner.yaml").write_text("default: {operator: redact}\n")
    assert load_named(tmp_path, "partner").operator_for("X").name == "redact"
    with pytest.raises(PolicyInvalid, match="no policy named 'other'"):
        load_named(tmp_path, "other")
    with pytest.raises(PolicyInvalid, match="a policy name matches"):
        load_named(tmp_path, "../etc/passwd")
    with pytest.raises(PolicyInvalid, match="cannot be read"):
        Policy.load(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyInvalid, match="not UTF-8"):
        Policy.load(tmp_path / "bad.yaml")


def test_an_empty_policy_replaces_every_type() -> None:
    policy = Policy.parse("")
    assert redact("ada@example.com", policy).text == "<EMAIL_ADDRESS>"
    assert Policy.default().threshold == 0.5


def test_ner_without_spacy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutela.deid import ner

    ner.load.cache_clear()
    monkeypatch.setitem(sys.modules, "spacy", None)  # import fails: not installed
    policy = Policy.parse("ner: true")
    with pytest.raises(NerUnavailable, match=r"ner: needs spaCy.*tutela\[ner\]"):
        policy.analyzer()


def test_ner_with_a_model_reports_people_and_places(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for spaCy: the recognizer maps its labels and offsets, nothing downloaded."""
    from tutela.deid import ner

    class Ent:
        def __init__(self, start: int, end: int, label: str) -> None:
            self.start_char, self.end_char, self.label_ = start, end, label

    def nlp(text: str) -> Any:
        return types.SimpleNamespace(
            ents=[Ent(0, 3, "PERSON"), Ent(13, 19, "GPE"), Ent(20, 24, "DATE")]
        )

    loaded: list[str] = []
    fake_spacy = types.SimpleNamespace(load=lambda model, disable: loaded.append(model) or nlp)
    ner.load.cache_clear()
    monkeypatch.setitem(sys.modules, "spacy", fake_spacy)
    try:
        policy = Policy.parse("ner: {model: xx_test_model}\nthreshold: 0.5")
        findings = policy.analyzer().analyze("Zed lives in Lisbon 2024")
    finally:
        ner.load.cache_clear()
    assert loaded == ["xx_test_model"]
    assert [(f.entity_type, f.start, f.end, f.recognizer) for f in findings] == [
        ("PERSON", 0, 3, "ner"),
        ("LOCATION", 13, 19, "ner"),
    ]


def test_the_home_key_is_read_only_when_a_keyed_operator_needs_it(tmp_path: Path) -> None:
    from tutela.deid.keys import HOME_KEY_FILE, create_key_file, home_key_source
    from tutela.errors import KeyFileInsecure

    assert home_key_source(tmp_path).key("x") is None
    create_key_file(tmp_path / HOME_KEY_FILE)
    (tmp_path / HOME_KEY_FILE).chmod(0o644)
    keys = home_key_source(tmp_path)  # not read yet: unkeyed policies still work
    assert redact("ada@example.com", Policy.default(keys=keys)).text == "<EMAIL_ADDRESS>"
    with pytest.raises(KeyFileInsecure):
        Policy.parse("default: {operator: encrypt}", keys=keys).prepare()
