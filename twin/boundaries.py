"""Grids from fixed boundaries: the map nodes inside each polygon of a GeoJSON file.

Each feature of the file (read by :mod:`twin.geojson`) is one grid. A map node
belongs to the grid whose polygon holds it: inside the outer ring and in none of
its holes (a MultiPolygon holds the nodes of any of its polygons).

Nodes on a boundary. Administrative borders often run along streets, so junctions
lie on the line two grids share. A node within ``TOLERANCE`` of a polygon's
edge counts as on its boundary, not inside it: such a node joins the first
feature (in file order) whose boundary it lies on, and is never an overlap.

Coordinates. With ``coordinates: xy`` the file uses the map's own x/y metres.
With ``coordinates: lonlat`` it uses GeoJSON's longitude/latitude degrees; the
polygons and the map nodes' ``lat``/``lon`` (kept by maps read from OpenStreetMap)
are then projected together with the local equirectangular projection of
:mod:`twin.osm`, an affine map, so a node inside a polygon in degrees is inside
it in metres too.

Mistakes, all reported at once, at ``grids.file``: the file's own (see
:mod:`twin.geojson`), a polygon with no node inside, two polygons sharing nodes,
nodes inside no polygon (unless ``outside: nearest``, which joins each to the
grid whose boundary is nearest, with a note), and feature names missing from
``grids.items`` when items are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import networkx as nx
import numpy as np
from matplotlib.path import Path as Outline

from twin.geojson import Boundary, BoundaryError, problems_message, read_boundaries
from twin.osm import EARTH_RADIUS
from twin.scenario.community import GridSpec

TOLERANCE = 1e-3
"""Distance within which a node lies on a polygon's edge [m]."""
EXAMPLES = 3
"""Nodes named in a message about many nodes."""
_CHUNK = 4_000_000
"""Point-edge pairs measured at once (memory: 8 bytes each, a few arrays)."""

__all__ = ["BoundaryError", "BoundaryGrids", "boundary_grids"]


class BoundaryGrids(NamedTuple):
    """Grids read from boundaries, ready for the community map."""

    names: list[str]
    """Grid names, in ``grids.items`` order if listed, else file order."""
    grid_of_node: np.ndarray
    """Grid index of every map node."""
    residents: np.ndarray
    """Residents per grid."""
    notes: list[str]
    """Remarks (nodes joined to the nearest grid)."""


def boundary_grids(spec: GridSpec, graph: nx.Graph, xy: np.ndarray,
                   labels: Sequence[str]) -> BoundaryGrids:
    """Grids of ``spec.file`` for the map ``graph`` (nodes 0..n-1 at ``xy`` [m]).

    Raises
    ------
    BoundaryError
        With every problem found, located in the file.
    """
    assert spec.file is not None
    path = Path(spec.file)
    found = read_boundaries(path, spec.name_property, spec.residents_property)
    points, shapes = _plane(spec, graph, xy, found)
    order, problems = _order(spec, found)
    feature_of_node, notes, more = _locate(spec, points, shapes, found, labels)
    problems.extend(more)
    if problems:
        raise BoundaryError("grids.file", problems_message(path.name, problems))
    grid_of_boundary = np.array([order.index(b.name) for b in found], dtype=np.int64)
    grid_of_node = grid_of_boundary[feature_of_node]
    by_item = {g.name: g.residents for g in spec.items}
    by_file = {b.name: b.residents for b in found}
    if found and all(r is None for r in by_file.values()):
        have = sorted({p for b in found for p in b.properties})
        notes.append(f"no feature of {path.name} has the property "
                     f"{spec.residents_property!r} (grids.residents_property; their properties: "
                     f"{', '.join(repr(p) for p in have) or 'none'}): every grid gets "
                     f"grids.residents ({spec.residents:,}) unless grids.items gives its own")
    residents = np.array([
        by_file[n] if by_file[n] is not None else by_item.get(n, spec.residents)
        for n in order], dtype=float)
    return BoundaryGrids(order, grid_of_node.astype(np.int64), residents, notes)


