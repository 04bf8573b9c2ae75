"""What every reader of business tables shares: guessing a CSV file's field separator (ARX
and many European exports use `;`, some `|` or tabs)."""

from __future__ import annotations

from pathlib import Path

SEPARATORS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024


def sniff_separator(head: bytes) -> str:
    """The most frequent candidate separator outside quotes in the header line (`,` if
    none occurs)."""
    text = head.decode("utf-8-sig", errors="replace")
    line = text.splitlines()[0] if text else ""
    outside, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def separator_of(path: Path) -> str:
    """A CSV file's separator: a tab for `.tsv`, otherwise sniffed from its header line.

    Raises:
        OSError: the file cannot be read.
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    with path.open("rb") as handle:
        return sniff_separator(handle.read(SNIFF_BYTES))
