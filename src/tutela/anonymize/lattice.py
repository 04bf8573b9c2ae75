"""The generalization lattice: every vector of levels, one level per quasi-identifier.

Node i is the levels vector at row i of `nodes` (mixed-radix order, the first quasi-identifier
most significant). Node a is a successor of b (more general) if every level of a is >= b's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from tutela.anonymize._classes import IntArray


@dataclass(frozen=True, eq=False)
class Lattice:
    """All full-domain transformations for quasi-identifiers of the given heights."""

    heights: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of nodes: prod(height + 1)."""
        return int(np.prod([h + 1 for h in self.heights], dtype=np.int64))

    @cached_property
    def nodes(self) -> IntArray:
        """(size, m) levels of every node."""
        shape = tuple(h + 1 for h in self.heights)
        grid = np.indices(shape, dtype=np.int64).reshape(len(shape), -1)
        return np.ascontiguousarray(grid.T)

    @cached_property
    def _radix(self) -> IntArray:
        dims = [h + 1 for h in self.heights]
        radix = np.ones(len(dims), dtype=np.int64)
        for a in range(len(dims) - 2, -1, -1):
            radix[a] = radix[a + 1] * dims[a + 1]
        return radix

    def index(self, levels: Sequence[int]) -> int:
        """The node number of a levels vector."""
        return int(np.dot(np.asarray(levels, dtype=np.int64), self._radix))

    @property
    def top(self) -> int:
        """The most general node."""
        return self.size - 1

    def successors(self, node: int) -> npt.NDArray[np.bool_]:
        """Mask of the node and every more general node."""
        return np.asarray((self.nodes >= self.nodes[node]).all(axis=1))

    def predecessors(self, node: int) -> npt.NDArray[np.bool_]:
        """Mask of the node and every more specific node."""
        return np.asarray((self.nodes <= self.nodes[node]).all(axis=1))

    def up(self, node: int) -> list[int]:
        """The direct successors: one quasi-identifier one level higher."""
        levels = self.nodes[node]
        return [node + int(self._radix[a]) for a, h in enumerate(self.heights) if levels[a] < h]
