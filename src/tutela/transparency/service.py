"""Publishing the privacy notice: every version customers may have seen is kept, by hash."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection

from tutela.clock import Clock
from tutela.core.audit import AuditEvent
from tutela.core.uow import UnitOfWork
from tutela.datamap.spec import DataMap
from tutela.transparency import repository
from tutela.transparency.notice import Notice, build_notice


class PublishedNotice(NamedTuple):
    """A stored notice version: its hash, the data map version it describes, and when it
    was first published."""

    version: str
    datamap_version: str
    published_at: datetime


def publish_notice(uow: UnitOfWork, datamap: DataMap, datamap_version: str, clock: Clock) -> Notice:
    """Build the notice of this data map version and store it if it is new (audited).

    Publishing the same notice again stores and audits nothing.
    """
    notice = build_notice(datamap, datamap_version)
    if not repository.exists(uow.conn, notice.version) and repository.add(
        uow.conn, notice.version, datamap_version, notice.document(), clock.now()
    ):
        uow.record(
            AuditEvent(actor="system", action="notice.publish", detail=f"version {notice.version}")
        )
    return notice


def notice_versions(conn: Connection) -> list[PublishedNotice]:
    """Every published notice version, oldest first."""
    return [PublishedNotice(*row) for row in repository.versions(conn)]


def stored_notice(conn: Connection, version: str) -> Notice | None:
    """A published notice exactly as it was stored, or None if there is no such version."""
    document = repository.get(conn, version)
    if document is None:
        return None
    return Notice(version, json.loads(document))
