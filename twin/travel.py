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
  by bytes, least recently used first out; balls of pinned nodes (the staff's
  bases, which every walk back to base reads) go out only when no other is left.

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

from twin.reach import Choice, Reach, exact_sums, symmetric

__all__ = ["CACHE_BYTES", "FULL_MATRIX_MAX_NODES", "Choice", "Reach", "TravelTimes",
           "exact_sums", "symmetric"]

FULL_MATRIX_MAX_NODES = 4_000
"""Maps with at most this many nodes keep the full travel-time matrix (64 MB at 4,000)."""
CACHE_BYTES = 64 * 2**20
"""Default bound of the cache of searched balls [bytes]."""
_BLOCK_BYTES = 32 * 2**20  # float64 scratch per block of matrix rows or subset searches
_WIDEN = 4.0
_INF = float("inf")
_SMALL_BALL = 150  # nodes a Python search may settle before scipy takes over

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
        self._pinned: OrderedDict[int, Reach] = OrderedDict()
        self._pins: set[int] = set()
        self.searches = 0
        """Dijkstra searches run so far (diagnostics)."""
        self._typical = 0.0  # remembered radius of nearest-idle searches [min]
        self._chord_bound = False
        self._total = 0.0
        self._scratch: np.ndarray | None = None
        self._lists: tuple[list[int], list[int], list[float]] | None = None
        self._too_far = _INF  # smallest limit [m] a Python search found too wide
        self._exact = False

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
            self._exact = exact_sums(lengths)
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
        ball = self._cached(node)
        # exact either way: every node within the search limit [m] was found (the radius
        # [min] is that limit rounded down to float32, often just below the one asked)
        if ball is not None and (ball.radius >= radius or ball.limit >= radius * self._speed):
            return ball
        ball = self._search(node, radius * self._speed)
        self._keep(node, ball)
        return ball

    def pin(self, nodes: set[int]) -> None:
        """Keep the balls of ``nodes`` (a run's bases) before any other when the cache
        is full; nodes pinned before (another run on the same map) are pinned no more."""
        for node in self._pins - nodes:
            ball = self._pinned.pop(node, None)
            if ball is not None:
                self._balls[node] = ball
        self._pins = set(nodes)
        for node in nodes & self._balls.keys():
            self._pinned[node] = self._balls.pop(node)

    def _cached(self, node: int) -> Reach | None:
        """The cached ball of ``node`` (now the most recently used), or None."""
        balls = self._pinned if node in self._pins else self._balls
        ball = balls.get(node)
        if ball is not None:
            balls.move_to_end(node)
        return ball

    def _keep(self, node: int, ball: Reach) -> None:
        balls = self._pinned if node in self._pins else self._balls
        old = balls.pop(node, None)
        if old is not None:
            self.cached_bytes -= old.nbytes
        if ball.nbytes > self.cache_bytes:
            return
        balls[node] = ball
        self.cached_bytes += ball.nbytes
        while self.cached_bytes > self.cache_bytes:
            _node, gone = (self._balls or self._pinned).popitem(last=False)
            self.cached_bytes -= gone.nbytes

    def cached(self) -> list[Reach]:
        """The balls in the cache (diagnostics)."""
        return [*self._balls.values(), *self._pinned.values()]

    @property
    def symmetric(self) -> bool:
        """Whether the time from a to b is bit-identical to the time from b to a
        (every sum of lengths is exact: :func:`exact_sums`)."""
        graph = self.graph  # noqa: F841 - sets the flag
        return self._exact

    def between(self, a: int, b: int) -> float:
        """Travel time from node ``a`` to node ``b`` [min]."""
        matrix = self.matrix
        if matrix is not None:
            return float(matrix[a, b])
        ball = self._cached(a)
        if ball is not None:
            t = ball.at(b)
            if t < _INF:
                return t
        graph = self.graph  # noqa: F841 - sets the chord bound and the typical radius
        if self._exact:  # b's ball serves too; widen the one that is already searched
            other = self._cached(b)
            if other is not None:
                t = other.at(a)
                if t < _INF:
                    return t
                if ball is None or other.radius > ball.radius:
                    a, b = b, a
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

    def towards(self, node: int, sources: list[int]) -> Reach:
        """Times from ``node`` to each of ``sources`` [min], found from the sources'
        own balls (which recur: bases, stations) when :attr:`symmetric`, else around
        ``node``. Other nodes read ``inf``; the reach claims the whole map (radius
        ``inf``), so give every node a choice may read."""
        matrix = self.matrix
        if matrix is not None:
            return Reach(_INF, _INF, matrix[node])
        sources = sorted(set(sources))
        times = ([self.between(p, node) for p in sources] if self._exact
                 else [self.between(node, p) for p in sources])
        if self._scratch is None:
            self._scratch = np.full(self.n, np.inf, dtype=np.float32)
        return Reach(_INF, _INF, None, np.array(sources, dtype=np.int32),
                     np.array(times, dtype=np.float32), self._scratch)

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
