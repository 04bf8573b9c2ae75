"""The privacy center's pages for requests: delete (erasure), object or restrict, the list of
the customer's requests and what became of each, and who accessed their data. Included in
`privacy_center.router`, under `/privacy`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from tutela.rights.portal import Session
from tutela.rights.service import RequestType, RequestView, Status
from tutela.web.pages import CUSTOMER_COOKIE, clear_session_cookie, tutela_of
from tutela.web.privacy_common import (
    PREFIX,
    current_session,
    portal_of,
    render,
    run,
    signed_in_form,
    text,
    to_sign_in,
)
from tutela.web.privacy_words import (
    day,
    field_label,
    fields_text,
    outcome_text,
    purpose_label,
    retention_text,
    status_text,
    type_text,
    when,
)

router = APIRouter()

REQUEST_CHOICES = {
    "objection": RequestType.OBJECTION,
    "restriction": RequestType.RESTRICTION,
}


# -- requests: delete, object or restrict ----------------------------------------------------


def submitted_page(
    request: Request, session: Session | None, view: RequestView, *, status_code: int = 200
) -> HTMLResponse:
    """What became of a request the customer just made."""
    return render(
        request,
        "privacy_submitted.html",
        title=type_text(view.type),
        session=session,
        kind=view.type.value,
        heading=type_text(view.type),
        status=view.status.value,
        status_words=status_text(view.status),
        due=day(view.due_on),
        outcome=outcome_text(view),
        status_code=status_code,
    )


def _needs_approval(request: Request, kind: RequestType) -> bool:
    return kind.value in tutela_of(request).settings.requests_need_approval


async def _delete_form(
    request: Request, session: Session, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    center = portal_of(request)
    held = [f.name for f in await run(center.my_data, session)]
    kept_rules = center.kept_on_erasure()
    purposes = tutela_of(request).datamap.purposes
    kept = [
        {
            "label": field_label(name),
            "why": [
                {
                    "purpose": purposes[p].description or purpose_label(p),
                    "retention": retention_text(purposes[p].retention),
                }
                for p in used_by
            ],
        }
        for name, used_by in kept_rules.items()
        if name in held
    ]
    return render(
        request,
        "privacy_delete.html",
        title="Delete my data",
        session=session,
        erased=fields_text(n for n in held if n not in kept_rules) if held else "",
        kept=kept,
        approval=_needs_approval(request, RequestType.ERASURE),
        error=error,
        status_code=status_code,
    )


@router.get("/delete")
async def delete_page(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    return await _delete_form(request, session)


@router.post("/delete")
async def delete(request: Request) -> Response:
    posted = await signed_in_form(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    if text(form, "confirm") != "yes":
        return await _delete_form(
            request,
            session,
            status_code=422,
            error="Tick “I understand” to confirm that you want your data deleted.",
        )
    center = portal_of(request)
    view, _ = await run(center.submit, session, RequestType.ERASURE)
    if view.status is not Status.COMPLETED:
        return submitted_page(request, session, view)
    # Erased: the session ends with the data.
    await run(center.sign_out, session.token)
    response = submitted_page(request, None, view)
    clear_session_cookie(response, CUSTOMER_COOKIE, PREFIX)
    return response


def _object_form(
    request: Request, session: Session, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "privacy_object.html",
        title="Object or restrict",
        session=session,
        error=error,
        status_code=status_code,
    )


@router.get("/object-restrict")
async def object_page(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    return _object_form(request, session)


@router.post("/object-restrict")
async def object_or_restrict(request: Request) -> Response:
    posted = await signed_in_form(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    kind = REQUEST_CHOICES.get(text(form, "choice"))
    if kind is None:
        return _object_form(
            request,
            session,
            status_code=422,
            error="Choose one: object to processing, or restrict processing.",
        )
    view, _ = await run(portal_of(request).submit, session, kind)
    return submitted_page(request, session, view)


# -- my requests, who accessed my data -------------------------------------------------------


@router.get("/requests")
async def my_requests(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    views = await run(portal_of(request).my_requests, session)
    rows = [
        {
            "type": type_text(v.type),
            "received": when(v.received_at),
            "received_iso": v.received_at.isoformat(),
            "due": day(v.due_on),
            "status": status_text(v.status),
            "outcome": outcome_text(v),
        }
        for v in views
    ]
    return render(request, "privacy_requests.html", title="My requests", session=session, rows=rows)


@router.get("/history")
async def history(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    accesses = await run(portal_of(request).access_history, session)
    rows = [
        {
            "at": when(a.at),
            "at_iso": a.at.isoformat(),
            "by": a.by,
            "what": a.what,
            "purpose": purpose_label(a.purpose) if a.purpose else "—",
            "fields": fields_text(a.fields),
            "refused": a.refused,
        }
        for a in accesses
    ]
    return render(
        request,
        "privacy_history.html",
        title="Who accessed my data",
        session=session,
        rows=rows,
    )
