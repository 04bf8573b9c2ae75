"""Pure ASGI middleware: request id, one structured log line per request, security headers,
and the body size limit.

The log line holds the request id, key id, route *template*, status and duration: never a path
parameter, query string, body or header value (they can carry personal data).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring_ascii
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tutela.api.problems import MEDIA_TYPE

access_log = logging.getLogger("tutela.api.access")
server_log = logging.getLogger("tutela.api")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

API_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'"
Header = tuple[bytes, bytes]


class RequestContext:
    """Request id in and out, security headers, and the access log line."""

    def __init__(self, app: ASGIApp, html_csp: Callable[[], bytes]) -> None:
        self.app = app
        self._html_csp = html_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = _header(scope, b"x-request-id")
        # 128 random bits, as a UUID4's hex would hold, without building the UUID object.
        request_id = given if given and _REQUEST_ID.fullmatch(given) else secrets.token_hex(16)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 0  # no response started yet

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = self._headers(message.get("headers", ()), request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Answered here, inside this middleware, so a 500 keeps the request id and the
            # security headers; logged by type only (driver messages can quote values).
            server_log.error("unhandled %s in request %s", type(exc).__name__, request_id)
            if not status:
                await _send_problem(
                    send_with_headers,
                    500,
                    {
                        "type": "urn:tutela:problem:internal-error",
                        "title": "Internal error",
                        "status": 500,
                        "detail": "the server could not complete the request",
                    },
                )
        finally:
            if access_log.isEnabledFor(logging.INFO):
                elapsed_ms = (time.perf_counter() - started) * 1000
                access_log.info(_access_line(request_id, scope, status, elapsed_ms))

    def _headers(self, given: Iterable[tuple[bytes, bytes]], request_id: str) -> list[Header]:
        """The response's headers plus the request id and the security headers a route did
        not set itself (the public widget script is cacheable; pages set their own CSP)."""
        headers = list(given)
        present = set()
        content_type = b""
        for raw_name, value in headers:
            name = raw_name.lower()
            present.add(name)
            if name == b"content-type":
                content_type = value
        headers.append((b"x-request-id", request_id.encode()))
        headers.extend(h for h in API_HEADERS if h[0] not in present)
        if b"content-security-policy" not in present:
            csp = self._html_csp() if content_type.startswith(b"text/html") else DEFAULT_CSP
            headers.append((b"content-security-policy", csp))
        return headers


class BodyLimit:
    """413 problem+json for bodies over the limit (Content-Length, or counted as it streams)."""

    def __init__(self, app: ASGIApp, limit: Callable[[Scope], int]) -> None:
        self.app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _body_framing(scope)
        if declared is None and not chunked:  # no body (a GET, a DELETE)
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        if declared is not None and not declared.isdigit():
            problem = {
                "type": "urn:tutela:problem:bad-request",
                "title": "Bad request",
                "status": 400,
                "detail": "Content-Length is not a number",
            }
            await _send_problem(send, 400, problem)
            return
        if declared is not None and int(declared) > limit:
            await _too_large(send, limit)
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit first, then replay to the app.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                await _too_large(send, limit)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = {
        "type": "urn:tutela:problem:content-too-large",
        "title": "Content too large",
        "status": 413,
        "detail": f"the request body exceeds {limit} bytes",
    }
    await _send_problem(send, 413, body)


async def _send_problem(send: Send, status: int, problem: dict[str, Any]) -> None:
    body = json.dumps(problem).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _access_line(request_id: str, scope: Scope, status: int, elapsed_ms: float) -> str:
    """The access log's JSON line, written out directly: it is built for every request, and
    `json.dumps` of a dict cost as much as the rest of this middleware."""
    route = _route_template(scope)
    key_id = scope["state"].get("key_id")
    return (
        f'{{"event": "request", "request_id": {_json(request_id)}, "key_id": {_json(key_id)}, '
        f'"method": {_json(scope.get("method"))}, "route": {_json(route)}, '
        f'"status": {int(status or 500)}, "duration_ms": {elapsed_ms:.3f}}}'
    )


def _route_template(scope: Scope) -> str:
    """The matched route's path template. API routes record themselves in the scope; plain
    Starlette routes (`/openapi.json`, the docs assets) leave only their endpoint, so their
    template is looked up among the app's routes."""
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in getattr(scope.get("app"), "routes", ()):
            if endpoint in (getattr(candidate, "endpoint", None), getattr(candidate, "app", None)):
                return str(candidate.path)
    return "unmatched"


def _json(text: str | None) -> str:
    return "null" if text is None else encode_basestring_ascii(text)


def _body_framing(scope: Scope) -> tuple[str | None, bool]:
    """The request's Content-Length (None if absent) and whether its body is chunked."""
    declared = None
    chunked = False
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            declared = value.decode("latin-1")
        elif key == b"transfer-encoding":
            chunked = True
    return declared, chunked


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            decoded: Any = value.decode("latin-1")
            return str(decoded)
    return None
