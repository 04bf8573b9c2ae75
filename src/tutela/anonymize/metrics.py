"""Utility metrics: ARX's Loss, precision, discernibility, C_avg, non-uniform entropy, height.

`summarize` computes every metric from per-record costs (used for full-domain and for local
recoding alike). `Measures` precomputes, per quasi-identifier and level, the per-row costs of
the full-domain search, so that a node's value and a lower bound of it over the whole
lattice are a few vectorised sums.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tutela.anonymize._classes import Classes, IntArray
from tutela.anonymize._encode import Encoded
from tutela.anonymize.result import Metrics

__all__ = ["METRICS", "Measures", "MetricName", "summarize"]

from tutela.anonymize._types import METRICS, MetricName

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def aggregate_loss(x: FloatArray, axis: int = -1) -> FloatArray:
    """ARX's geometric-mean aggregation: prod(1 + x_a)^(1/m) - 1."""
    m = x.shape[axis]
    return np.asarray(np.exp(np.log1p(x).sum(axis=axis) / m) - 1.0)


def normalized_loss(total: FloatArray | float, records: int, domain: int) -> FloatArray:
    """x_a = (S_a - n/|dom|) / (n - n/|dom|) (0 for a one-value domain)."""
    floor = records / domain
    span = records - floor
    return np.asarray((np.asarray(total) - floor) / span if span > 0 else np.zeros_like(total))


def summarize(
    *,
    quasi: Sequence[str],
    weight: IntArray,
    suppressed: BoolArray,
    class_ids: IntArray,
    share: Sequence[FloatArray],
    precision: Sequence[FloatArray],
    entropy: Sequence[FloatArray],
    entropy_suppressed: Sequence[FloatArray],
    domains: Sequence[int],
    k: int,
    height: int | None,
) -> Metrics:
    """Every metric of a release, from per-row costs of each quasi-identifier.

    Args:
        quasi: the quasi-identifiers.
        weight: records each row stands for.
        suppressed: rows that are suppressed.
        class_ids: each row's equivalence class (only released rows are counted).
        share: per quasi-identifier, leaves under the row's value / leaves in the domain.
        precision: per quasi-identifier, the row's generalization in [0, 1] (level/height).
        entropy: per quasi-identifier, -log2 Pr[original | generalized] of the row.
        entropy_suppressed: the same if the row were generalized to the root.
        domains: leaves in each quasi-identifier's domain.
        k: the k of k-anonymity (for C_avg).
        height: the sum of levels (full-domain), or None.
    """
    records = int(weight.sum())
    released = ~suppressed
    w = weight.astype(np.float64)
    n_sup = int(weight[suppressed].sum())
    m = len(quasi)
    x = np.array(
        [
            float(normalized_loss(float((w * s)[released].sum()) + n_sup, records, d))
            for s, d in zip(share, domains, strict=True)
        ]
    )
    general = sum(float((w * p)[released].sum()) for p in precision) + n_sup * m
    nue = sum(
        float((w * e)[released].sum() + (w * es)[suppressed].sum())
        for e, es in zip(entropy, entropy_suppressed, strict=True)
    )
    nue_max = sum(float((w * es).sum()) for es in entropy_suppressed)
    sizes = np.bincount(class_ids[released], weights=w[released])
    sizes = sizes[sizes > 0]
    classes = len(sizes)
    avg = (records - n_sup) / classes if classes else 0.0
    return Metrics(
        loss=float(aggregate_loss(x)) if m else 0.0,
        loss_per_attribute=dict(zip(quasi, map(float, x), strict=True)),
        height=height,
        precision=1.0 - general / (records * m) if records and m else 1.0,
        discernibility=round(float((sizes**2).sum())) + n_sup * records,
        avg_class_size=avg,
        c_avg=avg / max(k, 1),
        non_uniform_entropy=nue,
        non_uniform_entropy_normalized=nue / nue_max if nue_max > 0 else 0.0,
        classes=classes,
        suppressed=n_sup,
        suppressed_share=n_sup / records if records else 0.0,
        records=records,
    )


