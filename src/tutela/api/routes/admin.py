"""`/v1/datamap`, `/v1/audit`, `/v1/audit:verify`, `/v1/keys:rotate`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from tutela._facade import Tutela
from tutela.actor import Actor
from tutela.api.auth import CallerDep, call
from tutela.api.routes import AUTHED, problems
from tutela.api.schemas import AuditEntryOut, AuditPage, DataMapOut, RotationResult, VerifyResult
from tutela.core.audit import ChainedEntry

router = APIRouter(prefix="/v1", tags=["administration"])


@router.get("/datamap", response_model=DataMapOut, responses=problems(*AUTHED))
async def datamap(caller: CallerDep) -> DataMapOut:
    """The data map in force: fields, purposes, legal bases, retention, roles."""
    vault = caller.vault
    return DataMapOut(version=vault.datamap_version, datamap=vault.datamap.model_dump(mode="json"))


@router.get("/audit", response_model=AuditPage, responses=problems(*AUTHED))
async def audit(
    caller: CallerDep,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Audit entries after a sequence number, oldest first (needs `audit.read`)."""
    vault, actor = caller.vault, caller.actor
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
        for e in await call(vault, _page, vault, subject, after, limit, actor)
    ]
    next_after = entries[-1].seq if len(entries) == limit else None
    return AuditPage(entries=entries, next_after=next_after)


def _page(
    vault: Tutela, subject: str | None, after: int, limit: int, actor: Actor
) -> list[ChainedEntry]:
    return list(vault.audit_entries(subject_id=subject, after=after, limit=limit, actor=actor))


@router.post("/audit:verify", response_model=VerifyResult, responses=problems(*AUTHED))
async def verify_audit(caller: CallerDep) -> VerifyResult:
    """Check every link of the chain and the head checkpoint (needs `audit.read`)."""
    vault, actor = caller.vault, caller.actor
    report = await run_in_threadpool(vault.verify_audit, actor=actor)
    return VerifyResult(
        ok=report.ok, entries=report.entries, first_broken=report.first_broken, reason=report.reason
    )


@router.post("/keys:rotate", response_model=RotationResult, responses=problems(*AUTHED))
async def rotate_keys(caller: CallerDep) -> RotationResult:
    """New key-encryption key version; every data key re-wrapped (needs `keys.manage`)."""
    vault, actor = caller.vault, caller.actor
    report = await run_in_threadpool(vault.rotate_keys, actor=actor)
    return RotationResult(kek_version=report.kek_version, rewrapped=report.rewrapped)
