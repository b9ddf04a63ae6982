"""Cutting a street network into contiguous grids of balanced weight.

The method, deterministic and free of random numbers:

1. **Recursive bisection.** A connected set of nodes that must hold k regions
   is cut in two, for k // 2 and k - k // 2 regions. Two nodes a and b far
   apart by walking (a: farthest from the set's centre node; b: farthest from
   a) order the nodes by f(v) = d(a, v) - d(b, v), and the threshold on f that
   gives the first part the share k // 2 / k of the weight is taken. Both
   sides of any threshold are connected: f never rises along a shortest path
   to a and never falls along one to b. (Pieces cut off by ties in f go back to
   the other side.) Each part is cut again until every part is one region.
2. **Polishing.** Boundary nodes move, one at a time, from a region to a
   lighter neighbouring region when that lowers the sum of squared deviations
   from the mean weight (the two regions differ by more than the node's
   weight). Among the moves that help most, the node closest (by walking) to
   the receiving region's centre goes first, which keeps grids compact. A node
   whose removal would split its region is never moved, so every region stays
   connected; each move lowers the objective, so the loop ends.

Should a bisection leave a part with fewer nodes than regions (only on tiny,
oddly shaped maps), the fallback grows nearest-seed regions from seeds spread
by farthest-point sampling, shifting additive seed offsets towards balance;
such regions are shortest-path trees and so connected too.

Regions are numbered like lattice blocks: in rows of about sqrt(count)
regions from south to north (by centroid), west to east within a row.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

CUT_TRIES = 16
"""Thresholds tried per bisection (those nearest the wanted weight)."""
OFFSET_STEPS = 60
"""Offset adjustments of the fallback method."""


def partition(adjacency: csr_matrix, xy: np.ndarray, count: int,
              weights: np.ndarray) -> np.ndarray:
    """Region (0..count-1) of every node of a connected street network.

    Parameters
    ----------
    adjacency
        Symmetric n x n matrix of street lengths [m] (zero: no street).
    xy
        Node coordinates [m], shape (n, 2).
    count
        Number of regions, 1 <= count <= n.
    weights
        Node weights to balance (>= 0, positive sum), shape (n,).

    Returns
    -------
    numpy.ndarray
        Region index per node (int64); each region non-empty and connected.
    """
    n = adjacency.shape[0]
    if not 1 <= count <= n:
        raise ValueError(f"count must be from 1 to {n} (got {count})")
    weights = np.asarray(weights, dtype=float)
    adjacency = csr_matrix(adjacency, dtype=float, copy=True)
    # a zero-length street would let two seeds be each other's nearest
    adjacency.data = np.maximum(adjacency.data, 1e-6)
    region = np.zeros(n, dtype=np.int64)
    if not _bisect(adjacency, xy, np.arange(n), count, weights, region, 0):
        region = _grow(adjacency, xy, count, weights)
    seeds = np.array([_centre_node(np.flatnonzero(region == r), xy, weights)
                      for r in range(count)], dtype=np.int64)
    region = _balance(adjacency, region, weights, seeds)
    return _renumber(region, xy, count)


def _bisect(adjacency: csr_matrix, xy: np.ndarray, nodes: np.ndarray, count: int,
            weights: np.ndarray, region: np.ndarray, first: int) -> bool:
    """Cut the connected set ``nodes`` into ``count`` regions numbered from ``first``.

    Two nodes a, b far apart split the set by f = d(a, v) - d(b, v): both
    {f <= t} and {f > t} are connected for any t (f never rises along a shortest
    path to a, never falls along one to b). The threshold gives the first part
    its share of the weight; pieces cut off by ties go back to the other side.
    Returns False if some part would have fewer nodes than regions.
    """
    if count == 1:
        region[nodes] = first
        return True
    k1 = count // 2
    sub = adjacency[nodes][:, nodes]
    w = weights[nodes]
    middle = _centre_node(np.arange(len(nodes)), xy[nodes], w)
    start = dijkstra(sub, directed=False, indices=middle)
    a = int(np.argmax(start))
    da = dijkstra(sub, directed=False, indices=a)
    b = int(np.argmax(da))
    db = dijkstra(sub, directed=False, indices=b)
    order = np.lexsort((da, da - db))
    cum = np.cumsum(w[order])
    want = cum[-1] * k1 / count
    lo, hi = k1 - 1, len(nodes) - (count - k1) - 1
    if lo > hi:
        return False
    best: np.ndarray | None = None
    for cut in lo + np.argsort(np.abs(cum[lo:hi + 1] - want), kind="stable")[:CUT_TRIES]:
        part = np.zeros(len(nodes), dtype=bool)
        part[order[:cut + 1]] = True
        part = _repair(sub, part, a, b)
        if k1 <= part.sum() <= len(nodes) - (count - k1) and (
                best is None or abs(w[part].sum() - want) < abs(w[best].sum() - want)):
            best = part
    if best is None:
        return False
    return (_bisect(adjacency, xy, nodes[best], k1, weights, region, first)
            and _bisect(adjacency, xy, nodes[~best], count - k1, weights, region, first + k1))


def _repair(sub: csr_matrix, part: np.ndarray, a: int, b: int) -> np.ndarray:
    """Keep the piece of ``part`` holding a and of its complement holding b connected."""
    part = part.copy()
    for inside, anchor in ((True, a), (False, b)):
        mask = part if inside else ~part
        members = np.flatnonzero(mask)
        _, label = connected_components(sub[members][:, members], directed=False)
        main = label[np.searchsorted(members, anchor)] if mask[anchor] else np.bincount(
            label).argmax()
        part[members[label != main]] = not inside
    return part


def _grow(adjacency: csr_matrix, xy: np.ndarray, count: int, weights: np.ndarray
          ) -> np.ndarray:
    """Fallback: nearest-seed regions balanced by additive seed offsets."""
    seeds = _farthest_seeds(adjacency, xy, count, weights)
    target = weights.sum() / count
    own = dijkstra(adjacency, directed=False, indices=seeds)
    scale = float(own.min(axis=0).mean())  # mean walk to the nearest seed [m]
    best, best_score = _assign(adjacency, seeds, np.zeros(count)), np.inf
    offsets = np.zeros(count)
    for step in range(OFFSET_STEPS):
        region = _assign(adjacency, seeds, offsets)
        load = np.bincount(region, weights=weights, minlength=count) / target
        score = float(np.abs(load - 1).max())
        if np.bincount(region, minlength=count).min() == 0:
            score = np.inf  # an empty grid is never the best
        if score < best_score - 1e-12:
            best, best_score = region, score
        # heavier regions pay more to join: their share of the map shrinks
        offsets += scale * np.clip(load - 1, -1, 1) / (2 + step)
    return best


def _farthest_seeds(adjacency: csr_matrix, xy: np.ndarray, count: int,
                    weights: np.ndarray) -> np.ndarray:
    every = np.arange(len(xy))
    middle = _centre_node(every, xy, weights)
    nearest = dijkstra(adjacency, directed=False, indices=middle)
    seeds = [int(np.argmax(nearest))]
    nearest = dijkstra(adjacency, directed=False, indices=seeds[0])
    while len(seeds) < count:
        nearest[seeds] = -1.0
        nxt = int(np.argmax(nearest))
        seeds.append(nxt)
        nearest = np.minimum(nearest, dijkstra(adjacency, directed=False, indices=nxt))
    return np.array(seeds, dtype=np.int64)


def _centre_node(nodes: np.ndarray, xy: np.ndarray, weights: np.ndarray) -> int:
    """The node of ``nodes`` nearest their weighted centroid (plain centroid if weightless)."""
    w = weights[nodes]
    centre = (xy[nodes] * w[:, None]).sum(axis=0) / w.sum() if w.sum() > 0 else \
        xy[nodes].mean(axis=0)
    return int(nodes[np.argmin(((xy[nodes] - centre) ** 2).sum(axis=1))])


def _assign(adjacency: csr_matrix, seeds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Every node's region: the seed r with the least walking distance + offsets[r].

    A super-source joined to each seed by an edge of its (shifted) offset turns
    this into one Dijkstra; a node's region is that of its predecessor, so each
    region is a shortest-path tree and therefore connected.
    """
    n = adjacency.shape[0]
    count = len(seeds)
    shift = offsets - offsets.min() + 1.0
    coo = adjacency.tocoo()
    rows = np.concatenate([coo.row, np.full(count, n), seeds])
    cols = np.concatenate([coo.col, seeds, np.full(count, n)])
    data = np.concatenate([coo.data, shift, shift])
    graph = csr_matrix((data, (rows, cols)), shape=(n + 1, n + 1))
    dist, pred = dijkstra(graph, directed=True, indices=n, return_predecessors=True)
    region = np.full(n + 1, -1, dtype=np.int64)
    region[seeds] = np.arange(count)
    # the seed edge may lose to a path through a cheaper seed: follow predecessors
    for v in np.argsort(dist[:n], kind="stable"):
        p = pred[v]
        region[v] = region[v] if p == n else region[p]
    return region[:n]


