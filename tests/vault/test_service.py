"""The vault's promises, on SQLite and PostgreSQL: sealed writes, purpose-gated reads with
masking, every denial typed and audited, blind-index search, erasure, all-or-nothing batches.
"""

from __future__ import annotations

import pytest

from tutela import Actor, Tutela, errors
from tutela.testing import PiiCanary


def _last_entry(tutela: Tutela):  # type: ignore[no-untyped-def]
    return list(tutela.audit_entries())[-1]


def test_read_returns_values_for_an_allowed_role_and_purpose(
    tutela: Tutela, canary: PiiCanary
) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    values = tutela.read(sid, ["email", "name", "phone"], purpose="order_fulfilment", role="admin")
    assert values == {"email": record["email"], "name": record["name"], "phone": record["phone"]}
    entry = _last_entry(tutela)
    assert (entry.event.action, entry.event.outcome, entry.event.subject_id) == (
        "subject.read",
        "ok",
        sid,
    )
    assert entry.event.fields == ("email", "name", "phone")


def test_masking_rules_of_the_role_apply(tutela: Tutela, canary: PiiCanary) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    values = tutela.read(sid, ["email", "phone"], purpose="order_fulfilment", role="support")
    assert values["email"] == "c***@example.com"
    assert values["phone"] == "*" * (len(record["phone"]) - 4) + record["phone"][-4:]


def test_default_fields_are_those_of_the_purpose_that_have_values(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    values = tutela.read(sid, purpose="order_fulfilment", role="admin")
    assert set(values) == {"email", "name", "phone", "address", "loyalty_id"}


@pytest.mark.parametrize(
    ("purpose", "role", "fields", "error"),
    [
        ("order_fulfilment", "marketing", None, errors.RoleNotAllowed),
        ("order_fulfilment", "support", ["date_of_birth"], errors.FieldNotAllowedForPurpose),
        ("order_fulfilment", "support", ["fax"], errors.FieldNotInDataMap),
        ("no_such_purpose", "support", None, errors.PurposeNotInDataMap),
        ("newsletter", "marketing", None, errors.ConsentNotActive),
    ],
)
def test_each_denial_raises_its_error_and_is_audited(
    tutela: Tutela,
    canary: PiiCanary,
    purpose: str,
    role: str,
    fields: list[str] | None,
    error: type[Exception],
) -> None:
    sid = tutela.add(canary.customer())
    with pytest.raises(error) as raised:
        tutela.read(sid, fields, purpose=purpose, role=role)
    assert not canary.leaks([str(raised.value)])
    entry = _last_entry(tutela)
    assert entry.event.action == "subject.read"
    assert entry.event.outcome == "denied"
    assert entry.event.detail == error.__name__
    assert entry.event.role == role
    assert tutela.verify_audit().ok


def test_unknown_and_erased_subjects_are_told_apart_and_audited(
    tutela: Tutela, canary: PiiCanary
) -> None:
    with pytest.raises(errors.SubjectNotFound):
        tutela.read("sub_nobody", purpose="order_fulfilment", role="support")
    assert _last_entry(tutela).event.detail == "SubjectNotFound"
    sid = tutela.add(canary.customer())
    tutela.erase(sid)
    with pytest.raises(errors.SubjectErased):
        tutela.read(sid, purpose="order_fulfilment", role="support")
    assert _last_entry(tutela).event.detail == "SubjectErased"
    with pytest.raises(errors.SubjectErased):
        tutela.erase(sid)


def test_consent_hook_decides_consent_based_purposes(settings, canary: PiiCanary) -> None:  # type: ignore[no-untyped-def]
    class Granted:
        def active(self, conn, subject_id, purpose, at):  # type: ignore[no-untyped-def]
            return purpose == "newsletter"

    Tutela.init(settings=settings).close()
    with Tutela.open(settings=settings, consent=Granted()) as tutela:
        sid = tutela.add(canary.customer())
        assert "email" in tutela.read(sid, purpose="newsletter", role="marketing")
        with pytest.raises(errors.ConsentNotActive):
            tutela.read(sid, purpose="analytics", role="analyst")


def test_find_uses_the_normalised_blind_index(tutela: Tutela, canary: PiiCanary) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    other = tutela.add(canary.customer(1))
    assert tutela.find(
        "email", "  " + record["email"].upper(), purpose="order_fulfilment", role="support"
    ) == [sid]
    national = "0" + record["phone"][3:]  # the same UK number written nationally
    assert tutela.find("phone", national, purpose="order_fulfilment", role="support") == [sid]
    assert other != sid
    assert (
        tutela.find("email", "nobody@example.com", purpose="order_fulfilment", role="support") == []
    )


def test_find_refuses_unsearchable_fields_and_foreign_purposes(
    tutela: Tutela, canary: PiiCanary
) -> None:
    tutela.add(canary.customer())
    with pytest.raises(errors.FieldNotSearchable):
        tutela.find("name", "x", purpose="order_fulfilment", role="support")
    assert _last_entry(tutela).event.outcome == "denied"
    with pytest.raises(errors.RoleNotAllowed):
        tutela.find("email", "a@b.example", purpose="order_fulfilment", role="analyst")


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("email", "not-an-email"),
        ("phone", "12"),
        ("date_of_birth", "1990-02-30"),
        ("name", ""),
        ("marketing_preferences", ["email", "carrier-pigeon"]),
        ("loyalty_id", "has spaces"),
    ],
)
def test_invalid_values_are_rejected_by_field_and_nothing_is_stored(
    tutela: Tutela, canary: PiiCanary, field: str, bad: object
) -> None:
    before = len(list(tutela.audit_entries()))
    record = canary.customer()
    record[field] = bad
    with pytest.raises(errors.ValidationFailed) as raised:
        tutela.add(record)
    assert raised.value.field == field
    assert field in str(raised.value)
    assert not canary.leaks([str(raised.value)])
    with tutela.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM subject").scalar() == 0
    assert len(list(tutela.audit_entries())) == before


