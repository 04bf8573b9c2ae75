"""IT_FISCAL_CODE: Italian codice fiscale of a person (16 characters, omocodia variants
included), with its birth date and check character verified (`stdnum.it.codicefiscale`)."""

from __future__ import annotations

import re

from stdnum.it import codicefiscale

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.registry import register

_DIGIT = "[0-9LMNPQRSTUV]"  # omocodia replaces digits with these letters


@register
class ItFiscalCodeRecognizer(PatternRecognizer):
    name = "it_fiscal_code"
    entity = "IT_FISCAL_CODE"
    context = ("codice", "fiscale", "cf", "tessera", "sanitaria", "fiscal", "tax")
    patterns = (
        Pattern(
            "code",
            rf"[A-Z](?<![\w-][A-Z])[A-Z]{{5}}{_DIGIT}{{2}}[ABCDEHLMPRST]{_DIGIT}{{2}}[A-Z]{_DIGIT}{{3}}[A-Z](?![\w-])",
            0.85,
            re.IGNORECASE,
        ),
    )

    def validate(self, candidate: str) -> bool:
        return codicefiscale.is_valid(candidate)