def _order(spec: GridSpec, found: list[Boundary]) -> tuple[list[str], list[str]]:
    """Grid names in order, and problems with ``grids.items``."""
    if not spec.items:
        return [b.name for b in found], []
    listed = [g.name for g in spec.items]
    problems = [f"features[{b.index}].properties.{spec.name_property}: {b.name!r} is not "
                f"listed in grids.items (listed: {', '.join(listed)})"
                for b in found if b.name not in listed]
    named = {b.name for b in found}
    problems += [f"grids.items lists {n!r}, but no feature of the file has that name"
                 for n in listed if n not in named]
    return listed, problems


def _plane(spec: GridSpec, graph: nx.Graph, xy: np.ndarray, found: list[Boundary]
           ) -> tuple[np.ndarray, list[list[list[np.ndarray]]]]:
    """Node positions and polygons in one plane [m]."""
    shapes = [b.polygons for b in found]
    if spec.coordinates == "xy":
        return xy, shapes
    lat = np.array([graph.nodes[v].get("lat", np.nan) for v in range(len(xy))], float)
    lon = np.array([graph.nodes[v].get("lon", np.nan) for v in range(len(xy))], float)
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise BoundaryError("grids.coordinates", (
            "lonlat needs a map whose nodes all have lat and lon (maps read from an .osm "
            f"file); {int((~np.isfinite(lat) | ~np.isfinite(lon)).sum()):,} of {len(xy):,} "
            "map nodes lack them: use coordinates: xy, the map's x/y in metres"))
    bad = [f"features[{b.index}].geometry.coordinates: longitude must be from -180 to 180 "
           f"and latitude from -90 to 90 (got a corner at {_pair(ring[k])})"
           for b in found for poly in b.polygons for ring in poly
           for k in np.flatnonzero((np.abs(ring[:, 0]) > 180) | (np.abs(ring[:, 1]) > 90))[:1]]
    if bad:
        raise BoundaryError("grids.file", problems_message(Path(str(spec.file)).name, bad))
    lat0, lon0 = float(lat.mean()), float(lon.mean())

    def project(lonlat: np.ndarray) -> np.ndarray:
        x = EARTH_RADIUS * np.cos(np.radians(lat0)) * np.radians(lonlat[:, 0] - lon0)
        return np.column_stack([x, EARTH_RADIUS * np.radians(lonlat[:, 1] - lat0)])

    points = project(np.column_stack([lon, lat]))
    return points, [[[project(ring) for ring in poly] for poly in shape] for shape in shapes]


def _locate(spec: GridSpec, points: np.ndarray, shapes: list[list[list[np.ndarray]]],
            found: list[Boundary], labels: Sequence[str]
            ) -> tuple[np.ndarray, list[str], list[str]]:
    """Boundary (index into ``found``) of every node (-1: none), notes, and problems."""
    n, count = len(points), len(shapes)
    inside = np.zeros((n, count), dtype=bool)
    for f, shape in enumerate(shapes):
        for poly in shape:
            held = _within(poly[0], points)
            for hole in poly[1:]:
                held &= ~_within(hole, points)
            inside[:, f] |= held
    # nodes inside exactly one polygon are settled; the others are measured
    check = np.flatnonzero(inside.sum(axis=1) != 1)
    edge = np.full((n, count), np.inf)
    for f, shape in enumerate(shapes):
        edge[check, f] = _edge_distance(points[check], shape)
    near = edge <= TOLERANCE
    deep = inside & ~near
    chosen = np.full(n, -1, dtype=np.int64)
    one = deep.sum(axis=1) == 1
    chosen[one] = deep[one].argmax(axis=1)
    border = (deep.sum(axis=1) == 0) & near.any(axis=1)
    chosen[border] = near[border].argmax(axis=1)  # the first feature in file order
    problems: list[str] = []
    notes: list[str] = []
    where = _where(spec, points, labels, found)
    for f in range(count):
        for g in range(f + 1, count):
            both = np.flatnonzero(deep[:, f] & deep[:, g])
            if len(both):
                problems.append(
                    f"features[{found[f].index}] {found[f].name!r} and features"
                    f"[{found[g].index}] {found[g].name!r} overlap: {_nodes(both, where)} "
                    "inside both; polygons must not overlap")
    if not inside.any():  # every node outside every polygon: the coordinates disagree
        return chosen, notes, [_apart(spec, points, shapes)]
    lost = np.flatnonzero((chosen < 0) & (deep.sum(axis=1) == 0))
    if len(lost) and spec.outside == "nearest":
        chosen[lost] = edge[lost].argmin(axis=1)
        notes.append(f"{_nodes(lost, where)} inside no grid boundary; joined to the grid "
                     "whose boundary is nearest")
    elif len(lost):
        problems.append(f"{_nodes(lost, where)} inside no polygon; draw the boundaries "
                        "over them, or set grids.outside: nearest to join each to the grid "
                        "whose boundary is nearest")
    held = np.bincount(chosen[chosen >= 0], minlength=count)
    empty = [f for f in range(count) if held[f] == 0]
    problems += [f"features[{found[f].index}] {found[f].name!r}: no map node inside its "
                 "polygon" for f in empty]
    return chosen, notes, problems


