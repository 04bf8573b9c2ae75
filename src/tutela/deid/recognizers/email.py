"""EMAIL_ADDRESS: RFC 5322 "dot-atom" addresses with a real top-level domain shape."""

from __future__ import annotations

import re

from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.registry import register

# "user=jane@example.com" in a log line: the key is not part of the address ("=" is legal in
# a local part, but a personal address starting with "word=" is vanishingly rare).
_KEY_PREFIX = re.compile(r"[A-Za-z_][\w.-]*=(?=[^@=])")


@register
class EmailRecognizer(PatternRecognizer):
    name = "email"
    entity = "EMAIL_ADDRESS"
    context = ("email", "e-mail", "mail", "contact", "address")
    requires = "@"
    patterns = (
        Pattern(
            "address",
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-](?<![\w.+-][A-Za-z0-9!#$%&'*+/=?^_`{|}~-])"
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]*(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
            r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])",
            0.9,
        ),
    )

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        start, end = match.span()
        if key := _KEY_PREFIX.match(match.string, start, end):
            start = key.end()
        return start, end
