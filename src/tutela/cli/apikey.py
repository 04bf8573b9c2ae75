"""`tutela apikey create|list|revoke`: keys for the HTTP API; each carries a role."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from tutela.cli._common import (
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    fail,
    open_home,
    stderr,
    stdout,
)

app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`90d`, `12h`, `30m`, `2w`."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text)
    if match is None:
        fail("--expires takes a number and a unit: 30m, 12h, 90d or 2w", code=2)
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="What the key is for (shown in listings).")],
    role: Annotated[str, typer.Option("--role", help="A data map role, or admin.")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="Lifetime, up to 3660d: 30m, 12h, 90d, 2w.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key and print it once: only a hash of its secret is kept."""
    lifetime = parse_duration(expires) if expires else None
    if not 1 <= len(name) <= 100:
        fail("--name must be 1 to 100 characters")
    with open_home(home) as tutela:
        info, key = tutela.create_api_key(
            name=name, role=role, expires_in=lifetime, actor=cli_actor("admin")
        )
    data = {
        "id": info.id,
        "name": info.name,
        "role": info.role,
        "expires_at": info.expires_at.isoformat() if info.expires_at else None,
        "key": key,
    }

    def render() -> None:
        stdout.print(key)
        stderr.print(f"key {info.id} (role {info.role}) created; it is shown only this once")

    emit(as_json, data, render)


@app.command("list")
def list_(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List keys: id, name, role, created, expires, status (never the secret)."""
    with open_home(home) as tutela:
        keys = tutela.list_api_keys(actor=cli_actor("admin"))
        now = tutela.clock.now()
    rows = [
        {
            "id": k.id,
            "name": k.name,
            "role": k.role,
            "created_at": k.created_at.isoformat(),
            "expires_at": k.expires_at.isoformat() if k.expires_at else None,
            "status": k.status(now),
        }
        for k in keys
    ]

    def render() -> None:
        table = Table("id", "name", "role", "created", "expires", "status")
        for r in rows:
            table.add_row(
                str(r["id"]),
                str(r["name"]),
                str(r["role"]),
                str(r["created_at"])[:19],
                str(r["expires_at"] or "")[:19],
                str(r["status"]),
            )
        stdout.print(table)

    emit(as_json, rows, render)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key id (key_…).")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key at once."""
    with open_home(home) as tutela:
        tutela.revoke_api_key(key_id, actor=cli_actor("admin"))
    emit(as_json, {"id": key_id, "revoked": True}, lambda: stdout.print(f"revoked {key_id}"))
