"""Helpers for the backup tests: wiping a database, reading what a home holds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tutela import Settings, Tutela, errors
from tutela.clock import FrozenClock
from tutela.testing import PiiCanary

POSTGRES_URL = os.environ.get(
    "TUTELA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PURPOSE = "order_fulfilment"


def wipe(settings: Settings) -> None:
    """Lose the home's database (the disaster a restore is for)."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        path = Path(sa.make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name in sa.inspect(conn).get_table_names():
                conn.exec_driver_sql(f'DROP TABLE "{name}" CASCADE')
    finally:
        engine.dispose()


def state(tutela: Tutela, subject_ids: list[str]) -> dict[str, Any]:
    """What each subject reads as (values), or 'erased'."""
    out: dict[str, Any] = {}
    for sid in subject_ids:
        try:
            out[sid] = tutela.read(sid, purpose=PURPOSE, role="admin")
        except errors.SubjectErased:
            out[sid] = "erased"
    return out


def actions(tutela: Tutela) -> list[str]:
    return [e.event.action for e in tutela.audit_entries()]


class Home:
    """A home the test may close, wipe, restore and open again."""

    def __init__(self, settings: Settings, clock: FrozenClock, canary: PiiCanary) -> None:
        self.settings = settings
        self.clock = clock
        self.canary = canary
        self.current: Tutela | None = None

    def init(self, **kwargs: Any) -> Tutela:
        self.current = Tutela.init(settings=self.settings, clock=self.clock, **kwargs)
        return self.current

    def open(self, **kwargs: Any) -> Tutela:
        self.close()
        self.current = Tutela.open(settings=self.settings, clock=self.clock, **kwargs)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.check(self.current)
            self.current.close()
            self.current = None

    def check(self, tutela: Tutela) -> None:
        leaks = self.canary.leaks(repr(e) for e in tutela.audit_entries())
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"
        report = tutela.verify_audit()
        assert report.ok, report