class Measures:
    """Per-row costs of every quasi-identifier at every level, for the full-domain search."""

    def __init__(self, encoded: Encoded) -> None:
        self.encoded = encoded
        n = encoded.records
        w = encoded.weight.astype(np.float64)
        self.records = n
        self.domains = [len(h.leaves) for h in encoded.hierarchies]
        self.heights = [h.height for h in encoded.hierarchies]
        self.share: list[list[FloatArray]] = []
        self.entropy: list[list[FloatArray]] = []
        self.entropy_top: list[FloatArray] = []
        deepest = max(self.heights, default=0) + 1
        self.share_sum = np.zeros((len(self.domains), deepest))
        self.entropy_sum = np.zeros((len(self.domains), deepest))
        for a, h in enumerate(encoded.hierarchies):
            leaf = encoded.leaf[a]
            freq = np.bincount(leaf, weights=w, minlength=len(h.leaves)).astype(np.float64)
            self.entropy_top.append(_neglog2(freq, np.full_like(freq, n))[leaf])
            shares, entropies = [], []
            for level in range(h.height + 1):
                codes = h.codes[level]
                under = np.bincount(codes)[codes] / len(h.leaves)
                group = np.bincount(codes, weights=freq)[codes].astype(np.float64)
                shares.append(under[leaf])
                entropies.append(_neglog2(freq, group)[leaf])
                self.share_sum[a, level] = float((w * shares[-1]).sum())
                self.entropy_sum[a, level] = float((w * entropies[-1]).sum())
            self.share.append(shares)
            self.entropy.append(entropies)

    def lower_bounds(self, metric: MetricName, nodes: IntArray, k: int) -> FloatArray:
        """A lower bound of `metric` for every node (rows of levels), exact without suppression
        for loss, precision, height and entropy (a suppressed record costs at least as much as
        any generalization of it)."""
        cols = np.arange(nodes.shape[1])
        if metric == "loss":
            x = np.stack(
                [
                    normalized_loss(self.share_sum[a, nodes[:, a]], self.records, self.domains[a])
                    for a in cols
                ],
                axis=1,
            )
            return aggregate_loss(x, axis=1)
        if metric == "precision":
            h = np.maximum(np.array(self.heights), 1)
            return np.asarray((nodes / h).mean(axis=1), dtype=np.float64)
        if metric == "height":
            return np.asarray(nodes.sum(axis=1), dtype=np.float64)
        if metric == "entropy":
            return np.asarray(self.entropy_sum[cols, nodes].sum(axis=1), dtype=np.float64)
        if metric == "discernibility":
            return np.full(len(nodes), float(self.records * max(k, 1)))
        return np.ones(len(nodes))  # avg_class_size: released / classes >= k

    def value(
        self, metric: MetricName, levels: Sequence[int], classes: Classes, bad: BoolArray, k: int
    ) -> float:
        """The exact value of `metric` for a node whose violating classes `bad` are suppressed."""
        sup = bad[classes.ids]
        w = classes.weight.astype(np.float64)
        n_sup = float(w[sup].sum())
        n, m = self.records, len(levels)
        if metric == "loss":
            x = np.array(
                [
                    float(
                        normalized_loss(
                            self.share_sum[a, lv]
                            - float((w * self.share[a][lv])[sup].sum())
                            + n_sup,
                            n,
                            self.domains[a],
                        )
                    )
                    for a, lv in enumerate(levels)
                ]
            )
            return float(aggregate_loss(x))
        if metric == "precision":
            frac = sum(lv / h for lv, h in zip(levels, self.heights, strict=True) if h)
            return ((n - n_sup) * frac + n_sup * m) / (n * m)
        if metric == "height":
            return float(sum(levels))
        if metric == "entropy":
            return float(
                sum(
                    self.entropy_sum[a, lv]
                    - (w * self.entropy[a][lv])[sup].sum()
                    + (w * self.entropy_top[a])[sup].sum()
                    for a, lv in enumerate(levels)
                )
            )
        sizes = classes.sizes[~bad]
        if metric == "discernibility":
            return float((sizes.astype(np.float64) ** 2).sum() + n_sup * n)
        return (n - n_sup) / max(len(sizes), 1) / max(k, 1)

    def metrics(self, levels: Sequence[int], classes: Classes, bad: BoolArray, k: int) -> Metrics:
        """Every metric of the node."""
        return summarize(
            quasi=self.encoded.quasi,
            weight=self.encoded.weight,
            suppressed=bad[classes.ids],
            class_ids=classes.ids,
            share=[self.share[a][lv] for a, lv in enumerate(levels)],
            precision=[
                np.full(len(classes.ids), lv / h if h else 0.0)
                for lv, h in zip(levels, self.heights, strict=True)
            ],
            entropy=[self.entropy[a][lv] for a, lv in enumerate(levels)],
            entropy_suppressed=self.entropy_top,
            domains=self.domains,
            k=k,
            height=int(sum(levels)),
        )


def _neglog2(part: FloatArray, whole: FloatArray) -> FloatArray:
    """-log2(part / whole), 0 where part is 0 (a leaf absent from the data costs nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.log2(part / whole)
    return np.where(part > 0, out, 0.0)
