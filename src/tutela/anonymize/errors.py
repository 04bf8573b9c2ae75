"""Errors of dataset anonymization (messages name columns, files and rows, never a value).

Invalid input sits under `ValidationFailed`, so the CLI (exit 1) and the API (422) report it
like any invalid input; `field` is the column or setting at fault. A valid request that no
transformation can satisfy is an `AnonymizationError`:

    ValidationFailed
    └── AnonymizationInvalid      (a setting or column is unusable: location and reason)
        ├── HierarchyInvalid      (a hierarchy file or YAML spec is malformed: source, row)
        └── ValueNotInHierarchy   (a quasi-identifier value has no hierarchy row: the column)
    AnonymizationError
    └── NoSolution                (no transformation meets the models within the suppression
                                   limit; carries the smallest share that would be needed)
"""

from __future__ import annotations

from tutela.errors import TutelaError, ValidationFailed


class AnonymizationInvalid(ValidationFailed):
    """The request cannot be run as given; `field` names the column or setting at fault."""


class HierarchyInvalid(AnonymizationInvalid):
    """A generalization hierarchy (ARX CSV or YAML spec) is malformed.

    `field` is the hierarchy's source (file name or column); `reason` says what is wrong and
    where (a 1-based row or level number), never which value.
    """


class ValueNotInHierarchy(AnonymizationInvalid):
    """A quasi-identifier holds values its hierarchy does not list (or no interval covers).

    Names the column and how many rows are affected, never the values themselves.
    """

    def __init__(self, column: str, rows: int) -> None:
        self.rows = rows
        super().__init__(
            column, f"{rows} row(s) hold a value that has no row in the column's hierarchy"
        )


class AnonymizationError(TutelaError):
    """A valid anonymization request could not be carried out."""


class NoSolution(AnonymizationError):
    """No transformation satisfies the privacy models within the suppression limit.

    `required_share` is the share of records that would have to be suppressed: for a search,
    at the fully generalized transformation (the best case for monotone models); for
    `evaluate`, at the transformation asked for.
    """

    def __init__(self, models: str, suppression: float, required_share: float | None) -> None:
        self.models = models
        self.suppression = suppression
        self.required_share = required_share
        need = (
            f"; {required_share:.2%} of records would have to be suppressed"
            if required_share is not None
            else ""
        )
        super().__init__(
            f"no transformation satisfies {models} with at most {suppression:.2%} of records "
            f"suppressed{need}"
        )
