"""Globally optimal full-domain search over the lattice, with pruning.

Nodes are visited in increasing order of a lower bound of the metric; the search stops when
the next bound cannot beat the best anonymous node found, so the answer is the global optimum.
Two kinds of pruning keep the number of group-bys small:

- Predictive tagging (ARX's Flash/OLA), when the privacy models are monotone under the
  suppression setting: an anonymous node makes all its successors anonymous, a non-anonymous
  node all its predecessors non-anonymous. An unknown node is resolved by a binary search
  along a path from it towards the top, which tags large parts of the lattice at once.
- Metric monotonicity, without suppression: a successor of an anonymous node is never better,
  so it is dropped. When the bound is exact (Loss, precision, height and entropy without
  suppression), an anonymous node's value is its bound and needs no group-by.

Where monotonicity does not hold (entropy/recursive l-diversity or t-closeness with
suppression), every node under the bound is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tutela.anonymize.lattice import Lattice
from tutela.anonymize.result import SearchStats

UNKNOWN, ANONYMOUS, NOT_ANONYMOUS = 0, 1, 2

Evaluate = Callable[[int], "Evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """A node's anonymity and, if anonymous, its exact metric value."""

    anonymous: bool
    value: float


@dataclass(frozen=True)
class Outcome:
    """The optimal node (None if no node is anonymous), its value and search statistics."""

    node: int | None
    value: float
    stats: SearchStats


def optimal(
    lattice: Lattice,
    lower: npt.NDArray[np.float64],
    evaluate: Evaluate,
    *,
    monotone: bool,
    metric_monotone: bool,
    bound_exact: bool,
) -> Outcome:
    """Find the anonymous node with the least metric value.

    Args:
        lattice: the lattice.
        lower: a lower bound of the metric for every node.
        evaluate: computes a node's anonymity and exact value (one group-by).
        monotone: anonymity is monotone (tagging is sound).
        metric_monotone: the metric never improves from a node to its successors.
        bound_exact: for anonymous nodes, `lower` is the exact value.
    """
    search = _Search(lattice, lower, evaluate, monotone)
    heights = lattice.nodes.sum(axis=1)
    order = np.lexsort((np.arange(lattice.size), heights, lower))
    dominated = np.zeros(lattice.size, dtype=np.bool_)
    best, best_node = np.inf, None
    for node in map(int, order):
        if lower[node] >= best:
            break
        if dominated[node] or search.status[node] == NOT_ANONYMOUS:
            continue
        if search.status[node] == UNKNOWN:
            search.resolve(node)
        if search.status[node] != ANONYMOUS:
            continue
        value = float(lower[node]) if bound_exact else search.value(node)
        if metric_monotone:
            dominated |= lattice.successors(node)
        if value < best:
            best, best_node = value, node
    anonymous = sum(e.anonymous for e in search.cache.values())
    stats = SearchStats(lattice.size, len(search.cache), anonymous)
    return Outcome(best_node, best, stats)


class _Search:
    """Node states, the evaluation cache and tagging."""

    def __init__(
        self,
        lattice: Lattice,
        lower: npt.NDArray[np.float64],
        evaluate: Evaluate,
        monotone: bool,
    ) -> None:
        self.lattice = lattice
        self.lower = lower
        self.evaluate = evaluate
        self.monotone = monotone
        self.status = np.zeros(lattice.size, dtype=np.int8)
        self.cache: dict[int, Evaluation] = {}

    def check(self, node: int) -> int:
        """Evaluate a node (once) and tag it, and with monotone models its neighbours."""
        result = self.cache.get(node)
        if result is None:
            result = self.cache[node] = self.evaluate(node)
        if not self.monotone:
            self.status[node] = ANONYMOUS if result.anonymous else NOT_ANONYMOUS
        elif result.anonymous:
            mask = self.lattice.successors(node) & (self.status == UNKNOWN)
            self.status[mask] = ANONYMOUS
        else:
            mask = self.lattice.predecessors(node) & (self.status == UNKNOWN)
            self.status[mask] = NOT_ANONYMOUS
        return int(self.status[node])

    def value(self, node: int) -> float:
        """The exact value of an anonymous node (evaluating it if it was only tagged)."""
        self.check(node)
        return self.cache[node].value

    def resolve(self, node: int) -> None:
        """Decide whether `node` is anonymous, with a binary search up a path if monotone."""
        if not self.monotone:
            self.check(node)
            return
        path = [node]
        while self.status[path[-1]] != ANONYMOUS:
            up = self.lattice.up(path[-1])
            if not up:
                break
            path.append(min(up, key=lambda n: (self.lower[n], n)))
        last = len(path) - 1
        if self.status[path[last]] == UNKNOWN and self.check(path[last]) == NOT_ANONYMOUS:
            return  # the whole path lies below a non-anonymous node
        low, high = 0, last  # the first anonymous node of the path is in [low, high]
        while low < high:
            mid = (low + high) // 2
            state = self.status[path[mid]]
            if state == UNKNOWN:
                state = self.check(path[mid])
            if state == ANONYMOUS:
                high = mid
            else:
                low = mid + 1
