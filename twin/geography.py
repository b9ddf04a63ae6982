"""The community map: street network, grid membership and travel times.

Nodes are renumbered 0..n-1 so that the event loop works with array indices.
Travel times are ``twin.travel.TravelTimes``: the full matrix on small maps,
bounded searches on large ones, computed on first use (checking a scenario
builds none). Streets are walked both ways: a directed file is read as undirected.

Map files are GraphML, node-link JSON or OpenStreetMap XML (read by
``twin.osm``). A file whose streets fall apart into disconnected pieces keeps
only the largest piece, with a note: a grid worker could never reach the others.

Grids come from lattice blocks, a node attribute, the nearest listed centre,
GeoJSON polygons (``twin.boundaries``) or an automatic partition
(``twin.partition``) into connected grids of balanced node count or demand
weight. A grid's default worker base is its centre node: the node of the grid
nearest the centroid of the grid's nodes.
"""

from __future__ import annotations

import functools
import math
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix

from twin.lattice import lattice_arrays, lattice_blocks, lattice_edges, lattice_graph
from twin.osm import (
    MapFileError,
    collapse_chains,
    finite_number,
    first_and_more,
    read_graphml,
    read_node_link,
    read_osm,
    show,
)
from twin.scenario.community import partition_names
from twin.scenario.limits import MAX_DISTANCE, MAX_PARTITION_CELLS
from twin.scenario.schema import FileMap, GridSpec, LatticeMap, Scenario, known_grid_names
from twin.travel import TravelTimes


class MapError(ValueError):
    """A problem with the map or grid definition, tied to a scenario key."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class Community:
    """The map and its grids, ready for the model."""

    streets: nx.Graph | LatticeMap
    """The street network (:attr:`graph`), or the lattice it is built from on first use
    (checking a scenario needs none)."""
    xy: np.ndarray
    """Node coordinates [m], shape (n, 2)."""
    node_labels: list[str]
    """Original node ids as text, by index."""
    grid_of_node: np.ndarray
    """Grid index of every node."""
    grid_names: list[str]
    """Grid names by index."""
    residents: np.ndarray
    """Residents per grid."""
    grid_nodes: list[np.ndarray]
    """Node indices of each grid."""
    centre_node: np.ndarray
    """Per grid, the node nearest the centroid of its nodes (default worker base)."""
    travel: TravelTimes
    """Shortest travel times [min]."""
    notes: list[str] = field(default_factory=list)
    """Warnings about the map (e.g. disconnected parts dropped)."""

    @functools.cached_property
    def graph(self) -> nx.Graph:
        """Street network with integer nodes 0..n-1 (attributes: x, y, grid, label)."""
        if isinstance(self.streets, nx.Graph):
            return self.streets
        graph = lattice_graph(self.streets)
        _name_grids(graph, self.grid_names, self.grid_of_node)
        return graph

    def node_index(self, label: str | int) -> int | None:
        """Index of the node whose original id is ``label``, if any."""
        text = str(label)
        try:
            return self.node_labels.index(text)
        except ValueError:
            return None


def street_edges(community: Community) -> np.ndarray:
    """The streets as node pairs, shape (k, 2), without building a lattice's graph."""
    if isinstance(community.streets, LatticeMap):
        return lattice_edges(community.streets)
    return np.array(list(community.graph.edges()), dtype=np.int64).reshape(-1, 2)


