"""Data-subject requests carried out in the business's other databases (connectors), through
`tutela.requests`, with the vault on SQLite and on PostgreSQL. Every test runs two connectors at
once: `shop`, a `customers` table in a second SQLite file (erase = delete), and `orders`, an
`orders` table in a PostgreSQL schema of its own (erase = mask); each holds the customer's rows
(their email in two letter cases) and another customer's (see connected_support.py).

Covered: access answers carrying both systems' rows, erasure in both before the vault, a
failing system holding the request in progress (with a safe per-system report) until `retry`
or `retry_held` succeeds, an email unknown to the vault still erased in the systems, and a
connector matching on a field the data map does not declare.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from connected_support import MASK, BusinessDb, cases

from tutela import Settings, Tutela, errors
from tutela.actor import Actor
from tutela.clock import FrozenClock
from tutela.connectors import ConnectorSettings
from tutela.rights.service import RequestView, Status
from tutela.testing import OutboxMailer, PiiCanary

OpenHome = Callable[..., Tutela]
MINIMAL = ("email", "phone", "loyalty_id")  # nothing a legal obligation keeps: erased whole
HELD_NOTE = "retrying"
STAFF = Actor("sdk", "admin")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[BusinessDb]:
    """The SQLite business database: a file next to (not inside) the vault's home."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    yield BusinessDb("shop", "customers", url, None, engine, ("email", "name", "city"), "delete")
    engine.dispose()


@pytest.fixture
def orders(postgres_admin: sa.Engine) -> Iterator[BusinessDb]:
    """The PostgreSQL business database: a schema of the test's own, dropped afterwards."""
    schema = f"orders_{secrets.token_hex(6)}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_admin.url.render_as_string(hide_password=False)
    yield BusinessDb(
        "orders", "orders", url, schema, postgres_admin, ("email", "name", "item"), "mask"
    )
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def ada(canary: PiiCanary) -> dict[str, Any]:
    """The customer the requests are about."""
    return canary.customer(0)


@pytest.fixture
def bob(canary: PiiCanary) -> dict[str, Any]:
    """Another customer, whose rows must stay as they are."""
    return canary.customer(1)


@pytest.fixture
def open_home(
    settings: Settings, clock: FrozenClock, outbox: OutboxMailer, canary: PiiCanary
) -> Iterator[OpenHome]:
    """`open_home(*specs, create=True)`: the home with these connectors, on the frozen clock and
    the outbox. At the end no canary value may be in its audit rows and its chain must verify."""
    opened: list[Tutela] = []

    def make(*specs: ConnectorSettings, create: bool = True) -> Tutela:
        configured = settings.model_copy(update={"connectors": list(specs)})
        start = Tutela.init if create else Tutela.open
        home = start(settings=configured, clock=clock, mailer=outbox)
        opened.append(home)
        return home

    try:
        yield make
        for home in opened:
            leaks = canary.leaks(repr(e) for e in home.audit_entries())
            assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"
            assert home.verify_audit().ok
    finally:
        for home in opened:
            home.close()


@pytest.fixture
def home(open_home: OpenHome, shop: BusinessDb, orders: BusinessDb) -> Tutela:
    return open_home(shop.spec(), orders.spec())


# -- helpers ------------------------------------------------------------------------------------


def verified(home: Tutela, outbox: OutboxMailer, kind: str, email: str) -> RequestView:
    created = home.requests.create(kind, email)
    return home.requests.verify(created.id, outbox.codes_for(email)[-1])


def system(name: str, action: str, rows: int, error: str | None = None) -> dict[str, Any]:
    """One entry of an outcome's `systems` report."""
    return {"name": name, "ok": error is None, "action": action, "rows": rows, "error": error}


def assert_no_pii(home: Tutela, canary: PiiCanary, view: RequestView) -> None:
    """Neither the outcome, nor the timeline, nor any audit row names a customer."""
    texts = [json.dumps(view.outcome), *(e.note for e in view.timeline)]
    texts += [repr(e) for e in home.audit_entries()]
    leaks = canary.leaks(texts)
    assert not leaks, f"{len(leaks)} canary value(s) leaked"


def notes(view: RequestView) -> list[tuple[str, str]]:
    return [(e.status, e.note) for e in view.timeline]


