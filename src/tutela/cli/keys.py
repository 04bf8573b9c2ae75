"""`tutela keys …`: rotate and retire key-encryption keys, generate one for TUTELA_MASTER_KEY."""

from __future__ import annotations

from typing import Annotated

import typer

from tutela.cli._common import HomeOption, JsonOption, cli_actor, emit, open_home, progress, stdout
from tutela.core.crypto import generate_key_text

app = typer.Typer(help="Key-encryption key lifecycle.", no_args_is_help=True)


@app.command()
def rotate(
    rewrap_only: Annotated[
        bool,
        typer.Option(
            "--rewrap-only",
            help="Re-wrap under the current version, creating none (TUTELA_MASTER_KEY, KMS).",
        ),
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a new KEK version and re-wrap every data key under it (values untouched)."""
    with open_home(home) as tutela, progress("re-wrapping data keys", None) as update:
        report = tutela.rotate_keys(
            rewrap_only=rewrap_only, progress=update, actor=cli_actor("admin")
        )
    data = {"kek_version": report.kek_version, "rewrapped": report.rewrapped}
    emit(
        as_json,
        data,
        lambda: stdout.print(
            f"key version {report.kek_version} is current; "
            f"{report.rewrapped} data key(s) re-wrapped"
        ),
    )


@app.command()
def retire(
    version: Annotated[int, typer.Argument(help="The old KEK version to forget.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forget an old KEK version once nothing is wrapped under it."""
    with open_home(home) as tutela:
        tutela.retire_key(version, actor=cli_actor("admin"))
    emit(as_json, {"retired": version}, lambda: stdout.print(f"key version {version} retired"))


@app.command()
def generate(as_json: JsonOption = False) -> None:
    """Print a new random 256-bit key (base64) for TUTELA_MASTER_KEY."""
    key = generate_key_text()
    emit(as_json, {"key": key}, lambda: stdout.print(key))
