"""RFC 9457 problem details: every error the API returns, from one table.

Each error class maps to a status and a stable `type` URI (``urn:tutela:problem:<slug>``);
`detail` is the error's own message, which names fields, purposes and roles but never a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tutela import errors

MEDIA_TYPE = "application/problem+json"

# First match wins: order leaves before their bases.
STATUS: tuple[tuple[type[errors.TutelaError], int], ...] = (
    (errors.Unauthenticated, 401),
    (errors.AccessDenied, 403),
    (errors.SubjectError, 404),  # erased answers exactly like unknown
    (errors.ApiKeyNotFound, 404),
    (errors.KeyVersionInUse, 409),
    (errors.HomeExists, 409),
    (errors.BatchRejected, 422),
    (errors.ValidationFailed, 422),
    (errors.FieldNotInDataMap, 422),
    (errors.PurposeNotInDataMap, 422),
    (errors.RoleNotInDataMap, 422),
    (errors.DataMapError, 422),
    (errors.DecryptionFailed, 500),
    (errors.CryptoError, 500),
    (errors.StorageError, 503),
    (errors.TutelaError, 500),
)


def slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:tutela:problem:{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(exc: errors.TutelaError) -> int:
    return next(code for kind, code in STATUS if isinstance(exc, kind))


def from_tutela_error(exc: errors.TutelaError) -> JSONResponse:
    status = status_of(exc)
    if isinstance(exc, errors.SubjectError):
        # Erased and unknown subjects are indistinguishable from outside.
        return problem(404, "subject-not-found", "Subject not found", "no such subject")
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.BatchRejected):
        extra["errors"] = [
            {
                "pointer": f"/{r.row - 1}/{r.field}" if r.field else f"/{r.row - 1}",
                "detail": r.reason,
            }
            for r in exc.rejected
        ]
    elif isinstance(exc, errors.ValidationFailed):
        extra["errors"] = [{"pointer": f"/{exc.field}", "detail": exc.reason}]
    detail = str(exc) if status < 500 else "the server could not complete the request"
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    name = type(exc).__name__
    title = re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize().replace("Api key", "API key")
    return problem(status, slug(name), title, detail, headers=headers, **extra)


async def tutela_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.TutelaError)
    return from_tutela_error(exc)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Request shape errors, each with the JSON pointer of the bad part (never its value)."""
    assert isinstance(exc, RequestValidationError)
    pointers = []
    for error in exc.errors():
        where = [str(p) for p in error.get("loc", ())]
        source = where[0] if where else "body"
        path = "/".join(p.replace("~", "~0").replace("/", "~1") for p in where[1:])
        pointers.append(
            {"in": source, "pointer": f"/{path}" if path else "", "detail": error.get("msg", "")}
        )
    return problem(
        422,
        "request-invalid",
        "Request invalid",
        "the request does not match the API's schema",
        errors=pointers,
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    kind = title.lower().replace(" ", "-")
    return problem(exc.status_code, kind, title, detail, headers=exc.headers)


_HTTP_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Content too large",
    415: "Unsupported media type",
}


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # Logged by the request middleware by type only; the text could quote a value.
    return problem(
        500, "internal-error", "Internal error", "the server could not complete the request"
    )
