"""Privacy models: k-anonymity, l-diversity (distinct, entropy, recursive), t-closeness.

Each model is a small class with a `name` that marks, for every equivalence class at once
(vectorised), whether the class violates it. Records of violating classes are suppressed when
the suppression limit allows, else the transformation is not anonymous.

Monotonicity (generalizing never breaks the model) is what lets the search prune: every
model here is monotone without suppression (merging classes that satisfy it yields a class
that does: for entropy and t-closeness by concavity/convexity). With suppression a class that
satisfies the model may merge with a violating one; k-anonymity and distinct l-diversity still
hold for the merged class, entropy/recursive l-diversity and t-closeness may not.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt

from tutela.anonymize._classes import Classes

BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-12
_CHUNK = 1 << 22  # cells of a dense (classes x values) block for ordered EMD


class PrivacyModel(ABC):
    """A property every released equivalence class must have."""

    name: ClassVar[str]
    needs_sensitive: ClassVar[bool] = True
    monotone_with_suppression: ClassVar[bool] = False

    @abstractmethod
    def violating(self, classes: Classes) -> BoolArray:
        """One flag per class: True if the class violates the model."""

    @abstractmethod
    def describe(self, sensitive: str | None) -> str:
        """A short human description, e.g. `5-anonymity`."""


@dataclass(frozen=True)
class KAnonymity(PrivacyModel):
    """Every class holds at least k records."""

    k: int
    name: ClassVar[str] = "k-anonymity"
    needs_sensitive: ClassVar[bool] = False
    monotone_with_suppression: ClassVar[bool] = True

    def violating(self, classes: Classes) -> BoolArray:
        return classes.sizes < self.k

    def describe(self, sensitive: str | None) -> str:
        return f"{self.k}-anonymity"


@dataclass(frozen=True)
class DistinctLDiversity(PrivacyModel):
    """Every class holds at least l distinct sensitive values."""

    l: int  # noqa: E741
    name: ClassVar[str] = "distinct-l-diversity"
    monotone_with_suppression: ClassVar[bool] = True

    def violating(self, classes: Classes) -> BoolArray:
        cls, _, _ = classes.pairs
        return np.bincount(cls, minlength=classes.count) < self.l

    def describe(self, sensitive: str | None) -> str:
        return f"distinct {self.l}-diversity of '{sensitive}'"


@dataclass(frozen=True)
class EntropyLDiversity(PrivacyModel):
    """The entropy of every class's sensitive values is at least log(l)."""

    l: float  # noqa: E741
    name: ClassVar[str] = "entropy-l-diversity"

    def violating(self, classes: Classes) -> BoolArray:
        cls, _, cnt = classes.pairs
        p = cnt / classes.sizes[cls]
        entropy = np.bincount(cls, weights=-p * np.log(p), minlength=classes.count)
        return entropy < math.log(self.l) - _EPS

    def describe(self, sensitive: str | None) -> str:
        return f"entropy {self.l:g}-diversity of '{sensitive}'"


@dataclass(frozen=True)
class RecursiveCLDiversity(PrivacyModel):
    """r_1 < c * (r_l + ... + r_m), r the class's value counts in decreasing order."""

    c: float
    l: int  # noqa: E741
    name: ClassVar[str] = "recursive-(c,l)-diversity"

    def violating(self, classes: Classes) -> BoolArray:
        cls, _, cnt = classes.pairs
        order = np.lexsort((-cnt, cls))  # by class, then count descending
        cls, cnt = cls[order], cnt[order]
        starts = np.searchsorted(cls, np.arange(classes.count))
        rank = np.arange(len(cls)) - starts[cls]
        top = np.zeros(classes.count, dtype=np.float64)
        top[cls[rank == 0]] = cnt[rank == 0]
        tail = np.bincount(
            cls, weights=np.where(rank >= self.l - 1, cnt, 0), minlength=classes.count
        )
        return ~(top < self.c * tail)

    def describe(self, sensitive: str | None) -> str:
        return f"recursive ({self.c:g},{self.l})-diversity of '{sensitive}'"


@dataclass(frozen=True, eq=False)
class TCloseness(PrivacyModel):
    """The EMD between every class's sensitive distribution and the table's is at most t.

    `distance` "equal": every two values are 1 apart (EMD = half the L1 distance);
    "ordered": values i and j of the m sorted values are |i-j|/(m-1) apart.
    `overall` is the table's distribution over the sensitive codes (codes in sorted order
    for "ordered").
    """

    t: float
    distance: Literal["equal", "ordered"]
    overall: npt.NDArray[np.float64]
    name: ClassVar[str] = "t-closeness"

    def violating(self, classes: Classes) -> BoolArray:
        return self.emd(classes) > self.t + _EPS

    def emd(self, classes: Classes) -> npt.NDArray[np.float64]:
        """Each class's EMD to the overall distribution."""
        q = self.overall
        if self.distance == "equal":
            cls, sens, cnt = classes.pairs
            p = cnt / classes.sizes[cls]
            diff = np.abs(p - q[sens]) - q[sens]
            total = np.bincount(cls, weights=diff, minlength=classes.count)
            return np.asarray(0.5 * (1.0 + total), dtype=np.float64)
        m = len(q)
        if m <= 1:
            return np.zeros(classes.count)
        out = np.empty(classes.count, dtype=np.float64)
        step = max(1, _CHUNK // m)
        for start in range(0, classes.count, step):
            stop = min(classes.count, start + step)
            block = classes.dense(start, stop)
            p = block / block.sum(axis=1, keepdims=True)
            out[start:stop] = np.abs(np.cumsum(p - q, axis=1)[:, :-1]).sum(axis=1) / (m - 1)
        return out

    def describe(self, sensitive: str | None) -> str:
        return f"{self.t:g}-closeness ({self.distance} distance) of '{sensitive}'"


def violating(models: tuple[PrivacyModel, ...], classes: Classes) -> BoolArray:
    """Classes that violate any of the models."""
    bad = np.zeros(classes.count, dtype=np.bool_)
    for model in models:
        bad |= model.violating(classes)
    return bad
