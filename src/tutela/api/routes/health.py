"""`/healthz` (the process answers) and `/readyz` (database, schema and keys are usable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tutela.api.auth import VaultDep
from tutela.api.problems import problem
from tutela.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: no database access."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"description": "Not ready", "content": {"application/problem+json": {}}}},
)
async def readyz(vault: VaultDep) -> Health | JSONResponse:
    """Readiness: the database answers, its schema is current and the keys unlock."""
    checks = await run_in_threadpool(vault.readiness)
    if all(v == "ok" for v in checks.values()):
        return Health(status="ready", checks=checks)
    failing = ", ".join(k for k, v in checks.items() if v != "ok")
    return problem(503, "not-ready", "Not ready", f"failing checks: {failing}", checks=checks)
