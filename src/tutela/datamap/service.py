"""Applying a data map: validate it and record the version the vault runs under."""

from __future__ import annotations

from dataclasses import dataclass

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.core.audit import AuditEvent
from tutela.core.uow import UnitOfWork
from tutela.datamap import repository
from tutela.datamap.check import datamap_version, load_datamap
from tutela.datamap.spec import DataMap, Permission
from tutela.errors import NotPermitted


@dataclass(frozen=True)
class AppliedDataMap:
    """A validated map and the version name under which it is stored."""

    datamap: DataMap
    version: str
    document: str


def apply_datamap(uow: UnitOfWork, document: str, clock: Clock, actor: str) -> AppliedDataMap:
    """Validate `document` and store it as a version if it is new (audited).

    Raises:
        DataMapInvalid: the document has problems; nothing is stored.
    """
    datamap = load_datamap(document)
    version = datamap_version(datamap)
    if not repository.exists(uow.conn, version) and repository.add(
        uow.conn, version, document, clock.now()
    ):
        uow.record(AuditEvent(actor=actor, action="datamap.apply", detail=f"version {version}"))
    return AppliedDataMap(datamap, version, document)


def require(
    uow: UnitOfWork, datamap: DataMap, actor: Actor, permission: Permission, action: str
) -> None:
    """Refuse (and audit the refusal) unless the actor's role holds `permission`.

    Raises:
        NotPermitted: the role lacks it.
    """
    if not datamap.allows(actor.role, permission):
        uow.record_always(
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action=action,
                outcome="denied",
                detail=f"NotPermitted {permission.value}",
            )
        )
        raise NotPermitted(actor.role, permission.value)
