"""PostgreSQL's hot statements sent at the protocol level, through libpq (`psycopg.pq`).

psycopg's cursors cost about 100 µs of Python per statement (a cursor, the query's conversion,
the prepared-statement bookkeeping, and in a pipeline a `send` per statement); a group of
reads runs six statements, so a request paid more in driver code than PostgreSQL spent on it.
Here each statement is prepared once per connection and sent with `PQsendQueryPrepared`, a
block's statements in one write ended by one Sync, and its results read back in one go: a
four-statement block costs about a tenth of the client CPU. Values are dumped and rows loaded
by psycopg's own adapters (`Transformer`), so rows come back as psycopg's cursors give them.

The connection stays psycopg's and SQLAlchemy's. Nothing is sent while psycopg has a query
running (its lock is held), pipeline mode is left before control returns, and psycopg reads the
transaction status from libpq, so it sees a BEGIN or COMMIT sent from here. A statement runs
in the connection's transaction: BEGIN goes first in the same write when the driver is in
transaction mode and no transaction is open, as psycopg would send it (with the isolation level
and access mode the driver is set to).
"""

from __future__ import annotations

import re
import select
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from psycopg import Connection as Driver
from psycopg import errors
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ExecStatus, Format, PipelineStatus, TransactionStatus
from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine

# A named parameter as SQLAlchemy's psycopg dialect renders it (a cast may follow it).
_NAMED = re.compile(r"%\((\w+)\)s|%%")
_INFO_KEY = "tutela.wire"
_COMMIT = b"COMMIT"
_OK = (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK)
# The server no longer has a statement prepared as this connection remembers it (a DEALLOCATE
# ALL or DISCARD ALL sent by other code, a table changed under a prepared SELECT): the statement
# fails, and the connection prepares afresh from then on. (psycopg, which sends DEALLOCATE ALL
# after a rollback if it prepared statements of its own, is told not to: see `engine`.)
_STALE = frozenset({"26000", "0A000"})
_Queued = tuple[bytes, list[Any]]  # a statement's SQL and its values


@dataclass(frozen=True)
class Native:
    """A statement in PostgreSQL's own form: `$n` placeholders, and the parameter names they
    stand for, in order."""

    sql: bytes
    names: tuple[str, ...]

    @classmethod
    def of(cls, sql: str) -> Native:
        """From the psycopg dialect's `%(name)s` form (a name used twice keeps its number)."""
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "%"  # an escaped percent sign
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        return cls(_NAMED.sub(number, sql).encode(), tuple(names))

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


class _Wire:
    """What is kept with one psycopg connection: its prepared statements, the statements
    queued for the next write, and the adapters."""

    def __init__(self, driver: Driver[Any]) -> None:
        self.driver = driver
        self._pgconn = driver.pgconn
        self._adapt = Transformer(driver)
        self._prepared: dict[bytes, bytes] = {}  # SQL -> its prepared statement's name
        self._count = 0  # statements prepared so far, which names the next
        self._queued: list[_Queued] = []
        self._poll = select.poll()
        self._poll.register(self._pgconn.socket, select.POLLIN)
        self.blocks = 0  # `block`s open: statements wait for a fetch or the block's end

    def queue(self, sql: bytes, values: list[Any]) -> None:
        self._queued.append((sql, values))

    @property
    def has_queued(self) -> bool:
        return bool(self._queued)

    def drop_queued(self) -> None:
        self._queued.clear()

    def flush(self, *, commit: bool = False) -> list[Any]:
        """Send what is queued (BEGIN first if due, COMMIT last if `commit`) and read every
        result; the rows of the last statement. Raises the first statement's error."""
        queued, self._queued = self._queued, []
        pgconn = self._pgconn
        status = pgconn.transaction_status
        begin = bool(queued) and status == TransactionStatus.IDLE and not self.driver.autocommit
        commit = commit and (begin or status != TransactionStatus.IDLE)
        if not (queued or commit):
            return []
        dumped = self._dump(queued)
        with self.driver.lock:
            pgconn.enter_pipeline_mode()
            try:
                sent = self._send(dumped, begin=begin, commit=commit)
                return self._read(sent)
            finally:
                if pgconn.pipeline_status != PipelineStatus.OFF:
                    with suppress(Exception):  # results left unread: `_sending` invalidates
                        pgconn.exit_pipeline_mode()

    def _dump(self, queued: list[_Queued]) -> list[tuple[bytes, Any, Any]]:
        """Each statement's SQL, values and their formats, as sent: bytes in binary, the rest
        as text, so a statement prepared without parameter types takes them whatever the
        value (a binary integer's width would have to match the type PostgreSQL chose). Done
        before anything is sent, so a value that cannot be adapted leaves the connection as
        it was."""
        adapt = self._adapt
        dumped: list[tuple[bytes, Any, Any]] = []
        for sql, values in queued:
            if not values:
                dumped.append((sql, None, None))
                continue
            formats = [PyFormat.BINARY if type(v) is bytes else PyFormat.TEXT for v in values]
            dumped.append((sql, adapt.dump_sequence(values, formats), adapt.formats))
        return dumped

    def _send(
        self, dumped: list[tuple[bytes, Any, Any]], *, begin: bool, commit: bool
    ) -> list[Any]:
        """Queue the statements in libpq, end them with a Sync and write them out; what each
        result will be read for, in order."""
        pgconn = self._pgconn
        sent: list[Any] = []
        if begin:
            pgconn.send_query_params(_begin_command(self.driver), None)
            sent.append(None)
        for sql, values, formats in dumped:
            name = self._prepared.get(sql)
            if name is None:
                self._count += 1
                name = self._prepared[sql] = b"tutela_%d" % self._count
                pgconn.send_prepare(name, sql)
                sent.append((sql, name))  # forgotten again if PostgreSQL refuses it
            pgconn.send_query_prepared(name, values, param_formats=formats, result_format=1)
            sent.append(sql)
        if commit:
            pgconn.send_query_params(_COMMIT, None)
            sent.append(None)
        pgconn.pipeline_sync()
        while pgconn.flush():
            self._wait(select.POLLIN | select.POLLOUT)
        return sent

    def _read(self, sent: list[Any]) -> list[Any]:
        error: Exception | None = None
        rows: list[Any] = []
        encoding = self.driver.info.encoding
        for what in sent:
            result = self._next()
            if result is not None:
                while self._next() is not None:  # a statement's results end with None
                    pass
            if result is None or result.status not in _OK:
                if isinstance(what, tuple):  # not prepared after all
                    self._prepared.pop(what[0], None)
                if result is not None and result.status != ExecStatus.PIPELINE_ABORTED:
                    failure = errors.error_from_result(result, encoding=encoding)
                    if failure.sqlstate in _STALE:
                        self._prepared.clear()
                    error = error or failure
                continue
            if isinstance(what, bytes):
                self._adapt.set_pgresult(result, format=Format.BINARY)
                rows = self._adapt.load_rows(0, result.ntuples, tuple)
        sync = self._next()
        if sync is None or sync.status != ExecStatus.PIPELINE_SYNC:
            raise errors.OperationalError("PostgreSQL did not end the pipeline as expected")
        if error is not None:
            raise error
        return rows

    def _next(self) -> Any:
        pgconn = self._pgconn
        while pgconn.is_busy():
            self._wait(select.POLLIN)
        return pgconn.get_result()

    def _wait(self, events: int) -> None:
        self._poll.modify(self._pgconn.socket, events)
        self._poll.poll()
        if events & select.POLLIN:
            self._pgconn.consume_input()


