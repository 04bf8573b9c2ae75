"""The anonymization report's charts as inline SVG: risk before vs after, the histogram of
equivalence-class sizes, and the suppressed share (pure functions of numbers; no template,
no I/O).

Like the admin's deadline chart, each SVG is accessible on its own (`role="img"`, a `<title>`
and a `<desc>` that states every number shown), takes its colours from CSS classes of the
report's embedded stylesheet (no inline style), and escapes every piece of text it writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tutela.anonymize.report import SizeBucket

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")

# Geometry, in viewBox units.
_WIDTH = 560
_LABEL_W = 170
_VALUE_W = 70
_BAR_MAX = _WIDTH - _LABEL_W - _VALUE_W
_HIST_MAX = _WIDTH - _LABEL_W - 150  # room for "12,345 (1,234,567 rec.)"
_TOP = 8


@dataclass(frozen=True)
class RiskBar:
    """One risk figure, as a share in [0, 1], before and after anonymization."""

    label: str
    before: float
    after: float


def percent(share: float) -> str:
    """A share as a percentage for people: 2 significant decimals when small."""
    value = share * 100
    if value == 0:
        return "0%"
    if value < 0.1:
        return f"{value:.3f}%"
    if value < 10:
        return f"{value:.2f}%"
    return f"{value:.1f}%"


def _open(chart_id: str, css: str, height: int, title: str, desc: str) -> list[str]:
    if not _ID.fullmatch(chart_id):
        raise ValueError("chart_id must be letters, digits, '-' or '_', starting with a letter")
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    return [
        f'<svg class="chart {css}" id="{chart_id}" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" focusable="false">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]


def _label(x: int, y: float, text: str, css: str = "label", anchor: str = "end") -> str:
    return (
        f'<text class="{css}" x="{x}" y="{y:g}" text-anchor="{anchor}" '
        f'dominant-baseline="central">{escape(text)}</text>'
    )


def _bar(css: str, x: float, y: float, width: float, height: float) -> str:
    return (
        f'<rect class="{css}" x="{x:g}" y="{y:g}" width="{width:.1f}" height="{height:g}" rx="2"/>'
    )


def risk_chart(
    bars: Sequence[RiskBar],
    *,
    chart_id: str = "risk-chart",
    title: str = "Re-identification risk before and after",
) -> str:
    """Paired horizontal bars, before (upper) and after (lower), on a common 0-100% scale.

    Raises:
        ValueError: `chart_id` is not a usable id.
    """
    row, bar, gap = 52, 18, 4
    legend = 26
    height = _TOP * 2 + legend + row * len(bars)
    desc = "; ".join(
        f"{b.label}: {percent(b.before)} before, {percent(b.after)} after" for b in bars
    )
    out = _open(chart_id, "risk-chart", height, title, f"{desc}." if bars else "No figures.")
    out.append('<g class="legend">')
    out.append(_bar("bar-before", _LABEL_W, _TOP, 14, 14))
    out.append(_label(_LABEL_W + 20, _TOP + 7, "before", "legend-text", "start"))
    out.append(_bar("bar-after", _LABEL_W + 90, _TOP, 14, 14))
    out.append(_label(_LABEL_W + 110, _TOP + 7, "after", "legend-text", "start"))
    out.append("</g>")
    for index, item in enumerate(bars):
        y = _TOP + legend + index * row
        out.append('<g class="row">')
        out.append(_label(_LABEL_W - 8, y + bar + gap / 2, item.label))
        for offset, css, value in (
            (0, "bar-before", item.before),
            (bar + gap, "bar-after", item.after),
        ):
            share = min(max(value, 0.0), 1.0)
            width = _BAR_MAX * share
            out.append(_bar(css, _LABEL_W, y + offset, max(width, 1.0) if share else 0, bar))
            out.append(
                _label(
                    int(_LABEL_W + width + 6),
                    y + offset + bar / 2,
                    percent(value),
                    "value",
                    "start",
                )
            )
        out.append("</g>")
    axis_y = _TOP + legend + row * len(bars) - 4
    out.append(
        f'<line class="axis" x1="{_LABEL_W}" y1="{_TOP + legend - 4}" x2="{_LABEL_W}" '
        f'y2="{axis_y}"/>'
    )
    out.append("</svg>")
    return "".join(out)


def size_histogram(
    buckets: Sequence[SizeBucket],
    *,
    k: int | None = None,
    chart_id: str = "size-histogram",
    title: str = "Equivalence classes by size",
) -> str:
    """One row per range of class sizes: a bar for the number of classes, with the records.

    Args:
        buckets: the ranges, smallest first (`AnonymizationReport.size_buckets`).
        k: the k of k-anonymity, to mark ranges below it (which a release must not hold).
        chart_id: prefix of the ids of the chart's `<title>` and `<desc>`.
        title: the chart's accessible name.

    Raises:
        ValueError: `chart_id` is not a usable id.
    """
    row, bar = 28, 20
    height = _TOP * 2 + row * max(len(buckets), 1)
    most = max((b.classes for b in buckets), default=0)
    desc = (
        "; ".join(
            f"size {b.label}: {b.classes:,} class{'es' if b.classes != 1 else ''}, "
            f"{b.records:,} records"
            for b in buckets
        )
        + "."
        if buckets
        else "No released records."
    )
    out = _open(chart_id, "size-histogram", height, title, desc)
    if not buckets:
        out.append(_label(_WIDTH // 2, _TOP + row / 2, "No released records", "empty", "middle"))
    for index, bucket in enumerate(buckets):
        y = _TOP + index * row
        width = _HIST_MAX * bucket.classes / most if most else 0
        below = k is not None and bucket.high < k
        css = "bar-small" if below else "bar-size"
        out.append('<g class="row">')
        out.append(_label(_LABEL_W - 8, y + bar / 2, f"size {bucket.label}"))
        out.append(_bar(css, _LABEL_W, y, max(width, 1.0) if bucket.classes else 0, bar))
        out.append(
            _label(
                int(_LABEL_W + width + 6),
                y + bar / 2,
                f"{bucket.classes:,} ({bucket.records:,} rec.)",
                "value",
                "start",
            )
        )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def suppression_bar(
    records: int,
    suppressed: int,
    limit: float,
    *,
    chart_id: str = "suppression-bar",
    title: str = "Released and suppressed records",
) -> str:
    """One stacked bar of all records: released, then suppressed, with the limit marked.

    Raises:
        ValueError: `chart_id` is not a usable id.
    """
    height = 64
    left, width = 10, _WIDTH - 20
    share = suppressed / records if records else 0.0
    desc = (
        f"{records - suppressed:,} of {records:,} records released; {suppressed:,} suppressed "
        f"({percent(share)}), limit {percent(limit)}."
    )
    out = _open(chart_id, "suppression-bar", height, title, desc)
    cut = width * share
    out.append(_bar("bar-released", left, _TOP, width - cut, 24))
    if suppressed:
        out.append(_bar("bar-suppressed", left + width - cut, _TOP, max(cut, 2.0), 24))
    if 0 < limit < 1:
        x = left + width * (1 - limit)
        out.append(
            f'<line class="limit" x1="{x:.1f}" y1="{_TOP - 4}" x2="{x:.1f}" y2="{_TOP + 28}"/>'
        )
    out.append(_label(left, _TOP + 44, f"released {records - suppressed:,}", "value", "start"))
    out.append(
        _label(
            left + width,
            _TOP + 44,
            f"suppressed {suppressed:,} ({percent(share)}; limit {percent(limit)})",
            "value",
            "end",
        )
    )
    out.append("</svg>")
    return "".join(out)
