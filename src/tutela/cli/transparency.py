"""`tutela notice` and `tutela ropa`: the privacy notice and the records of processing."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tutela.cli._common import HomeOption, fail, open_home, stderr
from tutela.web.render import render_notice, render_ropa


class NoticeFormat(StrEnum):
    HTML = "html"
    MD = "md"
    JSON = "json"


class RopaFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    HTML = "html"


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to this file (default: standard output).", dir_okay=False
    ),
]


def notice(
    fmt: Annotated[
        NoticeFormat, typer.Option("--format", "-f", help="Output format.")
    ] = NoticeFormat.HTML,
    lang: Annotated[str, typer.Option("--lang", help="Language of the notice.")] = "en",
    output: OutputOption = None,
    home: HomeOption = None,
) -> None:
    """Render the privacy notice generated from the data map (GDPR Art. 13, CCPA)."""
    with open_home(home) as tutela:
        current = tutela.privacy_notice(language=lang)
    _write(render_notice(current, fmt.value), output, f"privacy notice version {current.version}")


def ropa(
    fmt: Annotated[RopaFormat, typer.Option("--format", "-f", help="Output format.")] = (
        RopaFormat.CSV
    ),
    output: OutputOption = None,
    home: HomeOption = None,
) -> None:
    """Export the records of processing activities (GDPR Art. 30(1)), one per purpose."""
    with open_home(home) as tutela:
        records = tutela.ropa()
    _write(
        render_ropa(records, fmt.value),
        output,
        f"records of processing of data map version {records.datamap_version} "
        f"({len(records.activities)} activities)",
    )


def _write(text: str, output: Path | None, what: str) -> None:
    """The document to `output` or standard output; the status line to standard error."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError:
        fail(f"cannot write {output}")
    stderr.print(f"{what} written to {output}", markup=False)
