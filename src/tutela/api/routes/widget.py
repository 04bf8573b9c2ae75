"""`GET /consent.js`: the embeddable consent widget, served from package data.

Other sites load it with one script tag, so it is public (no key), cacheable for a few
minutes, revalidated by its ETag, and marked `Cross-Origin-Resource-Policy: cross-origin`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response

router = APIRouter(tags=["widget"])

MEDIA_TYPE = "text/javascript; charset=utf-8"
MAX_AGE_S = 300
WIDGET = ("tutela.web", "static/consent.js")


@dataclass(frozen=True)
class Asset:
    """A static file's bytes and its strong ETag (a hash of the bytes)."""

    body: bytes
    etag: str


@cache
def widget_asset() -> Asset:
    """The widget file, read once per process (on first use, not at import)."""
    package, name = WIDGET
    body = resources.files(package).joinpath(name).read_bytes()
    return Asset(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@router.get("/consent.js", include_in_schema=False)
async def consent_js(request: Request) -> Response:
    """The widget script; 304 when the caller's `If-None-Match` names the current version."""
    asset = widget_asset()
    headers = {
        "ETag": asset.etag,
        "Cache-Control": f"public, max-age={MAX_AGE_S}",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag_matches(request.headers.get("if-none-match"), asset.etag):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=MEDIA_TYPE, headers=headers)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` value (a list, `*`, weak or strong tags) names `etag`.

    Weak comparison, as RFC 9110 asks for `If-None-Match`.
    """
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)