def _apart(spec: GridSpec, points: np.ndarray, shapes: list[list[list[np.ndarray]]]) -> str:
    """Why no polygon holds any node: where each lies, and the likely fix."""
    corners = np.vstack([ring for shape in shapes for poly in shape for ring in poly])

    def box(xy: np.ndarray) -> str:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        return f"x {lo[0]:,.6g} to {hi[0]:,.6g}, y {lo[1]:,.6g} to {hi[1]:,.6g}"

    text = (f"no polygon holds any map node: the polygons lie at {box(corners)}, the map's "
            f"nodes at {box(points)} (as coordinates: {spec.coordinates} reads them)")
    raw = np.vstack([ring for shape in shapes for poly in shape for ring in poly])
    if spec.coordinates == "xy" and np.abs(raw[:, 0]).max() <= 180 and np.abs(
            raw[:, 1]).max() <= 90:
        return text + ("; the file looks like longitude/latitude: set "
                       "grids.coordinates: lonlat")
    return text + ("; give the file in the map's coordinates (coordinates: xy, metres) or "
                   "in longitude/latitude (coordinates: lonlat)")


def _within(ring: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether each point is inside the ring (points on its edge: either answer)."""
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    box = np.flatnonzero(((points >= lo) & (points <= hi)).all(axis=1))
    out = np.zeros(len(points), dtype=bool)
    if len(box):
        out[box] = Outline(ring, closed=False).contains_points(points[box])
    return out


def _edge_distance(points: np.ndarray, shape: list[list[np.ndarray]]) -> np.ndarray:
    """Distance from each point to the nearest edge of any ring of ``shape`` [m]."""
    rings = [ring for poly in shape for ring in poly]
    a = np.concatenate(rings)
    b = np.concatenate([np.roll(ring, -1, axis=0) for ring in rings])
    ab = b - a
    length2 = np.maximum((ab ** 2).sum(axis=1), 1e-300)
    out = np.full(len(points), np.inf)
    step = max(1, _CHUNK // len(a))
    for start in range(0, len(points), step):
        p = points[start:start + step, None, :]
        t = np.clip(((p - a) * ab).sum(axis=2) / length2, 0.0, 1.0)
        gap = p - (a + t[..., None] * ab)
        out[start:start + step] = np.sqrt((gap ** 2).sum(axis=2).min(axis=1))
    return out


def _where(spec: GridSpec, points: np.ndarray, labels: Sequence[str], found: list[Boundary]
           ) -> list[str]:
    """Per node: its id and position, in the file's coordinates where cheap (xy)."""
    if spec.coordinates == "xy":
        return [f"node {labels[v]!r} at {_pair(points[v])}" for v in range(len(points))]
    return [f"node {labels[v]!r}" for v in range(len(points))]


def _nodes(nodes: np.ndarray, where: list[str]) -> str:
    """``12 map nodes lie`` with examples: ``(e.g. node '3-4' at [400, 300], ...)``."""
    k = len(nodes)
    shown = ", ".join(where[v] for v in nodes[:EXAMPLES])
    more = ", ..." if k > EXAMPLES else ""
    return f"{k:,} map node{'s' * (k != 1)} ({shown}{more}) lie{'s' * (k == 1)}"


def _pair(xy: np.ndarray) -> str:
    return f"[{float(xy[0]):.6g}, {float(xy[1]):.6g}]"
