"""DE_TAX_ID: German personal tax identification numbers (Steuer-IdNr), eleven digits,
compact or grouped "36 574 261 809", checked with `stdnum.de.idnr`."""

from __future__ import annotations

import re

from stdnum.de import idnr

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.recognizers._guards import after_reference
from tutela.deid.registry import register

_EDGE_BEFORE = r"(?<![\w./-])(?<!\d )"
_EDGE_AFTER = r"(?![\w-])(?![ .]\d)"


@register
class DeTaxIdRecognizer(PatternRecognizer):
    name = "de_tax_id"
    entity = "DE_TAX_ID"
    context = (
        "steuer",  # Steuer-ID, Steuer-IdNr, Steueridentifikationsnummer
        "steuerid",
        "idnr",
        "identifikationsnummer",
        "tin",
        "tax",
        "finanzamt",
    )
    # The checks (one digit repeated, mod 11,10) pass about 1 in 300 random 11-digit numbers:
    # enough to report one at the threshold; context makes it certain.
    patterns = (
        Pattern(
            "grouped",
            r"[1-9](?<![\w./-][1-9])(?<!\d [1-9])\d ?\d{3} ?\d{3} ?\d{3}" + _EDGE_AFTER,
            0.5,
            digits=11,
        ),
    )

    def validate(self, candidate: str) -> bool:
        return idnr.is_valid(candidate)

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        if after_reference(match.string, match.start()):
            return (0, 0)  # an empty span drops the match
        return match.span()
