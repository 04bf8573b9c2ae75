"""The admin pages under `/admin`: staff sign in with an API key and work the data-subject
request queue (list with a deadline chart, one request with its timeline, and the staff
actions: approve, reject, extend, complete, retry: see `admin_requests`).

The API key is exchanged once for a session cookie (HttpOnly, SameSite=Lax, Path=/admin) and
is never kept in the browser. Every form carries the session's CSRF token; every action runs
with the session's actor, so the rights service checks the role and audits the step. Pages
work without JavaScript and show no personal value (request views hold none).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from tutela import errors
from tutela.web import admin_requests
from tutela.web.admin_common import (
    PATH,
    QUEUE,
    SIGN_IN,
    csrf_ok,
    csrf_refused,
    error_page,
    run,
    staff_session,
    to_sign_in,
)
from tutela.web.pages import (
    STAFF_COOKIE,
    clear_session_cookie,
    form_of,
    page,
    redirect,
    set_session_cookie,
    tutela_of,
)

router = APIRouter(prefix=PATH, include_in_schema=False)

STYLESHEET = ("tutela.web", "static/admin.css")
KEY_NOT_ACCEPTED = "key not accepted"
SAME_SITE = {"same-origin", "none"}  # Sec-Fetch-Site of a form posted from these pages


def _stylesheet() -> bytes:
    package, name = STYLESHEET
    return resources.files(package).joinpath(name).read_bytes()


def _over_budget(request: Request) -> int | None:
    """Seconds to wait when this client address went over its sign-in budget, else None."""
    host = request.client.host if request.client else "unknown"
    try:
        request.app.state.public_rate_limiter.check(host)
    except Exception as exc:  # the API's RateLimited (this layer sits below the API's)
        retry_after = getattr(exc, "retry_after", None)
        if not isinstance(retry_after, int):
            raise
        return retry_after
    return None


def _sign_in_page(
    request: Request, *, error: str | None = None, notice: str | None = None, status_code: int = 200
) -> HTMLResponse:
    context = {"title": "Staff sign-in", "error": error, "notice": notice, "session": None}
    return page(request, "admin_sign_in.html", context, status_code=status_code)


@router.get("/static/admin.css")
async def admin_stylesheet(request: Request) -> Response:
    css = _stylesheet()
    etag = '"' + hashlib.sha256(css).hexdigest()[:16] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(css, media_type="text/css; charset=utf-8", headers=headers)


@router.get("/")
async def admin_home(request: Request) -> Response:
    if await staff_session(request) is not None:
        return redirect(QUEUE)
    return to_sign_in(request)


@router.get("/sign-in")
async def sign_in_form(
    request: Request,
    ended: Annotated[str | None, Query()] = None,
    out: Annotated[str | None, Query()] = None,
) -> Response:
    if await staff_session(request) is not None:
        return redirect(QUEUE)
    notice = None
    if ended:
        notice = "Your session ended. Sign in again."
    elif out:
        notice = "You are signed out."
    return _sign_in_page(request, notice=notice)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Exchange an API key for a session cookie; the key itself is not kept. A key that is
    unknown, revoked or expired gets the form again (401); attempts are rate-limited per
    client address; a form posted from another site is refused."""
    if request.headers.get("sec-fetch-site", "same-origin") not in SAME_SITE:
        return error_page(request, 403, "Sign-in refused", "Sign in from this site.", None)
    retry_after = _over_budget(request)
    if retry_after is not None:
        refused = _sign_in_page(
            request, error="Too many sign-in attempts: wait a minute.", status_code=429
        )
        refused.headers["Retry-After"] = str(retry_after)
        return refused
    form = await form_of(request)
    vault = tutela_of(request)
    try:
        actor = await run(vault.authenticate, form.get("api_key", ""))
    except errors.Unauthenticated:
        return _sign_in_page(request, error=KEY_NOT_ACCEPTED, status_code=401)
    previous = request.cookies.get(STAFF_COOKIE)
    if previous:  # a new sign-in ends the session this browser had
        await run(vault.portal.sign_out, previous)
    token = await run(vault.portal.staff_sign_in, actor)
    signed_in = redirect(QUEUE)
    set_session_cookie(request, signed_in, STAFF_COOKIE, token, PATH)
    return signed_in


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    session = await staff_session(request)
    if session is None:
        return to_sign_in(request)
    if not csrf_ok(request, session, await form_of(request)):
        return csrf_refused(request, session)
    await run(tutela_of(request).portal.sign_out, session.token)
    signed_out = redirect(f"{SIGN_IN}?out=1")
    clear_session_cookie(signed_out, STAFF_COOKIE, PATH)
    return signed_out


router.include_router(admin_requests.router)
