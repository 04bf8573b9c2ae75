"""`tutela demo` (what `make run` runs), end to end without serving: every step of the tour
succeeds, its emails land in the demo home's outbox, and the audit chain holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_tour_runs_through_and_leaves_a_verified_home(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutela",
            "demo",
            "--home",
            str(home),
            "--no-serve",
            "--customers",
            "20",
        ],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for line in (
        "refused RoleNotAllowed",
        "refused ConsentNotActive",
        "erased for good (re-keyed): marketing_preferences",
        "as issued: signature valid",
        "with 'action' changed: the signature does not match the receipt",
        "verified and answered (completed)",
        "refused SubjectErased",
        "chain intact",
        "collector  tk_",
    ):
        assert line in out, line
    emails = sorted(p.name for p in (home / "outbox").glob("*.eml"))
    assert [n.split("-")[1] for n in emails] == [
        "verification_code",
        "request_received",
        "request_completed",
    ]
    assert all(((home / "outbox") / n).stat().st_mode & 0o077 == 0 for n in emails)
    assert 'mail_outbox_dir = "' in (home / "tutela.toml").read_text()
