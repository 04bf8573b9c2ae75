"""UK_NINO: UK National Insurance numbers ("QQ 12 34 56 C"), by HMRC's published format rules
(python-stdnum has no module for them)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.recognizers._guards import preceded_by
from tutela.deid.registry import register

# Prefixes HMRC never allocates (first letters D F I Q U V and second letters D F I O Q U V
# are excluded by the pattern itself).
_UNALLOCATED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
# "NI number is", "NI no.": the analyzer's context words are single words and "ni" alone
# would match far too much, so this label is checked here.
_NI_LABEL = re.compile(
    r"(?<![^\W\d_])ni\s+(?:number|no\.?|nr\.?|#)(?:\s+is)?\s*[:#]?\s*$", re.IGNORECASE
)
_NUMBER = r" ?\d{2} ?\d{2} ?\d{2} ?"


@register
class UkNinoRecognizer(PatternRecognizer):
    name = "uk_nino"
    entity = "UK_NINO"
    context = ("nino", "national", "insurance", "hmrc", "paye")
    LABEL_BOOST = 0.35
    patterns = (
        Pattern(
            "upper",
            r"[A-CEGHJ-PR-TW-Z](?<![\w-][A-CEGHJ-PR-TW-Z])[A-CEGHJ-NPR-TW-Z]"
            + _NUMBER
            + r"[A-D](?![\w-])",
            0.65,
        ),
        # Typed in lower case: as likely a product code, so context decides.
        Pattern(
            "lower",
            r"[a-ceghj-pr-tw-z](?<![\w-][a-ceghj-pr-tw-z])[a-ceghj-npr-tw-z]"
            + _NUMBER
            + r"[a-d](?![\w-])",
            0.4,
        ),
    )

    def validate(self, candidate: str) -> bool:
        compact = "".join(candidate.split()).upper()
        return compact[:2] not in _UNALLOCATED and len(compact) == 9

    def find(self, text: str) -> Iterator[Finding]:
        for found in super().find(text):
            if preceded_by(text, found.start, _NI_LABEL):
                yield found.with_score(min(1.0, found.score + self.LABEL_BOOST))
            else:
                yield found
