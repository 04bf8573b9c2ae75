"""Recognizers a policy declares: a regular expression, an optional checksum from a named set,
context words and a score.

    recognizers:
      - name: employee_id
        entity_type: EMPLOYEE_ID
        regex: "EMP-\\d{6}"
        validator: luhn          # optional: luhn, iban, mod97, mod11_2, mod11_10, verhoeff,
                                 # damm, isbn, ean, nhs, us_ssn, eu_vat
        context: [employee, staff]
        score: 0.8
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum import damm, ean, iban, isbn, luhn, verhoeff
from stdnum.eu import vat
from stdnum.gb import nhs
from stdnum.iso7064 import mod_11_2, mod_11_10, mod_97_10
from stdnum.us import ssn

from tutela.deid.recognizer import Pattern, PatternRecognizer

_SEPARATORS = re.compile(r"[\s\-./]")


def _compact(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """Run a checksum on the candidate without spaces, dashes, dots or slashes."""
    return lambda candidate: check(_SEPARATORS.sub("", candidate))


def _digits(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """Run a digit checksum on the digits of the candidate (prefixes like ``EMP-`` ignored)."""

    def run(candidate: str) -> bool:
        digits = "".join(c for c in candidate if "0" <= c <= "9")
        return bool(digits) and check(digits)

    return run


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": _digits(luhn.is_valid),
    "verhoeff": _digits(verhoeff.is_valid),
    "damm": _digits(damm.is_valid),
    "mod11_10": _digits(mod_11_10.is_valid),
    "mod11_2": _compact(lambda s: mod_11_2.is_valid(s.upper())),
    "mod97": _compact(lambda s: mod_97_10.is_valid(s.upper())),
    "iban": _compact(iban.is_valid),
    "isbn": _compact(isbn.is_valid),
    "ean": _compact(ean.is_valid),
    "nhs": _compact(nhs.is_valid),
    "us_ssn": ssn.is_valid,
    "eu_vat": _compact(vat.is_valid),
}
ValidatorName = Literal[
    "luhn",
    "verhoeff",
    "damm",
    "mod11_10",
    "mod11_2",
    "mod97",
    "iban",
    "isbn",
    "ean",
    "nhs",
    "us_ssn",
    "eu_vat",
]
ENTITY_TYPE = r"^[A-Z][A-Z0-9_]{0,63}$"
MAX_REGEX = 1000


class RecognizerSpec(BaseModel):
    """One custom recognizer of a policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    entity_type: str = Field(pattern=ENTITY_TYPE)
    regex: str = Field(min_length=1, max_length=MAX_REGEX)
    validator: ValidatorName | None = None
    context: tuple[str, ...] = Field((), max_length=50)
    score: float = Field(0.6, ge=0.0, le=1.0)
    ignore_case: bool = False

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            compiled = re.compile(regex)
        except (re.error, RecursionError, OverflowError):
            raise ValueError("is not a valid regular expression") from None
        if compiled.match(""):
            raise ValueError("must not match the empty string")
        return regex

    @field_validator("context")
    @classmethod
    def _words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        if any(not w.strip() or len(w) > 64 for w in words):
            raise ValueError("context words must be 1 to 64 characters")
        return tuple(w.strip().casefold() for w in words)


class CustomRecognizer(PatternRecognizer):
    """A `PatternRecognizer` made from a policy's `RecognizerSpec`."""

    def __init__(self, spec: RecognizerSpec) -> None:
        self.name = spec.name
        self.entity = spec.entity_type
        self.context = spec.context
        flags = re.IGNORECASE if spec.ignore_case else 0
        self.patterns = (Pattern(spec.name, spec.regex, spec.score, flags),)
        self._check = VALIDATORS[spec.validator] if spec.validator else None
        super().__init__()

    def validate(self, candidate: str) -> bool:
        return self._check is None or bool(self._check(candidate))