def _balance(adjacency: csr_matrix, region: np.ndarray, weights: np.ndarray,
             seeds: np.ndarray) -> np.ndarray:
    region = region.copy()
    seed_dist = dijkstra(adjacency, directed=False, indices=seeds)
    count = seed_dist.shape[0]
    load = np.bincount(region, weights=weights, minlength=count)
    size = np.bincount(region, minlength=count)
    coo = adjacency.tocoo()
    heads, tails = coo.row.astype(np.int64), coo.col.astype(np.int64)
    indptr, indices = adjacency.indptr, adjacency.indices
    for _ in range(20 * len(region) + 100):
        src, dst = region[heads], region[tails]
        excess = load[src] - load[dst] - weights[heads]
        ok = (src != dst) & (excess > 1e-9 * max(1.0, load.max())) & (size[src] > 1)
        if not ok.any():
            break
        cand_v, cand_to = heads[ok], dst[ok]
        gain = (excess[ok] * weights[cand_v]).round(9)
        closeness = seed_dist[cand_to, cand_v] - seed_dist[region[cand_v], cand_v]
        order = np.lexsort((cand_to, cand_v, closeness, -gain))
        for k in order:
            v, to = int(cand_v[k]), int(cand_to[k])
            if _stays_connected(indptr, indices, region, v):
                frm = region[v]
                region[v] = to
                load[frm] -= weights[v]
                load[to] += weights[v]
                size[frm] -= 1
                size[to] += 1
                break
        else:
            break
    return region


