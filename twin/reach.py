"""Times from one node to the nodes around it (a searched ball), and the street matrix
read both ways, for :mod:`twin.travel`."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

_ENTRY_BYTES = 200  # bookkeeping counted per cached ball
_INF = float("inf")

Choice = tuple[int, float, float]
"""(worker or -1, time it was ranked by [min], time to report [min])."""


def symmetric(adjacency: csr_matrix) -> csr_matrix:
    """Both directions of every street, the shorter of parallel ones; no self-loops.
    Zero-length streets stay as explicit zeros (scipy treats them as edges)."""
    coo = adjacency.tocoo()
    rows = np.concatenate([coo.row, coo.col]).astype(np.int64)
    cols = np.concatenate([coo.col, coo.row]).astype(np.int64)
    data = np.concatenate([coo.data, coo.data]).astype(np.float64)
    off = rows != cols
    rows, cols, data = rows[off], cols[off], data[off]
    order = np.lexsort((data, cols, rows))  # by row, column, then length: shortest first
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    n = adjacency.shape[0]
    graph = csr_matrix((data[first], (rows[first], cols[first])), shape=(n, n))
    graph.sort_indices()
    return graph


def exact_sums(lengths: np.ndarray) -> bool:
    """Whether every sum of street lengths is exact in float64: all lengths are whole
    multiples of 1/1024 m and all of them together stay below 2**53 such steps. Then
    a shortest distance does not depend on the order of its additions, so the time
    from a to b is bit-identical to the time from b to a."""
    steps = np.asarray(lengths, dtype=np.float64) * 1024.0
    return bool(len(steps) and np.isfinite(steps).all() and (steps == np.floor(steps)).all()
                and float(steps.sum()) < 2.0**53)


class Reach:
    """Travel times [min] from one node to every node within ``radius`` minutes.

    Every node outside is at least ``radius`` away (``inf``: the whole map is
    known). Inside or not, :meth:`take` and :meth:`at` give ``inf`` for unknown
    nodes, which never understates a time.
    """

    __slots__ = ("radius", "_row", "_nodes", "_times", "_scratch", "limit", "nbytes")

    def __init__(self, radius: float, limit: float, row: np.ndarray | None,
                 nodes: np.ndarray | None = None, times: np.ndarray | None = None,
                 scratch: np.ndarray | None = None) -> None:
        self.radius = radius
        self._scratch = scratch  # a shared all-inf row of n, borrowed while taking
        self.limit = limit
        """Search limit [m] the ball was found with (inf: unbounded)."""
        self._row = row
        self._nodes = nodes
        self._times = times
        if row is not None:
            self.nbytes = row.nbytes + _ENTRY_BYTES
        else:
            assert nodes is not None and times is not None
            self.nbytes = nodes.nbytes + times.nbytes + _ENTRY_BYTES

    @classmethod
    def of_distances(cls, dist: np.ndarray, speed: float, limit: float,
                     scratch: np.ndarray | None = None) -> Reach:
        """A ball from one bounded Dijkstra's distances [m] (``inf`` beyond ``limit``)."""
        nodes = np.flatnonzero(dist < _INF)
        if len(nodes) == len(dist):
            return cls(_INF, limit, (dist / speed).astype(np.float32))
        radius = float(np.float32(limit / speed))  # unknown d >= limit, so time >= this
        return cls(radius, limit, None, nodes.astype(np.int32),
                   (dist[nodes] / speed).astype(np.float32), scratch)

    def take(self, nodes: np.ndarray) -> np.ndarray:
        """Times to ``nodes`` [min] (float32; ``inf`` outside the ball)."""
        if self._row is not None:
            return self._row.take(nodes)
        assert self._nodes is not None and self._times is not None
        if len(self._nodes) == 0:
            return np.full(len(nodes), np.inf, dtype=np.float32)
        scratch = self._scratch
        if scratch is not None:  # scatter, gather, restore: O(ball + asked)
            scratch[self._nodes] = self._times
            out = scratch.take(nodes)
            scratch[self._nodes] = np.inf
            return out
        idx = np.searchsorted(self._nodes, nodes)
        np.minimum(idx, len(self._nodes) - 1, out=idx)
        return np.where(self._nodes[idx] == nodes, self._times[idx], np.float32(np.inf))

    def at(self, node: int) -> float:
        """Time to one node [min] (``inf`` outside the ball)."""
        if self._row is not None:
            return self._row.item(node)
        assert self._nodes is not None and self._times is not None
        i = int(np.searchsorted(self._nodes, node))
        if i < len(self._nodes) and self._nodes[i] == node:
            return self._times.item(i)
        return _INF
