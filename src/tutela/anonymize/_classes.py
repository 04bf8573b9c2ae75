"""Equivalence classes of encoded rows: vectorised group-bys on integer codes (numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

_KEY_LIMIT = 1 << 62


def group_ids(
    columns: Sequence[npt.NDArray[np.integer]], cards: Sequence[int]
) -> tuple[IntArray, int]:
    """Dense group ids (0..groups-1, in key order) for rows given per-column integer codes.

    Codes of column j lie in 0..cards[j]-1. The combined key is mixed-radix; it is compressed
    with a sort whenever it would overflow, and counted with `bincount` when its space is
    small compared to the rows (no sort at all).
    """
    size = len(columns[0]) if columns else 0
    key: IntArray = np.zeros(size, dtype=np.int64)
    space = 1
    for column, card in zip(columns, cards, strict=True):
        if space * card >= _KEY_LIMIT:
            key, space = _densify(key, space)
        key = key * card + column
        space *= card
    return _densify(key, space)


def _densify(key: IntArray, space: int) -> tuple[IntArray, int]:
    if space <= 8 * len(key) + 65536:
        present = np.bincount(key, minlength=space) > 0
        remap = np.cumsum(present) - 1
        return remap[key], int(remap[-1]) + 1 if space else 0
    unique, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64, copy=False), len(unique)


@dataclass(frozen=True, eq=False)
class Classes:
    """The equivalence classes of a set of weighted rows (the encoded table's distinct rows).

    Attributes:
        ids: class id of each row.
        count: number of classes.
        weight: records each row stands for.
        sensitive: sensitive code of each row (None without a sensitive attribute).
        sensitive_card: number of distinct sensitive values.
    """

    ids: IntArray
    count: int
    weight: IntArray
    sensitive: IntArray | None = None
    sensitive_card: int = 0

    @cached_property
    def sizes(self) -> IntArray:
        """Records per class."""
        return np.bincount(self.ids, weights=self.weight, minlength=self.count).astype(np.int64)

    @cached_property
    def pairs(self) -> tuple[IntArray, IntArray, IntArray]:
        """(class, sensitive code, records) for each sensitive value present in each class."""
        if self.sensitive is None:
            raise ValueError("no sensitive attribute")
        s = self.sensitive_card
        key = self.ids * s + self.sensitive
        space = self.count * s
        if space <= 8 * len(key) + 65536:
            counts = np.bincount(key, weights=self.weight, minlength=space).astype(np.int64)
            present = np.flatnonzero(counts)
            return present // s, present % s, counts[present]
        unique, inverse = np.unique(key, return_inverse=True)
        counts = np.bincount(inverse, weights=self.weight, minlength=len(unique))
        return unique // s, unique % s, counts.astype(np.int64)

    def dense(self, start: int, stop: int) -> npt.NDArray[np.float64]:
        """Sensitive counts of classes start..stop-1 as a dense (classes, values) matrix."""
        cls, sens, cnt = self.pairs
        lo, hi = np.searchsorted(cls, [start, stop])
        out = np.zeros(((stop - start) * self.sensitive_card,), dtype=np.float64)
        np.add.at(out, (cls[lo:hi] - start) * self.sensitive_card + sens[lo:hi], cnt[lo:hi])
        return out.reshape(stop - start, self.sensitive_card)
