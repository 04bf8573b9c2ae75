"""`tutela requests …`: data-subject requests, from intake to closure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from tutela.cli._common import (
    ID_COLUMN,
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    open_home,
    stdout,
)
from tutela.rights.service import OPEN, RequestView, Status

app = typer.Typer(
    help="Data-subject requests: access, portability, rectification, erasure, restriction, "
    "objection.",
    no_args_is_help=True,
)
IdArg = Annotated[str, typer.Argument(help="The request id (req_…).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (told to the customer).")]


def _data(view: RequestView) -> dict[str, Any]:
    return {
        "id": view.id,
        "type": view.type.value,
        "status": view.status.value,
        "regime": view.regime,
        "subject_id": view.subject_id,
        "received_at": view.received_at.isoformat(),
        "due_on": view.due_on.isoformat(),
        "latest_extension": view.latest_extension.isoformat(),
        "acknowledge_by": view.acknowledge_by.isoformat() if view.acknowledge_by else None,
        "extension_reason": view.extension_reason,
        "verified_at": view.verified_at.isoformat() if view.verified_at else None,
        "closed_at": view.closed_at.isoformat() if view.closed_at else None,
        "outcome": view.outcome,
        "timeline": [
            {"at": e.at.isoformat(), "status": e.status, "actor": e.actor, "note": e.note}
            for e in view.timeline
        ],
    }


def _show(view: RequestView, as_json: bool) -> None:
    def render() -> None:
        stdout.print(
            f"{view.id}  {view.type.value}  [bold]{view.status.value}[/]  "
            f"due {view.due_on} ({view.regime})"
        )
        if view.outcome:
            stdout.print(f"outcome: {json.dumps(view.outcome, sort_keys=True)}")
        for e in view.timeline:
            stdout.print(f"  {e.at.isoformat(timespec='seconds')}  {e.status:<18} {e.note}")

    emit(as_json, _data(view), render)


def _table(views: list[RequestView], as_json: bool) -> None:
    today = datetime.now(UTC).date()

    def render() -> None:
        if not views:
            stdout.print("no requests")
            return
        table = Table(ID_COLUMN("request"), "type", "status", "due", "days left")
        for v in views:
            left = v.days_left(today)
            shown = f"[red]{left}[/]" if left < 0 and v.status in OPEN else str(left)
            table.add_row(v.id, v.type.value, v.status.value, v.due_on.isoformat(), shown)
        stdout.print(table)

    emit(as_json, [_data(v) for v in views], render)


@app.command()
def create(
    request_type: Annotated[
        str,
        typer.Option(
            "--type", help="access, portability, rectification, erasure, restriction or objection."
        ),
    ],
    email: Annotated[str, typer.Option("--email", help="The requester's email address.")],
    jurisdiction: Annotated[
        str | None, typer.Option("--jurisdiction", help="e.g. GB, DE, US-CA (default: GDPR).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Receive a request on a customer's behalf; a one-time code is emailed to them."""
    with open_home(home) as tutela:
        view = tutela.requests.create(request_type, email, jurisdiction=jurisdiction)
    _show(view, as_json)


@app.command()
def verify(
    request_id: IdArg,
    code: Annotated[str, typer.Argument(help="The 6-digit code from the email.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Confirm the requester's email with the code they received."""
    with open_home(home) as tutela:
        view = tutela.requests.verify(request_id, code)
    _show(view, as_json)


@app.command("list")
def list_(
    status: Annotated[
        list[Status] | None, typer.Option("--status", help="Only these statuses (repeatable).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Requests, the most urgent first."""
    with open_home(home) as tutela:
        views = tutela.requests.listing(statuses=status, actor=cli_actor("admin"))
    _table(views, as_json)


@app.command()
def overdue(
    within: Annotated[int, typer.Option("--within", min=0, help="Days ahead to include.")] = 7,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open requests that are late or due within --within days."""
    with open_home(home) as tutela:
        views = tutela.requests.overdue(within_days=within, actor=cli_actor("admin"))
    _table(views, as_json)


@app.command()
def show(request_id: IdArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """A request with its timeline."""
    with open_home(home) as tutela:
        view = tutela.requests.show(request_id, actor=cli_actor("admin"))
    _show(view, as_json)


@app.command()
def approve(request_id: IdArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Approve a request waiting for staff; it is fulfilled at once."""
    with open_home(home) as tutela:
        view = tutela.requests.approve(request_id, actor=cli_actor("admin"))
    _show(view, as_json)


@app.command()
def reject(
    request_id: IdArg, reason: ReasonOption, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Refuse a request; the customer is emailed the reason and their right to complain."""
    with open_home(home) as tutela:
        view = tutela.requests.reject(request_id, reason, actor=cli_actor("admin"))
    _show(view, as_json)


@app.command()
def extend(
    request_id: IdArg, reason: ReasonOption, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Extend the deadline as far as the law allows (once, within the first period)."""
    with open_home(home) as tutela:
        view = tutela.requests.extend(request_id, reason, actor=cli_actor("admin"))
    _show(view, as_json)


@app.command()
def complete(
    request_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="What was done.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a request staff carried out (e.g. a rectification)."""
    with open_home(home) as tutela:
        view = tutela.requests.complete(request_id, note, actor=cli_actor("admin"))
    _show(view, as_json)


@app.command()
def retry(
    request_id: Annotated[
        str | None, typer.Argument(help="The request; omit with --all.", show_default=False)
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every request waiting on a failed system.")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run again a fulfilment a connected database failed (the worker does this on its own)."""
    if (request_id is None) == (not every):
        raise typer.BadParameter("give a request id or --all (not both)")
    with open_home(home) as tutela:
        if request_id is not None:
            view = tutela.requests.retry(request_id, actor=cli_actor("admin"))
            _show(view, as_json)
            return
        done = tutela.requests.retry_held(actor=cli_actor("admin"))
    emit(
        as_json,
        {"retried": done},
        lambda: stdout.print(
            "\n".join(f"{rid}: {status}" for rid, status in done.items())
            or "no request is waiting for a retry"
        ),
    )


@app.command("lift-restriction")
def lift_restriction(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """End a restriction of processing (tell the customer first, GDPR Art. 18(3))."""
    with open_home(home) as tutela:
        tutela.requests.lift_restriction(subject, actor=cli_actor("admin"))
    emit(
        as_json,
        {"subject_id": subject, "restricted": False},
        lambda: stdout.print(f"{subject}: restriction lifted"),
    )
