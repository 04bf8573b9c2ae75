"""Errors of differentially private queries and the privacy-budget ledger.

Messages name queries by position, columns, budget keys, recipients and epsilons, never a
value of the table. They sit under `ValidationFailed`, so the CLI (exit 1) and the API (422
problem+json, `field` as its pointer) report them like any refused input:

    ValidationFailed
    ├── DpQueryInvalid              (a query cannot be parsed or run as written: location)
    │   └── DpInputUnreadable       (the table cannot be read, or lacks a column)
    └── BudgetError                 (`field` is the budget key)
        ├── BudgetNotSet            (no ledger for this key and recipient, and no budget given)
        ├── BudgetConflict          (a budget given that differs from the ledger's)
        └── PrivacyBudgetExceeded   (the query would spend more than is left: nothing spent)
"""

from __future__ import annotations

from pathlib import Path

from tutela.errors import TutelaError, ValidationFailed


class DpQueryInvalid(ValidationFailed):
    """A query or a parameter cannot be used: `field` is where (``query[1]``, ``epsilon``),
    `reason` what is wrong there."""

    def __init__(self, location: str, reason: str) -> None:
        self.field, self.reason = location, reason
        TutelaError.__init__(self, f"{location}: {reason}")


class DpInputUnreadable(DpQueryInvalid):
    """The input table cannot be read, or lacks a column a query names."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__("input", f"{path}: {reason}")
        TutelaError.__init__(self, f"{path}: {reason}")


class BudgetError(ValidationFailed):
    """The privacy-budget ledger refuses the spend; `field` is the budget key."""

    def __init__(self, key: str, recipient: str, reason: str) -> None:
        self.key, self.recipient = key, recipient
        self.field, self.reason = key, reason
        TutelaError.__init__(self, f"privacy budget '{key}' (recipient '{recipient}'): {reason}")


class BudgetNotSet(BudgetError):
    """A first query on a key and recipient must say how much epsilon the ledger holds."""

    def __init__(self, key: str, recipient: str) -> None:
        super().__init__(key, recipient, "no budget is set yet: give the total epsilon (--budget)")


class BudgetConflict(BudgetError):
    """A ledger's total is fixed when it is created; another total is refused."""

    def __init__(self, key: str, recipient: str, budget: float, given: float) -> None:
        self.budget, self.given = budget, given
        super().__init__(
            key,
            recipient,
            f"the ledger's budget is epsilon {budget:g}, fixed when it was created "
            f"(given: {given:g}); use another budget key for a new budget",
        )


class PrivacyBudgetExceeded(BudgetError):
    """The query would take the spent epsilon past the budget. Nothing was released and
    nothing spent."""

    def __init__(
        self, key: str, recipient: str, *, epsilon: float, spent: float, budget: float
    ) -> None:
        self.epsilon, self.spent, self.budget = epsilon, spent, budget
        left = max(budget - spent, 0.0)
        super().__init__(
            key,
            recipient,
            f"a query of epsilon {epsilon:g} exceeds the budget: {spent:g} of {budget:g} "
            f"spent, {left:g} left; nothing was released or spent",
        )
