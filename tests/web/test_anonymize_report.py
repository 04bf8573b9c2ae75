"""The anonymization report (`tutela.web.anonymize_report`): a self-contained HTML file with
its sections and inline SVG charts, escaped values, and no script or outside asset."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import polars as pl
import pytest

from tutela.anonymize.report import AnonymizationReport, SizeBucket, build_report
from tutela.anonymize.result import Metrics, Result, SearchStats
from tutela.anonymize.risk import assess_risk
from tutela.web.anonymize_charts import RiskBar, percent, risk_chart, size_histogram
from tutela.web.anonymize_report import render_anonymize_report

NASTY = '<script>alert("x")</script>&'
QUASI = ("age", NASTY)


def _metrics(records: int, suppressed: int, classes: int) -> Metrics:
    return Metrics(
        loss=0.5266,
        loss_per_attribute={"age": 0.25, NASTY: 0.75},
        height=3,
        precision=0.4,
        discernibility=123_456,
        avg_class_size=(records - suppressed) / classes,
        c_avg=1.5,
        non_uniform_entropy=42.0,
        non_uniform_entropy_normalized=0.31,
        classes=classes,
        suppressed=suppressed,
        suppressed_share=suppressed / records,
        records=records,
    )


@pytest.fixture
def report() -> AnonymizationReport:
    original = pl.DataFrame(
        {"age": [str(20 + i) for i in range(10)], NASTY: ["a", "b"] * 5, "x": list(range(10))}
    )
    released = pl.DataFrame(
        {"age": ["20-29"] * 8, NASTY: ["*"] * 8, "x": list(range(8))},
    )
    result = Result(
        table=released,
        quasi=QUASI,
        levels={"age": 1, NASTY: 2},
        metrics=_metrics(10, 2, 1),
        suppressed_rows=(8, 9),
        method="optimal",
        models="2-anonymity",
        metric="loss",
        search=SearchStats(lattice_size=6, evaluated=4, anonymous=2),
    )
    return build_report(
        original,
        result,
        heights={"age": 4, NASTY: 2},
        suppression_limit=0.25,
        source=f"{NASTY}.csv",
        k=2,
    )


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.ids.update(v for k, v in attrs if k == "id" and v)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_the_report_has_every_section_and_chart(report: AnonymizationReport) -> None:
    html = render_anonymize_report(report)
    page = parse(html)
    assert {"summary", "levels", "utility", "risk", "class-sizes", "suppression"} <= page.ids
    assert {"risk-chart", "size-histogram", "suppression-bar"} <= page.ids
    assert page.tags.count("svg") == 3
    assert "meter" in page.tags
    text = " ".join(page.texts)
    for words in ("Transformation", "Loss (ARX)", "Discernibility", "Suppressed records"):
        assert words in text
    assert "0.5266" in text
    assert "123,456" in text
    assert "20.0%" in text  # the suppressed share, and its limit 25.0%
    assert "25.0%" in text


def test_no_script_no_outside_asset_no_inline_handler(report: AnonymizationReport) -> None:
    html = render_anonymize_report(report)
    page = parse(html)
    assert "script" not in page.tags
    assert "link" not in page.tags and "img" not in page.tags
    assert not any(name.startswith("on") for name, _ in page.attrs)
    assert "style" not in {name for name, _ in page.attrs}  # styling is by class only
    assert not re.search(r"(?:src|href)\s*=", html)
    assert "http://" not in html and "https://" not in html
    assert "<style>" in html  # the stylesheet is embedded


def test_values_are_escaped(report: AnonymizationReport) -> None:
    html = render_anonymize_report(report)
    assert NASTY not in html
    assert "&lt;script&gt;alert(" in html
    # The column's name shows, as text, in the levels table and the header.
    assert html.count("&lt;script&gt;alert(") >= 3


def test_levels_and_risk_before_after(report: AnonymizationReport) -> None:
    assert [(c.column, c.level, c.height) for c in report.levels] == [
        ("age", 1, 4),
        (NASTY, 2, 2),
    ]
    # Before: 10 unique records (risk 100%); after: one class of 8 (12.5%).
    assert report.risk_before.prosecutor.highest == 1.0
    assert report.risk_after.prosecutor.highest == pytest.approx(1 / 8)
    assert report.class_sizes == ((8, 1),)
    html = render_anonymize_report(report)
    assert "100.0%" in html and "12.5%" in html


def test_report_as_json(report: AnonymizationReport) -> None:
    data = report.as_dict()
    assert data["levels"] == {"age": 1, NASTY: 2}
    assert data["metrics"]["loss"] == 0.5266
    assert data["risk_after"]["records"] == 8
    assert data["class_sizes"] == [{"size": 8, "classes": 1}]
    assert data["search"] == {"lattice_size": 6, "evaluated": 4, "anonymous": 2}


def test_size_buckets_are_powers_of_two_without_gaps() -> None:
    frame = pl.DataFrame({"q": ["a"] * 1 + ["b"] * 3 + ["c"] * 3 + ["d"] * 9})
    sizes = ((1, 1), (3, 2), (9, 1))
    risk = assess_risk(frame, ["q"])
    report = AnonymizationReport(
        source=None,
        models="1-anonymity",
        metric="loss",
        method="optimal",
        suppression_limit=0.0,
        levels=(),
        metrics=_metrics(16, 0, 4),
        risk_before=risk,
        risk_after=risk,
        class_sizes=sizes,
    )
    assert report.size_buckets() == [
        SizeBucket(1, 1, 1, 1),
        SizeBucket(2, 2, 0, 0),
        SizeBucket(3, 4, 2, 6),
        SizeBucket(5, 8, 0, 0),
        SizeBucket(9, 16, 1, 9),
    ]


def test_small_classes_are_marked_below_k() -> None:
    svg = size_histogram([SizeBucket(1, 1, 3, 3), SizeBucket(2, 2, 1, 2)], k=2)
    assert svg.count("bar-small") == 1
    assert "size 1: 3 classes, 3 records; size 2: 1 class, 2 records." in svg


def test_charts_escape_labels_and_check_ids() -> None:
    svg = risk_chart([RiskBar("<b>&", 0.5, 0.25)])
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    assert "50.0%" in svg and "25.0%" in svg
    with pytest.raises(ValueError, match="chart_id"):
        risk_chart([], chart_id='x" onload="y')
    assert "No released records" in size_histogram([])


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.0, "0%"), (0.0004, "0.040%"), (0.05, "5.00%"), (0.5266, "52.7%"), (1.0, "100.0%")],
)
def test_percent(share: float, text: str) -> None:
    assert percent(share) == text
