"""`create_app(settings)`: the FastAPI application. No settings are read at import time."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from tutela import __version__, errors
from tutela._facade import Tutela
from tutela.api import docs, problems
from tutela.api.auth import KeyLookups, KeyRateLimiter, RateLimited
from tutela.api.group_commit import GroupCommitter
from tutela.api.middleware import BodyLimit, RequestContext, server_log
from tutela.api.routes import admin, consents, deid, health, privacy, requests, subjects, widget
from tutela.config import Settings
from tutela.core.storage.engine import UNAVAILABLE
from tutela.web import admin_pages, privacy_center

# FastAPI's native telemetry, off unless asked for (`api_telemetry`); when off, no request pays
# for looking up whether a global OpenTelemetry provider has been set meanwhile.
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(
    settings: Settings, *, vault: Tutela | None = None, server_process: bool = False
) -> FastAPI:
    """The API over one home. With `vault`, use that open instance (tests); otherwise open
    the home at startup and close it at shutdown. `server_process`: the app owns the process
    (a `tutela serve` worker), so it may tune the process's garbage collector."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = vault is None
        app.state.tutela = vault or Tutela.open(settings=settings)
        if server_process:
            _tune_server_process()
        try:
            yield
        finally:
            if owned:
                app.state.tutela.close()

    app = FastAPI(
        title="Tutela",
        version=__version__,
        summary="Customer-data privacy vault: sealed per-customer values, purpose-gated reads.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        telemetry=None if settings.api_telemetry else _NO_TELEMETRY,
    )
    if vault is not None:
        app.state.tutela = vault
    app.state.group_commit = GroupCommitter()
    app.state.key_lookups = KeyLookups()
    app.state.rate_limiter = KeyRateLimiter(settings.api_rate_limit)
    app.state.public_rate_limiter = KeyRateLimiter(
        settings.api_public_rate_limit, who="this client address"
    )
    for router in (
        subjects.router,
        consents.router,
        requests.router,
        admin.router,
        health.router,
        widget.router,
        privacy.router,
        deid.router,
    ):
        _add_flat(app, router)
    # Pages for people (HTML forms), not part of the JSON API's contract.
    for pages in (privacy_center.router, admin_pages.router):
        app.include_router(pages, include_in_schema=False)

    app.add_exception_handler(errors.TutelaError, problems.tutela_error_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, problems.http_error_handler)
    app.add_exception_handler(RateLimited, _rate_limited)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)

    html_csp = docs.install(app)

    def body_limit(scope: Scope) -> int:
        if scope.get("path") == "/v1/subjects:import":
            return settings.api_import_max_body_bytes
        return settings.api_max_body_bytes

    app.add_middleware(BodyLimit, limit=body_limit)
    app.add_middleware(RequestContext, html_csp=lambda: html_csp)
    if settings.cors_origins:
        # Outermost, so problem+json answers carry the headers a browser needs to read them.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    return app


def _add_flat(app: FastAPI, router: APIRouter) -> None:
    """Add the router's routes (already under its prefix and tags) to the app itself.

    `include_router` would keep the router as a node that every request walks through
    (FastAPI 0.137 and later), about 20 µs of each API request, as much as decrypting it.
    """
    app.router.routes.extend(router.routes)


def _tune_server_process() -> None:
    """Settings for a process that only serves the API.

    Everything loaded at startup (the app, its schemas, the data map, the libraries' tables)
    moves out of the garbage collector's reach: it lives as long as the process, yet every
    full collection walked it all, about a tenth of a server's time.

    Log records skip what no Tutela log format shows (the caller's file and line, thread and
    process names), as the logging HOWTO's "Optimization" section describes: the access log
    writes a record per request.
    """
    gc.collect()
    gc.freeze()
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return problems.problem(
        429,
        "rate-limited",
        "Too many requests",
        f"{exc.detail}; retry later",
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # By class only: the driver's message can quote a statement and its values.
    request_id = request.scope.get("state", {}).get("request_id")
    server_log.warning("database unavailable (%s) in request %s", type(exc).__name__, request_id)
    return problems.database_unavailable()


def from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and worker processes: settings from the environment."""
    return create_app(Settings.load(), server_process=True)
