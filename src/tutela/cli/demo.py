"""`tutela demo`: a guided tour on a fresh home seeded with fake customers."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import zipfile
from email import message_from_bytes, policy
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from tutela._facade import Tutela
from tutela.cli._common import fail, progress, stdout
from tutela.cli.serve import run_server
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


def _consent_steps(tutela: Tutela, subject: str) -> None:
    """Grant, read, withdraw (the next read is refused, unneeded values erased), receipts."""
    _step("Consent", "the customer subscribes to the newsletter; a signed receipt is issued")
    receipt = tutela.consents.grant(subject, "newsletter", method="web_form")
    stdout.print(f"receipt {receipt['receipt_id']} under notice {receipt['notice']['version']}")
    stdout.print(tutela.read(subject, purpose="newsletter", role="marketing"))

    _step("Withdraw", "one click later: the very next read is refused")
    done = tutela.consents.withdraw(subject, "newsletter", method="web_form")
    try:
        tutela.read(subject, purpose="newsletter", role="marketing")
    except AccessDenied as denial:
        stdout.print(f"[red]refused[/] {type(denial).__name__}: {denial}")
    erased = ", ".join(done.erased_fields) or "none"
    stdout.print(f"values no other purpose needs, erased for good (re-keyed): {erased}")

    _step("Receipt", "anyone can check a receipt against the published key; a changed byte fails")
    stdout.print(f"as issued: {tutela.consents.verify(receipt).reason}")
    forged = {**receipt, "action": "withdraw"}
    stdout.print(f"with 'action' changed: {tutela.consents.verify(forged).reason}")


def _request_steps(tutela: Tutela, email: str, outbox: Path) -> None:
    """An access request: emailed code (written to the outbox), verification, the answer."""
    _step("Access request", "a customer asks for their data; a one-time code is emailed")
    request = tutela.requests.create("access", email, jurisdiction="GB")
    stdout.print(f"request {request.id}: {request.status.value}, due {request.due_on} (GDPR)")
    latest = max(outbox.glob("*-verification_code-*.eml"))
    text = message_from_bytes(latest.read_bytes(), policy=policy.default)
    body = text.get_body(preferencelist=("plain",))
    code = re.search(r"\b\d{6}\b", body.get_content() if body else "")
    if code is None:
        fail("the demo's verification email has no code")
    stdout.print(f"the email is in {latest.relative_to(outbox.parent.parent)}")
    done = tutela.requests.verify(request.id, code.group())
    answered = max(outbox.glob("*-request_completed-*.eml"))
    mail = message_from_bytes(answered.read_bytes(), policy=policy.default)
    body = mail.get_body(preferencelist=("plain",))
    link = re.search(r"/privacy/download/([A-Za-z0-9_-]+)", body.get_content() if body else "")
    if link is None:
        fail("the demo's answer email has no download link")
    _, zipped = tutela.requests.download(link.group(1))
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        files = ", ".join(archive.namelist())
    stdout.print(
        f"verified and answered ({done.status.value}): a one-time download link was emailed; "
        f"the zip holds {files}"
    )


def _try_it(home: Path, port: int, subject: str, other: str, email: str) -> str:
    """Issue demo API keys and print what to try next; returns the base URL."""
    prog = _program()
    with Tutela.open(settings=Settings.load(home, database_url=None)) as tutela:
        _, admin_key = tutela.create_api_key(name="demo admin", role="admin")
        _, support_key = tutela.create_api_key(name="demo support", role="support")
        _, collector_key = tutela.create_api_key(name="demo consent widget", role="collector")
    base = f"http://127.0.0.1:{port}"
    stdout.print(
        "\n[bold]API keys[/] (shown once; only their hashes are stored):\n"
        f"  admin      {admin_key}\n  support    {support_key}\n"
        f"  collector  {collector_key}  (public: for the consent widget)\n"
        "\nTry it:\n"
        f"  curl -s -H 'Authorization: Bearer {support_key}' "
        f"'{base}/v1/subjects/{other}?purpose=order_fulfilment'\n"
        f"  curl -s -H 'Authorization: Bearer {support_key}' -H 'Content-Type: application/json' "
        f'-d \'{{"field": "email", "value": "{email}", '
        f'"purpose": "order_fulfilment"}}\' {base}/v1/subjects:find\n'
        f"  curl -s -H 'Authorization: Bearer {admin_key}' '{base}/v1/audit?limit=5'\n"
        f"  {prog} consent history {subject} --home {home}\n"
        f"  {prog} sweep --dry-run --home {home}\n"
        f"  {prog} audit verify --home {home}\n"
        f'  curl -s -H \'Content-Type: application/json\' -d \'{{"type": "access", '
        f'"email": "{email}"}}\' {base}/v1/public/requests   '
        f"(emails land in {home / 'outbox'})\n"
        f"  open {base}/privacy/notice for the generated privacy notice\n"
        f'  embed the consent widget: <script src="{base}/consent.js" '
        f'data-key="{collector_key}" async></script>\n'
        f"  open {base}/privacy/ and sign in as {email} (the code is emailed to "
        f"{home / 'outbox'}): see, download, correct and delete the data, manage consents, "
        "see who accessed it\n"
        f"  open {base}/admin/ and sign in with the admin key: the request queue and its "
        "deadlines\n"
        f"  open {base}/docs for the interactive API docs",
        soft_wrap=True,
    )
    return base


def demo(
    home: Annotated[
        Path, typer.Option("--home", help="Where to create the demo home (replaced if it is one).")
    ] = Path("tutela-demo"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to serve on.")] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API after the tour.")
    ] = True,
    customers: Annotated[
        int,
        typer.Option("--customers", min=10, max=1_000_000, help="How many fake customers to seed."),
    ] = 1_000,
) -> None:
    """Seed fake customers and show reads, masking, denials, search, erasure and audit."""
    _fresh_home(home)
    outbox = home.resolve() / "outbox"
    public_url = f"http://127.0.0.1:{port}"
    tutela = Tutela.init(
        settings=Settings.load(
            home,
            database_url=None,
            mail_outbox_dir=outbox,
            smtp_host=None,
            public_url=public_url,
        )
    )
    (home / MARKER).write_text("created by 'tutela demo'; safe to delete\n")
    with (home / "tutela.toml").open("a", encoding="utf-8") as config:
        config.write(
            f"# The demo writes its emails here instead of sending them.\n"
            f"mail_outbox_dir = {json.dumps(str(outbox))}\n"
            f"# Links in emails point at the demo server.\n"
            f"public_url = {json.dumps(public_url)}\n"
        )
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

        _consent_steps(tutela, subject)

        _step("Find by email", "through a keyed blind index: nothing is decrypted to search")
        found = tutela.find(
            "email", first["email"].upper(), purpose="order_fulfilment", role="support"
        )
        stdout.print(f"found {found}")

        _request_steps(tutela, rows[1]["email"], outbox)

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
    base = _try_it(home, port, subject, ids[1], rows[1]["email"])
    if serve:
        stdout.print(f"\nServing on {base} — Ctrl-C to stop.")
        run_server(home, "127.0.0.1", port, workers=1)
