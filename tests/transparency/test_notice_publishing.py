"""Every notice version customers may have seen is stored with its hash, once: opening a home
publishes the notice of its data map; a changed map publishes a new version and keeps the
old; an unchanged map stores and audits nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from transparency_support import EXAMPLE_TEXT, loaded, with_description

from tutela import Settings, Tutela
from tutela.clock import FrozenClock
from tutela.transparency import build_notice, notice_versions, publish_notice, stored_notice
from tutela.transparency.models import NoticeVersion
from tutela.transparency.repository import add


def publications(tutela: Tutela) -> list[str]:
    return [
        e.event.detail or "" for e in tutela.audit_entries() if e.event.action == "notice.publish"
    ]


def test_init_publishes_the_notice_of_the_data_map(settings: Settings) -> None:
    clock = FrozenClock()
    with Tutela.init(settings=settings, clock=clock) as tutela:
        notice = tutela.privacy_notice()
        assert notice == build_notice(*loaded())
        assert notice.datamap_version == tutela.datamap_version
        [published] = tutela.notice_versions()
        assert published.version == notice.version
        assert published.datamap_version == tutela.datamap_version
        assert published.published_at == clock.now()
        assert tutela.stored_notice(notice.version) == notice
        assert publications(tutela) == [f"version {notice.version}"]
        [entry] = [e for e in tutela.audit_entries() if e.event.action == "notice.publish"]
        assert entry.event.actor == "system"


def test_reopening_an_unchanged_home_publishes_nothing(settings: Settings) -> None:
    with Tutela.init(settings=settings) as tutela:
        version = tutela.notice.version
        entries = len(list(tutela.audit_entries()))
    with Tutela.open(settings=settings) as tutela:
        assert tutela.notice.version == version
        assert [p.version for p in tutela.notice_versions()] == [version]
        assert len(list(tutela.audit_entries())) == entries
        assert tutela.verify_audit().ok


def test_a_changed_data_map_publishes_a_new_version_and_keeps_the_old(
    settings: Settings,
) -> None:
    clock = FrozenClock()
    with Tutela.init(settings=settings, clock=clock) as tutela:
        first = tutela.notice
    settings.datamap_file.write_text(
        with_description("newsletter", "Monthly news about our shop"), "utf-8"
    )
    clock.advance(timedelta(days=1))
    with Tutela.open(settings=settings, clock=clock) as tutela:
        second = tutela.notice
        assert second.version != first.version
        assert second.datamap_version == tutela.datamap_version != first.datamap_version
        newsletter = next(p for p in second.purposes if p["key"] == "newsletter")
        assert newsletter["description"] == "Monthly news about our shop"
        stored = tutela.notice_versions()
        assert [(p.version, p.datamap_version) for p in stored] == [
            (first.version, first.datamap_version),
            (second.version, second.datamap_version),
        ]
        assert stored[1].published_at - stored[0].published_at == timedelta(days=1)
        assert tutela.stored_notice(first.version) == first  # exactly what was shown then
        assert tutela.stored_notice(second.version) == second
        assert publications(tutela) == [f"version {first.version}", f"version {second.version}"]
        assert tutela.verify_audit().ok

    # Going back to the first map shows the first notice again, without a new row.
    settings.datamap_file.write_text(EXAMPLE_TEXT, "utf-8")
    with Tutela.open(settings=settings, clock=clock) as tutela:
        assert tutela.notice == first
        assert len(tutela.notice_versions()) == 2
        assert len(publications(tutela)) == 2


def test_publishing_a_stored_version_again_is_a_no_op(tutela: Tutela) -> None:
    """Two processes opening a changed home at once both publish: the second insert neither
    fails nor audits."""
    notice = tutela.notice
    with tutela.engine.begin() as conn:
        assert not add(
            conn, notice.version, notice.datamap_version, notice.document(), tutela.clock.now()
        )
    before = len(list(tutela.audit_entries()))
    with tutela.unit_of_work() as uow:
        again = publish_notice(uow, tutela.datamap, tutela.datamap_version, tutela.clock)
    assert again == notice
    assert len(list(tutela.audit_entries())) == before
    with tutela.engine.connect() as conn:
        assert len(notice_versions(conn)) == 1


def test_an_unknown_version_is_none(tutela: Tutela) -> None:
    assert tutela.stored_notice("0" * 16) is None
    with tutela.engine.connect() as conn:
        assert stored_notice(conn, "no such version") is None


def test_the_model_matches_the_migration(tutela: Tutela) -> None:
    """The ORM table is exactly the one the Alembic revision creates."""
    with tutela.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        differences = [
            d
            for d in compare_metadata(context, NoticeVersion.metadata)
            if "notice_version" in repr(d)
        ]
        assert differences == []
        columns = {c["name"]: c for c in sa.inspect(conn).get_columns("notice_version")}
    assert set(columns) == {"version", "datamap_version", "document", "published_at"}
    assert not any(c["nullable"] for c in columns.values())
