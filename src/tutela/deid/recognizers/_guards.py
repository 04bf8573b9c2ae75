"""Checks the structured recognizers share to reject look-alikes: a span that is only part of
a longer token or digit run, a number introduced as an order/invoice/ticket reference, a price.

Not a recognizer (the leading underscore keeps the registry from importing it).
"""

from __future__ import annotations

import re

from tutela.deid.recognizers._lexicon import wordset

_LOOKBACK = 40  # characters of preceding text the negative-context checks read

# "Order #123", "invoice no. 123", "ref: 123", "tracking number 123", "#123": an identifier
# of the business, not of a person. Read forwards, the text before a number ends with
#   (?<![^\W\d_])(?:REFERENCE_WORDS)s?[\s.:#-]*(?:(?:NUMBER_WORDS)\b[\s.:#-]*)?|#\s*
# ($: at the end, or before a final newline). Searching for that means trying it at every
# position; the same pattern reversed is matched once, at the start of the reversed text.
_REFERENCE_WORDS = wordset(
    "order invoice inv ref reference tracking ticket case receipt transaction txn "
    "confirmation booking shipment parcel sku item bestellung rechnung commande facture "
    "pedido factura ordine fattura riferimento referencia référence referenz referentie "
    "kenmerk aktenzeichen"
)
_NUMBER_WORDS = wordset("no nr n° nº num number nummer numéro número numero id")
_REFERENCE_REVERSED = re.compile(
    r"\n?(?:(?:[\s.:#-]*\b(?:"
    + "|".join(re.escape(word[::-1]) for word in _NUMBER_WORDS)
    + r"))?[\s.:#-]*s?(?:"
    + "|".join(re.escape(word[::-1]) for word in _REFERENCE_WORDS)
    + r")(?![^\W\d_])|\s*#)",
    re.IGNORECASE,
)
_CURRENCY = re.compile(r"(?:[$€£¥₹]|\b(?:usd|eur|gbp|chf|jpy))\s*$", re.IGNORECASE)


def glued(text: str, start: int, end: int, joiners: str = "-/._") -> bool:
    """Whether `text[start:end]` is part of a longer token.

    True if a letter or digit touches the span, or a joiner character sits between the span
    and a letter or digit ("INV-2024", "10.0.19045", "a1b2/123").
    """
    return glued_before(text, start, joiners) or glued_after(text, end, joiners)


def glued_before(text: str, start: int, joiners: str = "-/._") -> bool:
    """Whether a letter or digit (or a joiner after one) sits right before `start`."""
    if start == 0:
        return False
    before = text[start - 1]
    if before.isalnum() or before == "_":
        return True
    return before in joiners and start > 1 and text[start - 2].isalnum()


def glued_after(text: str, end: int, joiners: str = "-/._") -> bool:
    """Whether a letter or digit (or a joiner before one) sits right at `end`."""
    if end >= len(text):
        return False
    after = text[end]
    if after.isalnum() or after == "_":
        return True
    return after in joiners and end + 1 < len(text) and text[end + 1].isalnum()


def in_digit_run(text: str, start: int, end: int, separators: str = " -.") -> bool:
    """Whether a digit sits next to the span, directly or across one separator: the span
    is a piece of a longer number ("9400 1000 0000 0000 0000 00")."""
    if start > 0:
        if text[start - 1].isdigit():
            return True
        if text[start - 1] in separators and start > 1 and text[start - 2].isdigit():
            return True
    if end < len(text):
        if text[end].isdigit():
            return True
        if text[end] in separators and end + 1 < len(text) and text[end + 1].isdigit():
            return True
    return False


def after_reference(text: str, start: int) -> bool:
    """Whether the span at `start` is introduced as a business reference ("Order #", "ref:")."""
    return preceded_by_reversed(text, start, _REFERENCE_REVERSED)


def preceded_by_reversed(text: str, start: int, reversed_words: re.Pattern[str]) -> bool:
    """Whether `reversed_words` matches the start of the text just before `start` read
    backwards: `preceded_by` for the reversed pattern, matched once instead of searched."""
    return reversed_words.match(text[max(0, start - _LOOKBACK) : start][::-1]) is not None


def after_currency(text: str, start: int) -> bool:
    """Whether the span at `start` follows a currency sign or code (a price)."""
    return _CURRENCY.search(text[max(0, start - 8) : start]) is not None


def preceded_by(text: str, start: int, words: re.Pattern[str]) -> bool:
    """Whether `words` (a pattern anchored with `$`) matches the text just before `start`."""
    return words.search(text[max(0, start - _LOOKBACK) : start]) is not None


def search_ending(
    regex: re.Pattern[str], before: str, longest: int, tail: str = " \t"
) -> re.Match[str] | None:
    """`regex.search(before)` for a regex that matches a word or phrase of at most `longest`
    characters, not ending in a `tail` character, then only `tail` characters to the end:
    the search starts where such a phrase could, not at every position of `before`."""
    phrase_end = len(before.rstrip(tail))
    return regex.search(before, max(0, phrase_end - longest))
