"""What an anonymization returns: the released table, the transformation and its metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutela.anonymize._types import Method

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Metrics:
    """Utility of one anonymized table; every result carries all of them.

    Loss-like numbers are in [0, 1] (0 = the original table). `records` counts every input
    row, suppressed or not. Definitions (n records, m quasi-identifiers):

    Attributes:
        loss: ARX's default quality model *Loss*: per quasi-identifier a,
            S_a = sum over released records of leaves(generalized value) / |dom_a|, plus 1
            per suppressed record; x_a = (S_a - n/|dom_a|) / (n - n/|dom_a|); aggregated as
            the geometric mean prod_a(1 + x_a)^(1/m) - 1.
        loss_per_attribute: x_a for each quasi-identifier.
        height: sum of the generalization levels (full-domain results only, else None).
        precision: Sweeney's precision, 1 - mean over records and quasi-identifiers of
            level / height (a suppressed record counts as fully generalized; for a numeric
            range from local recoding, (values in range - 1) / (|dom| - 1)).
        discernibility: sum over classes of |E|^2, plus n per suppressed record.
        avg_class_size: released records / equivalence classes.
        c_avg: LeFevre's normalised average class size, avg_class_size / k.
        non_uniform_entropy: sum over records and quasi-identifiers of
            -log2(Pr[original value | generalized value]), frequencies from the input table;
            a suppressed record counts as generalized to the root.
        non_uniform_entropy_normalized: non_uniform_entropy divided by its value when every
            record is suppressed (in [0, 1]; 0 when that maximum is 0).
        classes: number of equivalence classes among the released records.
        suppressed: number of suppressed (removed) records.
        suppressed_share: suppressed / records.
        records: number of input records.
    """

    loss: float
    loss_per_attribute: Mapping[str, float]
    height: int | None
    precision: float
    discernibility: int
    avg_class_size: float
    c_avg: float
    non_uniform_entropy: float
    non_uniform_entropy_normalized: float
    classes: int
    suppressed: int
    suppressed_share: float
    records: int


@dataclass(frozen=True)
class SearchStats:
    """How the search went.

    Attributes:
        lattice_size: number of full-domain transformations.
        evaluated: transformations evaluated with a group-by (the rest were pruned).
        anonymous: how many of the evaluated ones met the models within the limit.
    """

    lattice_size: int
    evaluated: int
    anonymous: int


@dataclass(frozen=True)
class Result:
    """An anonymized table and how it was obtained.

    Attributes:
        table: the released rows in input order: quasi-identifiers replaced by their
            generalized values (strings), suppressed rows removed, other columns unchanged.
        quasi: the quasi-identifiers, in the order given.
        levels: the generalization level of each quasi-identifier (full-domain recoding);
            None for local recoding (Mondrian), where each class has its own level.
        metrics: the utility metrics of this table.
        suppressed_rows: 0-based input row numbers of the suppressed records.
        method: "optimal" (globally optimal full-domain search) or "mondrian".
        models: a short description of the privacy models satisfied, e.g.
            "5-anonymity, distinct 2-diversity of 'salary-class'".
        metric: the metric the search minimised.
        search: lattice size and transformations evaluated (None for Mondrian).
    """

    table: pl.DataFrame
    quasi: tuple[str, ...]
    levels: Mapping[str, int] | None
    metrics: Metrics
    suppressed_rows: tuple[int, ...]
    method: Method
    models: str
    metric: str
    search: SearchStats | None = None
