"""A street lattice: nodes, streets and their matrix from its rows, columns and block
length, in bulk (a district's lattice has about 100,000 nodes)."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx
import numpy as np
from scipy.sparse import coo_array, csr_matrix

from twin.scenario.schema import LatticeMap


def lattice_graph(spec: LatticeMap) -> nx.Graph:
    """The street lattice: node r * cols + c at row r, column c (attributes x, y [m],
    label 'r-c', row, col), streets of ``block_length`` [m] to the east and north."""
    rows, cols, block = spec.rows, spec.cols, spec.block_length
    graph = nx.Graph()
    graph.add_nodes_from((r * cols + c, {"x": c * block, "y": r * block, "label": f"{r}-{c}",
                                         "row": r, "col": c})
                         for r in range(rows) for c in range(cols))
    graph.add_edges_from(_lattice_streets(rows, cols, block))
    return graph


def lattice_edges(spec: LatticeMap) -> np.ndarray:
    """The lattice's streets as node pairs, shape (k, 2): east-west ones, then north-south."""
    rows, cols = spec.rows, spec.cols
    v = np.arange(rows * cols, dtype=np.int64)
    r, c = v // cols, v % cols
    east, north = v[c + 1 < cols], v[r + 1 < rows]
    return np.column_stack((np.concatenate((east, north)),
                            np.concatenate((east + 1, north + cols))))


def lattice_arrays(spec: LatticeMap) -> tuple[list[str], np.ndarray, csr_matrix]:
    """The lattice's node labels, coordinates [m] and adjacency matrix of street lengths
    [m], from its numbers: the same as reading them from :func:`lattice_graph`."""
    rows, cols, block = spec.rows, spec.cols, spec.block_length
    labels = [f"{r}-{c}" for r in range(rows) for c in range(cols)]
    v = np.arange(rows * cols, dtype=np.int64)
    r, c = v // cols, v % cols
    xy = np.column_stack((c * block, r * block)).astype(float)  # int x float, as c * block
    a, b = lattice_edges(spec).T
    n = rows * cols
    # both directions, summed and sorted by row and column as networkx's conversion does
    adjacency = csr_matrix(coo_array((np.full(2 * len(a), block), (np.concatenate((a, b)),
                                       np.concatenate((b, a)))), shape=(n, n)).asformat("csr"))
    return labels, xy, adjacency


def _lattice_streets(rows: int, cols: int, block: float
                     ) -> Iterator[tuple[int, int, dict[str, float]]]:
    for r in range(rows):
        for c in range(cols):
            v = r * cols + c
            if c + 1 < cols:
                yield v, v + 1, {"length": block}
            if r + 1 < rows:
                yield v, v + cols, {"length": block}


def lattice_blocks(lattice: LatticeMap, blocks: tuple[int, int]) -> np.ndarray:
    """Grid index of every lattice node when the lattice is cut into rows x cols blocks."""
    br, bc = blocks
    node = np.arange(lattice.rows * lattice.cols)  # node r * cols + c (see lattice_graph)
    rows, cols = node // lattice.cols, node % lattice.cols
    return ((rows * br // lattice.rows) * bc + (cols * bc // lattice.cols)).astype(np.int64)
