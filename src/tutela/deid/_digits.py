"""Where the numbers of a text start, found once per text and shared by the recognizers.

A regex scan costs about the same per character whatever it looks for, and a dozen
recognizer patterns start with a digit. Each of them is tried only where a number starts
(`matches_at_numbers`) instead of being searched for across the whole text; the starts
are found by one scan, remembered for the last few texts (`numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_RUN = re.compile(r"\d+")
_JOINERS = " .-"


@lru_cache(maxsize=8)
def numbers(text: str) -> tuple[tuple[int, int], ...]:
    """`(start, digits)` for each run of digits that no word character precedes.

    `digits` counts the digits from `start` on, across single spaces, dots and dashes
    ("4111 1111-1111.1111" counts 16): no match starting there that holds only digits
    and such single joiners can hold more.
    """
    runs = [match.span() for match in _RUN.finditer(text)]
    found: list[tuple[int, int]] = []
    digits = 0
    next_start = -1
    for start, end in reversed(runs):
        if next_start == end + 1 and text[end] in _JOINERS:
            digits += end - start
        else:
            digits = end - start
        next_start = start
        # \w is a letter, digit or underscore (`str.isalnum` is the same test as re's).
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            found.append((start, digits))
    found.reverse()
    return tuple(found)


def matches_at_numbers(regex: re.Pattern[str], text: str, digits: int) -> Iterator[re.Match[str]]:
    """The matches `regex.finditer(text)` would give, for a regex that matches only where
    a digit no word character precedes starts at least `digits` digits (see `numbers`):
    it is tried at those places alone, left to right, never inside an earlier match."""
    end = 0
    for start, ahead in numbers(text):
        if start >= end and ahead >= digits and (match := regex.match(text, start)):
            end = match.end()
            yield match
