"""`tutela share PARTNER [--out DIR]`: export to a partner what its agreement in the data map
allows (de-identified with the partner's keys, anonymized to its privacy model), with a
manifest and an HTML report; `tutela share log`: the register of what went to whom and when.

Only counts, names, paths and digests are printed, never a value that was shared.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from tutela.anonymize.report import AnonymizationReport
from tutela.cli._common import (
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    open_home,
    stdout,
)
from tutela.datamap.spec import ExportFormat
from tutela.sharing import ShareRecord, ShareResult
from tutela.web.anonymize_report import render_anonymize_report


class _PartnerFirst(TyperGroup):
    """`tutela share PARTNER …` is `tutela share export PARTNER …`; `log` is the register
    (a partner named like a sub-command is reached with `share export NAME`)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "export", self.commands["export"], args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_PartnerFirst,
    help="Export to a partner of the data map (PARTNER), or list the register (log).",
    no_args_is_help=True,
)


def _render_report(report: AnonymizationReport, title: str) -> str:
    return render_anonymize_report(report, title=title)


@app.command()
def export(
    partner: Annotated[str, typer.Argument(help="A partner declared in the data map.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory to write (new or empty; default ./share-PARTNER-TIMESTAMP).",
            file_okay=False,
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="The data file's format (default: the agreement's)."),
    ] = None,
    role: Annotated[
        str, typer.Option("--role", help="Role to read the partner's purpose as.")
    ] = "admin",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export to PARTNER: the data, manifest.json (hashes, policy, model, metrics, data-map
    version) and report.html."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out if out is not None else Path.cwd() / f"share-{partner}-{stamp}"
    with open_home(home) as tutela:
        result = tutela.sharing.share(
            partner,
            target,
            fmt=fmt.value if fmt is not None else None,
            render_report=_render_report,
            actor=cli_actor(role),
        )
    emit(as_json, result.as_dict(), lambda: _render_result(result))


@app.command()
def log(
    partner: Annotated[
        str | None, typer.Option("--partner", help="Only this partner's exports.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The share register: every export, when, to whom, how many subjects, which fields."""
    with open_home(home) as tutela:
        records = tutela.sharing.log(partner=partner)
    emit(as_json, {"exports": [r.as_dict() for r in records]}, lambda: _render_log(records))


def _render_result(result: ShareResult) -> None:
    record = result.record
    stdout.print(
        Text(
            f"export {record.id} to partner '{record.partner}' written to {result.directory}: "
            f"{record.rows} of {record.subjects} eligible subject(s) shared for purpose "
            f"'{record.purpose}' ({record.models})"
        )
    )
    notes: list[str] = []
    if result.suppressed:
        notes.append(f"{result.suppressed} record(s) suppressed by the privacy model")
    if result.left_out_incomplete:
        notes.append(
            f"{result.left_out_incomplete} subject(s) left out for lacking a "
            "quasi-identifier's value"
        )
    for note in notes:
        stdout.print(Text(note, style="dim"))
    for path in result.files:
        stdout.print(Text(f"  {path.name}", style="dim"))


def _render_log(records: list[ShareRecord]) -> None:
    """One line per export (lines wrap, never truncate: every name stays readable)."""
    if not records:
        stdout.print("no exports yet")
        return
    for r in records:
        stdout.print(
            Text(
                f"{r.at:%Y-%m-%d %H:%M}  {r.id}  to {r.partner} for {r.purpose}: "
                f"{r.rows} of {r.subjects} subject(s), {r.format}, {r.models}; "
                f"fields {', '.join(r.fields)}; manifest {r.manifest_sha256[:16]}"
            )
        )
