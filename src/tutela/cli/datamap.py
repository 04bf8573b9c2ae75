"""`tutela datamap check FILE`: list every problem with its location."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tutela.cli._common import HomeOption, JsonOption, emit, fail, settings_for, stderr, stdout
from tutela.datamap import check_datamap

app = typer.Typer(
    help="The data map: what is collected, why, for whom, how long.", no_args_is_help=True
)


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Argument(help="The datamap.yaml to check (default: the home's).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a data map; exit 1 if it has any problem."""
    if file is None:
        file = settings_for(home).datamap_file
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        fail(f"cannot read {file}")
    problems = check_datamap(text)
    data = {
        "ok": not problems,
        "problems": [{"location": p.location, "message": p.message} for p in problems],
    }

    def render() -> None:
        if not problems:
            stdout.print(f"{file}: data map is valid")
        for p in problems:
            stderr.print(f"{file}: {p}")

    emit(as_json, data, render)
    if problems:
        raise typer.Exit(1)
