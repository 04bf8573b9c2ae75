"""`Connector`: one table of one of the business's other databases, for data-subject requests.

The engine is created on first use, the table reflected once and every configured column
checked against it. Every failure is a `ConnectorError` whose text names the connector and the
kind of failure, never a value: statements run with `hide_parameters=True` and a driver's
message (which can quote row values) is never repeated.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, NoSuchTableError

from tutela.connectors._engine import build_engine, describe
from tutela.connectors._values import JSONable, json_safe
from tutela.connectors.settings import ConnectorSettings
from tutela.errors import (
    ConnectorError,
    ConnectorFailed,
    ConnectorMisconfigured,
    ConnectorUnreachable,
)


@dataclass(frozen=True)
class _Plan:
    """What the reflected table lets the connector do, worked out once."""

    table: sa.Table
    collected: tuple[sa.Column[Any], ...]
    identity: sa.ColumnElement[Any]  # the identity column, as the match compares it
    assignments: dict[str, Any]  # erase = null/mask: column name -> value written


class Connector:
    """Collects and erases one customer's rows in the table a `ConnectorSettings` names.

    Args:
        spec: the connector's settings. No connection is made until first use.
    """

    def __init__(self, spec: ConnectorSettings) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._engine: sa.Engine | None = None
        self._plan: _Plan | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"Connector(name={self.spec.name!r}, table={self.spec.qualified_table!r})"

    def check(self) -> None:
        """Connect, reflect the table and check the configuration against it.

        Raises:
            ConnectorUnreachable: no connection could be made.
            ConnectorMisconfigured: the table or a column is missing, or a column cannot take
                the erase action.
            ConnectorFailed: the database refused the reflection.
        """
        self._prepare()

    def collect(self, identity: str) -> list[dict[str, JSONable]]:
        """The rows matching `identity`: only the configured columns, JSON-safe values.

        Raises:
            ConnectorError: as for `check`.
        """
        plan = self._prepare()
        query = sa.select(*plan.collected).where(self._matches(plan, identity))
        query = query.order_by(*plan.table.primary_key.columns)
        with self._connection() as conn, _statement(self.name):
            rows = conn.execute(query).all()
        names = [c.name for c in plan.collected]
        return [{n: json_safe(v) for n, v in zip(names, row, strict=True)} for row in rows]

    def erase(self, identity: str) -> int:
        """Apply the erase action to every row matching `identity`, in one transaction.

        With erase = null or mask the identity column is cleared too, so no row matches the
        customer afterwards: a second run affects no row and succeeds.

        Returns:
            The number of rows deleted or changed.

        Raises:
            ConnectorError: as for `check`; on `ConnectorFailed` nothing was changed.
        """
        plan = self._prepare()
        where = self._matches(plan, identity)
        statement: sa.Delete | sa.Update
        if self.spec.erase == "delete":
            statement = sa.delete(plan.table).where(where)
        else:
            statement = sa.update(plan.table).where(where).values(plan.assignments)
        with self._connection() as conn, _statement(self.name), conn.begin():
            return conn.execute(statement).rowcount

    def close(self) -> None:
        """Dispose of the engine and its pooled connections (the next use opens a new one)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._plan = None, None

    # -- internals ---------------------------------------------------------------------------

    def _matches(self, plan: _Plan, identity: str) -> sa.ColumnElement[bool]:
        value = sa.bindparam("identity", identity, type_=sa.String())
        if self.spec.match == "casefold":
            return sa.func.lower(plan.identity) == sa.func.lower(value)
        return plan.identity == value

    def _get_engine(self) -> sa.Engine:
        if self._engine is None:
            try:
                self._engine = build_engine(self.spec)
            except (ArgumentError, NoSuchModuleError):
                driver = make_url(self.spec.url.get_secret_value()).drivername  # no password
                raise ConnectorMisconfigured(
                    self.name, f"no SQLAlchemy driver for '{driver}'"
                ) from None
        return self._engine

    @contextmanager
    def _connection(self) -> Iterator[sa.Connection]:
        engine = self._get_engine()
        try:
            conn = engine.connect()
        except (DBAPIError, OSError):
            raise ConnectorUnreachable(self.name) from None
        with conn:
            yield conn

    def _prepare(self) -> _Plan:
        with self._lock:
            if self._plan is None:
                with self._connection() as conn, _statement(self.name):
                    try:
                        table = sa.Table(
                            self.spec.table,
                            sa.MetaData(),
                            schema=self.spec.db_schema,
                            autoload_with=conn,
                            resolve_fks=False,
                        )
                    except NoSuchTableError:
                        raise _missing(self.name, self.spec.qualified_table) from None
                    unique = _unique_columns(conn, self.spec) if self.spec.erase == "mask" else ()
                self._plan = _plan_for(self.spec, table, frozenset(unique))
            return self._plan


