"""The retention sweep: erase values that no purpose may keep any longer (GDPR Art. 5(1)(e)).

A purpose keeps a field of a subject until its retention runs out, counted from collection or
from the subject's last grant (`retention_from`). A consent purpose keeps nothing without a
grant; after a withdrawal (or an objection to a legitimate interest) it keeps only if the
data map says `keep_until_retention`. A field whose every purpose has run out is erased; a
subject left with no values and no active consent is erased whole. Each changed subject gets
one audit entry. Running the sweep again changes nothing: it is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import isodate

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.consent.service import ConsentLedger, Standing
from tutela.core.audit import AuditEvent
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, LegalBasis, OnWithdrawal, PurposeSpec, RetentionStart
from tutela.vault import Vault
from tutela.vault.erasure import Holding

SWEEPER = Actor("system:retention", "admin")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Expiry:
    """What the sweep does to one subject: erase some fields, or the whole subject."""

    subject_id: str
    fields: tuple[str, ...]
    whole_subject: bool


@dataclass
class SweepReport:
    """Counts and ids (never values) of what a sweep erased, or would erase (`dry_run`)."""

    at: datetime
    dry_run: bool
    subjects_checked: int = 0
    expiries: list[Expiry] = field(default_factory=list)

    @property
    def subjects_erased(self) -> int:
        return sum(e.whole_subject for e in self.expiries)

    @property
    def subjects_trimmed(self) -> int:
        return sum(not e.whole_subject for e in self.expiries)

    @property
    def fields_erased(self) -> int:
        return sum(len(e.fields) for e in self.expiries)


def kept_until(spec: PurposeSpec, holding: Holding, standing: Standing | None) -> datetime | None:
    """Until when `spec` keeps the subject's fields (None: it keeps nothing)."""
    if spec.basis is LegalBasis.CONSENT and (standing is None or standing.last_grant is None):
        return None  # never granted: nothing was collected for it
    if spec.withdrawable:
        active = standing.active if standing else True  # no objection recorded
        if not active and spec.on_withdrawal is OnWithdrawal.ERASE:
            return None
    if spec.retention_from is RetentionStart.CONSENT:
        start = standing.last_grant if standing else None
        if start is None:
            return None
    else:
        start = holding.created_at
    return start + isodate.parse_duration(spec.retention)  # type: ignore[no-any-return]


def expiry(
    datamap: DataMap,
    holding: Holding,
    standings: Mapping[tuple[str, str], Standing],
    now: datetime,
) -> Expiry | None:
    """What must go for this subject at `now`, or None if nothing must."""
    until = {
        name: kept_until(spec, holding, standings.get((holding.subject_id, name)))
        for name, spec in datamap.purposes.items()
    }
    expired = tuple(
        sorted(
            f
            for f in holding.fields
            if not any(
                (t := until[name]) is not None and t > now
                for name, spec in datamap.purposes.items()
                if f in spec.fields
            )
        )
    )
    # A subject with nothing left is kept while a consent of theirs is active and in force.
    consenting = any(
        (t := until[name]) is not None and t > now
        for name, spec in datamap.purposes.items()
        if spec.basis is LegalBasis.CONSENT
        and (s := standings.get((holding.subject_id, name))) is not None
        and s.active
    )
    if len(expired) == len(holding.fields) and not consenting:
        return Expiry(holding.subject_id, expired, whole_subject=True)
    return Expiry(holding.subject_id, expired, whole_subject=False) if expired else None


def sweep(
    unit_of_work: Callable[[], UnitOfWork],
    vault: Vault,
    ledger: ConsentLedger,
    clock: Clock,
    *,
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> SweepReport:
    """Erase what has expired, one transaction per batch of subjects.

    A subject changed between the page read and its batch's transaction is judged on the
    page read; the next sweep corrects any difference, since the sweep only ever erases what
    has expired at the time it runs.
    """
    now = clock.now()
    report = SweepReport(at=now, dry_run=dry_run)
    with unit_of_work() as uow:
        total = vault.count(uow)
    after = ""
    if progress:
        progress(0, total)
    while True:
        with unit_of_work() as uow:
            page = vault.holdings(uow, after, batch_size)
            if not page:
                break
            standings = ledger.standings(uow, [h.subject_id for h in page])
            for holding in page:
                found = expiry(vault.datamap, holding, standings, now)
                if found is None:
                    continue
                report.expiries.append(found)
                if dry_run:
                    continue
                if found.whole_subject:
                    vault.erase(uow, holding.subject_id, SWEEPER, why="retention")
                else:
                    vault.erase_fields(
                        uow, holding.subject_id, found.fields, SWEEPER, why="retention"
                    )
        after = page[-1].subject_id
        report.subjects_checked += len(page)
        if progress:
            progress(min(report.subjects_checked, total), max(total, report.subjects_checked))
    with unit_of_work() as uow:
        uow.record(
            AuditEvent(
                actor=SWEEPER.id,
                role=SWEEPER.role,
                action="retention.sweep",
                detail=(
                    f"{'dry run: ' if dry_run else ''}{report.subjects_checked} checked, "
                    f"{report.subjects_erased} erased, {report.subjects_trimmed} trimmed, "
                    f"{report.fields_erased} fields"
                ),
            )
        )
    return report
