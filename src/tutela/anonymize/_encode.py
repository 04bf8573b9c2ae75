"""The input table as integer codes: each quasi-identifier's leaf, the sensitive value, and
the distinct rows (with their record counts) that every group-by of the search runs on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from tutela.anonymize._classes import Classes, IntArray, group_ids
from tutela.anonymize.errors import AnonymizationInvalid, ValueNotInHierarchy
from tutela.anonymize.hierarchy import Hierarchy


@dataclass(frozen=True, eq=False)
class Encoded:
    """Distinct encoded rows ("micro rows") of the table and how input rows map onto them.

    Attributes:
        quasi: the quasi-identifiers.
        hierarchies: their hierarchies, in the same order.
        records: number of input rows.
        row: for each input row, its micro row.
        leaf: per quasi-identifier, each micro row's leaf index in the hierarchy.
        weight: input rows per micro row.
        generalized: [a][level] each micro row's generalized code of quasi-identifier a.
        sensitive: each micro row's sensitive code (sorted-value order), or None.
        sensitive_values: the distinct sensitive values (sorted), or None.
        overall: the table's distribution over the sensitive codes, or None.
    """

    quasi: tuple[str, ...]
    hierarchies: tuple[Hierarchy, ...]
    records: int
    row: IntArray
    leaf: tuple[IntArray, ...]
    weight: IntArray
    generalized: tuple[tuple[IntArray, ...], ...]
    sensitive: IntArray | None
    sensitive_values: pl.Series | None
    overall: npt.NDArray[np.float64] | None

    def card(self, attribute: int, level: int) -> int:
        """Distinct generalized values of quasi-identifier `attribute` at `level`."""
        return len(self.hierarchies[attribute].labels[level])

    def classes(self, levels: Sequence[int]) -> Classes:
        """The equivalence classes of the micro rows under the full-domain `levels`."""
        columns = [self.generalized[a][lv] for a, lv in enumerate(levels)]
        cards = [self.card(a, lv) for a, lv in enumerate(levels)]
        ids, count = group_ids(list(columns), cards)
        card = 0 if self.sensitive_values is None else len(self.sensitive_values)
        return Classes(ids, count, self.weight, self.sensitive, card)


def leaf_codes(column: str, values: pl.Series, hierarchy: Hierarchy) -> IntArray:
    """Each value's leaf index, matching values to leaves as strings.

    Raises:
        ValueNotInHierarchy: some values (or nulls) have no leaf; names the column only.
    """
    codes = values.cast(pl.String).replace_strict(
        list(hierarchy.leaves), range(len(hierarchy.leaves)), default=None, return_dtype=pl.Int64
    )
    missing = codes.null_count()
    if missing:
        raise ValueNotInHierarchy(column, missing)
    return codes.to_numpy().astype(np.int64, copy=False)


def encode(
    table: pl.DataFrame,
    quasi: Sequence[str],
    hierarchies: Sequence[Hierarchy],
    sensitive: str | None,
    ordered: bool,
) -> Encoded:
    """Encode `table` (columns already checked to exist).

    Raises:
        ValueNotInHierarchy: a quasi-identifier value has no leaf.
        AnonymizationInvalid: ordered distance on a sensitive column with nulls.
    """
    leaves = [
        leaf_codes(q, table.get_column(q), h) for q, h in zip(quasi, hierarchies, strict=True)
    ]
    columns = list(leaves)
    cards = [len(h.leaves) for h in hierarchies]
    values: pl.Series | None = None
    if sensitive is not None:
        series = table.get_column(sensitive)
        if ordered and series.null_count():
            raise AnonymizationInvalid(sensitive, "ordered distance needs a value in every row")
        values = series.unique().sort(nulls_last=True)
        codes = series.replace_strict(values, range(len(values)), return_dtype=pl.Int64)
        columns.append(codes.to_numpy().astype(np.int64, copy=False))
        cards.append(len(values))
    row, micro = group_ids(columns, cards)
    first = np.unique(row, return_index=True)[1]  # the first input row of each micro row
    weight = np.bincount(row, minlength=micro).astype(np.int64)
    leaf = tuple(col[first] for col in leaves)
    generalized = tuple(
        tuple(h.codes[lv].astype(np.int64)[lf] for lv in range(h.height + 1))
        for h, lf in zip(hierarchies, leaf, strict=True)
    )
    sens: IntArray | None = None
    overall = None
    if values is not None:
        sens = columns[-1][first]
        overall = np.bincount(sens, weights=weight, minlength=len(values)) / table.height
    return Encoded(
        tuple(quasi),
        tuple(hierarchies),
        table.height,
        row,
        leaf,
        weight,
        generalized,
        sens,
        values,
        overall,
    )
