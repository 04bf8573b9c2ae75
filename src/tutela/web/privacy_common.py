"""What every privacy-center route needs: the signed-in customer, forms checked for their CSRF
token, the pages and error pages rendered, and the sign-in rate limit.

Forms of a signed-in customer carry the session's CSRF token. The forms shown before sign-in
(email, code, an emailed download link) carry a random token that must match a cookie set with
the form (SameSite=Lax, so a page of another site cannot post them with it).

Nothing here logs: a route's parameters and forms can hold personal data (the access log names
the route template only).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from tutela._portal import PrivacyCenter
from tutela.core.crypto import bearer_token
from tutela.rights.portal import Session
from tutela.web.pages import (
    CSRF_FIELD,
    CUSTOMER_COOKIE,
    clear_session_cookie,
    page,
    redirect,
    set_session_cookie,
    tutela_of,
)

T = TypeVar("T")

PREFIX = "/privacy"
HOME = "/privacy/"
ME = "/privacy/me"
NOTICE_URL = "/privacy/notice"
FORM_COOKIE = "tutela_privacy_form"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")

# The privacy center's pages, in the order the navigation lists them.
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/privacy/me", "My data"),
    ("/privacy/download", "Download"),
    ("/privacy/correct", "Correct"),
    ("/privacy/consents", "My choices"),
    ("/privacy/history", "Who accessed my data"),
    ("/privacy/requests", "My requests"),
    ("/privacy/object-restrict", "Object or restrict"),
    ("/privacy/delete", "Delete my data"),
)
# What `?done=…` after a redirect says (fixed wording: no value ever travels in the URL).
DONE = {
    "signed-out": "You have signed out.",
    "corrected": "Your correction was saved.",
    "choices": "Your choices were saved.",
}


def flash_of(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def portal_of(request: Request) -> PrivacyCenter:
    return tutela_of(request).portal


async def run(fn: Callable[..., T], /, *args: Any) -> T:
    """A service call (database, SMTP) in the thread pool, off the event loop."""
    return await run_in_threadpool(fn, *args)


async def current_session(request: Request) -> Session | None:
    """The signed-in customer, or None (no cookie, unknown, expired or idle too long)."""
    token = request.cookies.get(CUSTOMER_COOKIE)
    if not token:
        return None
    return await run(portal_of(request).customer, token)


def to_sign_in(request: Request) -> Response:
    """Where a page needing a session sends a visitor without one (a stale cookie goes)."""
    response = redirect(HOME)
    if request.cookies.get(CUSTOMER_COOKIE):
        clear_session_cookie(response, CUSTOMER_COOKIE, PREFIX)
    return response


def render(
    request: Request,
    template: str,
    *,
    title: str,
    session: Session | None = None,
    csrf: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A privacy-center page: the layout's navigation when signed in, the session's CSRF
    token (or `csrf`, a pre-sign-in form token) for its forms."""
    return page(
        request,
        template,
        {
            "title": title,
            "session": session,
            "csrf": session.csrf if session is not None else csrf,
            "navigation": NAVIGATION if session is not None else (),
            "current": request.url.path,
            "notice_url": NOTICE_URL,
            **context,
        },
        status_code=status_code,
    )


def error_page(
    request: Request,
    status_code: int,
    heading: str,
    message: str,
    *,
    session: Session | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """An HTML error page (never a personal value: callers pass fixed wording)."""
    response = render(
        request,
        "privacy_error.html",
        title=heading,
        session=session,
        status_code=status_code,
        heading=heading,
        message=message,
    )
    response.headers.update(headers or {})
    return response


def forbidden(request: Request, session: Session | None = None) -> HTMLResponse:
    return error_page(
        request,
        403,
        "This form could not be accepted",
        "The form was missing its security token, or the token did not belong to your "
        "session, so nothing was done. Go back, reload the page and try again.",
        session=session,
    )


def csrf_matches(request: Request, session: Session, presented: str | None) -> bool:
    """The session's CSRF token was posted. Only ASCII text reaches the service's check
    (`hmac.compare_digest` raises on other strings)."""
    if not presented or not presented.isascii():
        return False
    return portal_of(request).portal.csrf_valid(session, presented)


async def signed_in_form(request: Request) -> tuple[Session, FormData] | Response:
    """A form posted by the signed-in customer with their session's CSRF token, or the answer
    to give instead (to sign-in without a session, 403 without a valid token)."""
    form = await request.form()
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    presented = form.get(CSRF_FIELD)
    if not csrf_matches(request, session, presented if isinstance(presented, str) else None):
        return forbidden(request, session)
    return session, form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# -- forms before sign-in ------------------------------------------------------------------------


def form_token(request: Request) -> str:
    """The pre-sign-in form token: the browser's own if it has one, else a new one."""
    present = request.cookies.get(FORM_COOKIE)
    return present if present and _TOKEN.fullmatch(present) else bearer_token()


def keep_form_token(request: Request, response: Response, token: str) -> Response:
    if request.cookies.get(FORM_COOKIE) != token:
        set_session_cookie(request, response, FORM_COOKIE, token, PREFIX)
    return response


def form_token_valid(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(FORM_COOKIE)
    presented = form.get(CSRF_FIELD)
    if not cookie or not isinstance(presented, str) or not presented.isascii():
        return False
    return cookie.isascii() and hmac.compare_digest(cookie.encode(), presented.encode())


def client_limited(request: Request) -> Response | None:
    """Spend one unit of the client address's public budget (shared with the public API
    endpoints); a 429 page when it is spent."""
    host = request.client.host if request.client else "unknown"
    try:
        request.app.state.public_rate_limiter.check(host)
    except Exception as exc:
        # The limiter's error lives in the API layer, above this one: known by its shape.
        retry_after = getattr(exc, "retry_after", None)
        if not isinstance(retry_after, int):
            raise
        return error_page(
            request,
            429,
            "Too many attempts",
            f"Too many sign-in attempts came from your network. Wait {retry_after} "
            "second(s), then start again.",
            headers={"Retry-After": str(retry_after)},
        )
    return None
