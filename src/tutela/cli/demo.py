"""`tutela demo`: a guided tour on a fresh home seeded with fake customers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from tutela._facade import Tutela
from tutela.cli._common import fail, progress, stdout
from tutela.config import Settings
from tutela.errors import AccessDenied, SubjectErased
from tutela.testing import fake_customers

MARKER = ".tutela-demo"


def _fresh_home(home: Path) -> None:
    if home.exists():
        if not (home / MARKER).exists():
            fail(f"{home} exists and is not a demo home; choose another --home")
        shutil.rmtree(home)


def _program() -> str:
    """How this `tutela` was invoked (e.g. `.venv/bin/tutela` under `make run`)."""
    invoked = Path(sys.argv[0])
    if invoked.name != "tutela":
        return "tutela"
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)


def _step(title: str, line: str) -> None:
    stdout.print(f"\n[bold cyan]▶ {title}[/]  [dim]{line}[/]")


def demo(
    home: Annotated[
        Path, typer.Option("--home", help="Where to create the demo home (replaced if it is one).")
    ] = Path("tutela-demo"),
    customers: Annotated[
        int,
        typer.Option("--customers", min=10, max=1_000_000, help="How many fake customers to seed."),
    ] = 1_000,
) -> None:
    """Seed fake customers and show reads, masking, denials, search, erasure and audit."""
    _fresh_home(home)
    tutela = Tutela.init(settings=Settings.load(home, database_url=None))
    (home / MARKER).write_text("created by 'tutela demo'; safe to delete\n")
    with tutela:
        stdout.print(
            Panel.fit(
                f"Tutela demo home: [bold]{home}[/] (SQLite, example shop data map "
                f"version {tutela.datamap_version})",
            )
        )
        _step("Seed", f"{customers} fake customers, each value sealed under the customer's own key")
        rows = list(fake_customers(customers))
        with progress("sealing customers", customers) as update:
            ids: list[str] = []
            for start in range(0, customers, 500):
                ids += tutela.add_many(rows[start : start + 500])
                update(len(ids), customers)
        subject, first = ids[0], rows[0]

        _step("Permitted read", "the privacy officer (admin) reads for order fulfilment: all shown")
        stdout.print(tutela.read(subject, purpose="order_fulfilment", role="admin"))

        _step(
            "Masked read",
            "support reads for order fulfilment: email and phone are masked for this role",
        )
        stdout.print(
            tutela.read(
                subject, ["email", "name", "phone"], purpose="order_fulfilment", role="support"
            )
        )

        _step("Denied read", "marketing asks for order data: the role may not use that purpose")
        try:
            tutela.read(subject, purpose="order_fulfilment", role="marketing")
        except AccessDenied as denial:
            stdout.print(f"[red]refused[/] {type(denial).__name__}: {denial}")
        _step("Denied read", "the newsletter needs consent, and none is recorded")
        try:
            tutela.read(subject, purpose="newsletter", role="marketing")
        except AccessDenied as denial:
            stdout.print(f"[red]refused[/] {type(denial).__name__}: {denial}")

        _step("Find by email", "through a keyed blind index: nothing is decrypted to search")
        found = tutela.find(
            "email", first["email"].upper(), purpose="order_fulfilment", role="support"
        )
        stdout.print(f"found {found}")

        _step("Erase", "the customer's key and values are destroyed in one transaction")
        tutela.erase(subject)
        try:
            tutela.read(subject, purpose="order_fulfilment", role="admin")
        except SubjectErased as gone:
            stdout.print(f"[red]refused[/] {type(gone).__name__}: {gone}")

        _step("Audit", "every step above, denials included, is in the hash-chained log")
        report = tutela.verify_audit()
        stdout.print(
            f"audit log verified: {report.entries} entries, chain intact"
            if report.ok
            else f"[red]audit log broken at {report.first_broken}[/]"
        )
    prog = _program()
    stdout.print(
        "\nTry it yourself:\n"
        f"  {prog} subject get {ids[1]} --purpose order_fulfilment --role support --home {home}\n"
        f"  {prog} audit log --subject {subject} --home {home}\n"
        f"  {prog} audit verify --home {home}"
    )
