"""Classify a table column as a kind of personal data, from its header and a sample of values.

Two kinds of evidence, each a number in [0, 1]:

- **header**: the column's name matches a hint ("email", "e-mail", "phone", "dob", …). A name
  that *is* the hint ("Email", "e_mail") weighs `HEADER_EXACT`; a name that contains it as a
  word ("customer_email", "billingStreet") weighs `HEADER_PARTIAL`.
- **values**: the share of sampled non-null values that one finding of a type covers (nearly)
  whole (at least `WHOLE_VALUE` of the trimmed value), for the type with the largest share.
  Each value is analyzed as ``"<header words>: <value>"``, so the header is the context a
  form label would be: "dob: 1990-01-02" is a date of birth, "1990-01-02" alone is not.

They combine into one confidence:

- header and values agree (the same type, or a value type that confirms the header's, such as
  DATE_TIME values under "dob"): ``1 - (1 - header) * (1 - share)`` (independent evidence);
- values only: ``share``;
- header only: ``header``, times `UNCONFIRMED` when a recognizer for the type exists and saw
  values but matched none of them (a "card" column holding "visa"/"amex" is not card numbers);
- header and values disagree: the stronger wins, less half the weaker.

A column is personal data when the confidence reaches `MIN_CONFIDENCE`. Otherwise, if its
values read as prose (long, several words) and findings cover only parts of them, it is
"free text containing X, Y": such a column needs detection inside each value, not a
whole-value operator.

Reports carry names, types and numbers only, never a sampled value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tutela.deid.analyzer import Analyzer

HEADER_EXACT = 0.8
HEADER_PARTIAL = 0.6
UNCONFIRMED = 0.75
MIN_CONFIDENCE = 0.5
WHOLE_VALUE = 0.7  # "Dr. Jane Smith": the title is not part of the name found
MIN_UNCONFIRMED_SAMPLE = 20  # fewer values than this say nothing against a header
FREE_TEXT_MIN_LENGTH = 30.0  # mean characters of a value
FREE_TEXT_MIN_WORDS = 4.0  # mean words of a value

# Entity types (as the recognizers name them) a header can suggest.
EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
IBAN = "IBAN_CODE"
CARD = "CREDIT_CARD"
IP = "IP_ADDRESS"
NATIONAL_ID = "NATIONAL_ID"
US_SSN = "US_SSN"
UK_NINO = "UK_NINO"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
PERSON = "PERSON"
ADDRESS = "ADDRESS"
POSTCODE = "POSTCODE"

# First match wins, so "email_address" is an email and "ip_address" an IP address, not an
# address. Each hint is a sequence of words that must appear consecutively in the header.
_HINTS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    (EMAIL, (("email",), ("e", "mail"), ("mail",), ("mail", "address"))),
    (IP, (("ip",), ("ip", "address"), ("ipv4",), ("ipv6",), ("ip", "addr"))),
    (IBAN, (("iban",),)),
    (
        CARD,
        (("card",), ("card", "number"), ("credit", "card"), ("cc", "number"), ("pan",)),
    ),
    (US_SSN, (("ssn",), ("social", "security"))),
    (UK_NINO, (("nino",), ("national", "insurance"), ("ni", "number"))),
    (
        NATIONAL_ID,
        (
            ("national", "id"),
            ("tax", "id"),
            ("passport",),
            ("bsn",),
            ("nif",),
            ("nir",),
            ("fiscal", "code"),
            ("codice", "fiscale"),
        ),
    ),
    (
        PHONE,
        (("phone",), ("tel",), ("telephone",), ("mobile",), ("cell",), ("fax",), ("msisdn",)),
    ),
    (DATE_OF_BIRTH, (("dob",), ("birth",), ("birthday",), ("birthdate",), ("born",))),
    (
        PERSON,
        (
            ("name",),
            ("first", "name"),
            ("last", "name"),
            ("full", "name"),
            ("given", "name"),
            ("family", "name"),
            ("middle", "name"),
            ("maiden", "name"),
            ("firstname",),
            ("lastname",),
            ("fullname",),
            ("surname",),
            ("forename",),
        ),
    ),
    (POSTCODE, (("zip",), ("zipcode",), ("postcode",), ("postal", "code"), ("post", "code"))),
    (ADDRESS, (("address",), ("street",), ("addr",), ("address", "line"))),
)
_NATIONAL_IDS = frozenset(
    {US_SSN, UK_NINO, "DE_TAX_ID", "ES_NIF", "FR_NIR", "IT_FISCAL_CODE", "NL_BSN"}
)
# Value types that confirm a header type that no recognizer reports as such.
_CONFIRMED_BY: dict[str, frozenset[str]] = {
    DATE_OF_BIRTH: frozenset({"DATE_TIME"}),
    ADDRESS: frozenset({"LOCATION"}),
    POSTCODE: frozenset({"LOCATION"}),
    NATIONAL_ID: _NATIONAL_IDS,
}
# "name" next to one of these words names a thing, not a person ("company_name", "filename").
_NOT_A_PERSON = frozenset(
    {
        "company",
        "business",
        "product",
        "file",
        "user",
        "host",
        "domain",
        "city",
        "country",
        "street",
        "brand",
        "item",
        "category",
        "column",
        "table",
        "field",
        "shop",
        "store",
        "org",
        "organisation",
        "organization",
        "team",
        "project",
        "event",
        "plan",
        "display",
        "screen",
        "nick",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


class ColumnKind(StrEnum):
    """What a column holds, as far as de-identification is concerned."""

    PII = "pii"  # each value is one personal value of `entity_type`
    FREE_TEXT = "free_text"  # prose with personal values inside: detect within each value
    NONE = "none"  # nothing personal found


@dataclass(frozen=True)
class ColumnReport:
    """The classification of one column.

    Attributes:
        name: the column's name.
        kind: personal data, free text with personal data inside, or neither.
        entity_type: the type of a PII column (None otherwise).
        confidence: the combined evidence for `kind`/`entity_type`, in [0, 1].
        share: share of sampled values matched (whole values for PII, any finding for free
            text).
        sampled: how many non-null values were looked at.
        header_type: the type the header alone suggests, if any.
        value_type: the type most values were found as, if any (DATE_TIME for a column of
            type DATE_OF_BIRTH).
        contains: for free text, the types found inside, most frequent first.
    """

    name: str
    kind: ColumnKind
    entity_type: str | None
    confidence: float
    share: float
    sampled: int
    header_type: str | None = None
    value_type: str | None = None
    contains: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """The type as people read it: "EMAIL_ADDRESS", "free text containing PERSON"."""
        if self.kind is ColumnKind.PII and self.entity_type:
            return self.entity_type
        if self.kind is ColumnKind.FREE_TEXT:
            return "free text containing " + ", ".join(self.contains)
        return "-"

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.name,
            "kind": self.kind.value,
            "type": self.entity_type,
            "label": self.label,
            "confidence": round(self.confidence, 3),
            "share": round(self.share, 3),
            "sampled": self.sampled,
            "header_type": self.header_type,
            "value_type": self.value_type,
            "contains": list(self.contains),
        }


def header_words(name: str) -> tuple[str, ...]:
    """A header split into lower-case words: "billingEmail" → ("billing", "email")."""
    return tuple(w for w in _WORD_SPLIT.split(_CAMEL.sub(" ", name).lower()) if w)


def header_type(name: str) -> tuple[str, float] | None:
    """The entity type a column name suggests, with its weight (None if no hint matches).

    A name that is a hint wins over one that contains a hint ("first_name" is a name, not a
    "name" among other words); among those, the first type listed wins.
    """
    words = header_words(name)
    if not words:
        return None
    for entity, hints in _HINTS:
        if words in hints:
            return entity, HEADER_EXACT
    for entity, hints in _HINTS:
        for hint in hints:
            if _contains(words, hint):
                if entity == PERSON and hint == ("name",) and _NOT_A_PERSON & set(words):
                    continue
                return entity, HEADER_PARTIAL
    return None


def _contains(words: tuple[str, ...], hint: tuple[str, ...]) -> bool:
    n = len(hint)
    return any(words[i : i + n] == hint for i in range(len(words) - n + 1))


@dataclass
class _ValueEvidence:
    sampled: int = 0
    whole: Counter[str] = field(default_factory=Counter)
    partial_values: int = 0
    partial_types: Counter[str] = field(default_factory=Counter)
    partial_scores: list[float] = field(default_factory=list)
    characters: int = 0
    words: int = 0


def _look_at(name: str, values: Iterable[str], analyzer: Analyzer) -> _ValueEvidence:
    label = " ".join(header_words(name)) or "value"
    evidence = _ValueEvidence()
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        evidence.sampled += 1
        evidence.characters += len(value)
        evidence.words += len(value.split())
        offset = len(label) + 2  # after "<label>: "
        findings = [f for f in analyzer.analyze(f"{label}: {value}") if f.end > offset]
        if not findings:
            continue
        whole = next(
            (f for f in findings if _covered(f.start - offset, f.end - offset, len(value))),
            None,
        )
        if whole is not None:
            evidence.whole[whole.entity_type] += 1
        else:
            evidence.partial_values += 1
            evidence.partial_types.update(f.entity_type for f in findings)
            evidence.partial_scores.extend(f.score for f in findings)
    return evidence


def _covered(start: int, end: int, length: int) -> bool:
    return (min(end, length) - max(start, 0)) >= WHOLE_VALUE * length


def classify(name: str, values: Sequence[str], analyzer: Analyzer) -> ColumnReport:
    """Classify one column from its name and a sample of its non-null values (as text).

    Args:
        name: the column's header.
        values: sampled values, already converted to strings (nulls left out).
        analyzer: runs the recognizers on each value.

    Returns:
        The column's report. The caller decides how many values to sample.
    """
    hinted = header_type(name)
    h_type, h_weight = hinted if hinted else (None, 0.0)
    ev = _look_at(name, values, analyzer)
    v_type, v_count = ev.whole.most_common(1)[0] if ev.whole else (None, 0)
    share = v_count / ev.sampled if ev.sampled else 0.0

    entity, confidence = _combine((h_type, h_weight), (v_type, share), ev, analyzer)
    if entity is not None and confidence >= MIN_CONFIDENCE:
        matched = sum(ev.whole[t] for t in _confirming(entity)) / ev.sampled if ev.sampled else 0.0
        return ColumnReport(
            name,
            ColumnKind.PII,
            entity,
            confidence,
            matched,
            ev.sampled,
            header_type=h_type,
            value_type=v_type if v_type in _confirming(entity) else None,
        )
    if ev.sampled and ev.partial_values and _is_prose(ev):
        return ColumnReport(
            name,
            ColumnKind.FREE_TEXT,
            None,
            sum(ev.partial_scores) / len(ev.partial_scores),
            ev.partial_values / ev.sampled,
            ev.sampled,
            header_type=h_type,
            contains=tuple(t for t, _ in ev.partial_types.most_common()),
        )
    return ColumnReport(name, ColumnKind.NONE, None, 0.0, share, ev.sampled, header_type=h_type)


def _confirming(entity: str) -> frozenset[str]:
    """The value types that count as `entity`: itself, and those that confirm it."""
    return _CONFIRMED_BY.get(entity, frozenset()) | {entity}


def _combine(
    header: tuple[str | None, float],
    values: tuple[str | None, float],
    ev: _ValueEvidence,
    analyzer: Analyzer,
) -> tuple[str | None, float]:
    (h_type, h_weight), (v_type, share) = header, values
    if h_type is None:
        return v_type, share
    if v_type is not None and v_type in _confirming(h_type):
        # A generic header ("national_id") yields to the specific type the values show.
        entity = v_type if h_type == NATIONAL_ID else h_type
        return entity, 1 - (1 - h_weight) * (1 - share)
    if v_type is None or share == 0:
        # A header type no recognizer can check (or too few values) cannot be contradicted.
        checkable = _confirming(h_type) & set(analyzer.supported)
        checked = bool(checkable) and ev.sampled >= MIN_UNCONFIRMED_SAMPLE
        seen = sum(ev.partial_types[t] for t in checkable)
        return h_type, h_weight * (UNCONFIRMED if checked and not seen else 1.0)
    if share >= h_weight:
        return v_type, share - h_weight / 2
    return h_type, h_weight - share / 2


def _is_prose(ev: _ValueEvidence) -> bool:
    return (
        ev.characters / ev.sampled >= FREE_TEXT_MIN_LENGTH
        and ev.words / ev.sampled >= FREE_TEXT_MIN_WORDS
    )