def _begin_command(driver: Driver[Any]) -> bytes:
    """BEGIN with the transaction characteristics the driver is set to, as psycopg would send
    it (SQLAlchemy sets them there: a backup's snapshot is REPEATABLE READ, READ ONLY)."""
    parts = ["BEGIN"]
    if driver.isolation_level is not None:
        parts.append("ISOLATION LEVEL " + driver.isolation_level.name.replace("_", " "))
    if driver.read_only is not None:
        parts.append("READ ONLY" if driver.read_only else "READ WRITE")
    if driver.deferrable is not None:
        parts.append("DEFERRABLE" if driver.deferrable else "NOT DEFERRABLE")
    return " ".join(parts).encode()


def _wire(conn: Connection) -> _Wire:
    """The connection's wire state, made on first use and kept for the DBAPI connection's
    life (SQLAlchemy's per-connection `info`, dropped when the connection is replaced)."""
    proxied = conn.connection
    wire: _Wire | None = proxied.info.get(_INFO_KEY)
    driver: Any = proxied.driver_connection
    if wire is None or wire.driver is not driver:
        wire = proxied.info[_INFO_KEY] = _Wire(driver)
    return wire


def _sending(conn: Connection, wire: _Wire, *, commit: bool = False) -> list[Any]:
    """`wire.flush()`; a connection left unusable (mid-pipeline) is invalidated."""
    try:
        return wire.flush(commit=commit)
    except BaseException:  # an interrupt too: a half-read pipeline is no use to anyone
        if wire.driver.pgconn.pipeline_status != PipelineStatus.OFF or wire.driver.broken:
            conn.invalidate()
        raise


def rows(conn: Connection, statement: Native, params: Mapping[str, Any]) -> list[Any]:
    """Run `statement` (with anything queued before it) and return its rows."""
    wire = _wire(conn)
    wire.queue(statement.sql, statement.values(params))
    return _sending(conn, wire)


def run(conn: Connection, statement: Native, many: Sequence[Mapping[str, Any]]) -> None:
    """Run `statement` once per parameter set; inside a `block`, only queued."""
    run_values(conn, [(statement.sql, statement.values(params)) for params in many])


def run_values(conn: Connection, statements: Sequence[_Queued]) -> None:
    """Run each `(sql, values)` (`sql` in `$n` form), in one write; inside a `block`, only
    queued."""
    wire = _wire(conn)
    for sql, values in statements:
        wire.queue(sql, values)
    if not wire.blocks:
        _sending(conn, wire)


@contextmanager
def block(conn: Connection, *, commit: bool = False) -> Iterator[None]:
    """Statements run in the block are queued and sent together: at a fetch (`rows`) or at
    the block's end, with the COMMIT when `commit` (if a transaction is open or begun by the
    block). If the block fails, what is still queued is dropped, never sent."""
    wire = _wire(conn)
    wire.blocks += 1
    try:
        yield
    except BaseException:
        wire.blocks -= 1
        if not wire.blocks:
            wire.drop_queued()
        raise
    wire.blocks -= 1
    if not wire.blocks:
        _sending(conn, wire, commit=commit)


def keep_order(engine: Engine) -> None:
    """Send what a block queued before any other statement runs on the connection (a Core
    statement inside a block would otherwise overtake the queued ones)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _flush_first(conn: Connection, *_: object) -> None:
        wire = conn.connection.info.get(_INFO_KEY)
        if wire is not None and wire.has_queued:
            _sending(conn, wire)
