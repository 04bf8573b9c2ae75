"""`/privacy/…`: the privacy center, server-rendered pages where customers sign in with a
one-time code sent to their email, then see, download, correct and delete their data, make
their choices, object or restrict, and see who accessed their data.

Every page works without JavaScript. This module holds sign-in, "my data", the download and
the emailed one-time download link, and the stylesheet; `privacy_rights` (correct, choices)
and `privacy_requests` (delete, object or restrict, requests, history) hold the rest.
The rules are the services' (`tutela.portal`, `tutela.requests`): the routes only translate.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response

from tutela.errors import DownloadUnavailable, MailNotSent, ValidationFailed
from tutela.rights.service import CODE_MINUTES, RequestType, Verification
from tutela.web import privacy_requests, privacy_rights
from tutela.web.pages import (
    CUSTOMER_COOKIE,
    clear_session_cookie,
    redirect,
    set_session_cookie,
    site_stylesheet,
    tutela_of,
)
from tutela.web.privacy_common import (
    HOME,
    ME,
    PREFIX,
    client_limited,
    current_session,
    error_page,
    flash_of,
    forbidden,
    form_token,
    form_token_valid,
    keep_form_token,
    portal_of,
    render,
    run,
    signed_in_form,
    text,
    to_sign_in,
)
from tutela.web.privacy_words import basis_text, field_label, retention_text, value_text

router = APIRouter(prefix=PREFIX, include_in_schema=False)

ZIP_HEADERS = {
    "Content-Disposition": 'attachment; filename="my-data.zip"',
    "Cache-Control": "no-store",
}
WRONG_CODE = "That code is not right. Check the email we sent and try again."
EXPIRED_CODE = "This code has expired. Start again to get a new one."
LOCKED_CODE = "There were too many wrong codes; start again to get a new one."


# -- sign-in ---------------------------------------------------------------------------------


@router.get("/")
async def sign_in_page(request: Request) -> Response:
    if await current_session(request) is not None:
        return redirect(ME)
    token = form_token(request)
    response = render(
        request,
        "privacy_sign_in.html",
        title="Sign in",
        csrf=token,
        flash=flash_of(request),
        email="",
        error=None,
    )
    if request.cookies.get(CUSTOMER_COOKIE):
        clear_session_cookie(response, CUSTOMER_COOKIE, PREFIX)
    return keep_form_token(request, response, token)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    limited = client_limited(request)
    if limited is not None:
        return limited
    form = await request.form()
    if not form_token_valid(request, form):
        return forbidden(request)
    token = form_token(request)
    email = text(form, "email")
    try:
        challenge = await run(portal_of(request).start_sign_in, email)
    except ValidationFailed:
        return render(
            request,
            "privacy_sign_in.html",
            title="Sign in",
            csrf=token,
            flash=None,
            email=email,
            error="Email address: enter an email address like name@example.com.",
            status_code=422,
        )
    except MailNotSent:
        return error_page(
            request,
            503,
            "We could not send your code",
            "Our email service did not accept the message. Please try again in a few minutes.",
        )
    return _code_page(request, token, challenge)


def _code_page(
    request: Request, token: str, challenge: str, error: str | None = None, status_code: int = 200
) -> Response:
    response = render(
        request,
        "privacy_code.html",
        title="Enter your code",
        csrf=token,
        challenge=challenge,
        error=error,
        minutes=CODE_MINUTES,
        status_code=status_code,
    )
    return keep_form_token(request, response, token)


@router.post("/verify")
async def verify(request: Request) -> Response:
    limited = client_limited(request)
    if limited is not None:
        return limited
    form = await request.form()
    if not form_token_valid(request, form):
        return forbidden(request)
    challenge, code = text(form, "challenge"), text(form, "code")
    outcome, session_token = await run(portal_of(request).finish_sign_in, challenge, code)
    if outcome is Verification.VERIFIED and session_token:
        signed_in = redirect(ME)
        set_session_cookie(request, signed_in, CUSTOMER_COOKIE, session_token, PREFIX)
        return signed_in
    token = form_token(request)
    if outcome is Verification.WRONG:
        return _code_page(request, token, challenge, WRONG_CODE, 422)
    message = LOCKED_CODE if outcome is Verification.LOCKED else EXPIRED_CODE
    response = render(
        request,
        "privacy_start_again.html",
        title="Start again",
        message=message,
        status_code=422,
    )
    return keep_form_token(request, response, token)


@router.get("/sign-in")
@router.get("/verify")
@router.get("/sign-out")
async def form_only(request: Request) -> Response:
    """These addresses take forms; visiting one goes to the start."""
    return redirect(HOME)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    posted = await signed_in_form(request)
    if isinstance(posted, Response):
        return posted
    session, _ = posted
    await run(portal_of(request).sign_out, session.token)
    response = redirect(f"{HOME}?done=signed-out")
    clear_session_cookie(response, CUSTOMER_COOKIE, PREFIX)
    return response


# -- my data ---------------------------------------------------------------------------------


@router.get("/me")
async def my_data(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    held = await run(portal_of(request).my_data, session)
    fields = [
        {
            "name": f.name,
            "label": field_label(f.name),
            "value": value_text(f.value),
            "uses": [
                {
                    "purpose": u.description or u.purpose,
                    "basis": basis_text(u.basis),
                    "retention": retention_text(u.retention),
                }
                for u in f.uses
            ],
        }
        for f in held
    ]
    return render(
        request,
        "privacy_me.html",
        title="My data",
        session=session,
        fields=fields,
        flash=flash_of(request),
    )


# -- download --------------------------------------------------------------------------------


@router.get("/download")
async def download_page(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    return render(request, "privacy_download.html", title="Download my data", session=session)


@router.post("/download")
async def download(request: Request) -> Response:
    posted = await signed_in_form(request)
    if isinstance(posted, Response):
        return posted
    session, _ = posted
    view, zipped = await run(portal_of(request).submit, session, RequestType.PORTABILITY)
    if zipped is None:
        return privacy_requests.submitted_page(request, session, view, status_code=202)
    return Response(zipped, media_type="application/zip", headers=ZIP_HEADERS)


# -- the emailed one-time download link (the link is the proof: no session) ------------------


def _link_gone(request: Request) -> Response:
    return error_page(
        request,
        410,
        "This download link no longer works",
        "Each link works once and only for a limited time, and this one was already used or "
        "has expired. To get your data again, sign in to the privacy center and choose "
        "“Download”, or make a new request.",
    )


@router.get("/download/{token}")
async def download_link(request: Request, token: str) -> Response:
    # Looking does not use the link up: mail scanners open links before people do.
    if not await run(tutela_of(request).requests.download_ready, token):
        return _link_gone(request)
    csrf = form_token(request)
    response = render(request, "privacy_link.html", title="Your data is ready", csrf=csrf)
    return keep_form_token(request, response, csrf)


@router.post("/download/{token}")
async def download_by_link(request: Request, token: str) -> Response:
    form = await request.form()
    if not form_token_valid(request, form):
        return forbidden(request)
    try:
        _, zipped = await run(tutela_of(request).requests.download, token)
    except DownloadUnavailable:
        return _link_gone(request)
    return Response(zipped, media_type="application/zip", headers=ZIP_HEADERS)


# -- the stylesheet --------------------------------------------------------------------------


@router.get("/static/site.css")
async def stylesheet(request: Request) -> Response:
    css = site_stylesheet()
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(css, media_type="text/css; charset=utf-8", headers=headers)


router.include_router(privacy_rights.router)
router.include_router(privacy_requests.router)

__all__ = ["router"]
