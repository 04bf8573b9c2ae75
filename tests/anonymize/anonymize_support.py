"""An independent checker for anonymization results, in plain Python (no tutela code).

It regroups the released table by its quasi-identifier values and checks every class
against the models from first principles, recomputes the metrics from their definitions, and
can search a small lattice exhaustively. Hierarchies are plain dicts: column -> {leaf: row},
row = [leaf, level 1, ..., top], read here with the csv module.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

Rows = Mapping[str, list[str]]  # leaf -> hierarchy row

ADULT = Path(__file__).parent.parent / "data" / "adult"
ADULT_QI = [
    "age",
    "sex",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
]


def read_arx(path: Path) -> dict[str, list[str]]:
    """An ARX hierarchy file as {leaf: row}."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle, delimiter=";") if row]
    return {row[0]: row for row in rows}


@dataclass(frozen=True)
class Spec:
    """The privacy requirements a release must meet."""

    quasi: Sequence[str]
    k: int = 1
    l: int | None = None  # noqa: E741
    l_variant: str = "distinct"
    c: float | None = None
    t: float | None = None
    ordered: bool = False
    sensitive: str | None = None
    suppression: float = 0.0


def limit(spec: Spec, n: int) -> int:
    """Records that may be suppressed."""
    return int(spec.suppression * n + 1e-9)


def class_ok(sensitive_values: list[Any], spec: Spec, overall: Mapping[Any, Fraction]) -> bool:
    """Does one class (given its records' sensitive values, and size) meet the models?"""
    if len(sensitive_values) < spec.k:
        return False
    counts = Counter(sensitive_values)
    size = len(sensitive_values)
    if spec.l is not None:
        if spec.l_variant == "distinct" and len(counts) < spec.l:
            return False
        if spec.l_variant == "entropy":
            entropy = -sum(v / size * math.log(v / size) for v in counts.values())
            if entropy < math.log(spec.l) - 1e-9:
                return False
        if spec.l_variant == "recursive":
            r = sorted(counts.values(), reverse=True)
            assert spec.c is not None
            if not Fraction(r[0]) < Fraction(spec.c) * sum(r[spec.l - 1 :]):
                return False
    return spec.t is None or emd(counts, size, overall, spec.ordered) <= Fraction(spec.t)


def emd(
    counts: Mapping[Any, int], size: int, overall: Mapping[Any, Fraction], ordered: bool
) -> Fraction:
    """Earth mover's distance to the overall distribution, exactly (Fractions)."""
    values = sorted(overall)
    diff = [Fraction(counts.get(v, 0), size) - overall[v] for v in values]
    if not ordered:
        return sum((abs(d) for d in diff), Fraction(0)) / 2
    if len(values) <= 1:
        return Fraction(0)
    running, total = Fraction(0), Fraction(0)
    for d in diff[:-1]:
        running += d
        total += abs(running)
    return total / (len(values) - 1)


def distribution(values: list[Any]) -> dict[Any, Fraction]:
    counts = Counter(values)
    return {v: Fraction(c, len(values)) for v, c in counts.items()}


def check_release(
    original: pl.DataFrame,
    result: Any,
    spec: Spec,
    hierarchies: Mapping[str, Rows] | None = None,
) -> None:
    """Assert that `result` (a tutela Result) is a valid release of `original` under `spec`."""
    rows = original.rows(named=True)
    n = len(rows)
    suppressed = set(result.suppressed_rows)
    assert len(suppressed) <= limit(spec, n)
    kept = [row for i, row in enumerate(rows) if i not in suppressed]
    released = result.table.rows(named=True)
    assert len(released) == len(kept)
    assert result.table.columns == original.columns
    others = [col for col in original.columns if col not in spec.quasi]
    for before, after in zip(kept, released, strict=True):
        for col in others:
            assert before[col] == after[col]
        for q in spec.quasi:
            _check_value(q, before[q], after[q], result.levels, hierarchies)
    overall = distribution([row[spec.sensitive] for row in rows]) if spec.sensitive else {}
    classes: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in released:
        key = tuple(row[q] for q in spec.quasi)
        classes[key].append(row[spec.sensitive] if spec.sensitive else None)
    for values in classes.values():
        assert class_ok(values, spec, overall)
    metrics = result.metrics
    assert metrics.suppressed == len(suppressed)
    assert metrics.records == n
    assert metrics.classes == len(classes)
    sizes = [len(v) for v in classes.values()]
    assert metrics.discernibility == sum(s * s for s in sizes) + len(suppressed) * n
    if classes:
        assert math.isclose(metrics.avg_class_size, len(kept) / len(classes))
    if hierarchies is not None and result.levels is not None:
        levels = [result.levels[q] for q in spec.quasi]
        expected = node_value("loss", rows, spec, hierarchies, levels, suppressed)
        assert math.isclose(metrics.loss, expected, rel_tol=1e-9, abs_tol=1e-12)
        assert metrics.height == sum(levels)


