"""`/v1/datamap`, `/v1/audit`, `/v1/audit:verify`, `/v1/keys:rotate`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from tutela.api.auth import CurrentActor, VaultDep
from tutela.api.routes import AUTHED, problems
from tutela.api.schemas import AuditEntryOut, AuditPage, DataMapOut, RotationResult, VerifyResult

router = APIRouter(prefix="/v1", tags=["administration"])


@router.get("/datamap", response_model=DataMapOut, responses=problems(*AUTHED))
def datamap(actor: CurrentActor, vault: VaultDep) -> DataMapOut:
    """The data map in force: fields, purposes, legal bases, retention, roles."""
    return DataMapOut(version=vault.datamap_version, datamap=vault.datamap.model_dump(mode="json"))


@router.get("/audit", response_model=AuditPage, responses=problems(*AUTHED))
def audit(
    actor: CurrentActor,
    vault: VaultDep,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Audit entries after a sequence number, oldest first (needs `audit.read`)."""
    entries = [
        AuditEntryOut(
            seq=e.seq,
            at=e.at,
            actor=e.event.actor,
            role=e.event.role,
            action=e.event.action,
            outcome=e.event.outcome,
            subject=e.event.subject_id,
            fields=list(e.event.fields),
            purpose=e.event.purpose,
            detail=e.event.detail,
        )
        for e in vault.audit_entries(subject_id=subject, after=after, limit=limit, actor=actor)
    ]
    next_after = entries[-1].seq if len(entries) == limit else None
    return AuditPage(entries=entries, next_after=next_after)


@router.post("/audit:verify", response_model=VerifyResult, responses=problems(*AUTHED))
async def verify_audit(actor: CurrentActor, vault: VaultDep) -> VerifyResult:
    """Check every link of the chain and the head checkpoint (needs `audit.read`)."""
    report = await run_in_threadpool(vault.verify_audit, actor=actor)
    return VerifyResult(
        ok=report.ok, entries=report.entries, first_broken=report.first_broken, reason=report.reason
    )


@router.post("/keys:rotate", response_model=RotationResult, responses=problems(*AUTHED))
async def rotate_keys(actor: CurrentActor, vault: VaultDep) -> RotationResult:
    """New key-encryption key version; every data key re-wrapped (needs `keys.manage`)."""
    report = await run_in_threadpool(vault.rotate_keys, actor=actor)
    return RotationResult(kek_version=report.kek_version, rewrapped=report.rewrapped)
