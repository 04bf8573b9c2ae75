"""HTTP routes: each parses, calls the SDK and shapes the answer; the rules are below."""

from __future__ import annotations

from typing import Any

from tutela.api.problems import MEDIA_TYPE
from tutela.api.schemas import Problem

_PROBLEM = {MEDIA_TYPE: {"schema": Problem.model_json_schema()}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem+json answers a route can give, and the 503
    any route gives while the database cannot be used."""
    titles = {
        401: "No usable API key",
        403: "Refused by role, purpose or consent",
        404: "Not found",
        409: "Conflict",
        413: "Body too large",
        422: "Invalid request or value",
        429: "Rate limit exceeded",
        502: "An email could not be sent",
        503: "Database unavailable just now: retry after `Retry-After` seconds",
    }
    return {s: {"description": titles[s], "content": _PROBLEM} for s in (*statuses, 503)}


AUTHED = (401, 403, 422, 429)
