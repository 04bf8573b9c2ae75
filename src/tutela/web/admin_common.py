"""What the admin pages share: the staff session of a request, running vault calls off the
event loop, the CSRF check, and the error pages (a refusal is a page, never a stack trace).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tutela import errors
from tutela.rights.portal import Session
from tutela.web.pages import (
    CSRF_FIELD,
    STAFF_COOKIE,
    clear_session_cookie,
    page,
    redirect,
    tutela_of,
)

T = TypeVar("T")

PATH = "/admin"
QUEUE = f"{PATH}/requests"
SIGN_IN = f"{PATH}/sign-in"
# How each service error a staff step can raise is shown (first match wins).
ERROR_STATUS: tuple[tuple[type[errors.TutelaError], int], ...] = (
    (errors.AccessDenied, 403),
    (errors.RequestNotFound, 404),
    (errors.RequestStateInvalid, 409),
    (errors.RightsError, 422),
    (errors.MailNotSent, 502),
)


async def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """A vault call, off the event loop (steps may send email or reach other databases)."""
    return await run_in_threadpool(fn, *args, **kwargs)


def status_of(exc: errors.TutelaError) -> int | None:
    """The status a service error is shown with, or None for a failure (not a refusal)."""
    return next((status for kind, status in ERROR_STATUS if isinstance(exc, kind)), None)


def today(request: Request) -> date:
    return tutela_of(request).clock.now().date()


async def staff_session(request: Request) -> Session | None:
    """The live staff session of the request's cookie (using it keeps it alive), or None."""
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        return None
    return await run(tutela_of(request).portal.staff, token)


def to_sign_in(request: Request) -> Response:
    """No live session: back to the sign-in page (saying why, if a cookie had expired)."""
    ended = STAFF_COOKIE in request.cookies
    response = redirect(f"{SIGN_IN}?ended=1" if ended else SIGN_IN)
    if ended:
        clear_session_cookie(response, STAFF_COOKIE, PATH)
    return response


def csrf_ok(request: Request, session: Session, form: dict[str, str]) -> bool:
    return tutela_of(request).portal.portal.csrf_valid(session, form.get(CSRF_FIELD))


def error_page(
    request: Request, status_code: int, heading: str, message: str, session: Session | None
) -> HTMLResponse:
    return page(
        request,
        "admin_error.html",
        {
            "title": heading,
            "heading": heading,
            "message": message,
            "session": session,
            "csrf": session.csrf if session else "",
        },
        status_code=status_code,
    )


def forbidden(request: Request, session: Session, exc: errors.TutelaError) -> HTMLResponse:
    message = f"Your key's role ({session.actor.role}) may not handle data-subject requests: {exc}."
    return error_page(request, 403, "Not permitted", message, session)


def not_found(request: Request, session: Session | None) -> HTMLResponse:
    return error_page(request, 404, "Request not found", "There is no such request.", session)


def csrf_refused(request: Request, session: Session) -> HTMLResponse:
    return error_page(
        request,
        403,
        "Form expired",
        "This form did not come from your current session, so nothing was done. "
        "Go back, reload the page and try again.",
        session,
    )
