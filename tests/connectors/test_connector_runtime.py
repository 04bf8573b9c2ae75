"""`Connector` and `Connectors` against a real business database, on SQLite and PostgreSQL:
collecting only the configured columns as JSON-safe values, matching by letter case or not,
erasing by delete/null/mask in one transaction and idempotently, and failing one connector at a
time with an error that names the kind of failure, never a value."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from connectors_support import COLLECTED, Seeded, Store, create_customers

from tutela.connectors import Connector, ConnectorOutcome, Connectors
from tutela.errors import ConnectorError, ConnectorFailed, ConnectorMisconfigured
from tutela.testing import PiiCanary

UNREACHABLE_PG = "postgresql+psycopg://postgres:pw@127.0.0.1:1/test"  # nothing listens on 1


def _no_leak(canary: PiiCanary, *texts: object) -> None:
    leaks = canary.leaks(str(t) for t in texts)
    assert not leaks, f"values leaked: {leaks}"


def _others(store: Store, seeded: Seeded) -> list[dict[str, Any]]:
    return [r for r in store.rows() if r["email"] == seeded.other]


def test_collect_returns_only_the_configured_columns_as_json_safe_values(
    store: Store, seeded: Seeded
) -> None:
    with Connectors([store.spec()]) as connectors:
        (outcome,) = connectors.collect({"email": seeded.identity, "phone": "+441234"})
    assert (outcome.name, outcome.ok, outcome.action, outcome.rows) == ("shop", True, "collect", 2)
    assert outcome.error is None
    first, second = outcome.data
    assert set(first) == set(second) == set(COLLECTED)  # neither `note` nor `visits` nor `id`
    assert first["born"] == "1990-05-17"
    assert first["balance"] == "12.50"
    assert base64.b64decode(first["avatar"]) == b"\x00\xffpng"
    assert first["joined"] == "2024-01-02T03:04:05"
    assert (first["city"], second["city"]) == ("Leeds", "York")
    assert second["born"] is None
    assert json.loads(json.dumps(outcome.data)) == outcome.data


def test_casefold_matches_in_any_letter_case_and_exact_only_as_stored(
    store: Store, seeded: Seeded
) -> None:
    casefold = Connector(store.spec())
    exact = Connector(store.spec(match="exact"))
    shouted = seeded.identity.upper()
    try:
        assert [r["city"] for r in casefold.collect(shouted)] == ["Leeds", "York"]
        assert [r["city"] for r in exact.collect(seeded.identity)] == ["York"]
        assert exact.collect(shouted) == []
        stored = casefold.collect(seeded.identity)[0]["email"]
        assert [r["city"] for r in exact.collect(str(stored))] == ["Leeds"]
    finally:
        casefold.close()
        exact.close()


@pytest.mark.parametrize("action", ["delete", "null", "mask"])
def test_erase_leaves_no_matching_row_keeps_others_and_is_idempotent(
    store: Store, seeded: Seeded, canary: PiiCanary, action: str
) -> None:
    before = store.rows()
    connectors = Connectors([store.spec(erase=action)])
    (first,) = connectors.erase({"email": seeded.identity})
    assert (first.ok, first.action, first.rows, first.error) == (True, action, 2, None)
    assert store.matching(seeded.identity) == 0
    assert _others(store, seeded) == [r for r in before if r["email"] == seeded.other]

    rows = store.rows()
    if action == "delete":
        assert [r["id"] for r in rows] == [3]
    else:
        erased = [r for r in rows if r["id"] in (1, 2)]
        assert len(erased) == 2
        for row in erased:
            if action == "null":
                assert all(row[c] is None for c in COLLECTED)
            else:  # text masked (cut to the column's length), other types cleared
                assert (row["email"], row["name"], row["city"]) == (
                    "[erased]",
                    "[erased]",
                    "[erase",
                )
                assert all(row[c] is None for c in ("born", "balance", "avatar", "joined"))
            assert row["visits"] in (1, 3)  # not configured: kept
        _no_leak(canary, *({c: r[c] for c in COLLECTED} for r in erased))
        # `note` was not configured: kept as it was (erase touches only the declared columns)
        assert erased[0]["note"] == before[0]["note"]

    (second,) = connectors.erase({"email": seeded.identity})
    assert (second.ok, second.rows) == (True, 0)
    assert store.rows() == rows
    connectors.close()


def test_mask_writes_null_into_a_unique_text_column_so_masks_never_collide(
    store: Store, seeded: Seeded
) -> None:
    store.execute("CREATE UNIQUE INDEX customers_email ON {t}customers (email)")
    connector = Connector(store.spec(erase="mask", columns=["name"]))
    assert connector.erase(seeded.identity) == 2
    erased = [r for r in store.rows() if r["id"] in (1, 2)]
    assert [(r["email"], r["name"]) for r in erased] == [(None, "[erased]")] * 2
    connector.close()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"columns": ["email", "nope"]}, "table or column missing: nope"),
        ({"identity_column": "mail"}, "table or column missing: mail"),
        ({"table": "clients"}, "table or column missing: clients"),
        (
            {"erase": "null", "columns": ["name", "visits"]},
            "column 'visits' is not nullable: erase = 'null' cannot clear it",
        ),
        (
            {"erase": "mask", "columns": ["visits"]},
            "column 'visits' is not text and not nullable",
        ),
    ],
)
def test_a_configuration_the_table_cannot_take_is_refused_naming_the_column(
    store: Store, seeded: Seeded, canary: PiiCanary, overrides: dict[str, Any], reason: str
) -> None:
    connector = Connector(store.spec(**overrides))
    with pytest.raises(ConnectorMisconfigured) as raised:
        connector.check()
    assert raised.value.connector == "shop"
    if overrides.get("table"):  # the table is named as configured, with its schema
        reason = f"table or column missing: {store.schema}.clients" if store.schema else reason
    assert raised.value.reason.startswith(reason)
    with pytest.raises(ConnectorMisconfigured):
        connector.erase(seeded.identity)
    (outcome,) = Connectors([store.spec(**overrides)]).erase({"email": seeded.identity})
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.startswith(reason)
    assert len(store.rows()) == 3  # nothing was touched
    _no_leak(canary, raised.value, outcome)


def test_one_unreachable_connector_does_not_stop_the_others(
    store: Store, seeded: Seeded, tmp_path: Path, canary: PiiCanary
) -> None:
    missing_file = tmp_path / "nowhere" / "shop.db"
    absent_file = tmp_path / "absent.db"
    specs = [
        store.spec(name="down-pg", url=UNREACHABLE_PG, schema=None),
        store.spec(name="no-dir", url=f"sqlite:///{missing_file}", schema=None),
        store.spec(name="no-file", url=f"sqlite:///{absent_file}", schema=None),
        store.spec(name="shop"),
    ]
    with Connectors(specs) as connectors:
        collected = connectors.collect({"email": seeded.identity})
        checked = connectors.check()
        erased = connectors.erase({"email": seeded.identity})
    for outcomes in (collected, checked, erased):
        assert [(o.name, o.ok, o.error) for o in outcomes] == [
            ("down-pg", False, "unreachable"),
            ("no-dir", False, "unreachable"),
            ("no-file", False, "unreachable"),
            ("shop", True, None),
        ]
    assert collected[3].rows == erased[3].rows == 2
    assert store.matching(seeded.identity) == 0
    assert not absent_file.exists()  # a mistyped path never creates an empty database
    _no_leak(canary, *(o.error for o in (*collected, *checked, *erased)))


def test_a_customer_without_the_identity_field_is_skipped(store: Store, seeded: Seeded) -> None:
    connectors = Connectors([store.spec(), store.spec(name="by-phone", identity_field="phone")])
    assert connectors.identity_fields == frozenset({"email", "phone"})
    assert connectors.names == ("shop", "by-phone")
    outcomes = connectors.erase({"email": seeded.identity, "phone": "  "})
    assert outcomes[1] == ConnectorOutcome("by-phone", True, "skipped: no phone", 0)
    assert outcomes[0].rows == 2
    assert connectors.collect({})[0] == ConnectorOutcome("shop", True, "skipped: no email", 0)
    connectors.close()


def _refuse_deleting_row(store: Store, row_id: int) -> None:
    """Make the database refuse to delete one row, with a message quoting its email."""
    if store.backend == "postgresql":
        # The foreign key's message quotes the key: DETAIL: Key (email)=(…) is still referenced.
        store.execute(
            "ALTER TABLE {t}customers ADD CONSTRAINT customers_email_key UNIQUE (email)",
            "CREATE TABLE {t}orders (id INTEGER PRIMARY KEY, email VARCHAR(200) "
            "REFERENCES {t}customers (email))",
            f"INSERT INTO {{t}}orders SELECT {row_id}, email FROM {{t}}customers "
            f"WHERE id = {row_id}",
        )
    else:
        store.execute(
            "CREATE TRIGGER keep BEFORE DELETE ON customers "
            f"WHEN old.id = {row_id} BEGIN SELECT RAISE(ABORT, 'still referenced'); END"
        )


def test_a_refused_erasure_changes_nothing_and_its_error_quotes_no_value(
    store: Store, seeded: Seeded, canary: PiiCanary
) -> None:
    _refuse_deleting_row(store, 2)
    if store.backend == "postgresql":  # the driver's own text does quote the value
        with store.engine.connect() as conn, pytest.raises(sa.exc.IntegrityError) as raw:
            conn.exec_driver_sql(f'DELETE FROM "{store.schema}".customers WHERE id = 2')
        assert canary.leaks([str(raw.value)])
    before = store.rows()
    connector = Connector(store.spec())
    with pytest.raises(ConnectorFailed) as raised:
        connector.erase(seeded.identity)
    assert raised.value.reason.startswith("database error: IntegrityError")
    assert store.rows() == before  # one transaction: the first matching row is still there
    (outcome,) = Connectors([store.spec()]).erase({"email": seeded.identity})
    assert (outcome.ok, outcome.rows, outcome.error) == (False, 0, raised.value.reason)
    _no_leak(canary, raised.value, repr(raised.value), outcome, raised.value.__cause__)
    assert raised.value.__cause__ is None
    connector.close()


def test_errors_never_show_the_url_password(store: Store, seeded: Seeded) -> None:
    spec = store.spec(url=UNREACHABLE_PG, schema=None)
    connector = Connector(spec)
    with pytest.raises(ConnectorError) as raised:
        connector.check()
    assert "pw" not in str(raised.value).replace("down", "")
    assert ":pw@" not in repr(spec) + repr(connector) + str(raised.value)


def test_a_numeric_identity_column_matches_its_text(store: Store, seeded: Seeded) -> None:
    connector = Connector(store.spec(identity_column="id", match="exact", columns=["city"]))
    assert connector.collect("3") == [{"city": "Bath"}]
    connector.close()


def test_a_locked_table_times_out_instead_of_hanging(
    pg_store: Store, canary: PiiCanary, postgres_admin: sa.Engine
) -> None:
    seeded = create_customers(pg_store, canary)
    connectors = Connectors([pg_store.spec(timeout_seconds=1)])
    connectors.collect({"email": seeded.identity})  # reflect before the lock
    with postgres_admin.connect() as locker:
        locker.exec_driver_sql("BEGIN")
        locker.exec_driver_sql(f'LOCK TABLE "{pg_store.schema}".customers')
        started = time.monotonic()
        (outcome,) = connectors.erase({"email": seeded.identity})
        locker.exec_driver_sql("ROLLBACK")
    assert time.monotonic() - started < 5
    assert (outcome.ok, outcome.error) == (False, "timed out")
    assert pg_store.matching(seeded.identity) == 2
    connectors.close()


def test_close_disposes_the_engine_and_the_connector_can_be_used_again(
    store: Store, seeded: Seeded
) -> None:
    connector = Connector(store.spec())
    assert len(connector.collect(seeded.identity)) == 2
    connector.close()
    connector.close()
    assert len(connector.collect(seeded.identity)) == 2
    connector.close()
