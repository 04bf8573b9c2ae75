"""`tutela connectors …`: list the configured connectors, check each against its database."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Column, Table
from sqlalchemy.engine import make_url

from tutela.cli._common import HomeOption, JsonOption, emit, settings_for, stdout
from tutela.connectors import Connectors, ConnectorSettings

app = typer.Typer(
    help="The business's other SQL databases that access and erasure requests reach.",
    no_args_is_help=True,
)


def _shown_url(spec: ConnectorSettings) -> str:
    """The URL with its password masked."""
    return make_url(spec.url.get_secret_value()).render_as_string(hide_password=True)


def _data(spec: ConnectorSettings) -> dict[str, Any]:
    return {
        "name": spec.name,
        "url": _shown_url(spec),
        "table": spec.qualified_table,
        "identity_field": spec.identity_field,
        "identity_column": spec.identity_column,
        "match": spec.match,
        "columns": list(spec.columns),
        "erase": spec.erase,
    }


@app.command("list")
def list_(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """The connectors of tutela.toml: table, identity field and erase action (no password)."""
    rows = [_data(spec) for spec in settings_for(home).connectors]

    def render() -> None:
        if not rows:
            stdout.print("no connectors configured ([[connectors]] in tutela.toml)")
            return
        table = Table("name", "table", "identity", "erase", Column("url", overflow="fold"))
        for r in rows:
            table.add_row(
                escape(r["name"]),
                escape(r["table"]),
                escape(f"{r['identity_field']} → {r['identity_column']} ({r['match']})"),
                escape(r["erase"]),
                escape(r["url"]),
            )
        stdout.print(table)

    emit(as_json, {"connectors": rows}, render)


@app.command()
def check(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Connect to each connector's database, find its table and columns; exit 1 if one fails."""
    with Connectors.from_settings(settings_for(home)) as connectors:
        outcomes = connectors.check()
    rows = [{"name": o.name, "ok": o.ok, "error": o.error} for o in outcomes]

    def render() -> None:
        if not rows:
            stdout.print("no connectors configured ([[connectors]] in tutela.toml)")
        for o in outcomes:
            if o.ok:
                stdout.print(f"[green]ok[/]      {escape(o.name)}")
            else:
                stdout.print(f"[bold red]failed[/]  {escape(o.name)}: {escape(o.error or '')}")

    emit(as_json, {"connectors": rows}, render)
    if any(not r["ok"] for r in rows):
        raise typer.Exit(1)
