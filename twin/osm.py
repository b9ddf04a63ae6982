"""Walking networks from OpenStreetMap XML (``.osm``) files, read with the standard library.

Which ways are kept (the walkable rule)
---------------------------------------
A way is a street for field staff when it has a ``highway`` tag and

* its ``highway`` value is not one of ``NOT_BUILT`` (construction, proposed,
  abandoned, razed), and
* it has ``foot`` = yes, designated or permissive, or else
  - its ``highway`` value is not one of ``NOT_FOR_WALKING`` (motorway, trunk,
    raceway, bus_guideway, busway, escape) and does not end in ``_link``
    (slip roads), and
  - ``foot`` is not ``no`` and ``access`` is not ``no`` or ``private``.

One-way tags are ignored: people walk both ways along every street, so the
graph is undirected.

Coordinates and lengths
-----------------------
Node positions are projected to metres with a local equirectangular projection
around the mean latitude and longitude of the kept nodes:
``x = R cos(lat0) (lon - lon0)``, ``y = R (lat - lat0)`` with R = 6,371,008.8 m
(the mean Earth radius). Over a few kilometres its scale error is below 0.1 %;
the positions are only used for plots, grid centres and partitioning.
Edge lengths do not use the projection: each is the sum of great-circle
(haversine) distances between consecutive way nodes.

Simplification
--------------
``collapse_chains`` keeps junctions (three or more streets) and dead ends and
replaces each chain of nodes with exactly two streets by one edge whose length
is the chain's total, so shortest-path lengths between the kept nodes do not
change. Parallel edges keep the shortest length; a chain that returns to where
it started (a loop) is dropped, since a shortest path never uses it. The pass
repeats until no node with exactly two streets is left.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import networkx as nx

EARTH_RADIUS = 6_371_008.8
"""Mean Earth radius [m]."""
NOT_BUILT = frozenset({"construction", "proposed", "abandoned", "razed"})
"""``highway`` values of ways that cannot be used at all."""
NOT_FOR_WALKING = frozenset({"motorway", "trunk", "raceway", "bus_guideway", "busway",
                             "escape"})
"""``highway`` values closed to pedestrians unless tagged ``foot=yes`` (as are ``*_link``)."""
FOOT_YES = frozenset({"yes", "designated", "permissive"})
NO_ACCESS = frozenset({"no", "private"})


def walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these OSM tags is a street field staff can walk (see module doc)."""
    highway = tags.get("highway")
    if highway is None or highway in NOT_BUILT:
        return False
    if tags.get("foot") in FOOT_YES:
        return True
    if highway in NOT_FOR_WALKING or highway.endswith("_link"):
        return False
    return tags.get("foot") != "no" and tags.get("access") not in NO_ACCESS


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees [m]."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))


def project(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """Local equirectangular projection around (lat0, lon0): (x east, y north) [m]."""
    x = EARTH_RADIUS * math.cos(math.radians(lat0)) * math.radians(lon - lon0)
    y = EARTH_RADIUS * math.radians(lat - lat0)
    return x, y


def read_osm(path: str | Path, simplify: bool = True) -> nx.Graph:
    """The walkable street network of an OSM XML file.

    Parameters
    ----------
    path
        An ``.osm`` file (OSM XML 0.6: ``<node id lat lon>``, ``<way>`` with
        ``<nd ref>`` and ``<tag k v>``).
    simplify
        Collapse chains of two-street nodes (see :func:`collapse_chains`).

    Returns
    -------
    networkx.Graph
        Undirected; nodes are OSM node ids as text with ``x``, ``y`` [m] and
        ``lat``, ``lon`` [deg]; edges have ``length`` [m]. Ways whose nodes are
        missing from the file (a clipped extract) are cut at the gap.

    Raises
    ------
    ValueError
        If the file is not OSM XML or has no walkable way.
    """
    position: dict[str, tuple[float, float]] = {}
    ways: list[list[str]] = []
    for _, elem in ET.iterparse(str(path), events=("end",)):
        if elem.tag == "node":
            if elem.get("visible") != "false":
                position[_required(elem, "id")] = (float(_required(elem, "lat")),
                                                   float(_required(elem, "lon")))
            elem.clear()
        elif elem.tag == "way":
            tags = {t.get("k", ""): t.get("v", "") for t in elem.iter("tag")}
            if walkable(tags) and elem.get("visible") != "false":
                ways.append([_required(nd, "ref") for nd in elem.iter("nd")])
            elem.clear()
        elif elem.tag == "relation":
            elem.clear()
    graph = nx.Graph()
    for refs in ways:
        for a, b in zip(refs, refs[1:], strict=False):
            if a == b or a not in position or b not in position:
                continue
            length = haversine(*position[a], *position[b])
            if not graph.has_edge(a, b) or length < graph.edges[a, b]["length"]:
                graph.add_edge(a, b, length=length)
    if graph.number_of_nodes() == 0:
        raise ValueError("no walkable street (way with a highway tag and two known nodes)")
    lat0 = sum(position[v][0] for v in graph) / graph.number_of_nodes()
    lon0 = sum(position[v][1] for v in graph) / graph.number_of_nodes()
    for v in graph:
        lat, lon = position[v]
        x, y = project(lat, lon, lat0, lon0)
        graph.nodes[v].update(x=x, y=y, lat=lat, lon=lon)
    return collapse_chains(graph) if simplify else graph


def _required(elem: ET.Element, key: str) -> str:
    value = elem.get(key)
    if value is None:
        raise ValueError(f"<{elem.tag}> without '{key}'")
    return value


def collapse_chains(graph: nx.Graph) -> nx.Graph:
    """Keep junctions and dead ends; replace chains of two-street nodes by single edges.

    Edge ``length`` values along a chain are summed, so shortest-path lengths
    between the nodes kept are unchanged. Joining chains can leave parallel
    edges, merged into the shorter, and so new two-street nodes: the pass is
    repeated until none is left. A component that is a pure cycle keeps its
    first node (and no edge).
    """
    while True:
        out = _collapse_once(graph)
        if out.number_of_nodes() == graph.number_of_nodes():
            return out
        graph = out


def _collapse_once(graph: nx.Graph) -> nx.Graph:
    keep = {v for v in graph if graph.degree(v) != 2}
    for part in nx.connected_components(graph):
        if not part & keep:
            keep.add(next(v for v in graph if v in part))
    out = nx.Graph()
    out.add_nodes_from((v, graph.nodes[v]) for v in graph if v in keep)
    for start in out:
        for first in graph.neighbors(start):
            prev, here = start, first
            length = float(graph.edges[start, first]["length"])
            while here not in keep:
                nxt = next(w for w in graph.neighbors(here) if w != prev)
                length += float(graph.edges[here, nxt]["length"])
                prev, here = here, nxt
            if here == start:
                continue
            if not out.has_edge(start, here) or length < out.edges[start, here]["length"]:
                out.add_edge(start, here, length=length)
    return out