def test_undeclared_fields_and_missing_required_fields_are_refused(
    tutela: Tutela, canary: PiiCanary
) -> None:
    with pytest.raises(errors.FieldNotInDataMap, match="'fax'"):
        tutela.add({**canary.customer(), "fax": "123"})
    record = canary.customer()
    del record["email"]
    with pytest.raises(errors.ValidationFailed, match="'email': is required"):
        tutela.add(record)


def test_add_many_is_all_or_nothing_and_reports_rows(tutela: Tutela, canary: PiiCanary) -> None:
    rows = [canary.customer(i) for i in range(5)]
    rows[1]["email"] = "broken"
    rows[3]["date_of_birth"] = "31/12/1999"
    with pytest.raises(errors.BatchRejected) as raised:
        tutela.add_many(rows)
    assert [(r.row, r.field) for r in raised.value.rejected] == [(2, "email"), (4, "date_of_birth")]
    assert not canary.leaks([str(raised.value), *map(str, raised.value.rejected)])
    with tutela.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM subject").scalar() == 0
    del rows[3], rows[1]
    assert len(set(tutela.add_many(rows))) == 3


def test_update_replaces_and_removes_values(tutela: Tutela, canary: PiiCanary) -> None:
    sid = tutela.add(canary.customer())
    tutela.update(sid, {"name": "Renamed Canary", "phone": None})
    values = tutela.read(sid, ["name", "phone"], purpose="order_fulfilment", role="admin")
    assert values == {"name": "Renamed Canary"}
    with pytest.raises(errors.ValidationFailed):
        tutela.update(sid, {"email": None})
    with pytest.raises(errors.SubjectNotFound):
        tutela.update("sub_nobody", {"name": "X Y"})


def test_read_many_leaves_out_missing_subjects_and_audits_each(
    tutela: Tutela, canary: PiiCanary
) -> None:
    ids = tutela.add_many([canary.customer(i) for i in range(3)])
    tutela.erase(ids[2])
    result = tutela.read_many(
        [*ids, "sub_nobody"], ["email"], purpose="order_fulfilment", role="support"
    )
    assert set(result) == set(ids[:2])
    outcomes = [e.event.outcome for e in tutela.audit_entries() if e.event.action == "subject.read"]
    assert sorted(outcomes) == ["not_found", "not_found", "ok", "ok"]


