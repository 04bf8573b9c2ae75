"""The admin queue's deadline chart: open requests counted by days left, as an inline SVG bar
chart (a pure function of the days-left numbers; no template, no I/O).

The SVG is accessible on its own (`role="img"`, a `<title>` and a `<desc>` naming every count)
and takes its colours from CSS classes (`bar-late`, `bar-week`, …: see `admin.css`), so it
needs no inline style under the pages' CSP. Every piece of text in it is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

DEFAULT_TITLE = "Open requests by days left"
EMPTY_TEXT = "No open requests"
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")

# Geometry, in viewBox units: one row per bucket, its label left, its bar, its count.
_WIDTH = 360
_ROW = 30
_BAR = 20
_TOP = 8
_LABEL_W = 92
_COUNT_W = 40
_BAR_MAX = _WIDTH - _LABEL_W - _COUNT_W


@dataclass(frozen=True)
class Bucket:
    """A range of days left (inclusive; None is open-ended) and how it is called."""

    key: str  # the CSS class suffix: `bar-<key>`
    label: str
    low: int | None
    high: int | None

    def holds(self, days_left: int) -> bool:
        return (self.low is None or days_left >= self.low) and (
            self.high is None or days_left <= self.high
        )


BUCKETS: tuple[Bucket, ...] = (
    Bucket("late", "Late", None, -1),
    Bucket("week", "0\N{EN DASH}7 days", 0, 7),
    Bucket("fortnight", "8\N{EN DASH}14 days", 8, 14),
    Bucket("month", "15\N{EN DASH}30 days", 15, 30),
    Bucket("later", "31+ days", 31, None),
)


def bucket_counts(days_left: Iterable[int]) -> list[tuple[Bucket, int]]:
    """How many of `days_left` fall in each of `BUCKETS`, in order (every bucket listed)."""
    counts = dict.fromkeys(BUCKETS, 0)
    for days in days_left:
        bucket = next(b for b in BUCKETS if b.holds(days))
        counts[bucket] += 1
    return list(counts.items())


def describe(days_left: Sequence[int]) -> str:
    """The chart's numbers in one sentence (its `<desc>`)."""
    if not days_left:
        return f"{EMPTY_TEXT}."
    parts = ", ".join(f"{b.label.lower()}: {n}" for b, n in bucket_counts(days_left))
    total = len(days_left)
    return f"{total} open request{'s' if total != 1 else ''} by days left: {parts}."


def deadline_chart(
    days_left: Sequence[int], *, chart_id: str = "deadline-chart", title: str = DEFAULT_TITLE
) -> str:
    """An SVG bar chart of open requests by days left.

    Args:
        days_left: one number per open request (negative: late).
        chart_id: prefix of the ids the chart's `<title>` and `<desc>` carry (unique on the
            page; letters, digits, `-` and `_`).
        title: the chart's accessible name.

    Returns:
        SVG markup (a string of escaped text, ready to place inline in HTML).

    Raises:
        ValueError: `chart_id` is not a usable id.
    """
    if not _ID.fullmatch(chart_id):
        raise ValueError("chart_id must be letters, digits, '-' or '_', starting with a letter")
    counts = bucket_counts(days_left)
    most = max((n for _, n in counts), default=0)
    height = _TOP * 2 + _ROW * len(counts) + (_ROW if not days_left else 0)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="deadline-chart" id="{chart_id}" '
        f'viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" focusable="false">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(describe(days_left))}</desc>',
    ]
    for row, (bucket, count) in enumerate(counts):
        y = _TOP + row * _ROW
        width = round(_BAR_MAX * count / most) if most else 0
        middle = y + _BAR // 2
        out.append(f'<g class="row row-{bucket.key}">')
        out.append(
            f'<text class="label" x="{_LABEL_W - 6}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="central">{escape(bucket.label)}</text>'
        )
        out.append(
            f'<rect class="bar bar-{bucket.key}" x="{_LABEL_W}" y="{y}" '
            f'width="{max(width, 1) if count else 0}" height="{_BAR}" rx="2"/>'
        )
        out.append(
            f'<text class="count" x="{_LABEL_W + width + 6}" y="{middle}" '
            f'dominant-baseline="central">{count}</text>'
        )
        out.append("</g>")
    if not days_left:
        y_empty = _TOP + _ROW * len(counts) + _BAR // 2
        out.append(
            f'<text class="empty" x="{_WIDTH // 2}" y="{y_empty}" text-anchor="middle" '
            f'dominant-baseline="central">{escape(EMPTY_TEXT)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
