"""NL_BSN: Dutch citizen service numbers (burgerservicenummer), nine digits passing the
11-test (`stdnum.nl.bsn`). Nine digits are common, so only context lifts a BSN over the
threshold."""

from __future__ import annotations

import re

from stdnum.nl import bsn

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.recognizers._guards import after_reference
from tutela.deid.registry import register

# The look-behinds follow the first digit so the regex engine can skip to digits.
_FIRST = r"\d(?<![\w./-]\d)(?<!\d \d)"
_EDGE_AFTER = r"(?![\w-])(?![ .]\d)"


@register
class NlBsnRecognizer(PatternRecognizer):
    name = "nl_bsn"
    entity = "NL_BSN"
    context = ("bsn", "burgerservicenummer", "sofinummer", "citizen")  # citizen service number
    patterns = (
        Pattern("plain", _FIRST + r"\d{8}" + _EDGE_AFTER, 0.3, digits=9),
        Pattern("dotted", _FIRST + r"\d{3}\.\d{2}\.\d{3}" + _EDGE_AFTER, 0.3, digits=9),
        Pattern("spaced", _FIRST + r"\d{2} \d{3} \d{3}" + _EDGE_AFTER, 0.3, digits=9),
    )

    def validate(self, candidate: str) -> bool:
        return bsn.is_valid(candidate) and len(set(re.sub(r"\D", "", candidate))) > 1

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        if after_reference(match.string, match.start()):
            return (0, 0)  # an empty span drops the match
        return match.span()
