"""The anonymization report as one self-contained HTML file: the transformation, utility and
risk figures, and inline SVG charts (risk before vs after, class sizes, suppression).

The file embeds its stylesheet and needs no script or third-party asset, so it can be mailed
or archived as it is. Values (column names, the input's name) are autoescaped by Jinja2; the
charts escape their own text (`tutela.web.anonymize_charts`).
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from tutela.anonymize.report import AnonymizationReport
from tutela.anonymize.risk import RiskReport
from tutela.web.anonymize_charts import (
    RiskBar,
    percent,
    risk_chart,
    size_histogram,
    suppression_bar,
)

TEMPLATE = "anonymize_report.html"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tutela.web", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["percent"] = percent
    env.filters["figure"] = figure
    return env


def figure(value: float | int | None, digits: int = 4) -> str:
    """A number for people: thousands separated, floats to `digits` decimals, "-" for None."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def risk_bars(before: RiskReport, after: RiskReport) -> list[RiskBar]:
    """The figures the before/after chart compares, all shares in [0, 1]."""
    bars = [
        RiskBar("Highest (prosecutor)", before.prosecutor.highest, after.prosecutor.highest),
        RiskBar("Average (prosecutor)", before.prosecutor.average, after.prosecutor.average),
        RiskBar("Records at risk", before.prosecutor.at_risk, after.prosecutor.at_risk),
        RiskBar("Sample uniques", before.sample_uniqueness, after.sample_uniqueness),
        RiskBar("Marketer", before.marketer, after.marketer),
    ]
    if before.population_given or after.population_given:
        bars.insert(
            3,
            RiskBar("Highest (journalist)", before.journalist.highest, after.journalist.highest),
        )
    return bars


def render_anonymize_report(report: AnonymizationReport, *, title: str | None = None) -> str:
    """The report as a standalone HTML document.

    Args:
        report: the figures of one run (`tutela.anonymize.report.build_report`).
        title: the page title (default: "Anonymization report" and the input's name).

    Returns:
        HTML text with embedded CSS and inline SVG, no script.
    """
    metrics = report.metrics
    # The chart functions escape every piece of text they write.
    charts = {
        "risk": Markup(risk_chart(risk_bars(report.risk_before, report.risk_after))),  # noqa: S704
        "sizes": Markup(  # noqa: S704
            size_histogram(report.size_buckets(), k=report.k)
        ),
        "suppression": Markup(  # noqa: S704
            suppression_bar(metrics.records, metrics.suppressed, report.suppression_limit)
        ),
    }
    heading = title or (
        f"Anonymization report: {report.source}" if report.source else "Anonymization report"
    )
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            title=heading,
            report=report,
            metrics=metrics,
            before=report.risk_before,
            after=report.risk_after,
            charts=charts,
        )
    )
