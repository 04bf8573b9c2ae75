"""What every command shares: options, opening the home, output, and the error-to-exit table."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column

from tutela import errors
from tutela._facade import Tutela
from tutela.actor import Actor
from tutela.config import Settings

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Tutela home directory [env: TUTELA_HOME; default ~/.tutela]"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

stdout = Console(highlight=False, soft_wrap=True)


def ID_COLUMN(header: str) -> Column:  # noqa: N802 (used like a constant column spec)
    """A table column for opaque ids: never shortened, whatever the terminal width."""
    return Column(header, no_wrap=True, min_width=30, overflow="ignore")


stderr = Console(stderr=True, highlight=False, soft_wrap=True)

# One table from error class to exit code; the first matching base wins.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = ((errors.TutelaError, 1),)


def settings_for(home: Path | None) -> Settings:
    return Settings.load(home)


def open_home(home: Path | None) -> Tutela:
    return Tutela.open(settings=settings_for(home))


def cli_actor(role: str) -> Actor:
    """The audit actor of a CLI call: the operating-system user, with the role asked for."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return Actor(f"cli:{user}", role)


def emit(as_json: bool, data: Any, render: Callable[[], None] | None = None) -> None:
    """Print `data` as JSON, or call `render` for people (default: JSON as well)."""
    if as_json or render is None:
        sys.stdout.write(json.dumps(data, indent=None if as_json else 2, default=str) + "\n")
    else:
        render()


def fail(message: str, code: int = 1) -> NoReturn:
    """Refuse with a one-line message (never containing a personal value)."""
    report_error(message, type_name="Refused")
    raise typer.Exit(code)


def report_error(message: str, *, type_name: str) -> None:
    stderr.print(f"[bold red]error:[/] {message}", markup=True)
    if "--json" in sys.argv[1:]:
        sys.stdout.write(json.dumps({"error": {"type": type_name, "message": message}}) + "\n")


def exit_code_for(exc: BaseException) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return 1


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr; yields `update(done, total)`."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=not stderr.is_terminal,
    )
    with bar:
        task = bar.add_task(description, total=total)

        def update(done: int, new_total: int) -> None:
            bar.update(task, completed=done, total=new_total)

        yield update
