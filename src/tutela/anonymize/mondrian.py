"""Local recoding with Mondrian (LeFevre, DeWitt & Ramakrishnan, ICDE 2006).

The table is cut recursively at the median of the quasi-identifier with the widest normalised
range, as long as both halves still satisfy the privacy models (strict partitioning: equal
values stay together). Each final partition is one equivalence class. Numeric and temporal
quasi-identifiers are released as ranges of the partition (`20-29` for integers, `[a, b]`
otherwise); others need a hierarchy, are ordered so each subtree is contiguous, and are
released as the lowest hierarchy value covering the partition. Mondrian does not suppress.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from tutela.anonymize._classes import Classes, IntArray
from tutela.anonymize._encode import leaf_codes
from tutela.anonymize._engine import Request
from tutela.anonymize.errors import AnonymizationInvalid, NoSolution
from tutela.anonymize.hierarchy import Hierarchy, HierarchySource
from tutela.anonymize.metrics import summarize
from tutela.anonymize.models import PrivacyModel, violating
from tutela.anonymize.result import Result

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class _Attribute:
    """A quasi-identifier as ordinal codes (0..domain-1) and how to release it."""

    column: str
    ordinal: IntArray  # per row
    domain: int
    values: pl.Series | None = None  # numeric: the sorted distinct values
    hierarchy: Hierarchy | None = None  # categorical
    leaf: IntArray | None = None  # categorical: per row leaf index


def mondrian(
    table: pl.DataFrame, request: Request, hierarchies: Mapping[str, HierarchySource]
) -> Result:
    """Anonymize with Mondrian (see the module docstring).

    Raises:
        AnonymizationInvalid: suppression asked for, a categorical quasi-identifier without
            hierarchy, or a numeric one with empty values.
        ValueNotInHierarchy: a categorical value has no hierarchy row.
        NoSolution: the whole table does not satisfy the models.
    """
    if request.suppression > 0:
        raise AnonymizationInvalid("suppression", "Mondrian does not suppress; use optimal")
    attributes = [_attribute(table, q, hierarchies.get(q)) for q in request.quasi]
    n = table.height
    sensitive, overall, card = _sensitive(table, request)
    models = request.models(overall)
    ones = np.ones(n, dtype=np.int64)
    whole = Classes(np.zeros(n, dtype=np.int64), 1, ones, sensitive, card)
    if violating(models, whole).any():
        raise NoSolution(request.describe(models), 0.0, 1.0)
    ordinals = np.stack([a.ordinal for a in attributes], axis=1)
    spans = np.array([max(a.domain - 1, 1) for a in attributes], dtype=np.float64)
    part = _partition(ordinals, spans, models, sensitive, card)
    return _release(table, request, models, attributes, part)


def _attribute(table: pl.DataFrame, column: str, source: HierarchySource | None) -> _Attribute:
    series = table.get_column(column)
    if series.dtype.is_numeric() or series.dtype.is_temporal():
        if series.null_count():
            raise AnonymizationInvalid(column, f"{series.null_count()} row(s) have no value")
        values = series.unique().sort()
        ordinal = (series.rank("dense") - 1).cast(pl.Int64).to_numpy()
        return _Attribute(column, ordinal, len(values), values=values)
    if source is None:
        raise AnonymizationInvalid(column, "a non-numeric quasi-identifier needs a hierarchy")
    hierarchy = source.build(column, series)
    leaf = leaf_codes(column, series, hierarchy)
    order = sorted(range(len(hierarchy.rows)), key=lambda i: hierarchy.rows[i][::-1])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return _Attribute(column, rank[leaf], len(order), hierarchy=hierarchy, leaf=leaf)


def _sensitive(
    table: pl.DataFrame, request: Request
) -> tuple[IntArray | None, FloatArray | None, int]:
    if request.sensitive is None:
        return None, None, 0
    series = table.get_column(request.sensitive)
    if request.ordered and series.null_count():
        raise AnonymizationInvalid(request.sensitive, "ordered distance needs every value")
    values = series.unique().sort(nulls_last=True)
    codes = series.replace_strict(values, range(len(values)), return_dtype=pl.Int64).to_numpy()
    overall = np.bincount(codes, minlength=len(values)) / table.height
    return codes.astype(np.int64), overall, len(values)


def _partition(
    ordinals: IntArray,
    spans: FloatArray,
    models: tuple[PrivacyModel, ...],
    sensitive: IntArray | None,
    card: int,
) -> IntArray:
    """Each row's final partition number."""
    n = len(ordinals)
    part = np.zeros(n, dtype=np.int64)
    stack = [np.arange(n)]
    final = 0
    while stack:
        rows = stack.pop()
        halves = _split(
            ordinals[rows], spans, models, None if sensitive is None else sensitive[rows], card
        )
        if halves is None:
            part[rows] = final
            final += 1
        else:
            stack.append(rows[halves])
            stack.append(rows[~halves])
    return part