def held_fields(home: Tutela, subject_id: str) -> frozenset[str] | None:
    with home.unit_of_work() as uow:
        if home.vault.is_erased(uow, subject_id):
            return None
        return home.vault.held_fields(uow, subject_id)


def answer(home: Tutela, outbox: OutboxMailer, email: str) -> dict[str, str]:
    """The files of the zip behind the one link emailed to `email`."""
    [token] = outbox.download_tokens_for(email)
    _, zipped = home.requests.download(token)
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        return {n: archive.read(n).decode() for n in archive.namelist()}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_answer_has_both_systems(
    files: dict[str, str], customer: dict[str, Any], other: dict[str, Any]
) -> None:
    mixed, lower = cases(customer["email"])
    assert {"systems/shop.csv", "systems/orders.csv", "data.json"} <= set(files)
    shop_rows = csv_rows(files["systems/shop.csv"])
    order_rows = csv_rows(files["systems/orders.csv"])
    assert shop_rows == [
        {"email": mixed, "name": customer["name"], "city": "city 1"},
        {"email": lower, "name": customer["name"], "city": "city 2"},
    ]
    assert order_rows == [
        {"email": mixed, "name": customer["name"], "item": "item 1"},
        {"email": lower, "name": customer["name"], "item": "item 2"},
    ]
    document = json.loads(files["data.json"])
    assert set(document["systems"]) == {"shop", "orders"}
    assert document["systems"]["shop"] == shop_rows
    assert document["systems"]["orders"] == order_rows
    everything = "\n".join(files.values()).casefold()
    assert other["email"].casefold() not in everything
    assert other["name"].casefold() not in everything


def assert_erased_in_both(
    shop: BusinessDb, orders: BusinessDb, customer: dict[str, Any], other: dict[str, Any]
) -> None:
    """No row matches the customer any more; the other customer's rows are untouched."""
    assert shop.matching(customer["email"]) == 0
    assert orders.matching(customer["email"]) == 0
    assert shop.rows() == [
        {"id": 3, "email": other["email"], "name": other["name"], "city": "city 3"}
    ]
    assert orders.rows() == [
        {"id": 1, "email": MASK, "name": MASK, "item": MASK},
        {"id": 2, "email": MASK, "name": MASK, "item": MASK},
        {"id": 3, "email": other["email"], "name": other["name"], "item": "item 3"},
    ]


# -- access -------------------------------------------------------------------------------------


def test_an_access_answer_carries_the_customers_rows_from_both_systems(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
) -> None:
    home.add(ada)
    home.add(bob)
    shop.create(ada, bob)
    orders.create(ada, bob)

    typed = ada["email"].upper()  # the requester types it in another letter case

    done = verified(home, outbox, "access", typed)

    assert done.status is Status.COMPLETED
    assert done.subject_id is not None
    assert done.outcome["systems"] == [
        system("shop", "collect", 2),
        system("orders", "collect", 2),
    ]
    assert "retry" not in done.outcome
    files = answer(home, outbox, ada["email"])
    assert_answer_has_both_systems(files, ada, bob)
    assert json.loads(files["data.json"])["data"]["email"] == ada["email"]
    assert (shop.matching(ada["email"]), orders.matching(ada["email"])) == (2, 2)  # read only
    assert_no_pii(home, canary, home.requests.show(done.id))


def test_an_access_request_waits_for_a_failing_system_and_emails_no_link_until_retried(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
) -> None:
    home.add(ada)
    shop.create(ada, bob)  # orders' table does not exist yet

    held = verified(home, outbox, "access", ada["email"])

    assert held.status is Status.IN_PROGRESS
    assert held.outcome == {
        "systems": [
            system("shop", "collect", 2),
            system("orders", "collect", 0, f"table or column missing: {orders.schema}.orders"),
        ],
        "retry": True,
    }
    assert outbox.download_tokens_for(ada["email"]) == []
    assert "request_completed" not in [m.kind for m in outbox.messages]
    assert_no_pii(home, canary, held)

    orders.create(ada, bob)
    done = home.requests.retry(held.id)

    assert done.status is Status.COMPLETED
    assert done.outcome["systems"] == [
        system("shop", "collect", 2),
        system("orders", "collect", 2),
    ]
    assert_answer_has_both_systems(answer(home, outbox, ada["email"]), ada, bob)
    steps = notes(done)
    failed = [i for i, (s, n) in enumerate(steps) if s == "in_progress" and HELD_NOTE in n]
    assert len(failed) == 1
    assert "orders failed" in steps[failed[0]][1]
    assert steps[-1][0] == "completed"
    assert failed[0] < len(steps) - 1
    assert_no_pii(home, canary, done)


