"""Effects grouped by study: the block structure every multilevel computation exploits.

Rows are sorted so each study's effects are contiguous; ``Clusters`` keeps the permutation
(to report in input order) and the block boundaries, and sums over blocks with
``np.add.reduceat`` instead of building k × k matrices.

>>> c = Clusters.from_labels(["b", "a", "b", "c"])
>>> c.n_clusters, c.sizes.tolist(), c.labels
(3, [1, 2, 1], ('a', 'b', 'c'))
>>> c.block_sum(np.array([10.0, 1.0, 2.0, 5.0])[c.order]).tolist()
[1.0, 12.0, 5.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clusters:
    """Row order grouping the effects of each study, and the blocks' boundaries.

    ``order`` sorts input rows by study (stable, so effects keep their order within a
    study); ``starts`` are the first sorted row of each study, ``index`` the study number of
    each sorted row.
    """

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    index: np.ndarray
    labels: tuple[str, ...]

    @classmethod
    def from_labels(cls, study: Sequence[object]) -> Clusters:
        """Group rows by their study label (any hashable; compared as strings)."""
        text = np.asarray([str(s) for s in study], dtype=object)
        labels, codes = np.unique(text, return_inverse=True)
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=len(labels))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        return cls(
            order=order,
            starts=starts,
            sizes=sizes,
            index=np.repeat(np.arange(len(labels)), sizes),
            labels=tuple(str(label) for label in labels),
        )

    @property
    def n_clusters(self) -> int:
        return len(self.sizes)

    @property
    def k(self) -> int:
        return len(self.order)

    def block_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum sorted rows (first axis) within each study."""
        return np.add.reduceat(values, self.starts, axis=0)

    def spread(self, per_cluster: np.ndarray) -> np.ndarray:
        """Repeat a per-study value (first axis) on each of the study's sorted rows."""
        return per_cluster[self.index]

    def blocks(self) -> list[slice]:
        """The sorted rows of each study as slices."""
        return [slice(s, s + n) for s, n in zip(self.starts.tolist(), self.sizes.tolist())]

    def unsort(self, sorted_values: np.ndarray) -> np.ndarray:
        """Put values of sorted rows back in input order."""
        out = np.empty_like(sorted_values)
        out[self.order] = sorted_values
        return out
