"""`tutela backup …`: create, verify, list, prune and restore encrypted backups."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tutela._backups import Backups
from tutela._facade import Tutela
from tutela.backup import BackupInfo, LocalDirectoryStore
from tutela.cli._common import (
    ID_COLUMN,
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    fail,
    open_home,
    progress,
    settings_for,
    stderr,
    stdout,
)

app = typer.Typer(help="Encrypted, verified backups.", no_args_is_help=True)

BackupArgument = Annotated[
    str | None,
    typer.Argument(
        help="A backup's name in the backup directory, or a path to a backup file "
        "(default: the newest)."
    ),
]


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _age(at: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - at).total_seconds()))
    for unit, span in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= span:
            return f"{seconds // span}{unit}"
    return f"{seconds}s"


@app.command()
def create(
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Directory to write to (default: backup_dir of the home)."),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take a consistent backup now, while the service keeps running."""
    with open_home(home) as tutela, progress("backing up rows", None) as update:
        backups = tutela.backups
        if to is not None:
            backups = backups.in_store(LocalDirectoryStore(to))
        result = backups.create(progress=update, actor=cli_actor("admin"))
    data = {
        "name": result.name,
        "size": result.size,
        "rows": result.rows,
        "chunks": result.chunks,
        "kek_version": result.kek_version,
    }
    emit(
        as_json,
        data,
        lambda: stdout.print(
            f"backup {result.name} written: {sum(result.rows.values())} rows, "
            f"{_size(result.size)}, {result.chunks} chunks"
        ),
    )


@app.command()
def verify(
    backup: BackupArgument = None, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Decrypt and check every chunk and the manifest, trial-restore into a scratch database
    and compare row counts; exit 1 naming the first problem."""
    backups = Backups.from_settings(settings_for(home))
    with progress("verifying rows", None) as update:
        report = backups.verify(backup, progress=update)
    data = {"name": report.name, "ok": report.ok, "problem": report.problem, "rows": report.rows}
    if report.ok:
        emit(
            as_json,
            data,
            lambda: stdout.print(
                f"backup {report.name} verified: {report.chunks} chunks, "
                f"{sum(report.rows.values())} rows restored and counted"
            ),
        )
        return
    emit(as_json, data, lambda: None)
    fail(f"backup verification failed: {report.problem}")


def _info(info: BackupInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "created_at": info.created_at.isoformat(),
        "size": info.size,
        "status": info.status,
        "problem": info.problem,
        "verified_at": info.verified_at.isoformat() if info.verified_at else None,
        "verified_ok": info.verified_ok,
        "retained": info.retained,
        "kek_versions": list(info.kek_versions),
        "rows": info.rows,
    }


@app.command("list")
def list_(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Backups, newest first: age, size, status, verified, kept by the retention policy."""
    backups = Backups.from_settings(settings_for(home))
    infos = backups.list_backups()
    alert = backups.alert()

    def render() -> None:
        if alert:
            stderr.print(
                f"[bold red]ALERT:[/] the scheduled backup failed at {alert['at']}: "
                f"{alert['problem']}"
            )
        if not infos:
            stdout.print(f"no backups in {backups.settings.resolved_backup_dir}")
            return
        table = Table(ID_COLUMN("name"), "age", "size", "status", "verified", "kept")
        for info in infos:
            status = info.status if not info.problem else f"{info.status}: {info.problem}"
            colour = {"complete": "green", "incomplete": "yellow"}.get(info.status, "red")
            verified = (
                "never"
                if info.verified_at is None
                else f"{'ok' if info.verified_ok else 'FAILED'} {_age(info.verified_at)} ago"
            )
            table.add_row(
                info.name,
                _age(info.created_at),
                _size(info.size),
                f"[{colour}]{status}[/]",
                verified,
                "yes" if info.retained else "",
            )
        stdout.print(table)

    emit(as_json, {"alert": alert, "backups": [_info(i) for i in infos]}, render)


@app.command()
def prune(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Name what would be deleted; delete nothing.")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete the backups the retention policy (backup_keep) does not keep."""
    backups = Backups.from_settings(settings_for(home))
    gone = backups.prune(dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    emit(
        as_json,
        {"dry_run": dry_run, "deleted": gone},
        lambda: stdout.print(f"{verb} {len(gone)} backup(s)" + "".join(f"\n  {n}" for n in gone)),
    )


@app.command()
def restore(
    backup: Annotated[
        str, typer.Argument(help="A backup's name in the backup directory, or a path to one.")
    ],
    to: Annotated[
        str | None,
        typer.Option("--to", help="Database URL to restore into (default: the home's)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that holds data.")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup (stop the service first), replay the erasure ledger so nobody erased
    since comes back, verify the audit chain and append a restore entry."""
    settings = settings_for(home)
    with progress("restoring rows", None) as update:
        report = Tutela.restore_backup(
            settings, backup, to=to, force=force, progress=update, actor=cli_actor("admin")
        )
    data = {
        "name": report.name,
        "rows": report.rows,
        "subjects_erased": report.subjects_erased,
        "fields_erased": report.fields_erased,
        "ledger_recorded": report.ledger_recorded,
        "ledger_source": report.ledger_source,
        "connectors": [
            {"name": c.name, "ok": c.ok, "failed": c.failed, "errors": list(c.errors)}
            for c in report.connectors
        ],
    }

    def render() -> None:
        stdout.print(
            f"restored {report.name}: {sum(report.rows.values())} rows; erasure ledger "
            f"replayed: {report.subjects_erased} subject(s) and {report.fields_erased} "
            f"field(s) erased again"
        )
        for c in report.connectors:
            line = f"  connector {c.name}: {c.ok} erased again, {c.failed} failed"
            stdout.print(line + (f" ({', '.join(c.errors)})" if c.errors else ""))
        if not report.head_reset:
            stderr.print(
                "note: restored into another database than the home's; the home's audit head "
                "checkpoint was left alone"
            )

    emit(as_json, data, render)
