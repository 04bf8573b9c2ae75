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
_UNION_MEMBER = re.compile(r"str|int|float|bool|bytes|none|[a-z-]+\[.*\]")

# First match wins: order leaves before their bases.
STATUS: tuple[tuple[type[errors.TutelaError], int], ...] = (
    (errors.Unauthenticated, 401),
    (errors.AccessDenied, 403),
    (errors.SubjectError, 404),  # erased answers exactly like unknown
    (errors.ApiKeyNotFound, 404),
    (errors.KeyVersionInUse, 409),
    (errors.KeyRotationRunning, 409),
    (errors.KeysManagedElsewhere, 409),
    (errors.HomeExists, 409),
    (errors.BatchRejected, 422),
    (errors.ConsentError, 422),
    (errors.RequestNotFound, 404),
    (errors.RequestStateInvalid, 409),
    (errors.VerificationFailed, 422),
    (errors.DownloadUnavailable, 410),
    (errors.SessionEnded, 401),
    (errors.RightsError, 422),
    (errors.ValidationFailed, 422),
    (errors.FieldNotInDataMap, 422),
    (errors.PurposeNotInDataMap, 422),
    (errors.RoleNotInDataMap, 422),
    (errors.DataMapError, 422),
    (errors.MailNotSent, 502),
    (errors.ConnectorError, 502),
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
        "detail": _text(detail),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _text(value: str) -> str:
    """Text that can be encoded whatever a client sent (a lone surrogate in a field name)."""
    return value.encode("utf-8", "replace").decode()


def pointer(*parts: object) -> str:
    """An RFC 6901 JSON pointer."""
    return "".join("/" + _text(str(p)).replace("~", "~0").replace("/", "~1") for p in parts)


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
                "pointer": pointer(r.row - 1, r.field) if r.field else pointer(r.row - 1),
                "detail": r.reason,
            }
            for r in exc.rejected
        ]
    elif isinstance(exc, errors.ValidationFailed):
        extra["errors"] = [{"pointer": pointer(f), "detail": r} for f, r in exc.problems]
    elif isinstance(exc, errors.FieldNotInDataMap):
        extra["errors"] = [{"pointer": pointer(f), "detail": "is not declared"} for f in exc.fields]
    detail = str(exc) if status < 500 else "the server could not complete the request"
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    name = type(exc).__name__
    title = re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize().replace("Api key", "API key")
    return problem(status, slug(name), title, detail, headers=headers, **extra)


DATABASE_RETRY_AFTER_S = 2


def database_unavailable() -> JSONResponse:
    """The database could not serve the request just now (see `UNAVAILABLE` in
    core/storage/engine.py): a 503 the client may retry, never the driver's message, which
    can quote a statement and its values."""
    return problem(
        503,
        "database-unavailable",
        "Database unavailable",
        "the database could not be used just now; retry shortly",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


async def tutela_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.TutelaError)
    return from_tutela_error(exc)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Request shape errors, each with the JSON pointer of the bad part (never its value)."""
    assert isinstance(exc, RequestValidationError)
    pointers = []
    for error in exc.errors():
        # Pydantic names the member of a union it tried (`str`, `list[str]`) in the location:
        # not a part of the request, so not a part of the pointer.
        where = [str(p) for p in error.get("loc", ()) if not _UNION_MEMBER.fullmatch(str(p))]
        source = where[0] if where else "body"
        if error.get("type") == "json_invalid":
            where = where[:1]  # the rest is a character offset, not a JSON pointer
        entry = {"in": source, "pointer": pointer(*where[1:]), "detail": error.get("msg", "")}
        if entry not in pointers:
            pointers.append(entry)
    return problem(
        422,
        "request-invalid",
        "Request invalid",
        "the request does not match the API's schema",
        errors=pointers,
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode: a request that does not fit the schema.
        return problem(
            422, "request-invalid", "Request invalid", "the request body is not valid JSON text"
        )
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
