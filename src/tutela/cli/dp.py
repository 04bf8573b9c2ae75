"""`tutela dp INPUT --query … --epsilon E --budget-key NAME`: differentially private counts,
sums, means and histograms of a table, paid from the home's privacy-budget ledger; and
`tutela dp-budgets` to list the ledgers.

Only noisy answers, declared parameters and epsilons are printed, never a true figure or a
value of the table. A query beyond the budget is refused (exit 1) and nothing is spent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from tutela.cli._common import HomeOption, JsonOption, cli_actor, emit, open_home, stdout
from tutela.dp import DEFAULT_RECIPIENT, BudgetStatus, DpReport, Mechanism, Release


def dp(
    file: Annotated[
        Path,
        typer.Argument(help="A .csv, .tsv, .jsonl, .ndjson or .parquet file.", dir_okay=False),
    ],
    queries: Annotated[
        list[str],
        typer.Option(
            "--query",
            "-q",
            help="'count', 'count by COL in A,B,C', 'sum COL bounds LOW..HIGH' or "
            "'mean COL bounds LOW..HIGH'; repeat for several (epsilon is shared evenly).",
        ),
    ],
    epsilon: Annotated[float, typer.Option("--epsilon", help="Epsilon this call spends.")],
    budget_key: Annotated[
        str, typer.Option("--budget-key", help="The dataset's name in the budget ledger.")
    ],
    budget: Annotated[
        float | None,
        typer.Option("--budget", help="Total epsilon of the ledger (when it is created)."),
    ] = None,
    recipient: Annotated[
        str, typer.Option("--recipient", help="Who receives the answers (own budget each).")
    ] = DEFAULT_RECIPIENT,
    mechanism: Annotated[
        Mechanism, typer.Option("--mechanism", help="Laplace (pure DP) or Gaussian ((e, d)-DP).")
    ] = Mechanism.LAPLACE,
    delta: Annotated[
        float | None, typer.Option("--delta", help="Gaussian only (default 1e-6).")
    ] = None,
    contributions: Annotated[
        int, typer.Option("--contributions", min=1, help="Most rows one person has.")
    ] = 1,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Differentially private statistics of a table (OpenDP), within a privacy budget."""
    with open_home(home) as tutela:
        report = tutela.dp.query(
            file,
            queries,
            epsilon=epsilon,
            budget_key=budget_key,
            recipient=recipient,
            budget=budget,
            mechanism=mechanism.value,
            delta=delta,
            contributions=contributions,
            actor=cli_actor("admin"),
        )
    emit(as_json, report.as_dict(), lambda: _render(report))


def budgets(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List the privacy-budget ledgers: total, spent and remaining epsilon."""
    with open_home(home) as tutela:
        found = tutela.dp.budgets()
    emit(as_json, {"budgets": [b.as_dict() for b in found]}, lambda: _render_budgets(found))


def _render(report: DpReport) -> None:
    for release in report.releases:
        stdout.print(Text(f"{release.query}: ", style="bold") + Text(_value(release)))
    noise = ", ".join(
        f"{r.mechanism} scale {r.scale:.4g}"
        + (f" (95% within ±{r.accuracy:.4g})" if r.accuracy is not None else "")
        for r in report.releases
    )
    stdout.print(Text(f"noise: {noise}", style="dim"))
    _budget_line(report.budget, report.epsilon)


def _value(release: Release) -> str:
    if isinstance(release.value, dict):
        return ", ".join(f"{name}={count}" for name, count in release.value.items())
    if isinstance(release.value, float):
        return f"{release.value:.6g}"
    return str(release.value)


def _budget_line(status: BudgetStatus, epsilon: float) -> None:
    stdout.print(
        Text(
            f"spent epsilon {epsilon:g} of budget '{status.key}' (recipient "
            f"'{status.recipient}'): {status.spent:g} of {status.budget:g} used, "
            f"{status.remaining:g} left"
        )
    )


def _render_budgets(found: list[BudgetStatus]) -> None:
    if not found:
        stdout.print("no privacy budgets yet")
        return
    table = Table("budget key", "recipient", "budget", "spent", "remaining", "created")
    for b in found:
        table.add_row(
            Text(b.key),
            Text(b.recipient),
            f"{b.budget:g}",
            f"{b.spent:g}",
            f"{b.remaining:g}",
            b.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    stdout.print(table)
