"""US_SSN: US Social Security numbers, dashed or spaced; nine bare digits only when an
"SSN"/"social security" label precedes them. Area, group and serial checked (`stdnum.us.ssn`)."""

from __future__ import annotations

import re

from stdnum.us import ssn

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.recognizers._guards import after_reference, preceded_by
from tutela.deid.registry import register

# Numbers used in advertising and examples, never issued (or voided after misuse).
_SAMPLES = frozenset({"123456789", "078051120", "457555462", "219099999", "111111111"})
# "SSN", "social security number", then at most four words ("SSN on file is") before the number.
_LABEL = re.compile(
    r"(?<![^\W\d_])(?:ssn|ss\#|social\s+security)(?:[\W_]+[^\W\d_]+){0,4}[\s:#=.-]*$",
    re.IGNORECASE,
)
# The look-behinds follow the first digit so the regex engine can skip to digits.
_FIRST = r"\d(?<![\w./-]\d)(?<!\d \d)"
_EDGE_AFTER = r"(?![\w-])(?!\.\d)"


@register
class UsSsnRecognizer(PatternRecognizer):
    name = "us_ssn"
    entity = "US_SSN"
    context = ("ssn", "ssns", "social", "security")
    patterns = (
        Pattern("dashed", _FIRST + r"\d{2}-\d{2}-\d{4}" + _EDGE_AFTER, 0.6, digits=9),
        Pattern("spaced", _FIRST + r"\d{2} \d{2} \d{4}" + _EDGE_AFTER + r"(?! \d)", 0.5, digits=9),
        # Bare nine digits: only after an SSN label (checked in `span`), hence the score.
        Pattern("labelled", r"(?P<bare>" + _FIRST + r"\d{8})" + _EDGE_AFTER, 0.6, digits=9),
    )

    def validate(self, candidate: str) -> bool:
        digits = candidate.replace("-", "").replace(" ", "")
        return ssn.is_valid(digits) and digits not in _SAMPLES and len(set(digits)) > 1

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        start = match.start()
        if after_reference(match.string, start):
            return (0, 0)  # an empty span drops the match
        if "bare" in match.re.groupindex and not preceded_by(match.string, start, _LABEL):
            return (0, 0)
        return match.span()
