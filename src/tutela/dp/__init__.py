"""Differential privacy: counts, sums, means and histograms of a table with OpenDP, paid from
a per-dataset, per-recipient privacy-budget ledger that refuses a query beyond its budget."""

from tutela.dp.errors import (
    BudgetConflict,
    BudgetError,
    BudgetNotSet,
    DpInputUnreadable,
    DpQueryInvalid,
    PrivacyBudgetExceeded,
)
from tutela.dp.ledger import BudgetLedger, BudgetStatus, Spend
from tutela.dp.mechanisms import Mechanism, Release
from tutela.dp.query import Query, QueryKind, parse_query
from tutela.dp.service import DEFAULT_RECIPIENT, DpReport, PrivateStatistics

__all__ = [
    "DEFAULT_RECIPIENT",
    "BudgetConflict",
    "BudgetError",
    "BudgetLedger",
    "BudgetNotSet",
    "BudgetStatus",
    "DpInputUnreadable",
    "DpQueryInvalid",
    "DpReport",
    "Mechanism",
    "PrivacyBudgetExceeded",
    "PrivateStatistics",
    "Query",
    "QueryKind",
    "Release",
    "Spend",
    "parse_query",
]