# -- erasure ------------------------------------------------------------------------------------


def test_an_approved_erasure_clears_the_customers_rows_in_both_systems_and_the_vault(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
) -> None:
    subject = home.add({k: ada[k] for k in MINIMAL})
    other = home.add(bob)
    shop.create(ada, bob)
    orders.create(ada, bob)
    waiting = verified(home, outbox, "erasure", ada["email"])
    assert waiting.status is Status.AWAITING_APPROVAL
    assert (shop.matching(ada["email"]), orders.matching(ada["email"])) == (2, 2)

    done = home.requests.approve(waiting.id)

    assert done.status is Status.COMPLETED
    assert done.outcome == {
        "erased": "all",
        "kept": {},
        "systems": [system("shop", "delete", 2), system("orders", "mask", 2)],
    }
    assert_erased_in_both(shop, orders, ada, bob)
    with pytest.raises(errors.SubjectErased):
        home.read(subject, purpose="order_fulfilment", role="admin")
    assert home.read(other, ["email"], purpose="order_fulfilment", role="admin")
    assert_no_pii(home, canary, done)


def test_a_failing_system_holds_the_erasure_until_retry_then_everything_is_erased(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
    tmp_path: Path,
) -> None:
    subject = home.add({k: ada[k] for k in MINIMAL})
    orders.create(ada, bob)  # shop's SQLite file does not exist yet
    waiting = verified(home, outbox, "erasure", ada["email"])

    held = home.requests.approve(waiting.id)

    assert held.status is Status.IN_PROGRESS
    assert held.outcome == {
        "systems": [system("shop", "delete", 0, "unreachable"), system("orders", "mask", 2)],
        "retry": True,
    }
    assert held_fields(home, subject) == set(MINIMAL)  # the vault waits for every system
    assert orders.matching(ada["email"]) == 0  # the healthy system is already done
    assert not (tmp_path / "shop.db").exists()  # the connector never creates a database
    with home.unit_of_work() as uow:
        assert home.requests.desk.held(uow, STAFF) == [held.id]
    assert_no_pii(home, canary, held)

    shop.create(ada, bob)
    done = home.requests.retry(held.id)

    assert done.status is Status.COMPLETED
    assert done.outcome["erased"] == "all"
    assert done.outcome["systems"][0] == system("shop", "delete", 2)
    # the rows masked in the failed attempt still count once the retry succeeds
    assert done.outcome["systems"][1] == system("orders", "mask", 2)
    assert "retry" not in done.outcome
    assert_erased_in_both(shop, orders, ada, bob)
    with pytest.raises(errors.SubjectErased):
        home.read(subject, purpose="order_fulfilment", role="admin")
    steps = notes(done)
    failed = [i for i, (s, n) in enumerate(steps) if s == "in_progress" and HELD_NOTE in n]
    assert len(failed) == 1
    assert "shop failed" in steps[failed[0]][1]
    assert "orders" not in steps[failed[0]][1]
    assert steps[-1] == ("completed", "erased")
    assert_no_pii(home, canary, done)

    with pytest.raises(errors.RequestStateInvalid):
        home.requests.retry(done.id)  # completed: nothing to retry


def test_retry_held_runs_every_held_request_until_the_failing_system_is_fixed(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
) -> None:
    subject = home.add({k: ada[k] for k in MINIMAL})
    shop.create(ada, bob)
    orders.create(ada, bob, table="orders_old")  # renamed: the configured table is missing
    held = home.requests.approve(verified(home, outbox, "erasure", ada["email"]).id)
    missing = f"table or column missing: {orders.schema}.orders"
    assert held.outcome == {
        "systems": [system("shop", "delete", 2), system("orders", "mask", 0, missing)],
        "retry": True,
    }
    assert shop.matching(ada["email"]) == 0
    assert held_fields(home, subject) == set(MINIMAL)

    assert home.requests.retry_held() == {held.id: "in_progress"}  # still failing
    still = home.requests.show(held.id)
    assert still.outcome["retry"] is True
    assert still.outcome["systems"][1] == system("orders", "mask", 0, missing)
    assert held_fields(home, subject) == set(MINIMAL)

    orders.rename("orders_old")
    assert home.requests.retry_held() == {held.id: "completed"}
    assert home.requests.retry_held() == {}  # nothing held any more

    done = home.requests.show(held.id)
    assert done.status is Status.COMPLETED
    assert done.outcome["systems"][1] == system("orders", "mask", 2)
    assert_erased_in_both(shop, orders, ada, bob)
    with pytest.raises(errors.SubjectErased):
        home.read(subject, purpose="order_fulfilment", role="admin")
    steps = notes(done)
    failed = [n for s, n in steps if s == "in_progress" and HELD_NOTE in n]
    assert len(failed) == 2
    assert all("orders failed" in n for n in failed)
    assert steps[-1] == ("completed", "erased")
    assert_no_pii(home, canary, done)