def build_community(scenario: Scenario) -> Community:
    """Build the map and grids of a scenario; raise MapError on a bad map."""
    spec = scenario.map
    notes: list[str] = []
    graph: nx.Graph | None = None
    if isinstance(spec, LatticeMap):
        labels, xy, adjacency = lattice_arrays(spec)
        if scenario.grids.assignment not in ("blocks", "nearest_centre") or (
                scenario.grids.total_residents is not None):
            graph = lattice_graph(spec)  # grids or residents read from it
    else:
        graph, notes = _read_file(spec)
        labels = [str(graph.nodes[v].get("label", v)) for v in graph.nodes]
        xy = np.array([[graph.nodes[v]["x"], graph.nodes[v]["y"]] for v in graph.nodes], float)
        adjacency = csr_matrix(
            nx.to_scipy_sparse_array(graph, nodelist=range(len(labels)), weight="length"))
    if scenario.grids.assignment == "boundaries":
        assert graph is not None
        from twin.boundaries import BoundaryError, boundary_grids  # polygons: matplotlib.path

        try:
            names, grid_of_node, residents, more = boundary_grids(scenario.grids, graph, xy, labels)
        except BoundaryError as exc:
            raise MapError(exc.key, str(exc)) from None
        notes.extend(more)
    else:
        names, grid_of_node = _assign_grids(scenario, graph, xy, adjacency)
        residents = _residents(scenario.grids, graph, names, grid_of_node)
    grid_nodes = [np.flatnonzero(grid_of_node == g) for g in range(len(names))]
    empty = [names[g] for g, nodes in enumerate(grid_nodes) if len(nodes) == 0]
    if empty:
        raise MapError("grids", f"grid(s) with no map node: {', '.join(empty)}")
    centre = np.array(
        [
            nodes[np.argmin(((xy[nodes] - xy[nodes].mean(axis=0)) ** 2).sum(axis=1))]
            for nodes in grid_nodes
        ],
        dtype=np.int64,
    )
    if graph is not None:
        _name_grids(graph, names, grid_of_node)
    travel = TravelTimes(adjacency, spec.speed, xy)
    return Community(graph if graph is not None else spec, xy, labels, grid_of_node, names,
                     residents, grid_nodes, centre, travel, notes)


def _name_grids(graph: nx.Graph, names: list[str], grid_of_node: np.ndarray) -> None:
    for (_v, data), g in zip(graph.nodes(data=True), grid_of_node.tolist(), strict=True):
        data["grid"] = names[g]  # nodes are 0..n-1 in order


_READERS: dict[str, Callable[[Path], nx.Graph]] = {
    ".graphml": read_graphml,
    ".json": read_node_link,
    ".osm": lambda p: read_osm(p, simplify=False),
}


