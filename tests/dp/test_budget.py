"""The privacy-budget ledger on SQLite and PostgreSQL: a query beyond the budget is refused
and nothing is spent; ledgers per dataset and recipient; spends audited with names and
epsilons only; two spends at once never overrun the budget."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tutela import Tutela
from tutela.actor import Actor
from tutela.dp import (
    BudgetConflict,
    BudgetNotSet,
    DpInputUnreadable,
    DpQueryInvalid,
    PrivacyBudgetExceeded,
)
from tutela.testing import PiiCanary

ANALYST = Actor("test:analyst", "admin")


@pytest.fixture
def orders(tmp_path: Path, canary: PiiCanary) -> Path:
    """A table whose email column holds canary values: none may show anywhere."""
    path = tmp_path / "orders.csv"
    rows = ["email,amount,country"]
    for n in range(50):
        rows.append(f"{canary.customer(n)['email']},{n * 10},{'GB' if n % 2 else 'FR'}")
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def _spend_events(tutela: Tutela) -> list[tuple[str, str | None]]:
    return [
        (e.event.outcome, e.event.detail)
        for e in tutela.audit_entries()
        if e.event.action == "dp.spend"
    ]


def test_a_query_beyond_the_budget_is_refused_and_nothing_is_spent(
    tutela: Tutela, orders: Path, canary: PiiCanary
) -> None:
    first = tutela.dp.query(
        orders,
        ["count", "mean amount bounds 0..1000"],
        epsilon=0.6,
        budget_key="orders",
        budget=1.0,
        actor=ANALYST,
    )
    assert (first.budget.spent, first.budget.remaining) == pytest.approx((0.6, 0.4))
    assert [r.epsilon for r in first.releases] == pytest.approx([0.3, 0.3])

    with pytest.raises(PrivacyBudgetExceeded) as refused:
        tutela.dp.query(orders, ["count"], epsilon=0.6, budget_key="orders", actor=ANALYST)
    assert refused.value.field == "orders"
    assert "privacy budget 'orders' (recipient 'internal')" in str(refused.value)
    assert "nothing was released or spent" in str(refused.value)

    status = tutela.dp.budget("orders")
    assert status is not None and status.spent == pytest.approx(0.6)
    with tutela.unit_of_work() as uow:
        history = tutela.dp.ledger.history(uow, "orders", "internal")
    assert [(s.epsilon, s.queries) for s in history] == [
        (pytest.approx(0.6), ("count", "mean amount"))
    ]
    outcomes = [outcome for outcome, _ in _spend_events(tutela)]
    assert outcomes == ["ok", "denied"]

    # What is left can still be spent, to the last bit; then nothing more.
    last = tutela.dp.query(orders, ["count"], epsilon=0.4, budget_key="orders", actor=ANALYST)
    assert last.budget.remaining == pytest.approx(0.0)
    with pytest.raises(PrivacyBudgetExceeded):
        tutela.dp.query(orders, ["count"], epsilon=0.01, budget_key="orders", actor=ANALYST)
    texts = [str(refused.value), *(repr(e) for e in tutela.audit_entries())]
    assert not canary.leaks(texts)


def test_rounding_never_refuses_a_budget_spent_exactly(tutela: Tutela, orders: Path) -> None:
    for epsilon in (0.1, 0.2, 0.7):  # 0.1 + 0.2 + 0.7 is 1.0000000000000002 in floats
        tutela.dp.query(
            orders, ["count"], epsilon=epsilon, budget_key="exact", budget=1.0, actor=ANALYST
        )
    status = tutela.dp.budget("exact")
    assert status is not None and status.remaining == pytest.approx(0.0)


def test_each_dataset_and_recipient_has_its_own_ledger_fixed_when_created(
    tutela: Tutela, orders: Path
) -> None:
    with pytest.raises(BudgetNotSet, match="no budget is set yet"):
        tutela.dp.query(orders, ["count"], epsilon=0.5, budget_key="orders", actor=ANALYST)
    assert tutela.dp.budgets() == []

    tutela.dp.query(orders, ["count"], epsilon=1, budget_key="orders", budget=1, actor=ANALYST)
    tutela.dp.query(
        orders,
        ["count"],
        epsilon=1,
        budget_key="orders",
        budget=2,
        recipient="partner-x",
        actor=ANALYST,
    )
    tutela.dp.query(orders, ["count"], epsilon=1, budget_key="other", budget=1, actor=ANALYST)
    with pytest.raises(BudgetConflict, match="fixed when it was created"):
        tutela.dp.query(orders, ["count"], epsilon=0.1, budget_key="other", budget=5, actor=ANALYST)

    assert [(b.key, b.recipient, b.budget, b.spent) for b in tutela.dp.budgets()] == [
        ("orders", "internal", 1.0, 1.0),
        ("orders", "partner-x", 2.0, 1.0),
        ("other", "internal", 1.0, 1.0),
    ]
    created = [e.event.detail for e in tutela.audit_entries() if e.event.action == "dp.budget"]
    assert len(created) == 3


def test_bad_parameters_and_inputs_are_refused_before_anything_is_spent(
    tutela: Tutela, orders: Path, tmp_path: Path
) -> None:
    def ask(queries: list[str], path: Path = orders, **kwargs: object) -> None:
        options: dict[str, object] = {"epsilon": 0.5, "budget_key": "orders", "budget": 1.0}
        options.update(kwargs)
        tutela.dp.query(path, queries, actor=ANALYST, **options)  # type: ignore[arg-type]

    with pytest.raises(DpQueryInvalid, match=r"^epsilon: must be a positive number"):
        ask(["count"], epsilon=-1)
    with pytest.raises(DpQueryInvalid, match=r"^budget_key: must match"):
        ask(["count"], budget_key="no spaces")
    with pytest.raises(DpQueryInvalid, match=r"^delta: applies to Gaussian noise only"):
        ask(["count"], delta=1e-5)
    with pytest.raises(DpQueryInvalid, match=r"^mechanism: "):
        ask(["count"], mechanism="exponential")
    with pytest.raises(DpInputUnreadable, match="has no column 'total'"):
        ask(["sum total bounds 0..10"])
    with pytest.raises(DpInputUnreadable, match="no such file"):
        ask(["count"], path=tmp_path / "missing.csv")
    with pytest.raises(DpInputUnreadable, match="unsupported table format"):
        ask(["count"], path=tmp_path / "orders.xlsx")
    assert tutela.dp.budgets() == []
    assert _spend_events(tutela) == []


def test_gaussian_noise_spends_epsilon_and_records_delta(tutela: Tutela, orders: Path) -> None:
    report = tutela.dp.query(
        orders,
        ["sum amount bounds 0..500", "count by country in GB,FR"],
        epsilon=1.0,
        budget_key="orders",
        budget=3.0,
        mechanism="gaussian",
        delta=1e-6,
        actor=ANALYST,
    )
    assert report.delta == 1e-6
    assert [(r.mechanism, r.delta) for r in report.releases] == [
        ("gaussian", pytest.approx(5e-7)),
        ("gaussian", pytest.approx(5e-7)),
    ]
    with tutela.unit_of_work() as uow:
        (spend,) = tutela.dp.ledger.history(uow, "orders", "internal")
    assert (spend.epsilon, spend.delta) == (1.0, 1e-6)


def test_two_spends_at_once_never_overrun_the_budget(tutela: Tutela) -> None:
    with tutela.unit_of_work() as uow:
        tutela.dp.ledger.spend(
            uow, "race", "internal", 0.1, budget=1.0, actor=ANALYST, queries=["count"]
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def spend() -> None:
        barrier.wait()
        try:
            with tutela.unit_of_work() as uow:
                tutela.dp.ledger.spend(
                    uow, "race", "internal", 0.6, budget=None, actor=ANALYST, queries=["count"]
                )
            outcomes.append("spent")
        except PrivacyBudgetExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "spent"]
    status = tutela.dp.budget("race")
    assert status is not None and status.spent == pytest.approx(0.7)


def test_the_models_match_the_migration(tutela: Tutela) -> None:
    """The budget ledger's and the share register's tables are exactly what the Alembic
    revision creates."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tutela.core.storage.base import metadata

    tables = ("privacy_budget", "privacy_budget_spend", "share_export")
    with tutela.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [
            d for d in compare_metadata(context, metadata) if any(t in repr(d) for t in tables)
        ]
        assert differences == []
        assert set(tables) <= set(sa.inspect(conn).get_table_names())


def test_a_refusal_is_a_422_problem_naming_the_budget_key_and_no_data() -> None:
    import json

    from tutela.api.problems import from_tutela_error

    refusal = PrivacyBudgetExceeded("orders", "internal", epsilon=0.5, spent=0.8, budget=1.0)
    response = from_tutela_error(refusal)
    body = json.loads(bytes(response.body))
    assert response.status_code == 422
    assert body["type"] == "urn:tutela:problem:privacy-budget-exceeded"
    assert "privacy budget 'orders'" in body["detail"]
    assert body["errors"][0]["pointer"] == "/orders"
