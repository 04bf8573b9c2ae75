"""URL: http(s) and ftp URLs and "www." addresses, with sentence punctuation after them (and a
closing bracket that opens nowhere inside) left out. An email address is not a URL."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Pattern, PatternRecognizer
from tutela.deid.registry import register

_TAIL = r"""[^\s<>"'`]*"""
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "[", "}": "{"}


@register
class UrlRecognizer(PatternRecognizer):
    name = "url"
    entity = "URL"
    context = ("url", "website", "web", "site", "link", "homepage", "profile", "page", "blog")
    patterns = (
        Pattern(
            "scheme", r"(?:h(?<![\w.+-]h)ttps?|f(?<![\w.+-]f)tp)://" + _TAIL, 0.6, re.IGNORECASE
        ),
        Pattern("www", r"w(?<![\w.@/-]w)ww\." + _TAIL, 0.5, re.IGNORECASE),
    )

    def find(self, text: str) -> Iterator[Finding]:
        # Every match holds "://" or "www." (in any case): most texts hold neither.
        if "://" not in text and "ww." not in text.lower():
            return iter(())
        return super().find(text)

    def validate(self, candidate: str) -> bool:
        host = re.sub(r"^(?:[a-z]+://)", "", candidate, flags=re.IGNORECASE)
        host = re.split(r"[/?#]", host, maxsplit=1)[0].rsplit("@", 1)[-1].split(":")[0].lower()
        if host.startswith("www."):
            host = host[4:]
        labels = host.split(".")
        return host == "localhost" or (len(labels) > 1 and all(labels))

    def span(self, match: re.Match[str]) -> tuple[int, int]:
        start, end = match.span()
        text = match.string
        while end > start:
            last = text[end - 1]
            unbalanced = last in _PAIRS and text.count(last, start, end) > text.count(
                _PAIRS[last], start, end
            )
            if last not in _TRAILING and not unbalanced:
                break
            end -= 1
        return start, end
