"""Consent endpoints: record choices (with Global Privacy Control), read state and history,
publish the receipt-signing key and verify receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request

from tutela._consents import Consents
from tutela.api.auth import Caller, CallerDep, VaultDep, call
from tutela.api.consent_schemas import (
    ConsentChoices,
    ConsentConfig,
    ConsentEventOut,
    ConsentHistory,
    ConsentRecorded,
    ConsentStatus,
    PublicKey,
    PurposeOffer,
    PurposeStatus,
    ReceiptVerification,
    StaleConsents,
)
from tutela.api.routes import AUTHED, problems
from tutela.consent.repository import EventRow
from tutela.consent.service import Recorded
from tutela.transparency.labels import category_label

router = APIRouter(prefix="/v1", tags=["consents"])
SubjectId = Annotated[str, Path(min_length=1, max_length=64, description="An opaque subject id.")]


def gpc_signal(request: Request) -> bool:
    """Whether the request carries a Global Privacy Control signal (`Sec-GPC: 1`)."""
    return request.headers.get("sec-gpc", "").strip() == "1"


def _evidence(request: Request) -> str:
    """What the request looked like; the ledger keeps only a keyed hash of it."""
    host = request.client.host if request.client else ""
    return f"{host}|{request.headers.get('user-agent', '')}"


def _event(row: EventRow) -> ConsentEventOut:
    return ConsentEventOut(
        receipt_id=row.receipt_id,
        purpose=row.purpose,
        action=row.action,
        at=row.at,
        method=row.method,
        collector=row.collector,
        datamap_version=row.datamap_version,
        notice_version=row.notice_version,
    )


def _recorded(done: Recorded) -> ConsentRecorded:
    return ConsentRecorded(
        subject_id=done.subject_id,
        notice_version=done.notice_version,
        gpc_honoured=done.gpc_honoured,
        erased_fields=list(done.erased_fields),
        receipts=done.receipts,
    )


async def _record(
    request: Request, caller: Caller, subject_id: str | None, body: ConsentChoices
) -> ConsentRecorded:
    consents: Consents = caller.vault.consents
    done = await call(
        caller.vault,
        consents.record,
        subject_id,
        body.choices,
        method=body.method,
        actor=caller.actor,
        gpc=gpc_signal(request),
        proof=body.proof,
        evidence=_evidence(request),
        notice_version=body.notice_version,
    )
    return _recorded(done)


@router.get("/consents/config", response_model=ConsentConfig, responses=problems(401, 429))
async def consent_config(request: Request, caller: CallerDep) -> ConsentConfig:
    """What a consent banner shows: the purposes a customer can choose, the notice version,
    and whether this request carried a Global Privacy Control signal."""
    consents = caller.vault.consents
    controller = consents.ledger.datamap.controller
    return ConsentConfig(
        controller={"name": controller.name, "contact": controller.contact},
        notice_version=consents.notice_version,
        notice_url="/privacy/notice",
        gpc=gpc_signal(request),
        purposes=[
            PurposeOffer(
                name=offer.name,
                description=offer.spec.description,
                basis=offer.spec.basis.value,
                sale_or_share=offer.spec.sale_or_share,
                categories=[category_label(key).name for key in offer.categories],
            )
            for offer in consents.choosable()
        ],
    )


@router.post(
    "/consents", status_code=201, response_model=ConsentRecorded, responses=problems(*AUTHED)
)
async def record_for_new_visitor(
    request: Request, body: ConsentChoices, caller: CallerDep
) -> ConsentRecorded:
    """A first-time visitor's choices: creates a subject that holds no values yet and
    records one signed receipt per choice. `Sec-GPC: 1` opts out of every sold or shared
    purpose."""
    return await _record(request, caller, None, body)


@router.post(
    "/subjects/{subject_id}/consents",
    response_model=ConsentRecorded,
    responses=problems(*AUTHED, 404),
)
async def record_consents(
    request: Request, subject_id: SubjectId, body: ConsentChoices, caller: CallerDep
) -> ConsentRecorded:
    """Grant (true) or withdraw (false) consent per purpose; a withdrawal applies to the very
    next read and erases the fields no remaining purpose needs."""
    return await _record(request, caller, subject_id, body)


@router.get(
    "/subjects/{subject_id}/consents",
    response_model=ConsentStatus,
    responses=problems(*AUTHED, 404),
)
async def consent_status(subject_id: SubjectId, caller: CallerDep) -> ConsentStatus:
    """Where each purpose the customer controls stands now."""
    consents = caller.vault.consents
    states = await call(caller.vault, consents.status, subject_id, actor=caller.actor)
    return ConsentStatus(
        subject_id=subject_id,
        notice_version=consents.notice_version,
        purposes=[
            PurposeStatus(
                purpose=s.purpose,
                basis=s.basis.value,
                active=s.active,
                stale=s.stale,
                last=_event(s.last) if s.last else None,
            )
            for s in states
        ],
    )


@router.get(
    "/subjects/{subject_id}/consents/history",
    response_model=ConsentHistory,
    responses=problems(*AUTHED),
)
async def consent_history(subject_id: SubjectId, caller: CallerDep) -> ConsentHistory:
    """Every grant and withdrawal, oldest first; the ledger is never rewritten."""
    consents = caller.vault.consents
    events = await call(caller.vault, consents.history, subject_id, actor=caller.actor)
    return ConsentHistory(subject_id=subject_id, events=[_event(e) for e in events])


@router.get(
    "/subjects/{subject_id}/consents/receipts",
    response_model=list[dict[str, Any]],
    responses=problems(*AUTHED),
)
async def consent_receipts(subject_id: SubjectId, caller: CallerDep) -> list[dict[str, Any]]:
    """The subject's signed receipts, oldest first."""
    consents = caller.vault.consents
    return await call(caller.vault, consents.receipts, subject_id, actor=caller.actor)


@router.get("/consents/stale", response_model=StaleConsents, responses=problems(*AUTHED))
async def stale_consents(caller: CallerDep) -> StaleConsents:
    """Active consents given under an older privacy notice: the customers to ask again."""
    consents = caller.vault.consents
    rows = await call(caller.vault, consents.stale, actor=caller.actor)
    return StaleConsents(
        notice_version=consents.notice_version,
        stale=[
            {"subject_id": r.subject_id, "purpose": r.purpose, "notice_version": r.notice_version}
            for r in rows
        ],
    )


@router.get("/consents/public-key", response_model=PublicKey)
async def public_key(vault: VaultDep) -> PublicKey:
    """The Ed25519 key consent receipts are signed with (public: no API key needed)."""
    return PublicKey(**vault.consents.public_key())


@router.post("/consents:verify", response_model=ReceiptVerification, responses=problems(413, 422))
async def verify_receipt(
    vault: VaultDep,
    receipt: Annotated[dict[str, Any], Body(description="A signed consent receipt.")],
) -> ReceiptVerification:
    """Check a receipt's signature (public: anyone holding a receipt may check it)."""
    check = vault.consents.verify(receipt)
    return ReceiptVerification(
        valid=check.valid, reason=check.reason, receipt_id=check.receipt_id, kid=check.key_id
    )