def test_read_many_finds_every_subject_of_a_batch_larger_than_one_lookup(
    tutela: Tutela, canary: PiiCanary
) -> None:
    # Ids are looked up 100 at a time; 250 (and an unknown one between) cross two boundaries.
    records = [canary.customer(i) for i in range(250)]
    ids = tutela.add_many(records)
    asked = [*ids[:120], "sub_nobody", *ids[120:]]
    result = tutela.read_many(asked, ["email"], purpose="order_fulfilment", role="admin")
    assert result == {sid: {"email": r["email"]} for sid, r in zip(ids, records, strict=True)}


def test_values_survive_key_rotation_and_old_version_can_then_be_retired(
    tutela: Tutela, canary: PiiCanary
) -> None:
    record = canary.customer()
    ids = tutela.add_many([record, canary.customer(1)])
    with pytest.raises(errors.KeyVersionInUse):
        tutela.retire_key(1)
    seen: list[tuple[int, int]] = []
    report = tutela.rotate_keys(progress=lambda done, total: seen.append((done, total)))
    assert report.kek_version == 2 and report.rewrapped == 2
    assert seen[-1] == (2, 2)
    assert tutela.read(ids[0], ["email"], purpose="order_fulfilment", role="admin") == {
        "email": record["email"]
    }
    tutela.retire_key(1)
    assert tutela.keys.versions() == [2]
    assert tutela.read(ids[0], ["email"], purpose="order_fulfilment", role="admin") == {
        "email": record["email"]
    }
    assert tutela.verify_audit().ok


def test_actor_is_recorded(tutela: Tutela, canary: PiiCanary) -> None:
    sid = tutela.add(canary.customer(), actor=Actor("key_123", "admin"))
    entry = _last_entry(tutela)
    assert (entry.event.actor, entry.event.subject_id) == ("key_123", sid)


def test_update_and_erase_move_and_remove_blind_index_entries(
    tutela: Tutela, canary: PiiCanary
) -> None:
    old = canary.customer(0)
    sid = tutela.add(old)
    new_email = f"moved.{canary.token}@example.com"
    canary.values.append(new_email)
    tutela.update(sid, {"email": new_email, "loyalty_id": None})

    def find(field: str, value: str) -> list[str]:
        return tutela.find(field, value, purpose="order_fulfilment", role="admin")

    assert find("email", old["email"]) == []
    assert find("email", new_email) == [sid]
    assert find("loyalty_id", old["loyalty_id"]) == []
    assert find("phone", old["phone"]) == [sid]  # untouched fields keep their entry
    tutela.erase(sid)
    assert find("phone", old["phone"]) == []
    with tutela.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM blind_index").scalar() == 0


def test_values_sealed_ahead_are_stored_by_add_and_still_permission_checked(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """`prepare_add` validates and encrypts without storing or recording anything; `add`
    stores it (the HTTP service seals before its group commit takes the lock)."""
    record = canary.customer()
    before = len(list(tutela.audit_entries()))
    marketing = Actor("key_reader", "marketing")
    assert tutela.prepare_add(record, actor=marketing) is record  # left for `add` to refuse
    sealed = tutela.prepare_add(record, actor=Actor("sdk", "admin"))
    assert len(list(tutela.audit_entries())) == before  # nothing recorded yet
    assert tutela.find("email", record["email"], purpose="order_fulfilment", role="admin") == []
    with pytest.raises(errors.NotPermitted):
        tutela.add(sealed, actor=marketing)
    refused = _last_entry(tutela)
    assert (refused.event.action, refused.event.outcome) == ("subject.add", "denied")
    sid = tutela.add(sealed)
    assert not isinstance(sealed, dict) and sid == sealed.id
    assert tutela.read(sid, ["email"], purpose="order_fulfilment", role="admin") == {
        "email": record["email"]
    }
    with pytest.raises(errors.ValidationFailed):
        tutela.prepare_add({**record, "email": "not an address"}, actor=Actor("sdk", "admin"))
