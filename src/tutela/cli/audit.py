"""`tutela audit …`: verify the chain, list entries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tutela.cli._common import HomeOption, JsonOption, emit, open_home, stderr, stdout
from tutela.core.audit import ChainedEntry

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Check every link of the chain and the head checkpoint; exit 1 at the first break."""
    with open_home(home) as tutela:
        report = tutela.verify_audit()
    data = {
        "ok": report.ok,
        "entries": report.entries,
        "first_broken": report.first_broken,
        "reason": report.reason,
    }
    if report.ok:
        emit(
            as_json,
            data,
            lambda: stdout.print(f"audit log verified: {report.entries} entries, chain intact"),
        )
        return
    emit(as_json, data, lambda: None)
    stderr.print(
        f"[bold red]audit log broken[/] at entry {report.first_broken}: {report.reason} "
        f"({report.entries} entries verified before it)"
    )
    raise typer.Exit(1)


def _as_dict(entry: ChainedEntry) -> dict[str, object]:
    e = entry.event
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "outcome": e.outcome,
        "subject": e.subject_id,
        "fields": list(e.fields),
        "purpose": e.purpose,
        "detail": e.detail,
    }


@app.command("log")
def log_(
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only entries about this subject id.")
    ] = None,
    after: Annotated[
        int, typer.Option("--after", help="Only entries after this sequence number.")
    ] = 0,
    limit: Annotated[int, typer.Option("--limit", help="At most this many entries.", min=1)] = 100,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List audit entries (ids, fields, purposes and outcomes; never values)."""
    with open_home(home) as tutela:
        entries = [
            _as_dict(e) for e in tutela.audit_entries(subject_id=subject, after=after, limit=limit)
        ]

    def render() -> None:
        table = Table(
            "seq", "at", "actor", "role", "action", "outcome", "subject", "purpose", "fields"
        )
        for e in entries:
            table.add_row(
                str(e["seq"]),
                str(e["at"])[:19],
                str(e["actor"]),
                str(e["role"] or ""),
                str(e["action"]),
                str(e["outcome"]),
                str(e["subject"] or ""),
                str(e["purpose"] or ""),
                ",".join(e["fields"]),  # type: ignore[arg-type]
            )
        stdout.print(table)

    emit(as_json, entries, render)
