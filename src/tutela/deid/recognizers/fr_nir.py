"""FR_NIR: French social security numbers (NIR / numéro INSEE), compact or spaced
("2 95 10 99 126 111 93"), with their mod-97 key checked (`stdnum.fr.nir`)."""

from __future__ import annotations

from stdnum.fr import nir

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.registry import register

# sex (1/2, 7/8 provisional; the rare 3/4 are left out: they would clash with Amex 34/37),
# year, month (01-12, 20+ for unknown), department (2A/2B for Corsica), commune, serial, key
_NIR = (
    r"[1278](?<![\w.-][1278]) ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[ABab])"
    r" ?\d{3} ?\d{3} ?\d{2}(?![\w-])(?! \d)"
)


@register
class FrNirRecognizer(PatternRecognizer):
    name = "fr_nir"
    entity = "FR_NIR"
    context = (
        "nir",
        "insee",
        "sécurité",
        "securite",
        "sociale",
        "vitale",
        "assuré",
        "assure",
        "ssn",
    )
    # Six digits at least come before the department, which may be "2A" or "2B".
    patterns = (Pattern("nir", _NIR, 0.65, digits=6),)

    def validate(self, candidate: str) -> bool:
        return nir.is_valid(candidate)
