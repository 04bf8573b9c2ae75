"""The admin pages' request queue and one request: the queue with its deadline chart, a
request's fields, outcome and timeline, and the staff actions posted from it (approve,
reject, extend, complete, retry), each behind the session's CSRF token and run as the
session's actor. The rights service decides; these pages only show what it says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from tutela import errors
from tutela._facade import Tutela
from tutela.rights.portal import Session
from tutela.rights.service import OPEN, RequestView, Status
from tutela.web import admin_views as views
from tutela.web.admin_common import (
    QUEUE,
    csrf_ok,
    csrf_refused,
    error_page,
    forbidden,
    not_found,
    run,
    staff_session,
    status_of,
    to_sign_in,
    today,
)
from tutela.web.deadline_chart import bucket_counts, deadline_chart
from tutela.web.pages import form_of, page, redirect, tutela_of

router = APIRouter()

MAX_ID = 64


def _chart(days_left: list[int]) -> Markup:
    # deadline_chart escapes every piece of text it writes.
    return Markup(deadline_chart(days_left, chart_id="deadline-chart"))  # noqa: S704


@router.get("/requests")
async def queue(request: Request, status: Annotated[str, Query()] = "open") -> Response:
    """Open requests (or `?status=all|<status>`), most urgent first, and the deadline chart
    of the open ones."""
    session = await staff_session(request)
    if session is None:
        return to_sign_in(request)
    if status not in views.FILTERS:
        message = f"Unknown status filter; use one of: {', '.join(views.FILTERS)}."
        return error_page(request, 422, "Unknown filter", message, session)
    sdk = tutela_of(request).requests
    try:
        open_views = await run(sdk.listing, statuses=OPEN, actor=session.actor)
        if status == "open":
            shown = open_views
        else:
            only = None if status == "all" else [Status(status)]
            shown = await run(sdk.listing, statuses=only, actor=session.actor)
    except errors.AccessDenied as exc:
        return forbidden(request, session, exc)
    now = today(request)
    days_left = [v.days_left(now) for v in open_views]
    context = {
        "title": "Data-subject requests",
        "session": session,
        "csrf": session.csrf,
        "filters": views.FILTERS,
        "current": status,
        "rows": views.queue_rows(shown, now),
        "today": now.isoformat(),
        "chart": _chart(days_left),
        "buckets": bucket_counts(days_left),
        "open_count": len(open_views),
    }
    return page(request, "admin_queue.html", context)


def _detail_url(request_id: str, done: str | None = None) -> str:
    url = f"{QUEUE}/{quote(request_id, safe='')}"
    return f"{url}?done={done}" if done else url


async def _detail(
    request: Request,
    session: Session,
    request_id: str,
    *,
    flash: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if len(request_id) > MAX_ID:
        return not_found(request, session)
    try:
        view: RequestView = await run(
            tutela_of(request).requests.show, request_id, actor=session.actor
        )
    except errors.RequestNotFound:
        return not_found(request, session)
    except errors.AccessDenied as exc:
        return forbidden(request, session, exc)
    now = today(request)
    context = {
        "title": f"Request {view.id}",
        "session": session,
        "csrf": session.csrf,
        "view": view,
        "urgency": views.urgency(view, now),
        "held": views.is_held(view),
        "fields": views.fields(view, now),
        "outcome": views.outcome(view),
        "systems": views.systems(view),
        "timeline": [
            (views.when(e.at), views.words(e.status), e.actor, e.note) for e in view.timeline
        ],
        "actions": views.actions(view),
        "flash": flash,
        "error": error,
    }
    return page(request, "admin_request.html", context, status_code=status_code)


@router.get("/requests/{request_id}")
async def request_detail(
    request: Request, request_id: str, done: Annotated[str | None, Query()] = None
) -> Response:
    """One request: every field, the outcome, the timeline and the actions that apply."""
    session = await staff_session(request)
    if session is None:
        return to_sign_in(request)
    return await _detail(request, session, request_id, flash=views.DONE.get(done or ""))


@router.post("/requests/{request_id}/{action}")
async def request_action(request: Request, request_id: str, action: str) -> Response:
    """Approve, reject (reason), extend (reason), complete (note) or retry, as the session's
    actor; then back to the request (see-other) with what was done."""
    if action not in views.ACTIONS:
        return error_page(request, 404, "Not found", "There is no such action.", None)
    session = await staff_session(request)
    if session is None:
        return to_sign_in(request)
    form = await form_of(request)
    if not csrf_ok(request, session, form):
        return csrf_refused(request, session)
    if len(request_id) > MAX_ID:
        return not_found(request, session)
    step = _step(tutela_of(request), session, request_id, action, form)
    try:
        await run(step)
    except errors.TutelaError as exc:
        return await _not_done(request, session, request_id, exc)
    return redirect(_detail_url(request_id, views.PAST[action]))


def _step(
    vault: Tutela, session: Session, request_id: str, action: str, form: dict[str, str]
) -> Callable[[], RequestView]:
    sdk, actor = vault.requests, session.actor
    steps: dict[str, Callable[[], RequestView]] = {
        "approve": lambda: sdk.approve(request_id, actor=actor),
        "reject": lambda: sdk.reject(request_id, form.get("reason", ""), actor=actor),
        "extend": lambda: sdk.extend(request_id, form.get("reason", ""), actor=actor),
        "complete": lambda: sdk.complete(request_id, form.get("note", ""), actor=actor),
        "retry": lambda: sdk.retry(request_id, actor=actor),
    }
    return steps[action]


async def _not_done(
    request: Request, session: Session, request_id: str, exc: errors.TutelaError
) -> HTMLResponse:
    """A refused or failed step: the request again with the service's message (which names
    ids and statuses, never a value)."""
    status_code = status_of(exc)
    if status_code is None:  # not a refusal: the step failed (its transaction undone)
        message = "The step could not be completed, so nothing was done. Try again later."
        return error_page(request, 500, "Not done", message, session)
    if status_code == 404:
        return not_found(request, session)
    if status_code == 403:
        return forbidden(request, session, exc)
    return await _detail(
        request, session, request_id, error=f"Not done: {exc}.", status_code=status_code
    )
