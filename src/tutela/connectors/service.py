"""`Connectors`: every configured connector, run independently for a data-subject request.

One connector failing (unreachable, misconfigured, refused) never stops the others: each
yields a `ConnectorOutcome`, and a failure's `error` is a safe description of its kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from pydantic import BaseModel

from tutela.connectors._engine import describe
from tutela.connectors._values import JSONable
from tutela.connectors.connector import Connector
from tutela.connectors.settings import ConnectorSettings
from tutela.errors import ConnectorError

if TYPE_CHECKING:
    from tutela.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectorOutcome:
    """What one connector did for one request.

    Attributes:
        name: the connector.
        ok: False when it failed; `error` then says how.
        action: `collect`, `check`, the erase action (`delete`, `null`, `mask`), or
            `skipped: no <field>` when the customer has no value for its identity field.
        rows: rows collected, deleted or changed.
        data: the collected rows (collect only).
        error: a safe description of the failure (e.g. `unreachable`, `table or column
            missing: city`, `database error: IntegrityError [23503]`); never a value.
    """

    name: str
    ok: bool
    action: str
    rows: int = 0
    data: list[dict[str, JSONable]] = field(default_factory=list)
    error: str | None = None


class Connectors:
    """The connectors of a home, in configuration order; empty when none is configured.

    Args:
        specs: the connectors' settings (`Settings.connectors`). No connection is made here.
    """

    def __init__(self, specs: Iterable[ConnectorSettings] = ()) -> None:
        self._connectors = tuple(Connector(spec) for spec in specs)

    @classmethod
    def from_settings(cls, settings: Settings | Iterable[ConnectorSettings]) -> Connectors:
        """From `Settings` (its `connectors`) or from `Settings.connectors` itself."""
        if isinstance(settings, BaseModel):  # Settings (a model is iterable too)
            return cls(settings.connectors)
        return cls(settings)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._connectors)

    @property
    def identity_fields(self) -> frozenset[str]:
        """The vault fields whose values the connectors match rows on."""
        return frozenset(c.spec.identity_field for c in self._connectors)

    def __len__(self) -> int:
        return len(self._connectors)

    def collect(self, identities: Mapping[str, str]) -> list[ConnectorOutcome]:
        """Every connector's rows for the customer (an access request).

        Args:
            identities: vault field name -> the customer's plaintext value.
        """

        def run(connector: Connector, identity: str) -> ConnectorOutcome:
            data = connector.collect(identity)
            return ConnectorOutcome(connector.name, True, "collect", len(data), data)

        return self._each(identities, lambda _: "collect", run)

    def erase(self, identities: Mapping[str, str]) -> list[ConnectorOutcome]:
        """Apply each connector's erase action to the customer's rows (an erasure request).

        Args:
            identities: vault field name -> the customer's plaintext value.
        """

        def run(connector: Connector, identity: str) -> ConnectorOutcome:
            rows = connector.erase(identity)
            return ConnectorOutcome(connector.name, True, connector.spec.erase, rows)

        return self._each(identities, lambda c: c.spec.erase, run)

    def check(self) -> list[ConnectorOutcome]:
        """Connect to each, reflect its table and validate the configuration against it."""
        outcomes = []
        for connector in self._connectors:
            try:
                connector.check()
                outcomes.append(ConnectorOutcome(connector.name, True, "check"))
            except Exception as exc:  # each connector stands alone
                outcomes.append(_failed(connector, "check", exc, log=False))
        return outcomes

    def close(self) -> None:
        for connector in self._connectors:
            connector.close()

    def __enter__(self) -> Connectors:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _each(
        self,
        identities: Mapping[str, str],
        action: Callable[[Connector], str],
        run: Callable[[Connector, str], ConnectorOutcome],
    ) -> list[ConnectorOutcome]:
        outcomes = []
        for connector in self._connectors:
            field_name = connector.spec.identity_field
            identity = identities.get(field_name)
            if identity is None or not identity.strip():
                # A blank identity would match every row whose column is blank too.
                outcomes.append(ConnectorOutcome(connector.name, True, f"skipped: no {field_name}"))
                continue
            try:
                outcomes.append(run(connector, identity))
            except Exception as exc:  # each connector stands alone
                outcomes.append(_failed(connector, action(connector), exc))
        return outcomes


def _failed(
    connector: Connector, action: str, exc: Exception, *, log: bool = True
) -> ConnectorOutcome:
    reason = exc.reason if isinstance(exc, ConnectorError) else describe(exc)
    if log:  # `check` hands its findings to the caller; a request's failure is news
        logger.warning("connector %s: %s failed: %s", connector.name, action, reason)
    return ConnectorOutcome(connector.name, False, action, error=reason)
