"""Interactive API docs served from bundled Swagger UI files (no CDN), under a strict CSP.

The page's one inline script is allowed by its SHA-256 hash, not by 'unsafe-inline'.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"


def install(app: FastAPI) -> bytes:
    """Mount the assets and the `/docs` page; returns the CSP that page needs."""
    assets = resources.files("fastapi_offline").joinpath("static")
    app.mount(STATIC, StaticFiles(directory=str(assets)), name="docs-static")
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Tutela API",
        swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{STATIC}/favicon.png",
    )
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html)

    return (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ).encode()
