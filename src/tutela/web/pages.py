"""What the privacy center and the admin pages share: rendering a page, session cookies,
CSRF checks, and the headers every page carries.

Pages are server-rendered HTML that works without JavaScript, styled by one first-party
stylesheet (no inline style or script, no third-party asset), under a CSP that allows
exactly that. Forms post back to the same site; each carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tutela._facade import Tutela

CUSTOMER_COOKIE = "tutela_privacy"
STAFF_COOKIE = "tutela_admin"
CSRF_FIELD = "csrf"
STYLESHEET_URL = "/privacy/static/site.css"
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("tutela.web", "templates"),
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def site_stylesheet() -> str:
    return resources.files("tutela.web").joinpath("static", "site.css").read_text("utf-8")


def tutela_of(request: Request) -> Tutela:
    tutela: Tutela = request.app.state.tutela
    return tutela


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A rendered page. Templates extend `base.html`, which needs `title`; `csrf` (the
    session's token, or "") is passed to every form."""
    body = (
        environment()
        .get_template(template)
        .render(
            stylesheet_url=STYLESHEET_URL,
            controller=tutela_of(request).datamap.controller,
            csrf_field=CSRF_FIELD,
            **(context or {}),
        )
    )
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)


def redirect(url: str) -> RedirectResponse:
    """After a successful post: see-other, so reloading the next page does not post again."""
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


def set_session_cookie(
    request: Request, response: Response, name: str, token: str, path: str
) -> None:
    response.set_cookie(
        name,
        token,
        path=path,
        httponly=True,
        samesite="lax",
        secure=tutela_of(request).settings.cookie_secure,
    )


def clear_session_cookie(response: Response, name: str, path: str) -> None:
    response.delete_cookie(name, path=path)


async def form_of(request: Request) -> dict[str, str]:
    """A posted form's text fields (the last value of a repeated name)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}
