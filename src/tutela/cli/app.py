"""The `tutela` command: sub-commands, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from tutela import __version__, errors
from tutela._facade import Tutela
from tutela.cli import (
    apikey,
    audit,
    backup,
    connectors,
    consent,
    datamap,
    deid,
    dp,
    keys,
    requests,
    share,
    subject,
)
from tutela.cli._common import (
    HomeOption,
    JsonOption,
    emit,
    exit_code_for,
    report_error,
    settings_for,
    stdout,
)
from tutela.cli.anonymize import anonymize_table, risk
from tutela.cli.deid_tables import redact_table, scan_table
from tutela.cli.demo import demo
from tutela.cli.jobs import sweep, worker
from tutela.cli.serve import serve
from tutela.cli.transparency import notice, ropa
from tutela.core.storage.engine import UNAVAILABLE

app = typer.Typer(
    name="tutela",
    help="Tutela, the customer-data privacy vault.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(subject.app, name="subject")
app.add_typer(consent.app, name="consent")
app.add_typer(requests.app, name="requests")
app.add_typer(keys.app, name="keys")
app.add_typer(backup.app, name="backup")
app.add_typer(audit.app, name="audit")
app.add_typer(datamap.app, name="datamap")
app.add_typer(apikey.app, name="apikey")
app.add_typer(connectors.app, name="connectors")
app.add_typer(deid.key_app, name="deid-key")
app.add_typer(share.app, name="share")
app.command()(demo)
app.command()(serve)
app.command()(sweep)
app.command()(worker)
app.command()(notice)
app.command()(ropa)
app.command()(deid.scan)
app.command()(deid.redact)
app.command()(deid.reveal)
app.command("scan-table")(scan_table)
app.command("redact-table")(redact_table)
app.command("dp")(dp.dp)
app.command("dp-budgets")(dp.budgets)
app.command("anonymize")(anonymize_table)
app.command("risk")(risk)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"tutela {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Tutela, the customer-data privacy vault."""


@app.command()
def init(
    home: HomeOption = None,
    datamap_file: Annotated[
        Path | None,
        typer.Option(
            "--datamap",
            help="Data map to use (default: the example shop).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a home: data map, key file (0600), database schema and keys."""
    settings = settings_for(home)
    with Tutela.init(datamap=datamap_file, settings=settings) as tutela:
        data = {"home": str(settings.home), "datamap_version": tutela.datamap_version}
    emit(
        as_json,
        data,
        lambda: stdout.print(
            f"Tutela home created at {settings.home} (data map version {data['datamap_version']})"
        ),
    )


@app.command()
def migrate(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Apply pending database migrations."""
    applied = Tutela.migrate(settings_for(home))
    emit(
        as_json,
        {"applied": applied},
        lambda: stdout.print(
            f"applied {', '.join(applied)}" if applied else "database schema is current"
        ),
    )


# SQLAlchemy's, and the driver's own where a statement ran straight on it (core/storage/raw.py).
_DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, *UNAVAILABLE)


def main() -> None:
    """Console entry point: run the app and map errors to exit codes from one table.

    Typer handles usage errors itself (exit 2); Tutela's own errors propagate to here.
    """
    try:
        app()
    except errors.TutelaError as exc:
        report_error(str(exc), type_name=type(exc).__name__)
        sys.exit(exit_code_for(exc))
    except _DATABASE_ERRORS as exc:
        if os.environ.get("TUTELA_DEBUG"):
            raise
        # The driver's text can quote statement parameters: name only the kind of failure.
        report_error(
            f"database error ({type(exc).__name__}); is the database reachable? "
            "Set TUTELA_DEBUG=1 for details",
            type_name="DatabaseError",
        )
        sys.exit(1)
