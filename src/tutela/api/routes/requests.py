"""Data-subject request endpoints: public intake and code verification (no key, a budget per
client address), and the staff desk (`requests.manage`: list, show, approve, reject, extend,
complete, retry, lift a restriction)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from tutela.api.auth import CallerDep, PublicDep
from tutela.api.request_schemas import (
    CodeIn,
    NewRequest,
    NoteIn,
    ReasonIn,
    RequestList,
    RequestOut,
    RequestReceived,
    RequestVerified,
    TimelineEvent,
)
from tutela.api.routes import AUTHED, problems
from tutela.rights.service import RequestView, Status

router = APIRouter(prefix="/v1", tags=["requests"])
RequestId = Annotated[str, Path(min_length=1, max_length=64, description="A request id (`req_…`).")]
SubjectId = Annotated[str, Path(min_length=1, max_length=64, description="An opaque subject id.")]
PUBLIC = (404, 422, 429)
# Every step may send email (an SMTP round trip of up to the configured timeout): always in
# the thread pool, never on the event loop, even on SQLite.
in_thread = run_in_threadpool


def _out(view: RequestView) -> RequestOut:
    return RequestOut(
        id=view.id,
        type=view.type.value,
        status=view.status.value,
        regime=view.regime,
        subject_id=view.subject_id,
        received_at=view.received_at,
        due_on=view.due_on,
        latest_extension=view.latest_extension,
        acknowledge_by=view.acknowledge_by,
        extension_reason=view.extension_reason,
        verified_at=view.verified_at,
        closed_at=view.closed_at,
        outcome=view.outcome,
        timeline=[
            TimelineEvent(at=e.at, status=e.status, actor=e.actor, note=e.note)
            for e in view.timeline
        ],
    )


# -- public ----------------------------------------------------------------------------------


@router.post(
    "/public/requests",
    status_code=202,
    response_model=RequestReceived,
    responses=problems(422, 429, 502),
)
async def create_request(body: NewRequest, vault: PublicDep) -> RequestReceived:
    """Receive a request (public: no API key) and email a one-time code to the address.
    The answer is the same whether or not the address belongs to a customer: nothing is
    looked up until the code is presented."""
    view = await in_thread(
        vault.requests.create, body.type, body.email, jurisdiction=body.jurisdiction
    )
    return RequestReceived(id=view.id, status=view.status.value, due_on=view.due_on)


@router.post(
    "/public/requests/{request_id}:verify",
    response_model=RequestVerified,
    responses=problems(*PUBLIC, 409, 502),
)
async def verify_request(request_id: RequestId, body: CodeIn, vault: PublicDep) -> RequestVerified:
    """Present the emailed code (public). A wrong, expired or locked code is a 422 problem
    naming which; the request then moves on (and is fulfilled at once where no approval is
    needed)."""
    view = await in_thread(vault.requests.verify, request_id, body.code)
    return RequestVerified(id=view.id, status=view.status.value)


# -- staff -----------------------------------------------------------------------------------


@router.get("/requests", response_model=RequestList, responses=problems(*AUTHED))
async def list_requests(
    caller: CallerDep,
    status: Annotated[
        list[Status] | None, Query(max_length=6, description="Only these statuses (repeatable).")
    ] = None,
) -> RequestList:
    """Every request, or those in the given statuses."""
    views = await in_thread(caller.vault.requests.listing, statuses=status, actor=caller.actor)
    return RequestList(requests=[_out(v) for v in views])


@router.get("/requests:overdue", response_model=RequestList, responses=problems(*AUTHED))
async def overdue_requests(
    caller: CallerDep,
    within_days: Annotated[int, Query(ge=0, le=366, description="Due within this many days.")] = 7,
) -> RequestList:
    """Open requests that are late or due within `within_days`, most urgent first."""
    views = await in_thread(
        caller.vault.requests.overdue, within_days=within_days, actor=caller.actor
    )
    return RequestList(requests=[_out(v) for v in views])


@router.get("/requests/{request_id}", response_model=RequestOut, responses=problems(*AUTHED, 404))
async def show_request(request_id: RequestId, caller: CallerDep) -> RequestOut:
    """One request with its timeline."""
    view = await in_thread(caller.vault.requests.show, request_id, actor=caller.actor)
    return _out(view)


@router.post(
    "/requests/{request_id}:approve",
    response_model=RequestOut,
    responses=problems(*AUTHED, 404, 409, 502),
)
async def approve_request(request_id: RequestId, caller: CallerDep) -> RequestOut:
    """Approve a verified request that waits for staff; it is carried out at once."""
    view = await in_thread(caller.vault.requests.approve, request_id, actor=caller.actor)
    return _out(view)


@router.post(
    "/requests/{request_id}:reject",
    response_model=RequestOut,
    responses=problems(*AUTHED, 404, 409, 502),
)
async def reject_request(request_id: RequestId, body: ReasonIn, caller: CallerDep) -> RequestOut:
    """Refuse an open request; the requester is told the reason and their right to complain."""
    view = await in_thread(
        caller.vault.requests.reject, request_id, body.reason, actor=caller.actor
    )
    return _out(view)


@router.post(
    "/requests/{request_id}:extend",
    response_model=RequestOut,
    responses=problems(*AUTHED, 404, 409),
)
async def extend_request(request_id: RequestId, body: ReasonIn, caller: CallerDep) -> RequestOut:
    """Move the due date to the furthest the law allows (once, within the first period)."""
    view = await in_thread(
        caller.vault.requests.extend, request_id, body.reason, actor=caller.actor
    )
    return _out(view)


@router.post(
    "/requests/{request_id}:complete",
    response_model=RequestOut,
    responses=problems(*AUTHED, 404, 409, 502),
)
async def complete_request(request_id: RequestId, body: NoteIn, caller: CallerDep) -> RequestOut:
    """Close a request staff carried out themselves (rectification, several customers)."""
    view = await in_thread(
        caller.vault.requests.complete, request_id, body.note, actor=caller.actor
    )
    return _out(view)


@router.post(
    "/requests/{request_id}:retry",
    response_model=RequestOut,
    responses=problems(*AUTHED, 404, 409, 502),
)
async def retry_request(request_id: RequestId, caller: CallerDep) -> RequestOut:
    """Run again a fulfilment a connected database failed (409 unless one is waiting)."""
    return _out(await in_thread(caller.vault.requests.retry, request_id, actor=caller.actor))


@router.post(
    "/subjects/{subject_id}:lift-restriction",
    status_code=204,
    response_class=Response,
    responses=problems(*AUTHED, 404, 409),
)
async def lift_restriction(subject_id: SubjectId, caller: CallerDep) -> Response:
    """End a restriction of processing (tell the customer first, Art. 18(3)). Values kept
    after an erasure stay restricted to their legal obligation (409)."""
    await in_thread(caller.vault.requests.lift_restriction, subject_id, actor=caller.actor)
    return Response(status_code=204)