def test_retry_refuses_a_request_that_is_not_held(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
) -> None:
    home.add(ada)
    home.add({k: bob[k] for k in MINIMAL})
    shop.create(ada, bob)
    orders.create(ada, bob)
    waiting = verified(home, outbox, "erasure", bob["email"])  # awaiting approval
    completed = verified(home, outbox, "access", ada["email"])
    assert completed.status is Status.COMPLETED

    for request in (waiting, completed):
        with pytest.raises(errors.RequestStateInvalid) as refused:
            home.requests.retry(request.id)
        assert not canary.leaks([str(refused.value)])
    assert home.requests.retry_held() == {}
    assert home.requests.show(waiting.id).status is Status.AWAITING_APPROVAL
    assert (shop.matching(bob["email"]), orders.matching(bob["email"])) == (1, 1)


def test_an_email_unknown_to_the_vault_is_still_erased_in_the_systems(
    home: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop: BusinessDb,
    orders: BusinessDb,
    ada: dict[str, Any],
    bob: dict[str, Any],
) -> None:
    other = home.add(bob)  # ada is no vault customer, but both systems hold her rows
    shop.create(ada, bob)
    orders.create(ada, bob)
    waiting = verified(home, outbox, "erasure", ada["email"])
    assert waiting.subject_id is None

    done = home.requests.approve(waiting.id)

    assert done.status is Status.COMPLETED
    assert done.outcome == {
        "subject": None,
        "systems": [system("shop", "delete", 2), system("orders", "mask", 2)],
    }
    assert done.timeline[-1].note == "no data is held in the vault"
    assert_erased_in_both(shop, orders, ada, bob)
    assert held_fields(home, other) == set(bob)
    assert_no_pii(home, canary, done)


# -- configuration ------------------------------------------------------------------------------


def test_a_connector_matching_on_an_undeclared_field_is_a_config_error_naming_it(
    settings: Settings,
    open_home: OpenHome,
    clock: FrozenClock,
    outbox: OutboxMailer,
    shop: BusinessDb,
    orders: BusinessDb,
) -> None:
    wrong = settings.model_copy(
        update={"connectors": [shop.spec(), orders.spec(identity_field="customer_number")]}
    )

    for start in (Tutela.init, Tutela.open):  # init creates the home, then refuses it
        with pytest.raises(errors.ConfigError) as refused:
            start(settings=wrong, clock=clock, mailer=outbox)
        message = str(refused.value)
        assert "'orders'" in message
        assert "customer_number" in message
        assert "'shop'" not in message

    fixed = open_home(shop.spec(), orders.spec(), create=False)
    assert fixed.connectors.names == ("shop", "orders")


def _open_files(home: Path) -> list[str]:
    """Files of the home this process holds open."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:  # closed meanwhile (e.g. the listing's own descriptor)
            continue
        if target.is_relative_to(home):
            found.append(target.name)
    return sorted(found)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_a_home_refused_for_its_connectors_leaves_no_file_open(
    settings: Settings,
    clock: FrozenClock,
    outbox: OutboxMailer,
    shop: BusinessDb,
    orders: BusinessDb,
) -> None:
    wrong = settings.model_copy(
        update={"connectors": [shop.spec(), orders.spec(identity_field="customer_number")]}
    )
    before = _open_files(settings.home)

    for start in (Tutela.init, Tutela.open, Tutela.open):
        with pytest.raises(errors.ConfigError):
            start(settings=wrong, clock=clock, mailer=outbox)

    assert _open_files(settings.home) == before