def _check_value(
    q: str, before: Any, after: Any, levels: Mapping[str, int] | None, hierarchies: Any
) -> None:
    if levels is not None:
        assert hierarchies is not None
        assert after == hierarchies[q][str(before)][levels[q]]
    elif isinstance(before, int | float):  # Mondrian range: "a-b", "[a, b]" or the value
        text = after.strip("[]")
        if text == str(before):
            return
        low, high = text.split(", ") if ", " in text else text.split("-", 1)
        assert float(low) <= before <= float(high)
    else:
        assert hierarchies is not None
        assert after in hierarchies[q][str(before)]


def node_value(
    metric: str,
    rows: list[dict[str, Any]],
    spec: Spec,
    hierarchies: Mapping[str, Rows],
    levels: Sequence[int],
    suppressed: set[int],
) -> float:
    """The metric of the full-domain release at `levels`, from its definition."""
    n, m = len(rows), len(spec.quasi)
    n_sup = len(suppressed)
    released = [row for i, row in enumerate(rows) if i not in suppressed]
    if metric == "height":
        return float(sum(levels))
    if metric == "loss":
        x = []
        for q, level in zip(spec.quasi, levels, strict=True):
            h = hierarchies[q]
            dom = len(h)
            under = Counter(row[level] for row in h.values())
            total = sum(under[h[str(r[q])][level]] / dom for r in released) + n_sup
            floor = n / dom
            x.append((total - floor) / (n - floor) if n - floor > 0 else 0.0)
        return math.prod(1 + v for v in x) ** (1 / m) - 1
    if metric == "precision":
        heights = [len(next(iter(hierarchies[q].values()))) - 1 for q in spec.quasi]
        frac = sum(lv / h for lv, h in zip(levels, heights, strict=True) if h)
        return ((n - n_sup) * frac + n_sup * m) / (n * m)
    if metric == "entropy":
        total = 0.0
        for q, level in zip(spec.quasi, levels, strict=True):
            h = hierarchies[q]
            leaf_freq = Counter(str(r[q]) for r in rows)
            group_freq = Counter(h[str(r[q])][level] for r in rows)
            for i, r in enumerate(rows):
                leaf = str(r[q])
                group = n if i in suppressed else group_freq[h[leaf][level]]
                total += -math.log2(leaf_freq[leaf] / group)
        return total
    sizes = Counter(
        tuple(hierarchies[q][str(r[q])][lv] for q, lv in zip(spec.quasi, levels, strict=True))
        for r in released
    ).values()
    if metric == "discernibility":
        return float(sum(s * s for s in sizes) + n_sup * n)
    assert metric == "avg_class_size"
    return (n - n_sup) / max(len(sizes), 1) / max(spec.k, 1)


def transform(
    rows: list[dict[str, Any]], spec: Spec, hierarchies: Mapping[str, Rows], levels: Sequence[int]
) -> set[int] | None:
    """The rows suppressed at `levels`, or None if the node is not anonymous."""
    overall = distribution([r[spec.sensitive] for r in rows]) if spec.sensitive else {}
    classes: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        key = tuple(hierarchies[q][str(r[q])][lv] for q, lv in zip(spec.quasi, levels, strict=True))
        classes[key].append(i)
    suppressed: set[int] = set()
    for members in classes.values():
        values = [rows[i][spec.sensitive] if spec.sensitive else None for i in members]
        if not class_ok(values, spec, overall):
            suppressed.update(members)
    return suppressed if len(suppressed) <= limit(spec, len(rows)) else None


def exhaustive(
    original: pl.DataFrame, spec: Spec, hierarchies: Mapping[str, Rows], metric: str
) -> tuple[float, list[tuple[int, ...]]] | None:
    """The best value of `metric` over every node of the lattice and the nodes reaching it
    (within 1e-9), or None if no node is anonymous."""
    rows = original.rows(named=True)
    heights = [len(next(iter(hierarchies[q].values()))) - 1 for q in spec.quasi]
    scored = []
    for levels in itertools.product(*(range(h + 1) for h in heights)):
        suppressed = transform(rows, spec, hierarchies, levels)
        if suppressed is not None:
            scored.append((node_value(metric, rows, spec, hierarchies, levels, suppressed), levels))
    if not scored:
        return None
    best = min(v for v, _ in scored)
    return best, [lv for v, lv in scored if v <= best + 1e-9 * max(1.0, abs(best))]


def result_value(metric: str, metrics: Any) -> float:
    """The value of `metric` (as minimised) in a tutela Metrics."""
    return {
        "loss": metrics.loss,
        "precision": 1 - metrics.precision,
        "height": metrics.height,
        "discernibility": metrics.discernibility,
        "avg_class_size": metrics.c_avg,
        "entropy": metrics.non_uniform_entropy,
    }[metric]
