"""`/privacy/notice`: the privacy notice customers read (public: no API key), and its
stylesheet. HTML by default; JSON or Markdown by `?format=` or the `Accept` header.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from tutela.api.auth import VaultDep
from tutela.api.routes import problems
from tutela.transparency import Notice
from tutela.web.render import render_notice, stylesheet

router = APIRouter(prefix="/privacy", tags=["privacy notice"])

STYLESHEET_URL = "/privacy/static/notice.css"
CACHE_CONTROL = "public, max-age=300"
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
}
Format = Literal["html", "json", "md"]
_NEGOTIABLE: tuple[tuple[Format, str], ...] = (
    ("html", "text/html"),
    ("json", "application/json"),
    ("md", "text/markdown"),
)
_rendered: dict[tuple[str, str], str] = {}  # (notice version, format): the version is a hash


@router.get(
    "/notice",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "The privacy notice",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/markdown": {"schema": {"type": "string"}},
            },
        },
        304: {"description": "Not modified (the `If-None-Match` ETag is current)"},
        **problems(422),
    },
)
async def notice(
    request: Request,
    vault: VaultDep,
    fmt: Annotated[
        Format | None,
        Query(alias="format", description="html (default), json or md; overrides `Accept`."),
    ] = None,
) -> Response:
    """The privacy notice generated from the data map in force: who we are, each purpose with
    its legal basis, data, recipients, transfers and retention, selling or sharing, and the
    customer's rights. The `ETag` is the notice version."""
    chosen: Format = fmt or negotiate(request.headers.get("accept"))
    current = vault.privacy_notice()
    etag = f'"{current.version}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(_render(current, chosen), media_type=MEDIA_TYPES[chosen], headers=headers)


@router.get("/static/notice.css", include_in_schema=False)
async def notice_stylesheet(request: Request) -> Response:
    css = stylesheet()
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(css, media_type="text/css; charset=utf-8", headers=headers)


def negotiate(accept: str | None) -> Format:
    """The format the `Accept` header prefers most (HTML on a tie or when none fits)."""
    if not accept:
        return "html"
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    best: Format = "html"
    best_q = 0.0
    for fmt, media in _NEGOTIABLE:
        kind = media.split("/")[0]
        q = max(
            (q for r, q in ranges if r in {media, f"{kind}/*", "*/*"}),
            default=0.0,
        )
        if q > best_q:
            best, best_q = fmt, q
    return best


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _render(current: Notice, fmt: Format) -> str:
    key = (current.version, fmt)
    body = _rendered.get(key)
    if body is None:
        if len(_rendered) >= 64:
            _rendered.clear()
        body = _rendered[key] = render_notice(current, fmt, stylesheet_url=STYLESHEET_URL)
    return body
