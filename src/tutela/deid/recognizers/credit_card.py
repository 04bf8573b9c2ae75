"""CREDIT_CARD: payment card numbers of the major brands, plain, spaced or dashed, Luhn-checked."""

from __future__ import annotations

import re

from stdnum import luhn

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.recognizers._guards import after_reference
from tutela.deid.registry import register

# (brand, issuer-number prefixes as inclusive ranges of equal-length strings, lengths)
_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    (
        "discover",
        (("6011", "6011"), ("644", "649"), ("65", "65"), ("622126", "622925")),
        frozenset(range(16, 20)),
    ),
    (
        "diners",
        (("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")),
        frozenset(range(14, 20)),
    ),
    ("jcb", (("3528", "3589"),), frozenset(range(16, 20))),
    ("jcb", (("1800", "1800"), ("2131", "2131")), frozenset({15})),
    ("unionpay", (("62", "62"), ("81", "81")), frozenset(range(16, 20))),
    (
        "maestro",
        (
            ("5018", "5018"),
            ("5020", "5020"),
            ("5038", "5038"),
            ("5893", "5893"),
            ("56", "58"),
            ("6304", "6304"),
            ("6759", "6759"),
            ("6761", "6763"),
        ),
        frozenset(range(12, 20)),
    ),
)

# Neither a digit nor a digit group glued on either side ("INV-4111…", "…1111 22").
# The look-behinds follow the first digit so the regex engine can skip to digits.
_FIRST = r"\d(?<![\w-]\d)(?<!\d[ .]\d)"
_AFTER = r"(?![\w-])(?![ .]\d)"


def brand(digits: str) -> str | None:
    """The card brand the issuer prefix and length of `digits` belong to, if any."""
    for name, ranges, lengths in _BRANDS:
        if len(digits) in lengths and any(
            low <= digits[: len(low)] <= high for low, high in ranges
        ):
            return name
    return None


@register
class CreditCardRecognizer(PatternRecognizer):
    name = "credit_card"
    entity = "CREDIT_CARD"
    context = (
        "card",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "american",
        "discover",
        "diners",
        "jcb",
        "unionpay",
        "maestro",
        "cc",
        "pan",
        "kreditkarte",
        "karte",
        "carte",
        "tarjeta",
        "carta",
        "creditcard",
    )
    patterns = (
        # Groups of four, the last one shorter: 4-4-4 (12-digit Maestro), 4-4-4-1 … 4-4-4-4-3;
        # one separator throughout.
        Pattern(
            "grouped",
            _FIRST + r"\d{3}([ -])\d{4}\1\d{4}(?:\1\d{1,4}(?:\1\d{1,3})?)?" + _AFTER,
            0.85,
            digits=12,
        ),
        # 13-digit Visa as 4-3-3-3
        Pattern("grouped_13", _FIRST + r"\d{3}([ -])\d{3}\1\d{3}\1\d{3}" + _AFTER, 0.85, digits=13),
        # Amex 4-6-5, Diners 4-6-4
        Pattern("amex_diners", _FIRST + r"\d{3}([ -])\d{6}\1\d{4,5}" + _AFTER, 0.85, digits=14),
        Pattern("plain", _FIRST + r"\d{12,18}" + _AFTER, 0.6, digits=13),
        # Twelve bare digits (Maestro) are common: only card context lifts them.
        Pattern("plain_12", _FIRST + r"\d{11}" + _AFTER, 0.3, digits=12),
    )

    def validate(self, candidate: str) -> bool:
        digits = re.sub(r"[ -]", "", candidate)
        # One digit repeated (with or without its check digit) is a placeholder, not a card.
        return len(set(digits[:-1])) > 1 and brand(digits) is not None and luhn.is_valid(digits)

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        # An order or invoice number that happens to pass Luhn is still an order number.
        if after_reference(match.string, match.start()):
            return (0, 0)
        return match.span()
