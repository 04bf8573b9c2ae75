"""Differentially private statistics over a table, paid from a privacy-budget ledger.

`PrivateStatistics.query` parses the queries, refuses at once a spend the ledger cannot pay,
reads only the columns the queries name (Polars, imported when first used), releases each
query with OpenDP (`tutela.dp.mechanisms`), and records the spend. A release is returned
only once its spend is committed: if the ledger refuses it (another spend got there first),
the noisy answers are dropped unseen. The epsilon of a call is shared evenly between its
queries (sequential composition).

Only noisy answers and declared parameters leave this module: never a true count, the number
of rows that could not be read, or a category found in the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutela.actor import Actor
from tutela.core.tabular import separator_of
from tutela.core.uow import UnitOfWork
from tutela.dp.errors import DpInputUnreadable, DpQueryInvalid
from tutela.dp.ledger import BudgetLedger, BudgetStatus, check_epsilon, check_name
from tutela.dp.mechanisms import Mechanism, Release, release
from tutela.dp.query import Query, QueryKind, parse_query

if TYPE_CHECKING:
    import polars as pl

DEFAULT_RECIPIENT = "internal"
DEFAULT_DELTA = 1e-6  # Gaussian noise only: well below 1 / the number of people in a table
MAX_QUERIES = 100
_READERS = {".csv": ",", ".tsv": "\t", ".jsonl": None, ".ndjson": None, ".parquet": None}


@dataclass(frozen=True)
class DpReport:
    """The releases of one call and the ledger after paying for them."""

    budget: BudgetStatus
    epsilon: float
    delta: float
    releases: tuple[Release, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.budget.as_dict(),
            "epsilon": self.epsilon,
            "delta": self.delta,
            "releases": [r.as_dict() for r in self.releases],
        }


class PrivateStatistics:
    """Counts, sums, means and histograms of a table with differential privacy."""

    def __init__(self, ledger: BudgetLedger, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self.ledger = ledger
        self._uow = unit_of_work

    def query(
        self,
        path: Path,
        queries: Sequence[str],
        *,
        epsilon: float,
        budget_key: str,
        actor: Actor,
        recipient: str = DEFAULT_RECIPIENT,
        budget: float | None = None,
        mechanism: str = Mechanism.LAPLACE,
        delta: float | None = None,
        contributions: int = 1,
    ) -> DpReport:
        """Release `queries` over the table at `path`, spending `epsilon` of the ledger of
        (`budget_key`, `recipient`).

        Args:
            path: a .csv, .tsv, .jsonl, .ndjson or .parquet file.
            queries: query texts (`tutela.dp.query`); `epsilon` is shared evenly among them.
            epsilon: what this call spends.
            budget_key: the dataset's name in the ledger.
            actor: who asks (audited).
            recipient: who receives the answers; each recipient has its own budget.
            budget: the total epsilon, required when the ledger is created by this call.
            mechanism: "laplace" (pure DP) or "gaussian" ((epsilon, delta)-DP).
            delta: Gaussian only; default `DEFAULT_DELTA`.
            contributions: the most rows one person has in the table.

        Raises:
            DpQueryInvalid: a query or parameter is malformed; DpInputUnreadable: the table.
            BudgetNotSet, BudgetConflict, PrivacyBudgetExceeded: the ledger refuses; nothing
                is released or spent (the refusal is audited).
        """
        parsed, kind, spent_delta = self._checked(
            queries,
            epsilon=epsilon,
            budget_key=budget_key,
            recipient=recipient,
            budget=budget,
            mechanism=mechanism,
            delta=delta,
            contributions=contributions,
        )
        with self._uow() as uow:
            self.ledger.check(uow, budget_key, recipient, epsilon, budget=budget, actor=actor)
        share = epsilon / len(parsed)
        columns = _read(path, parsed)
        releases = tuple(
            release(
                q,
                columns[_key(q)],
                epsilon=share,
                mechanism=kind,
                delta=spent_delta / len(parsed),
                contributions=contributions,
            )
            for q in parsed
        )
        with self._uow() as uow:
            status = self.ledger.spend(
                uow,
                budget_key,
                recipient,
                epsilon,
                delta=spent_delta,
                budget=budget,
                actor=actor,
                queries=[q.label for q in parsed],
            )
        return DpReport(status, epsilon, spent_delta, releases)

    def budgets(self) -> list[BudgetStatus]:
        """Every ledger with what is spent of it."""
        with self._uow() as uow:
            return self.ledger.listing(uow)

    def budget(self, budget_key: str, recipient: str = DEFAULT_RECIPIENT) -> BudgetStatus | None:
        with self._uow() as uow:
            return self.ledger.status(uow, budget_key, recipient)

    @staticmethod
    def _checked(
        queries: Sequence[str],
        *,
        epsilon: float,
        budget_key: str,
        recipient: str,
        budget: float | None,
        mechanism: str,
        delta: float | None,
        contributions: int,
    ) -> tuple[list[Query], Mechanism, float]:
        if not queries:
            raise DpQueryInvalid("query", "give at least one query")
        if len(queries) > MAX_QUERIES:
            raise DpQueryInvalid("query", f"at most {MAX_QUERIES} queries in one call")
        parsed = [parse_query(text, f"query[{i}]") for i, text in enumerate(queries)]
        check_epsilon(epsilon, "epsilon")
        if budget is not None:
            check_epsilon(budget, "budget")
        check_name(budget_key, "budget_key")
        check_name(recipient, "recipient")
        try:
            kind = Mechanism(mechanism)
        except ValueError:
            raise DpQueryInvalid("mechanism", "is laplace or gaussian") from None
        if contributions < 1:
            raise DpQueryInvalid("contributions", "must be at least 1")
        if kind is Mechanism.LAPLACE:
            if delta:
                raise DpQueryInvalid("delta", "applies to Gaussian noise only")
            return parsed, kind, 0.0
        spent_delta = DEFAULT_DELTA if delta is None else delta
        if not (math.isfinite(spent_delta) and 0 < spent_delta < 1):
            raise DpQueryInvalid("delta", "must be between 0 and 1 (exclusive)")
        return parsed, kind, spent_delta


def _key(query: Query) -> tuple[str, str | None]:
    if query.kind is QueryKind.COUNT:
        return ("rows", None)
    if query.kind is QueryKind.HISTOGRAM:
        return ("text", query.column)
    return ("number", query.column)


def _read(path: Path, queries: Sequence[Query]) -> dict[tuple[str, str | None], list[Any]]:
    """The rows each query reads: one entry per row for a count, the column as text for a
    histogram (missing values count as "other"), the column's numbers for a sum or mean
    (missing or non-numeric values are left out, as a row-by-row filter keeps the bound on
    what one person changes)."""
    import polars as pl

    suffix = path.suffix.lower()
    if suffix not in _READERS:
        known = ", ".join(sorted(_READERS))
        raise DpInputUnreadable(path, f"unsupported table format (use one of {known})")
    if not path.is_file():
        raise DpInputUnreadable(path, "no such file")
    needed = sorted({q.column for q in queries if q.column is not None})
    try:
        frame = _scan(path, suffix)
        schema = frame.collect_schema()
        for column in needed:
            if column not in schema:
                raise DpInputUnreadable(path, f"has no column '{column}'")
        table = frame.select(needed).collect() if needed else None
        rows = len(table) if table is not None else frame.select(pl.len()).collect().item()
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        # Polars' message can quote a cell: only the kind of failure is named.
        raise DpInputUnreadable(path, f"cannot be read ({type(exc).__name__})") from None
    columns: dict[tuple[str, str | None], list[Any]] = {}
    for query in queries:
        key = _key(query)
        if key in columns:
            continue
        if query.kind is QueryKind.COUNT:
            columns[key] = [""] * int(rows)
            continue
        assert table is not None and query.column is not None
        series = table[query.column]
        columns[key] = _text(pl, series) if key[0] == "text" else _numbers(pl, series)
    return columns


def _scan(path: Path, suffix: str) -> pl.LazyFrame:
    import polars as pl

    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return pl.scan_ndjson(path, infer_schema_length=10_000)
    return pl.scan_csv(path, separator=separator_of(path), infer_schema=False)


def _text(pl: Any, series: pl.Series) -> list[str]:
    if series.dtype.is_nested():
        raise DpQueryInvalid("query", f"column '{series.name}' holds nested values")
    return [v if v is not None else "" for v in series.cast(pl.String).to_list()]


def _numbers(pl: Any, series: pl.Series) -> list[float]:
    if series.dtype.is_nested():
        raise DpQueryInvalid("query", f"column '{series.name}' holds nested values")
    if series.dtype == pl.String:
        series = series.str.strip_chars()
    numbers = series.cast(pl.Float64, strict=False).drop_nulls().drop_nans()
    return [float(v) for v in numbers.to_list() if math.isfinite(v)]