def _checked_path(text: str) -> Path:
    """The map file's path, if it names a readable-looking file; else MapError."""
    if "\x00" in text:
        raise MapError("map.path", f"map file path {show(text, 80)} contains a NUL character; "
                       "remove it")
    path = Path(text)
    if path.suffix.lower() not in _READERS:
        raise MapError("map.path", f"unsupported map file type {path.suffix!r}; allowed: "
                       + ", ".join(_READERS))
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise MapError("map.path", f"map file not found: {path}") from None
    except OSError as exc:
        raise MapError("map.path", f"cannot open map file {show(text, 80)}: "
                       f"{exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise MapError("map.path", f"map file {path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise MapError("map.path", f"map file {path} is not a regular file")
    if info.st_size == 0:
        raise MapError("map.path", f"cannot read map file: {path.name} is empty")
    return path


def _read_file(spec: FileMap) -> tuple[nx.Graph, list[str]]:
    """The street network of a map file (see ``twin.osm`` for what a file must hold)."""
    path = _checked_path(spec.path)
    name = path.name
    try:
        raw = _READERS[path.suffix.lower()](path)
    except MapFileError as exc:
        raise MapError("map.path", str(exc)) from None
    except OSError as exc:
        raise MapError("map.path", f"cannot read map file: {name}: {exc.strerror or exc}"
                       ) from None
    except Exception as exc:  # noqa: BLE001 - any other parse failure is the user's file
        raise MapError("map.path", f"cannot read map file: {name}: "
                       f"{exc or type(exc).__name__}") from None
    notes: list[str] = []
    osm = path.suffix.lower() == ".osm"
    x_key, y_key = ("x", "y") if osm else (spec.x_attribute, spec.y_attribute)
    length_key = "length" if osm else spec.length_attribute
    missing = [v for v, d in raw.nodes(data=True) if x_key not in d or y_key not in d]
    if missing:
        raise MapError("map.path", f"{len(missing)} node(s) lack coordinates "
                       f"'{x_key}'/'{y_key}' (first: {missing[0]!r})")
    und = nx.Graph()
    bad: list[str] = []
    for v, d in raw.nodes(data=True):
        x, y = finite_number(d[x_key]), finite_number(d[y_key])
        if x is None or y is None:
            key = x_key if x is None else y_key
            bad.append(f"node {show(v)}: {key} must be a finite number (got {show(d[key])})")
            continue
        und.add_node(v)
        und.nodes[v].update({k: val for k, val in d.items() if k not in (x_key, y_key)})
        und.nodes[v].update(x=x, y=y)
    if bad:
        raise MapError("map.path", f"map file {name}: {first_and_more(bad, 'node')}")
    for a, b, d in raw.edges(data=True):
        if a == b:
            continue
        given = length_key in d
        length = finite_number(d[length_key]) if given else math.hypot(
            und.nodes[a]["x"] - und.nodes[b]["x"], und.nodes[a]["y"] - und.nodes[b]["y"])
        if length is None or not 0 <= length < math.inf:
            got = (f"got {show(d[length_key])}" if given else "none given, and the straight "
                   "line between its nodes is too long to measure")
            bad.append(f"edge {show(a)}-{show(b)}: {length_key} must be a finite number >= 0 "
                       f"({got})")
        elif length > MAX_DISTANCE:
            bad.append(f"edge {show(a)}-{show(b)}: {length_key} must be at most "
                       f"{MAX_DISTANCE:,.0f} m (got {show(d[length_key]) if given else length})")
        elif not und.has_edge(a, b) or length < und.edges[a, b]["length"]:
            und.add_edge(a, b, length=length)
    if bad:
        raise MapError("map.path", f"map file {name}: {first_and_more(bad, 'edge')}")
    if und.number_of_nodes() == 0:
        raise MapError("map.path", f"map file {name} has no nodes")
    if spec.simplify if spec.simplify is not None else osm:
        und = collapse_chains(und)
    parts = list(nx.connected_components(und))
    if len(parts) > 1:
        keep = max(parts, key=len)
        notes.append(f"map has {len(parts)} disconnected parts; kept the largest "
                     f"({len(keep)} of {und.number_of_nodes()} nodes)")
        und = und.subgraph(keep).copy()
    mapping = {v: i for i, v in enumerate(und.nodes)}
    for v in und.nodes:
        und.nodes[v]["label"] = str(v)
    return nx.relabel_nodes(und, mapping), notes


def block_grids(community: Community, scenario: Scenario, blocks: tuple[int, int]
                ) -> tuple[np.ndarray, list[str]]:
    """Another cut of a lattice map into blocks (a team's own grids): (grid of node, names)."""
    assert isinstance(scenario.map, LatticeMap)
    names = partition_names(blocks[0] * blocks[1])
    return lattice_blocks(scenario.map, blocks), names


def _assign_grids(scenario: Scenario, graph: nx.Graph | None, xy: np.ndarray,
                  adjacency: csr_matrix) -> tuple[list[str], np.ndarray]:
    """Grid names and the grid of every node (``graph`` None: a lattice not yet built, cut
    into blocks or by the nearest centre)."""
    spec = scenario.grids
    n = len(xy)
    if spec.assignment == "blocks":
        assert isinstance(scenario.map, LatticeMap)
        return known_grid_names(scenario) or [], lattice_blocks(scenario.map, spec.blocks)
    if spec.assignment == "partition":
        assert spec.count is not None
        if spec.count > n:
            raise MapError("grids.count", f"must be at most the number of map nodes, {n} "
                           f"(got {spec.count})")
        if spec.count * n > MAX_PARTITION_CELLS:
            raise MapError("grids.count", (
                f"an automatic partition of {n:,} map nodes into {spec.count:,} grids needs "
                f"about {spec.count * n * 8 / 1e9:,.1f} GB; grids x nodes may be at most "
                f"{MAX_PARTITION_CELLS:,} (got {spec.count * n:,}): use fewer grids, or "
                "grids from a node attribute or from centres"))
        from twin.partition import partition

        assert graph is not None
        weights = node_weights(spec, graph)
        return known_grid_names(scenario) or [], partition(adjacency, xy, spec.count, weights)
    if spec.assignment == "nearest_centre":
        names = [g.name for g in spec.items]
        centres = np.array([g.centre for g in spec.items], dtype=float)
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        return names, d2.argmin(axis=1)
    assert graph is not None  # built for every other assignment
    values = [graph.nodes[v].get(spec.attribute) for v in range(n)]
    if any(v is None for v in values):
        count = sum(v is None for v in values)
        raise MapError("grids.attribute", f"{count} map node(s) have no attribute "
                       f"'{spec.attribute}'")
    found = sorted({str(v) for v in values})
    names = [g.name for g in spec.items] if spec.items else found
    unknown = [v for v in found if v not in names]
    if unknown:
        raise MapError("grids.items", f"map names grid(s) not listed in items: "
                       f"{', '.join(unknown)}")
    index = {name: i for i, name in enumerate(names)}
    return names, np.array([index[str(v)] for v in values], dtype=np.int64)


def node_weights(spec: GridSpec, graph: nx.Graph) -> np.ndarray:
    """Weight of every node for ``grids.balance``: 1 each for `nodes`; for `demand` the
    node attribute ``grids.weight_attribute``, or, if no node has it, half the length
    of the streets meeting at the node [m] (its share of street frontage)."""
    n = graph.number_of_nodes()
    if spec.balance == "nodes":
        return np.ones(n)
    key = spec.weight_attribute
    values = [graph.nodes[v].get(key) for v in range(n)]
    if all(v is None for v in values):
        frontage = np.array([sum(d["length"] for _, _, d in graph.edges(v, data=True)) / 2
                             for v in range(n)], dtype=float)
        return frontage if frontage.sum() > 0 else np.ones(n)
    lacking = sum(v is None for v in values)
    if lacking:
        raise MapError("grids.weight_attribute", f"{lacking} map node(s) have no attribute "
                       f"'{key}' (needed by balance: demand)")
    try:
        weights = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise MapError("grids.weight_attribute",
                       f"node attribute '{key}' must be a number on every node") from None
    if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise MapError("grids.weight_attribute", f"node attribute '{key}' must be >= 0 "
                       "and finite, with a positive total")
    return weights


def _residents(spec: GridSpec, graph: nx.Graph | None, names: list[str],
               grid_of_node: np.ndarray) -> np.ndarray:
    """Residents per grid: listed items, else ``residents``; or ``total_residents``
    shared by ``balance`` weight (largest remainders, so the shares add up)."""
    if spec.total_residents is None:
        by_name = {g.name: g.residents for g in spec.items}
        return np.array([by_name.get(n, spec.residents) for n in names], dtype=float)
    assert graph is not None  # built when residents are shared by weight
    load = np.bincount(grid_of_node, weights=node_weights(spec, graph), minlength=len(names))
    exact = spec.total_residents * load / load.sum()
    whole = np.floor(exact)
    short = int(spec.total_residents - whole.sum())
    whole[np.argsort(-(exact - whole), kind="stable")[:short]] += 1
    return whole


class MapCache:
    """Built maps, keyed by the part of a scenario that decides them (``map`` and
    ``grids``), so replications, the report and checks share one build. Pass one
    explicitly; it keeps the ``size`` most recently used maps."""

    def __init__(self, size: int = 2) -> None:
        self.size = max(1, int(size))
        self._maps: dict[str, Community] = {}

    def get(self, scenario: Scenario) -> Community:
        """The scenario's map, built on first use; raises MapError on a bad map."""
        key = scenario.model_dump_json(include={"map", "grids"})
        found = self._maps.pop(key, None)
        if found is None:
            found = build_community(scenario)
        self._maps[key] = found  # most recent last
        while len(self._maps) > self.size:
            del self._maps[next(iter(self._maps))]
        return found


def community_for(scenario: Scenario, maps: MapCache | None = None) -> Community:
    """The scenario's map from ``maps``; without a cache, built afresh (pass one to
    share the build with the run and the report)."""
    return (maps if maps is not None else MapCache(1)).get(scenario)