@contextmanager
def _statement(connector: str) -> Iterator[None]:
    """Turn a database failure into `ConnectorFailed` naming only its class and code."""
    try:
        yield
    except ConnectorError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise ConnectorFailed(connector, describe(exc)) from None


def _missing(connector: str, what: str) -> ConnectorMisconfigured:
    return ConnectorMisconfigured(connector, f"table or column missing: {what}")


def _plan_for(spec: ConnectorSettings, table: sa.Table, unique: frozenset[str]) -> _Plan:
    """Check the configuration against the reflected table and work out the statements."""
    for name in (*spec.columns, spec.identity_column):
        if name not in table.c:
            raise _missing(spec.name, name)
    identity_column = table.c[spec.identity_column]
    identity: sa.ColumnElement[Any] = identity_column
    if not _is_text(identity_column):
        identity = sa.cast(identity_column, sa.String())  # e.g. a numeric customer number
    assignments: dict[str, Any] = {}
    if spec.erase != "delete":
        for name in spec.erased_columns:
            assignments[name] = _erased_value(spec, table.c[name], name in unique)
    return _Plan(
        table=table,
        collected=tuple(table.c[name] for name in spec.columns),
        identity=identity,
        assignments=assignments,
    )


def _erased_value(spec: ConnectorSettings, column: sa.Column[Any], unique: bool) -> Any:
    """What erase = null/mask writes into `column`, or why it cannot.

    A mask is written only into text columns that are not unique: masking two customers'
    rows would make them collide. Other columns get NULL, which they must then accept.
    """
    if spec.erase == "mask" and _is_text(column) and not (unique or column.primary_key):
        length = getattr(column.type, "length", None)
        return spec.mask[:length] if isinstance(length, int) and length > 0 else spec.mask
    if not column.nullable:
        if spec.erase == "null":
            why = "is not nullable: erase = 'null' cannot clear it"
        elif _is_text(column):
            why = "is unique and not nullable: masks would collide; use erase = 'delete'"
        else:
            why = "is not text and not nullable: erase = 'mask' can neither mask nor clear it"
        raise ConnectorMisconfigured(spec.name, f"column '{column.name}' {why}")
    return None


def _is_text(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)


def _unique_columns(conn: sa.Connection, spec: ConnectorSettings) -> frozenset[str]:
    """Columns under a unique constraint or index (alone or with others, or in an expression
    such as `lower(email)`): a mask written into two rows there would collide."""
    inspector = sa.inspect(conn)
    found: set[str] = set()
    # SQLite's inline `UNIQUE` is only visible as its automatic index.
    options = {"include_auto_indexes": True} if conn.dialect.name == "sqlite" else {}
    for index in inspector.get_indexes(spec.table, schema=spec.db_schema, **options):
        if index.get("unique"):
            found.update(name for name in index["column_names"] if name)
            for expression in index.get("expressions") or ():
                found.update(_WORD.findall(expression))
    for constraint in inspector.get_unique_constraints(spec.table, schema=spec.db_schema):
        found.update(name for name in constraint["column_names"] if name)
    return frozenset(found)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
