"""`tutela subject …`: add, import, get, find, update, erase."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tutela.cli._common import (
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    fail,
    open_home,
    progress,
    stderr,
    stdout,
)

app = typer.Typer(
    help="Store, read, search and erase customers (data subjects).", no_args_is_help=True
)

PurposeOption = Annotated[
    str, typer.Option("--purpose", "-p", help="Why the data is used (a data map purpose).")
]
RoleOption = Annotated[str, typer.Option("--role", "-r", help="The role acting (a data map role).")]


def _json_object(data: Path | None) -> dict[str, Any]:
    source = "--data file" if data else "standard input"
    try:
        text = data.read_text("utf-8") if data else sys.stdin.read()
        values = json.loads(text)
    except (OSError, UnicodeDecodeError):
        fail(f"cannot read the {source}")
    except json.JSONDecodeError as exc:
        fail(f"the {source} is not valid JSON (line {exc.lineno}, column {exc.colno})")
    if not isinstance(values, dict):
        fail(f"the {source} must hold one JSON object of field names to values")
    return values


@app.command()
def add(
    data: Annotated[Path | None, typer.Option("--data", help="JSON file (default: stdin).")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store a new customer from a JSON object; prints the new id."""
    values = _json_object(data)
    with open_home(home) as tutela:
        subject_id = tutela.add(values, actor=cli_actor("admin"))
    emit(as_json, {"id": subject_id}, lambda: stdout.print(subject_id))


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .jsonl or .csv file, one customer per row.", exists=True, dir_okay=False
        ),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv (default: by extension).")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the valid rows even if some are rejected.")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bulk import: every row is checked first; one bad row stores nothing (see --skip-invalid)."""
    if fmt not in (None, "jsonl", "csv"):
        fail("--format must be jsonl or csv", code=2)
    with open_home(home) as tutela, progress("importing", None) as update:

        def report_progress(stage: str, done: int, total: int) -> None:
            update(done, total or done)

        report = tutela.import_file(
            file,
            fmt=fmt,
            skip_invalid=skip_invalid,
            progress=report_progress,
            actor=cli_actor("admin"),
        )
    data = {
        "rows": report.total,
        "stored": report.stored,
        "rejected": [{"row": r.row, "field": r.field, "reason": r.reason} for r in report.rejected],
    }

    def render() -> None:
        stdout.print(f"{report.stored} of {report.total} row(s) stored")
        for r in report.rejected[:50]:
            stderr.print(f"  {r}")
        if len(report.rejected) > 50:
            stderr.print(f"  … and {len(report.rejected) - 50} more (use --json for all)")

    emit(as_json, data, render)
    if report.rejected:
        if not skip_invalid:
            stderr.print(
                f"[bold red]error:[/] {report.rejected_rows} row(s) rejected; nothing stored"
            )
        raise typer.Exit(1)


@app.command()
def get(
    subject_id: Annotated[str, typer.Argument(metavar="ID")],
    purpose: PurposeOption,
    role: RoleOption,
    fields: Annotated[
        str | None,
        typer.Option("--fields", help="Comma-separated field names (default: the purpose's)."),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read a customer's values for a purpose, as the role may see them."""
    names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    with open_home(home) as tutela:
        values = tutela.read(
            subject_id, names, purpose=purpose, role=role, actor_id=cli_actor(role).id
        )

    def render() -> None:
        table = Table(show_header=True, header_style="bold")
        table.add_column("field")
        table.add_column("value")
        for name, value in values.items():
            table.add_row(
                name, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            )
        stdout.print(table)

    emit(as_json, {"id": subject_id, "purpose": purpose, "values": values}, render)


@app.command()
def find(
    field: Annotated[str, typer.Option("--field", "-f", help="A searchable field.")],
    value: Annotated[
        str,
        typer.Option(
            "--value",
            "-v",
            help="The value, or '-' to read it from stdin (keeps it out of shell history).",
        ),
    ],
    purpose: PurposeOption,
    role: RoleOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find customers by an exact (normalised) value through the blind index."""
    if value == "-":
        value = sys.stdin.readline().rstrip("\n")
    with open_home(home) as tutela:
        ids = tutela.find(field, value, purpose=purpose, role=role, actor_id=cli_actor(role).id)
    emit(as_json, {"field": field, "ids": ids}, lambda: stdout.print("\n".join(ids)))


@app.command()
def update(
    subject_id: Annotated[str, typer.Argument(metavar="ID")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="JSON file (default: stdin); null removes a value."),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace some of a customer's values (rectification)."""
    values = _json_object(data)
    with open_home(home) as tutela:
        tutela.update(subject_id, values, actor=cli_actor("admin"))
    emit(as_json, {"id": subject_id, "updated": sorted(values)}, lambda: stdout.print("updated"))


@app.command()
def erase(
    subject_id: Annotated[str, typer.Argument(metavar="ID")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a customer: destroy their key and delete every value (cannot be undone)."""
    with open_home(home) as tutela:
        tutela.erase(subject_id, actor=cli_actor("admin"))
    emit(as_json, {"id": subject_id, "erased": True}, lambda: stdout.print(f"erased {subject_id}"))
