"""`tutela keys …`: rotate and retire key-encryption keys, generate one for TUTELA_MASTER_KEY,
split one into escrow shares and recover it from them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tutela._backups import Backups
from tutela.cli._common import (
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    open_home,
    progress,
    settings_for,
    stderr,
    stdout,
)
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


@app.command("export")
def export_shares(
    shares: Annotated[int, typer.Option("--shares", min=2, max=16, help="Shares to print.")] = 5,
    threshold: Annotated[
        int, typer.Option("--threshold", min=2, max=16, help="Shares needed to recover.")
    ] = 3,
    version: Annotated[
        int | None, typer.Option("--version", help="KEK version (default: the current one).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Split the KEK into printable Shamir shares (SLIP-39 words) for key escrow: any
    THRESHOLD of them rebuild it with 'tutela keys recover'; fewer reveal nothing. Print
    them, give each to a different person, and keep none on this machine."""
    backups = Backups.from_settings(settings_for(home))
    chosen, words = backups.export_key_shares(shares=shares, threshold=threshold, version=version)

    def render() -> None:
        stdout.print(
            f"key-encryption key version {chosen}: {shares} shares, any {threshold} recover it"
        )
        for number, share in enumerate(words, start=1):
            stdout.print(f"\nshare {number} of {shares}:\n{share}")

    emit(
        as_json,
        {"version": chosen, "threshold": threshold, "shares": words},
        render,
    )


@app.command()
def recover(
    shares_file: Annotated[
        Path | None,
        typer.Option(
            "--shares-file",
            help="File with one share per line (default: read them from standard input).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    print_key: Annotated[
        bool,
        typer.Option(
            "--print", help="Print the key as VERSION:BASE64 (for TUTELA_MASTER_KEY) instead."
        ),
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rebuild a KEK from THRESHOLD of its shares and put it back in the key file (created if
    lost). Shares are read one per line; an empty line ends the input."""
    if shares_file is not None:
        lines = shares_file.read_text("utf-8").splitlines()
    else:
        if sys.stdin.isatty():
            stderr.print("enter the shares, one per line; an empty line ends:")
        lines = []
        for line in sys.stdin:
            if not line.strip():
                break
            lines.append(line)
    mnemonics = [line.strip() for line in lines if line.strip()]
    if print_key:
        text = Backups.recovered_key_text(mnemonics)
        emit(as_json, {"key": text}, lambda: stdout.print(text))
        return
    settings = settings_for(home)
    version, added = Backups.recover_key(settings, mnemonics)
    emit(
        as_json,
        {"version": version, "added": added},
        lambda: stdout.print(
            f"key version {version} recovered into {settings.key_file}"
            if added
            else f"key version {version} was already in {settings.key_file}"
        ),
    )
