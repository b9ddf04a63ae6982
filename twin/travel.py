"""Shortest travel times on the street network [min], exact and without n x n memory.

A travel time is ``float32(metres / speed)`` of the shortest street distance
found by scipy's Dijkstra. Streets are walked both ways: the network is held
as one symmetric CSR matrix (the shorter of parallel streets), built once, so
no search pays for a transpose.

* Small maps (at most :data:`FULL_MATRIX_MAX_NODES` nodes) keep the full
  matrix, built on first use in float32 blocks of rows (no float64 n x n copy).
* Larger maps search around a node only as far as needed: a Dijkstra bounded
  by a radius (``limit=``) finds every node within it exactly and proves all
  others farther. The nearest idle worker is searched in a ball that widens
  (x4) until a worker lies strictly inside it or the ball covers the map; a
  point-to-point leg widens from a lower bound (the straight line, where every
  street is at least as long as its chord). Balls are kept in a cache bounded
  by bytes, least recently used first out.

Both ways give bit-identical times: Dijkstra's distances are the unique
solution of ``d[v] = min over neighbours u of d[u] + w(u, v)`` in floating
point, and a node within the radius has all its shortest-path predecessors
within it too.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from heapq import heappop, heappush

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

FULL_MATRIX_MAX_NODES = 4_000
"""Maps with at most this many nodes keep the full travel-time matrix (64 MB at 4,000)."""
CACHE_BYTES = 64 * 2**20
"""Default bound of the cache of searched balls [bytes]."""
_BLOCK_BYTES = 32 * 2**20  # float64 scratch per block of matrix rows or subset searches
_ENTRY_BYTES = 200  # bookkeeping counted per cached ball
_WIDEN = 4.0
_INF = float("inf")
_SMALL_BALL = 1_500  # nodes a Python search may settle before scipy takes over

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


class TravelTimes:
    """Shortest travel times between node indices [min].

    Parameters
    ----------
    adjacency
        Street lengths [m] between node indices (read both ways).
    speed
        Walking speed [m/min].
    xy
        Node coordinates [m], shape (n, 2), for straight-line lower bounds (optional).
    cache_bytes
        Bound of the cache of searched balls [bytes].
    """

    def __init__(self, adjacency: csr_matrix, speed: float, xy: np.ndarray | None = None,
                 cache_bytes: int = CACHE_BYTES) -> None:
        self._adj = adjacency
        self._speed = float(speed)
        self.n = int(adjacency.shape[0])
        self.full = self.n <= FULL_MATRIX_MAX_NODES
        """Whether the full matrix is used (built on first use)."""
        self._graph: csr_matrix | None = None
        self._matrix: np.ndarray | None = None
        self._xy = xy
        self.cache_bytes = int(cache_bytes)
        self.cached_bytes = 0
        self._balls: OrderedDict[int, Reach] = OrderedDict()
        self.searches = 0
        """Dijkstra searches run so far (diagnostics)."""
        self._typical = 0.0  # remembered radius of nearest-idle searches [min]
        self._chord_bound = False
        self._total = 0.0
        self._scratch: np.ndarray | None = None
        self._lists: tuple[list[int], list[int], list[float]] | None = None
        self._too_far = _INF  # smallest limit [m] a Python search found too wide

    # ----------------------------------------------------------- building
    @property
    def graph(self) -> csr_matrix:
        """The symmetric street matrix [m], built on first use."""
        if self._graph is None:
            graph = symmetric(self._adj)
            self._graph = graph
            self._total = float(graph.data.sum())
            lengths = graph.data
            self._typical = 4.0 * float(lengths.mean()) / self._speed if len(lengths) else 1.0
            if self._xy is not None and len(lengths):
                rows = np.repeat(np.arange(self.n), np.diff(graph.indptr))
                chord = np.hypot(*(self._xy[rows] - self._xy[graph.indices]).T)
                self._chord_bound = bool((lengths >= chord).all())
        return self._graph

    def built(self) -> bool:
        """Whether any travel time has been computed yet (the matrix or a search)."""
        return self._matrix is not None or self.searches > 0

    @property
    def matrix(self) -> np.ndarray | None:
        """The full matrix [min] (float32, n x n) on small maps, else None."""
        if self._matrix is None and self.full:
            n, graph = self.n, self.graph
            out = np.empty((n, n), dtype=np.float32)
            block = max(1, _BLOCK_BYTES // (8 * max(n, 1)))
            for start in range(0, n, block):
                stop = min(n, start + block)
                dist = dijkstra(graph, directed=True, indices=np.arange(start, stop))
                out[start:stop] = dist / self._speed
                self.searches += 1
            self._matrix = out
        return self._matrix

    def _search(self, node: int, limit: float) -> Reach:
        self.searches += 1
        if limit >= self._total:  # no path is longer than all streets together
            limit = _INF
        if limit < self._too_far:
            ball = self._small_search(node, limit)
            if ball is not None:
                return ball
            self._too_far = limit
        dist = dijkstra(self.graph, directed=True, indices=node, limit=limit, min_only=True)
        if self._scratch is None:
            self._scratch = np.full(self.n, np.inf, dtype=np.float32)
        return Reach.of_distances(dist, self._speed, limit, self._scratch)

    def _small_search(self, node: int, limit: float) -> Reach | None:
        """The ball of radius ``limit`` [m] by a heap Dijkstra in Python, or None if
        it would settle more than ``_SMALL_BALL`` nodes. scipy's call sets up arrays
        of the whole map each time; a ball of a few hundred nodes is cheaper here.
        Same distances: each is the least ``d[u] + w`` over settled neighbours, the
        same float64 sums in any order of settling (addition of a length >= 0 is
        monotone), and the same set: every node with ``d <= limit``."""
        if self._lists is None:
            graph = self.graph
            self._lists = (graph.indptr.tolist(), graph.indices.tolist(),
                           graph.data.astype(np.float64).tolist())
        indptr, indices, lengths = self._lists
        settled: dict[int, float] = {}
        best = {node: 0.0}
        heap = [(0.0, node)]
        budget = _SMALL_BALL
        while heap:
            d, u = heappop(heap)
            if u in settled:
                continue
            settled[u] = d
            budget -= 1
            if budget < 0:
                return None
            for k in range(indptr[u], indptr[u + 1]):
                v = indices[k]
                if v in settled:
                    continue
                dv = d + lengths[k]
                if dv <= limit and dv < best.get(v, _INF):
                    best[v] = dv
                    heappush(heap, (dv, v))
        if len(settled) == self.n:
            row = np.empty(self.n)
            row[list(settled)] = list(settled.values())
            return Reach(_INF, limit, (row / self._speed).astype(np.float32))
        nodes = np.array(sorted(settled), dtype=np.int32)
        times = (np.array([settled[v] for v in nodes.tolist()]) / self._speed
                 ).astype(np.float32)
        if self._scratch is None:
            self._scratch = np.full(self.n, np.inf, dtype=np.float32)
        radius = float(np.float32(limit / self._speed))
        return Reach(radius, limit, None, nodes, times, self._scratch)

    # ------------------------------------------------------------ queries
    def row(self, node: int) -> np.ndarray:
        """Travel times from ``node`` to every node [min] (float32; not cached on large
        maps: prefer :meth:`around`, :meth:`between` or :meth:`among`)."""
        matrix = self.matrix
        if matrix is not None:
            return matrix[node]
        self.searches += 1
        return (dijkstra(self.graph, directed=True, indices=node) / self._speed
                ).astype(np.float32)

    def around(self, node: int, radius: float) -> Reach:
        """Times from ``node`` to at least every node within ``radius`` minutes."""
        matrix = self.matrix
        if matrix is not None:
            return Reach(_INF, _INF, matrix[node])
        ball = self._balls.get(node)
        if ball is not None and ball.radius >= radius:
            self._balls.move_to_end(node)
            return ball
        ball = self._search(node, radius * self._speed)
        self._keep(node, ball)
        return ball

    def _keep(self, node: int, ball: Reach) -> None:
        old = self._balls.pop(node, None)
        if old is not None:
            self.cached_bytes -= old.nbytes
        if ball.nbytes > self.cache_bytes:
            return
        self._balls[node] = ball
        self.cached_bytes += ball.nbytes
        while self.cached_bytes > self.cache_bytes:
            _node, gone = self._balls.popitem(last=False)
            self.cached_bytes -= gone.nbytes

    def between(self, a: int, b: int) -> float:
        """Travel time from node ``a`` to node ``b`` [min]."""
        matrix = self.matrix
        if matrix is not None:
            return float(matrix[a, b])
        ball = self._balls.get(a)
        if ball is not None:
            t = ball.at(b)
            if t < _INF:
                self._balls.move_to_end(a)
                return t
        graph = self.graph  # noqa: F841 - sets the chord bound and the typical radius
        radius = self._typical
        if self._xy is not None:
            chord = math.hypot(*(self._xy[a] - self._xy[b])) / self._speed
            radius = 1.5 * chord if self._chord_bound and chord > 0 else max(radius, chord)
        while True:
            ball = self.around(a, radius)
            t = ball.at(b)
            if t < _INF or ball.radius == _INF:
                return t
            radius = max(radius, ball.radius) * _WIDEN

    def among(self, nodes: np.ndarray) -> np.ndarray:
        """Travel times among ``nodes`` [min], shape (k, k), without full rows of the map."""
        nodes = np.asarray(nodes, dtype=np.int64)
        k = len(nodes)
        if self._matrix is not None:
            return self._matrix[np.ix_(nodes, nodes)]
        graph = self.graph
        out = np.empty((k, k), dtype=np.float32)
        if k == 0:
            return out
        span = 1.0
        if self._xy is not None:
            low, high = self._xy[nodes].min(axis=0), self._xy[nodes].max(axis=0)
            span = max(2.0 * float(np.hypot(*(high - low))), 1.0)
        block = max(1, _BLOCK_BYTES // (8 * max(self.n, 1)))
        for start in range(0, k, block):
            rows = nodes[start:start + block]
            limit = span
            while True:
                if limit >= self._total:
                    limit = _INF
                self.searches += 1
                dist = dijkstra(graph, directed=True, indices=rows, limit=limit)[:, nodes]
                if limit == _INF or np.isfinite(dist).all():
                    break
                limit *= _WIDEN
            out[start:start + block] = dist / self._speed
        return out

    def nearest(self, node: int, choose: Callable[[Reach], Choice]) -> tuple[int, float]:
        """The worker ``choose`` picks from the times around ``node``, exactly as with
        the full row: the ball widens until the pick lies strictly inside it (all
        others are then at least as far, and ``choose`` breaks ties by id) or covers
        the whole map. ``choose`` must treat ``inf`` as "farther than the radius".
        Returns (worker or -1, its reported time)."""
        matrix = self.matrix
        if matrix is not None:
            worker, _rank, t = choose(Reach(_INF, _INF, matrix[node]))
            return worker, t
        graph = self.graph  # noqa: F841 - sets the typical radius
        radius = self._typical
        while True:
            ball = self.around(node, radius)
            worker, rank, t = choose(ball)
            if ball.radius == _INF or (worker >= 0 and rank < ball.radius):
                if worker >= 0 and rank < _INF:
                    self._typical = max(2.0 * rank, self._typical / 2.0, 1e-6)
                return worker, t
            radius = max(radius, ball.radius) * _WIDEN