def _split(
    sub: IntArray,
    spans: FloatArray,
    models: tuple[PrivacyModel, ...],
    sensitive: IntArray | None,
    card: int,
) -> npt.NDArray[np.bool_] | None:
    """A mask of the left half of an allowable median cut, or None if there is none."""
    low, high = sub.min(axis=0), sub.max(axis=0)
    width = (high - low) / spans
    ones = np.ones(len(sub), dtype=np.int64)
    for a in np.argsort(-width, kind="stable"):
        if width[a] <= 0:
            break
        column = sub[:, a]
        median = np.partition(column, (len(column) - 1) // 2)[(len(column) - 1) // 2]
        left: npt.NDArray[np.bool_] = column <= median
        if left.all():
            left = column < median
        ids = (~left).astype(np.int64)
        if not violating(models, Classes(ids, 2, ones, sensitive, card)).any():
            return left
    return None


def _release(
    table: pl.DataFrame,
    request: Request,
    models: tuple[PrivacyModel, ...],
    attributes: list[_Attribute],
    part: IntArray,
) -> Result:
    n = table.height
    parts = int(part.max()) + 1
    columns, share, precision, entropy, entropy_top = [], [], [], [], []
    for attribute in attributes:
        freq = np.bincount(attribute.ordinal, minlength=attribute.domain).astype(np.float64)
        entropy_top.append(-np.log2(freq[attribute.ordinal] / n))
        if attribute.values is not None:
            label, sh, pr, group = _numeric(attribute, part, parts, freq)
        else:
            label, sh, pr, group = _categorical(attribute, part, parts)
        columns.append(label)
        share.append(sh)
        precision.append(pr)
        entropy.append(-np.log2(freq[attribute.ordinal] / group))
    # Two partitions can be released with the same labels (both generalized to "*"): what a
    # reader sees, and so what the metrics count, are the classes of released values.
    released = pl.DataFrame(columns).select(pl.concat_str(pl.all(), separator="\x1f"))
    _, class_ids = np.unique(released.to_series().to_numpy(), return_inverse=True)
    metrics = summarize(
        quasi=request.quasi,
        weight=np.ones(n, dtype=np.int64),
        suppressed=np.zeros(n, dtype=np.bool_),
        class_ids=class_ids.astype(np.int64),
        share=share,
        precision=precision,
        entropy=entropy,
        entropy_suppressed=entropy_top,
        domains=[a.domain for a in attributes],
        k=request.k,
        height=None,
    )
    return Result(
        table=table.with_columns(columns),
        quasi=request.quasi,
        levels=None,
        metrics=metrics,
        suppressed_rows=(),
        method="mondrian",
        models=request.describe(models),
        metric="none",
    )


def _numeric(
    attribute: _Attribute, part: IntArray, parts: int, freq: FloatArray
) -> tuple[pl.Series, FloatArray, FloatArray, FloatArray]:
    """Labels, share, precision and group frequency of each row's range."""
    assert attribute.values is not None
    low = np.full(parts, attribute.domain, dtype=np.int64)
    high = np.full(parts, -1, dtype=np.int64)
    np.minimum.at(low, part, attribute.ordinal)
    np.maximum.at(high, part, attribute.ordinal)
    lo, hi = low[part], high[part]
    text = attribute.values.cast(pl.String)
    a, b = text.gather(lo), text.gather(hi)
    integral = attribute.values.dtype.is_integer()
    frame = pl.DataFrame({"a": a, "b": b, "same": lo == hi})
    label = frame.select(
        pl.when(pl.col("same"))
        .then(pl.col("a"))
        .otherwise(
            pl.col("a") + "-" + pl.col("b")
            if integral
            else "[" + pl.col("a") + ", " + pl.col("b") + "]"
        )
        .alias(attribute.column)
    ).to_series()
    cumulative = np.concatenate([[0.0], np.cumsum(freq)])
    group = cumulative[hi + 1] - cumulative[lo]
    d = attribute.domain
    return label, (hi - lo + 1) / d, (hi - lo) / max(d - 1, 1), group


def _categorical(
    attribute: _Attribute, part: IntArray, parts: int
) -> tuple[pl.Series, FloatArray, FloatArray, FloatArray]:
    """Labels, share, precision and group frequency of each row's covering hierarchy value."""
    hierarchy, leaf = attribute.hierarchy, attribute.leaf
    assert hierarchy is not None and leaf is not None
    level = np.full(parts, hierarchy.height, dtype=np.int64)
    for lv in range(hierarchy.height - 1, -1, -1):
        codes = hierarchy.codes[lv][leaf]
        low = np.full(parts, np.iinfo(np.int64).max, dtype=np.int64)
        high = np.full(parts, -1, dtype=np.int64)
        np.minimum.at(low, part, codes)
        np.maximum.at(high, part, codes)
        level[low == high] = lv
    row_level = level[part]
    code = np.zeros(len(leaf), dtype=np.int64)
    share = np.zeros(len(leaf))
    group = np.zeros(len(leaf))
    offsets = np.cumsum([0] + [len(x) for x in hierarchy.labels])
    freq = np.bincount(leaf, minlength=len(hierarchy.leaves)).astype(np.float64)
    for lv in range(hierarchy.height + 1):
        rows = row_level == lv
        codes = hierarchy.codes[lv].astype(np.int64)
        under = np.bincount(codes)
        in_group = np.bincount(codes, weights=freq)
        row_codes = codes[leaf[rows]]
        code[rows] = offsets[lv] + row_codes
        share[rows] = under[row_codes] / len(hierarchy.leaves)
        group[rows] = in_group[row_codes]
    flat = pl.Series(attribute.column, [x for labels in hierarchy.labels for x in labels])
    height = max(hierarchy.height, 1)
    return flat.gather(code), share, row_level / height, group
