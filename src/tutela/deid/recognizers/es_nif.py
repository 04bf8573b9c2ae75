"""ES_NIF: Spanish personal tax/identity numbers — DNI ("12345678Z", "12.345.678-Z") and NIE
("X1234567L") — with their check letter verified (`stdnum.es.dni`, `stdnum.es.nie`)."""

from __future__ import annotations

import re

from stdnum.es import dni, nie

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.registry import register

_EDGE_BEFORE = r"(?<![\w./-])"
_EDGE_AFTER = r"(?![\w-])"


@register
class EsNifRecognizer(PatternRecognizer):
    name = "es_nif"
    entity = "ES_NIF"
    context = ("dni", "nie", "nif", "documento", "identidad", "identificación", "extranjero")
    patterns = (
        Pattern(
            "dni",
            r"\d(?<![\w./-]\d)(?:\d{7}|\d\.\d{3}\.\d{3})[ -]?[A-Za-z]" + _EDGE_AFTER,
            0.65,
            digits=8,
        ),
        Pattern("nie", r"[XYZxyz](?<![\w./-][XYZxyz])-?\d{7}-?[A-Za-z]" + _EDGE_AFTER, 0.7),
    )

    def validate(self, candidate: str) -> bool:
        number = re.sub(r"[\s.-]", "", candidate).upper()
        return nie.is_valid(number) if number[0] in "XYZ" else dni.is_valid(number)
