"""Patrol routes (巡查): the order in which a grid worker walks its grid's nodes.

A route visits every node of a grid once and closes back on itself. It is a
nearest-neighbour tour on travel times from the grid's centre node: not the
shortest possible tour, but a plausible walk, computed once per map.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def nearest_neighbour_tour(nodes: np.ndarray, start: int, times: np.ndarray) -> np.ndarray:
    """Order ``nodes`` by repeatedly walking to the nearest unvisited one.

    Parameters
    ----------
    nodes
        Node indices to visit.
    start
        Node index to start from (must be in ``nodes``).
    times
        Travel times among ``nodes``, shape (len(nodes), len(nodes)) [min].
    """
    n = len(nodes)
    order = np.empty(n, dtype=np.int64)
    visited = np.zeros(n, dtype=bool)
    here = int(np.flatnonzero(nodes == start)[0])
    for k in range(n):
        order[k] = here
        visited[here] = True
        if k + 1 < n:
            row = np.where(visited, np.inf, times[here])
            here = int(np.argmin(row))
    return nodes[order]


def patrol_routes(xy: np.ndarray, travel_among: Callable[[np.ndarray], np.ndarray],
                  grid_of_node: np.ndarray, n_grids: int) -> list[np.ndarray]:
    """One closed patrol route per grid of the given partition.

    Parameters
    ----------
    xy
        Node coordinates [m], shape (n, 2).
    travel_among
        Travel times [min] among the given node indices, shape (k, k).
    grid_of_node
        Grid index of every node.
    n_grids
        Number of grids.
    """
    routes = []
    for g in range(n_grids):
        nodes = np.flatnonzero(grid_of_node == g)
        if len(nodes) == 0:
            routes.append(nodes)
            continue
        centroid = xy[nodes].mean(axis=0)
        start = int(nodes[np.argmin(((xy[nodes] - centroid) ** 2).sum(axis=1))])
        times = travel_among(nodes)
        routes.append(nearest_neighbour_tour(nodes, start, times))
    return routes
