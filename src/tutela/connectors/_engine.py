"""The engine of one connector, and safe descriptions of the database's errors.

Nothing here ever reads an exception's message: a driver's text can quote row values (a
constraint's `DETAIL: Key (email)=(…)`) or the statement's parameters. A failure is described by
its class and, where the driver gives one, its SQLSTATE or SQLite error code.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from tutela.connectors.settings import ConnectorSettings

# SQLSTATE 57014: statement_timeout cancelled the query; 55P03: lock not available.
_TIMEOUT_CODES = frozenset({"57014", "55P03", "SQLITE_BUSY", "SQLITE_LOCKED"})
_SAFE_CODE = re.compile(r"^[A-Z0-9_]{1,40}$")


def build_engine(spec: ConnectorSettings) -> Engine:
    """An engine for the connector's URL, with its timeouts; no connection is made.

    SQLite opens an existing file only (`mode=rw`): a mistyped path must fail, not create an
    empty database. PostgreSQL gets `connect_timeout` and `statement_timeout`.

    Raises:
        sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError: the URL names a
            database or driver SQLAlchemy cannot load.
    """
    url = make_url(spec.url.get_secret_value())
    options: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    backend = url.get_backend_name()
    if backend == "sqlite":
        url = _sqlite_read_write(url)
        options["connect_args"] = {"timeout": spec.timeout_seconds}  # the busy timeout
    elif backend == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        options["connect_args"] = _postgresql_args(url, spec.timeout_seconds)
    return create_engine(url, **options)


def _sqlite_read_write(url: URL) -> URL:
    database = url.database or ""
    if database in ("", ":memory:") or "uri" in url.query or "mode" in url.query:
        return url
    return url.set(database=f"file:{quote(database)}").update_query_dict(
        {"mode": "rw", "uri": "true"}
    )


def _postgresql_args(url: URL, timeout: float) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = max(2, math.ceil(timeout))  # libpq: whole seconds, min 2
    given = url.query.get("options", "")
    existing = " ".join(given) if isinstance(given, tuple) else given
    args["options"] = f"{existing} -c statement_timeout={round(timeout * 1000)}".strip()
    return args


def describe(exc: BaseException) -> str:
    """A safe description of a database failure: its class and code, never its message."""
    if isinstance(exc, DBAPIError):
        code = _code(exc.orig)
        if code in _TIMEOUT_CODES:
            return "timed out"
        return f"database error: {type(exc).__name__}" + (f" [{code}]" if code else "")
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {type(exc).__name__}"
    return f"internal error: {type(exc).__name__}"


def _code(orig: BaseException | None) -> str | None:
    for attribute in ("sqlstate", "sqlite_errorname"):
        value = getattr(orig, attribute, None)
        if isinstance(value, str) and _SAFE_CODE.match(value):
            return value
    return None