def _stays_connected(indptr: np.ndarray, indices: np.ndarray, region: np.ndarray,
                     v: int) -> bool:
    """Whether v's region stays connected without v: its region neighbours still meet."""
    r = region[v]
    mates = [int(u) for u in indices[indptr[v]:indptr[v + 1]] if region[u] == r and u != v]
    if len(mates) <= 1:
        return True
    targets = set(mates[1:])
    seen = {v, mates[0]}
    queue = deque([mates[0]])
    while queue and targets:
        u = queue.popleft()
        for w in indices[indptr[u]:indptr[u + 1]]:
            w = int(w)
            if w not in seen and region[w] == r:
                seen.add(w)
                targets.discard(w)
                queue.append(w)
    return not targets


def _renumber(region: np.ndarray, xy: np.ndarray, count: int) -> np.ndarray:
    centroids = np.array([xy[region == r].mean(axis=0) for r in range(count)])
    per_row = max(1, round(math.sqrt(count)))
    by_y = np.argsort(centroids[:, 1], kind="stable")
    order: list[int] = []
    for start in range(0, count, per_row):
        band = by_y[start:start + per_row]
        order.extend(int(r) for r in band[np.argsort(centroids[band, 0], kind="stable")])
    new = np.empty(count, dtype=np.int64)
    new[np.array(order)] = np.arange(count)
    return new[region]
