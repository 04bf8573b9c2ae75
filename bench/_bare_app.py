"""The baseline for `http_load.py`: FastAPI with one endpoint returning a small JSON object.

Served exactly as `tutela serve` serves Tutela (uvicorn, uvloop, httptools, the same number of
workers), so the ratio of Tutela's requests/s to this one's is what Tutela's own work per
request costs: authentication, validation, the database, sealing and the audit chain.

    uvicorn _bare_app:create_app --factory --app-dir bench --workers 2
"""

from __future__ import annotations

from fastapi import FastAPI

PATH = "/ping"


def create_app() -> FastAPI:
    """The bare application (a factory, so workers build it and nothing runs at import)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(PATH)
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app
