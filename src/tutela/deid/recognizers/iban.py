"""IBAN_CODE: international bank account numbers, compact or grouped by four, any case,
checked with mod-97 and the country's length and structure (`stdnum.iban`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.registry import register

# Every IBAN starts with two letters and two digits: both patterns are tried only where
# those are (found by one scan, which the regex engine runs fast from digit to digit).
_START = re.compile(r"\d\d(?<=[A-Za-z]{2}\d\d)")
_COMPACT = re.compile(r"[A-Za-z](?<![^\W_][A-Za-z])[A-Za-z]\d{2}[A-Za-z0-9]{11,30}(?![^\W_])")
# The last group may be a following short word ("… 7034 and"); `find` trims it off.
_GROUPED = re.compile(
    r"[A-Za-z](?<![^\W_][A-Za-z])[A-Za-z]\d{2}"
    r"(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?(?![^\W_])"
)


@register
class IbanRecognizer(Recognizer):
    name = "iban"
    entities = ("IBAN_CODE",)
    context = (
        "iban",
        "account",
        "bank",
        "sepa",
        "transfer",
        "konto",
        "bankverbindung",
        "überweisung",
        "compte",
        "rib",
        "virement",
        "cuenta",
        "transferencia",
        "conto",
        "bonifico",
        "rekening",
    )
    score = 0.9

    def find(self, text: str) -> Iterator[Finding]:
        starts = [found.start() - 2 for found in _START.finditer(text)]
        for regex in (_COMPACT, _GROUPED):
            pos = 0
            for start in starts:
                if start < pos or (match := regex.match(text, start)) is None:
                    continue
                end = self._longest_valid(text, match)
                if end is None:
                    continue
                yield Finding("IBAN_CODE", match.start(), end, self.score, self.name)
                # A grouped match may run into a following IBAN: resume after this one.
                pos = end

    @staticmethod
    def _longest_valid(text: str, match: re.Match[str]) -> int | None:
        """The end of the longest prefix of the match, cut between groups, that is an IBAN."""
        start = match.start()
        ends = [match.end()] + [
            start + i for i, c in reversed(list(enumerate(match.group()))) if c == " "
        ]
        for end in ends:
            if iban.is_valid(text[start:end], check_country=False):
                return end
        return None
