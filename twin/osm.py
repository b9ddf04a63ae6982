"""Street network files: OpenStreetMap XML (``.osm``) read with the standard library,
GraphML and node-link JSON checked and read.

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

Checks
------
A file unfit for a map raises :class:`MapFileError`, naming the file, the node
or edge and what is allowed; a repeated mistake is counted (``, and 41 more
nodes``). Files with more than ``MAX_MAP_NODES`` nodes (``.osm``: on walkable
ways) are refused before the graph is built. GraphML is first scanned as a
stream (well-formed XML, typed ``<data>``, unique node ids, edge ends declared).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path

import networkx as nx

from twin.scenario.limits import MAX_MAP_NODES

EARTH_RADIUS = 6_371_008.8
"""Mean Earth radius [m]."""
NOT_BUILT = frozenset({"construction", "proposed", "abandoned", "razed"})
"""``highway`` values of ways that cannot be used at all."""
NOT_FOR_WALKING = frozenset({"motorway", "trunk", "raceway", "bus_guideway", "busway",
                             "escape"})
"""``highway`` values closed to pedestrians unless tagged ``foot=yes`` (as are ``*_link``)."""
FOOT_YES = frozenset({"yes", "designated", "permissive"})
NO_ACCESS = frozenset({"no", "private"})
GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"


class MapFileError(ValueError):
    """A map file that cannot be used; the message names the file and the problem."""


def show(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def first_and_more(problems: list[str], noun: str) -> str:
    """The first problem and how many more ``noun``s have one: ``..., and 41 more nodes``."""
    more = len(problems) - 1
    return problems[0] + (f", and {more:,} more {noun}{'s' * (more > 1)}" if more else "")


def finite_number(value: object) -> float | None:
    """``value`` as a finite float (a number, or text holding one), else None; booleans,
    NaN and the infinities are not finite numbers."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def check_size(name: str, nodes: int) -> None:
    """Refuse a map file with more than ``MAX_MAP_NODES`` nodes."""
    if nodes > MAX_MAP_NODES:
        raise MapFileError(f"map file {name} has {nodes:,} nodes; at most "
                           f"{MAX_MAP_NODES:,} are allowed")


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
    MapFileError
        If the file is not well-formed XML, has a node without a valid
        ``lat``/``lon``, no walkable way, or too many nodes on walkable ways.
    """
    name = Path(path).name
    position: dict[str, tuple[float, float]] = {}
    ways: list[list[str]] = []
    bad: list[str] = []
    try:
        for _, elem in ET.iterparse(str(path), events=("end",)):
            if elem.tag == "node":
                if elem.get("visible") != "false":
                    node = _required(elem, "id", name)
                    lat, lon = _degrees(elem, "lat", 90), _degrees(elem, "lon", 180)
                    if lat is None or lon is None:
                        key, limit = ("lat", 90) if lat is None else ("lon", 180)
                        bad.append(f"node {show(node)}: {key} must be a number from -{limit} "
                                   f"to {limit} (got {show(elem.get(key))})")
                    else:
                        position[node] = (lat, lon)
                elem.clear()
            elif elem.tag == "way":
                tags = {t.get("k", ""): t.get("v", "") for t in elem.iter("tag")}
                if walkable(tags) and elem.get("visible") != "false":
                    ways.append([_required(nd, "ref", name) for nd in elem.iter("nd")])
                elem.clear()
            elif elem.tag == "relation":
                elem.clear()
    except ET.ParseError as exc:
        raise MapFileError(f"cannot read map file: {name} is not well-formed XML ({exc})"
                           ) from None
    if bad:
        raise MapFileError(f"map file {name}: {first_and_more(bad, 'node')}")
    check_size(name, len({r for refs in ways for r in refs if r in position}))
    graph = nx.Graph()
    for refs in ways:
        for a, b in zip(refs, refs[1:], strict=False):
            if a == b or a not in position or b not in position:
                continue
            length = haversine(*position[a], *position[b])
            if not graph.has_edge(a, b) or length < graph.edges[a, b]["length"]:
                graph.add_edge(a, b, length=length)
    if graph.number_of_nodes() == 0:
        raise MapFileError(f"map file {name} has no walkable street (a way with a highway "
                           "tag and two known nodes)")
    lat0 = sum(position[v][0] for v in graph) / graph.number_of_nodes()
    lon0 = sum(position[v][1] for v in graph) / graph.number_of_nodes()
    for v in graph:
        lat, lon = position[v]
        x, y = project(lat, lon, lat0, lon0)
        graph.nodes[v].update(x=x, y=y, lat=lat, lon=lon)
    return collapse_chains(graph) if simplify else graph


def _required(elem: ET.Element, key: str, name: str) -> str:
    value = elem.get(key)
    if value is None:
        raise MapFileError(f"map file {name}: a <{elem.tag}> has no '{key}'")
    return value


def _degrees(elem: ET.Element, key: str, limit: float) -> float | None:
    value = finite_number(elem.get(key))
    return value if value is not None and abs(value) <= limit else None


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


# ------------------------------------------------------------ GraphML, node-link JSON
_GRAPHML_TYPES: dict[str, Callable[[str], object]] = {
    "int": int, "integer": int, "long": int, "float": float, "double": float,
    "boolean": lambda text: {"true": 1, "false": 0, "1": 1, "0": 0}[text.lower()]}


def read_graphml(path: Path) -> nx.Graph:
    """A GraphML file, checked as a stream (see the module doc), then read by networkx."""
    name = path.name
    keys: dict[str, tuple[str, str]] = {}  # key id -> (attr.name, attr.type)
    declared: dict[str, int] = {}
    ends: list[tuple[str, str]] = []
    bad: list[str] = []
    graphs = 0
    try:
        for _, elem in ET.iterparse(str(path), events=("end",)):
            tag = elem.tag.removeprefix(GRAPHML_NS)
            graphs += tag == "graph"
            if tag == "key":
                keys[elem.get("id", "")] = (elem.get("attr.name", "?"),
                                            elem.get("attr.type", "string"))
            if tag not in ("node", "edge"):
                continue
            node, source, target = elem.get("id"), elem.get("source"), elem.get("target")
            owner = f"node {show(node)}" if tag == "node" else f"edge {show(source)}-{show(target)}"
            for data in elem:
                attr, kind = keys.get(data.get("key", ""), ("?", "string"))
                if kind == "string" or data.text is None or len(data):
                    continue
                try:
                    _GRAPHML_TYPES.get(kind, str)(data.text)
                except (ValueError, KeyError):
                    bad.append(f"{owner}: {attr} must be of type {kind}, as its <key> "
                               f"declares (got {show(data.text)})")
            if tag == "node" and node is None:
                bad.append("a <node> has no id")
            elif tag == "node":
                declared[node] = declared.get(node, 0) + 1
            elif source is None or target is None:
                bad.append(f"{owner}: an <edge> needs a source and a target")
            else:
                ends.append((source, target))
            elem.clear()  # done with it: keep memory small
    except ET.ParseError as exc:
        raise MapFileError(f"cannot read map file: {name} is not well-formed XML ({exc})"
                           ) from None
    if not graphs:
        raise MapFileError(f"cannot read map file: {name} is not GraphML (no <graph> element)")
    check_size(name, sum(declared.values()))
    if bad:
        raise MapFileError(f"map file {name}: {first_and_more(bad, 'value')}")
    _check_ids(name, declared, ends, "is declared")
    return nx.read_graphml(path)


def read_node_link(path: Path) -> nx.MultiGraph:
    """A node-link JSON file (see the module doc); parallel links are all kept."""
    name = path.name
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise MapFileError(f"cannot read map file: {name} is not UTF-8 text (byte "
                           f"0x{raw[exc.start]:02x} at offset {exc.start:,})") from None
    except json.JSONDecodeError as exc:
        raise MapFileError(f"cannot read map file: {name} is not valid JSON ({exc.msg} at "
                           f"line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise MapFileError(f"cannot read map file: {name} is not valid JSON ({exc})") from None
    links_key = "edges" if isinstance(data, dict) and "links" not in data and "edges" in data \
        else "links"
    if not isinstance(data, dict):
        why = f"got {_kind(data)}"
    else:
        why = next((f'"{k}" is {_kind(data[k]) if k in data else "missing"}'
                    for k in ("nodes", links_key) if not isinstance(data.get(k), list)), "")
    if why:
        raise MapFileError(f'map file {name} is not a node-link graph: expected an object '
                           f'with "nodes" and "links" lists ({why})')
    nodes, links = data["nodes"], data[links_key]
    check_size(name, len(nodes))
    bad = [f'nodes[{i}] must be an object with an "id" that is text or a whole number '
           f"(got {show(entry)})" for i, entry in enumerate(nodes) if not _is_id(
               entry.get("id") if isinstance(entry, dict) else None)]
    if bad:
        raise MapFileError(f"map file {name}: {first_and_more(bad, 'node')}")
    bad = [f'{links_key}[{i}] must be an object with "source" and "target" node ids '
           f"(got {show(link)})" for i, link in enumerate(links)
           if not (isinstance(link, dict) and _is_id(link.get("source"))
                   and _is_id(link.get("target")))]
    if bad:
        raise MapFileError(f"map file {name}: {first_and_more(bad, 'link')}")
    declared: dict[str | int, int] = {}
    for entry in nodes:
        declared[entry["id"]] = declared.get(entry["id"], 0) + 1
    _check_ids(name, declared, [(link["source"], link["target"]) for link in links],
               "is listed")
    graph = nx.MultiGraph()
    graph.add_nodes_from((e["id"], {k: v for k, v in e.items() if k != "id"}) for e in nodes)
    graph.add_edges_from((link["source"], link["target"], {
        k: v for k, v in link.items() if k not in ("source", "target", "key")})
        for link in links)
    return graph


def _check_ids(name: str, declared: Mapping, ends: list[tuple], verb: str) -> None:
    """Node ids appear once; edges join declared nodes."""
    twice = [f"node {show(v)} {verb} {k} times (node ids must be unique)"
             for v, k in declared.items() if k > 1]
    if twice:
        raise MapFileError(f"map file {name}: {first_and_more(twice, 'node')}")
    unknown = [f"edge {show(a)}-{show(b)}: {show(a if a not in declared else b)} is not a "
               "node of the file" for a, b in ends if a not in declared or b not in declared]
    if unknown:
        raise MapFileError(f"map file {name}: {first_and_more(unknown, 'edge')}")


def _is_id(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    return "null" if value is None else kinds.get(type(value), "a number")
