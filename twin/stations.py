"""Stations of a district-wide unit: where its staff are based.

A police station (派出所), a judicial office (司法所) or a housing office serves
one street (街道) of a district, not the whole district. A handling unit with
``stations: k`` has its staff based at k places: the grids are cut into k
contiguous areas of about equal residents (:func:`twin.partition.partition` on
the graph of grids, two grids joined when a street crosses their boundary), and
each area's station stands at the centre of the grid nearest the middle of the
area. The staff are dealt to the stations in turn, in groups of consecutive staff
that between them work every shift or rest-day pattern (``twin.staffing``), so a
station's staff take turns in the unit's shifts or rota as the whole unit does.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix

from twin.geography import Community, MapError, street_edges
from twin.partition import partition


def station_areas(community: Community, count: int) -> np.ndarray:
    """Area (0..count-1) of every grid: contiguous, of about equal residents, numbered
    in rows from south to north, west to east within a row; ``count`` at most the
    number of grids."""
    grids = len(community.grid_names)
    if not 1 <= count <= grids:
        raise ValueError(f"count must be from 1 to {grids} (got {count})")
    if count == 1:
        return np.zeros(grids, dtype=np.int64)
    edges = street_edges(community)
    g = community.grid_of_node
    a, b = g[edges[:, 0]], g[edges[:, 1]]
    cross = a != b
    pairs = np.unique(np.stack([np.minimum(a, b)[cross], np.maximum(a, b)[cross]], axis=1),
                      axis=0).reshape(-1, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    xy = community.xy[community.centre_node]
    length = np.hypot(*(xy[a] - xy[b]).T) + 1.0  # > 0 even for centres on one spot
    adjacency = coo_matrix((np.concatenate([length, length]),
                            (np.concatenate([a, b]), np.concatenate([b, a]))),
                           shape=(grids, grids)).tocsr()
    return partition(adjacency, xy, count, _weights(community))


def station_bases(community: Community, count: int) -> list[int]:
    """The map nodes of ``count`` stations (see the module's docstring), by area."""
    area = station_areas(community, count)
    xy = community.xy[community.centre_node]
    weights = _weights(community)
    bases = []
    for r in range(count):
        grids = np.flatnonzero(area == r)
        w = weights[grids] if weights[grids].sum() > 0 else None
        middle = np.average(xy[grids], axis=0, weights=w)
        nearest = grids[np.argmin(((xy[grids] - middle) ** 2).sum(axis=1))]
        bases.append(int(community.centre_node[nearest]))
    return bases


def _weights(community: Community) -> np.ndarray:
    """Residents per grid, or one per grid if the map has none."""
    weights = community.residents.astype(float)
    return weights if weights.sum() > 0 else np.ones(len(weights))


def placed_stations(community: Community, count: int, key: str,
                    placed: dict[int, list[int]]) -> list[int]:
    """The bases of ``count`` stations (:func:`station_bases`), placed once per count in
    ``placed``; a MapError at ``key`` if the map has fewer grids."""
    grids = len(community.grid_names)
    if count > grids:
        raise MapError(key, f"{count} stations, but the map has {grids} grids; at most "
                            "one station a grid")
    if count not in placed:
        placed[count] = station_bases(community, count)
    return placed[count]
