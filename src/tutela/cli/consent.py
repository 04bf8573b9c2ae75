"""`tutela consent …`: grant, withdraw, status, history, stale, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tutela._consents import Consents
from tutela.cli._common import (
    ID_COLUMN,
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    fail,
    open_home,
    stdout,
)
from tutela.consent.repository import EventRow

app = typer.Typer(
    help="Record and inspect customers' consent; verify consent receipts.", no_args_is_help=True
)

SubjectArg = Annotated[str, typer.Argument(help="The subject id.")]
PurposeArg = Annotated[str, typer.Argument(help="A data map purpose.")]
MethodOption = Annotated[
    str, typer.Option("--method", help="How the choice was made: staff, api, import, web_form.")
]


def _event(row: EventRow) -> dict[str, Any]:
    return {
        "receipt_id": row.receipt_id,
        "purpose": row.purpose,
        "action": row.action,
        "at": row.at.isoformat(),
        "method": row.method,
        "collector": row.collector,
        "notice_version": row.notice_version,
        "datamap_version": row.datamap_version,
    }


def _record(
    home: Path | None, subject: str, purpose: str, granted: bool, method: str, as_json: bool
) -> None:
    with open_home(home) as tutela:
        done = tutela.consents.record(
            subject, {purpose: granted}, method=method, actor=cli_actor("admin")
        )
    receipt = done.receipts[0]
    data = {
        "subject_id": done.subject_id,
        "receipt": receipt,
        "erased_fields": list(done.erased_fields),
    }

    def render() -> None:
        verb = "granted" if granted else "withdrawn"
        stdout.print(f"{purpose}: consent {verb} (receipt {receipt['receipt_id']})")
        if done.erased_fields:
            stdout.print(f"erased fields no other purpose needs: {', '.join(done.erased_fields)}")

    emit(as_json, data, render)


@app.command()
def grant(
    subject: SubjectArg,
    purpose: PurposeArg,
    method: MethodOption = "staff",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the customer consents to a purpose; prints the receipt id."""
    _record(home, subject, purpose, True, method, as_json)


@app.command()
def withdraw(
    subject: SubjectArg,
    purpose: PurposeArg,
    method: MethodOption = "staff",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a withdrawal (an objection, for a legitimate interest). It applies to the very
    next read; fields no other purpose needs are erased."""
    _record(home, subject, purpose, False, method, as_json)


@app.command()
def status(subject: SubjectArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Where each purpose the customer controls stands now."""
    with open_home(home) as tutela:
        states = tutela.consents.status(subject, actor=cli_actor("admin"))
        version = tutela.consents.notice_version
    data = {
        "subject_id": subject,
        "notice_version": version,
        "purposes": [
            {
                "purpose": s.purpose,
                "basis": s.basis.value,
                "active": s.active,
                "stale": s.stale,
                "last": _event(s.last) if s.last else None,
            }
            for s in states
        ],
    }

    def render() -> None:
        table = Table("purpose", "basis", "active", "since", "method", ID_COLUMN("receipt"))
        for s in states:
            last = s.last
            mark = "yes" if s.active else "no"
            table.add_row(
                s.purpose,
                s.basis.value,
                f"{mark} (re-ask: older notice)" if s.stale else mark,
                last.at.isoformat(timespec="seconds") if last else "—",
                last.method if last else "—",
                last.receipt_id if last else "—",
            )
        stdout.print(table)

    emit(as_json, data, render)


@app.command()
def history(subject: SubjectArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every grant and withdrawal of a customer, oldest first."""
    with open_home(home) as tutela:
        events = tutela.consents.history(subject, actor=cli_actor("admin"))
    data = {"subject_id": subject, "events": [_event(e) for e in events]}

    def render() -> None:
        if not events:
            stdout.print("no consent recorded for this subject")
            return
        table = Table("at", "purpose", "action", "method", "notice", ID_COLUMN("receipt"))
        for e in events:
            table.add_row(
                e.at.isoformat(timespec="seconds"),
                e.purpose,
                e.action,
                e.method,
                e.notice_version,
                e.receipt_id,
            )
        stdout.print(table)

    emit(as_json, data, render)


@app.command()
def stale(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Customers whose active consent was given under an older privacy notice (ask again)."""
    with open_home(home) as tutela:
        rows = tutela.consents.stale(actor=cli_actor("admin"))
        version = tutela.consents.notice_version
    data = {
        "notice_version": version,
        "stale": [
            {"subject_id": r.subject_id, "purpose": r.purpose, "notice_version": r.notice_version}
            for r in rows
        ],
    }

    def render() -> None:
        if not rows:
            stdout.print(f"every active consent was given under the current notice ({version})")
            return
        table = Table(ID_COLUMN("subject"), "purpose", "given under notice")
        for r in rows:
            table.add_row(r.subject_id, r.purpose, r.notice_version)
        stdout.print(table)
        stdout.print(f"{len(rows)} consent(s) to ask again (current notice {version})")

    emit(as_json, data, render)


@app.command()
def verify(
    file: Annotated[
        Path, typer.Argument(help="A signed consent receipt (JSON).", exists=True, dir_okay=False)
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a receipt's signature: exit 0 if valid, 1 if any byte was changed."""
    try:
        document = json.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        fail("the receipt file is not readable JSON")
    with open_home(home) as tutela:
        consents: Consents = tutela.consents
        check = consents.verify(document)
    data = {"valid": check.valid, "reason": check.reason, "receipt_id": check.receipt_id}
    emit(as_json, data, lambda: stdout.print(f"receipt {check.receipt_id}: {check.reason}"))
    if not check.valid:
        raise typer.Exit(1)
