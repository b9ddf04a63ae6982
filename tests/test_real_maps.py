"""Real street maps: OpenStreetMap XML, automatic grids, the shipped Helsinki extract."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

import twin
from twin import ScenarioError
from twin.executors import community_for
from twin.geography import MapCache, build_community, node_weights
from twin.osm import collapse_chains, read_osm, walkable
from twin.partition import partition

ROOT = Path(__file__).resolve().parents[1]
REAL_MAP = ROOT / "scenarios" / "real_map.yaml"
HELSINKI = ROOT / "data" / "maps" / "helsinki_walk.json"
BALANCE_TOLERANCE = 0.05
"""Largest allowed relative deviation of a grid's weight from the mean weight."""

# ------------------------------------------------------------------ OSM XML
# Junctions j1..j4 along a street running east (0.001 deg of longitude apart,
# about 55 m at 60 N) with bends b1, b2 between j1 and j2; a footway loop
# j2-f1-j3 north of it; a one-way street j3-j4; a spur j4-e1 to a dead end.
# Ways that must be dropped share nodes with it or dangle on their own.
NODES = {
    "1": (60.1700, 24.9400), "2": (60.1702, 24.9403), "3": (60.1701, 24.9406),
    "4": (60.1700, 24.9410), "5": (60.1700, 24.9420), "6": (60.1700, 24.9430),
    "7": (60.1705, 24.9415), "8": (60.1690, 24.9430),
    "90": (60.1710, 24.9400), "91": (60.1710, 24.9410), "92": (60.1720, 24.9400),
    "93": (60.1720, 24.9410), "94": (60.1730, 24.9400), "95": (60.1730, 24.9410),
    "96": (60.1740, 24.9400), "97": (60.1740, 24.9410), "98": (60.1750, 24.9400),
}
WAYS = [
    ("100", ["1", "2", "3", "4", "5"], {"highway": "residential", "name": "Main"}),
    ("101", ["4", "7", "5"], {"highway": "footway"}),
    ("102", ["5", "6"], {"highway": "residential", "oneway": "yes"}),
    ("103", ["6", "8"], {"highway": "service"}),
    ("104", ["6", "999", "8"], {"highway": "path"}),  # node 999 is not in the file
    ("110", ["90", "91"], {"highway": "motorway"}),
    ("111", ["92", "93"], {"highway": "primary_link"}),
    ("112", ["94", "95"], {"highway": "service", "access": "private"}),
    ("113", ["96", "97"], {"highway": "construction"}),
    ("114", ["1", "90"], {"building": "yes"}),
    ("115", ["5", "98"], {"highway": "footway", "foot": "no"}),
    ("116", ["6", "96"], {"highway": "trunk", "foot": "yes"}),
]
KEPT_EDGES = {("1", "2"), ("2", "3"), ("3", "4"), ("4", "5"), ("4", "7"), ("7", "5"),
              ("5", "6"), ("6", "8"), ("6", "96")}


def osm_text(nodes: dict[str, tuple[float, float]] = NODES, ways: list = WAYS) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [f'  <node id="{i}" lat="{lat}" lon="{lon}"/>' for i, (lat, lon) in nodes.items()]
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append('  <relation id="1"><member type="way" ref="100" role=""/></relation>')
    lines.append("</osm>")
    return "\n".join(lines)


@pytest.fixture()
def osm_file(tmp_path: Path) -> Path:
    path = tmp_path / "streets.osm"
    path.write_text(osm_text(), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    """1-based number of the first line of ``path`` containing ``fragment``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if fragment in text)


def great_circle(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Spherical law of cosines [m] (independent of the reader's haversine)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dl = math.radians(b[1] - a[1])
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6_371_008.8 * math.acos(min(1.0, c))


@pytest.mark.parametrize(("tags", "expected"), [
    ({"highway": "residential"}, True),
    ({"highway": "footway"}, True),
    ({"highway": "steps"}, True),
    ({"highway": "primary", "oneway": "yes"}, True),
    ({"building": "yes"}, False),
    ({"highway": "motorway"}, False),
    ({"highway": "trunk"}, False),
    ({"highway": "primary_link"}, False),
    ({"highway": "motorway_link", "foot": "yes"}, True),
    ({"highway": "trunk", "foot": "designated"}, True),
    ({"highway": "service", "access": "private"}, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True),
    ({"highway": "footway", "foot": "no"}, False),
    ({"highway": "construction"}, False),
    ({"highway": "proposed", "foot": "yes"}, False),
])
def test_walkable_rule(tags: dict[str, str], expected: bool) -> None:
    assert walkable(tags) is expected


def test_osm_reader_keeps_walkable_ways_with_great_circle_lengths(osm_file: Path) -> None:
    graph = read_osm(osm_file, simplify=False)
    assert not graph.is_directed()
    assert {tuple(sorted(e)) for e in graph.edges} == {tuple(sorted(e)) for e in KEPT_EDGES}
    for a, b, d in graph.edges(data=True):
        expected = great_circle(NODES[a], NODES[b])
        assert d["length"] == pytest.approx(expected, rel=0.01)
        # the local projection agrees with the great-circle length too
        pa, pb = graph.nodes[a], graph.nodes[b]
        assert math.hypot(pa["x"] - pb["x"], pa["y"] - pb["y"]) == pytest.approx(
            expected, rel=0.01)
    # 0.001 deg of latitude is about 111.2 m
    assert graph.edges["6", "8"]["length"] == pytest.approx(111.2, rel=0.01)
    xs = np.array([graph.nodes[v]["x"] for v in graph])
    ys = np.array([graph.nodes[v]["y"] for v in graph])
    assert abs(xs.mean()) < 1.0 and abs(ys.mean()) < 1.0  # centred on the mean position
    assert graph.nodes["5"]["lat"] == 60.17 and graph.nodes["5"]["lon"] == 24.942


def test_chain_collapse_keeps_junctions_and_shortest_paths(osm_file: Path) -> None:
    full = read_osm(osm_file, simplify=False)
    simple = read_osm(osm_file)
    # ends and junctions; 4 and then 5 go too once 4-5 and 4-7-5 merge into one street
    assert set(simple) == {"1", "6", "8", "96"}
    assert all(simple.degree(v) != 2 for v in simple)
    for a in simple:
        for b in simple:
            assert nx.shortest_path_length(simple, a, b, weight="length") == pytest.approx(
                nx.shortest_path_length(full, a, b, weight="length"), rel=1e-12)
    # 1-2-3-4-5-6 became one edge of the summed length (the direct 4-5, not 4-7-5)
    chain = sum(full.edges[u, v]["length"]
                for u, v in [("1", "2"), ("2", "3"), ("3", "4"), ("4", "5"), ("5", "6")])
    assert simple.edges["1", "6"]["length"] == pytest.approx(chain, rel=1e-12)


def test_collapse_of_a_pure_cycle_keeps_one_node() -> None:
    ring = nx.cycle_graph(5)
    nx.set_edge_attributes(ring, 10.0, "length")
    out = collapse_chains(ring)
    assert list(out) == [0] and out.number_of_edges() == 0


def test_osm_map_file_in_a_scenario_walks_one_way_streets_both_ways(
        osm_file: Path, write_scenario) -> None:
    data = {
        "map": {"source": "file", "path": osm_file.name, "speed": 60.0, "simplify": False},
        "grids": {"assignment": "partition", "count": 2},
        "demand": {"categories": [{"name": "job", "rate_per_hour": 1.0,
                                   "service": {"distribution": "fixed", "value": 5}}]},
        "run": {"horizon_days": 1, "warmup_days": 0.1, "replications": 1},
    }
    scenario = twin.load_checked(str(write_scenario(data, folder=osm_file.parent)))
    community = build_community(scenario)
    assert sorted(community.node_labels) == ["1", "2", "3", "4", "5", "6", "7", "8", "96"]
    i, j = community.node_labels.index("5"), community.node_labels.index("6")
    length = great_circle(NODES["5"], NODES["6"])
    assert community.travel.between(i, j) == community.travel.between(j, i)
    assert community.travel.between(j, i) == pytest.approx(length / 60.0, rel=0.01)
    assert community.grid_names == ["grid-01", "grid-02"]
    result = twin.run_replications(scenario, replications=1)
    assert result.errors == {}


def test_unreadable_osm_file_is_a_located_problem(tmp_path: Path, write_scenario) -> None:
    (tmp_path / "broken.osm").write_text("<osm><node id='1'", encoding="utf-8")
    data = {
        "map": {"source": "file", "path": "broken.osm"},
        "grids": {"assignment": "partition", "count": 2},
        "demand": {"categories": [{"name": "job", "rate_per_hour": 1.0,
                                   "service": {"distribution": "fixed", "value": 5}}]},
    }
    path = write_scenario(data, folder=tmp_path)
    with pytest.raises(ScenarioError) as caught:
        twin.load_checked(str(path))
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}:{line_of(path, 'broken.osm')}: map.path: "
                           "cannot read map file: ")


# ---------------------------------------------------------------- partition
def lattice(rows: int, cols: int, length: float = 100.0) -> tuple[nx.Graph, np.ndarray]:
    graph = nx.convert_node_labels_to_integers(nx.grid_2d_graph(rows, cols), ordering="sorted")
    nx.set_edge_attributes(graph, length, "length")
    xy = np.array([[v % cols * length, v // cols * length] for v in graph], dtype=float)
    return graph, xy


def cut(graph: nx.Graph, xy: np.ndarray, count: int, weights: np.ndarray | None = None
        ) -> np.ndarray:
    adjacency = csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(len(xy)),
                                                    weight="length"))
    return partition(adjacency, xy, count, np.ones(len(xy)) if weights is None else weights)


def assert_sound(graph: nx.Graph, region: np.ndarray, count: int, weights: np.ndarray,
                 tolerance: float = BALANCE_TOLERANCE) -> None:
    assert sorted(set(region.tolist())) == list(range(count))
    for r in range(count):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(region == r).tolist())), r
    load = np.bincount(region, weights=weights, minlength=count)
    assert np.abs(load / load.mean() - 1).max() <= tolerance, load


@pytest.mark.parametrize(("rows", "cols", "count"), [
    (12, 15, 1), (12, 15, 2), (12, 15, 5), (20, 30, 8), (9, 9, 13), (3, 3, 9)])
def test_partition_of_a_lattice_is_contiguous_balanced_and_deterministic(
        rows: int, cols: int, count: int) -> None:
    graph, xy = lattice(rows, cols)
    region = cut(graph, xy, count)
    # a lattice in few pieces balances to within a node or two
    tolerance = max(BALANCE_TOLERANCE, 2 * count / (rows * cols))
    assert_sound(graph, region, count, np.ones(len(xy)), tolerance)
    np.testing.assert_array_equal(cut(graph, xy, count), region)


def test_partition_balances_node_weights() -> None:
    graph, xy = lattice(16, 16)
    weights = np.where(xy[:, 0] < 800, 4.0, 1.0)  # a dense west, a sparse east
    region = cut(graph, xy, 6, weights)
    assert_sound(graph, region, 6, weights)
    sizes = np.bincount(region)
    assert sizes.max() > 2 * sizes.min()  # equal weight, not equal size


def test_partition_into_single_nodes_and_zero_length_streets() -> None:
    graph = nx.path_graph(6)
    nx.set_edge_attributes(graph, 0.0, "length")
    xy = np.column_stack([np.arange(6.0), np.zeros(6)])
    region = cut(graph, xy, 6)
    assert sorted(region.tolist()) == list(range(6))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), extra=st.integers(0, 30), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_partition_of_any_connected_network_is_non_empty_and_contiguous(
        n: int, extra: int, seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for v in range(1, n):  # a random tree, then some cross streets
        graph.add_edge(v, int(rng.integers(v)), length=float(rng.uniform(0, 200)))
    for _ in range(extra if n > 1 else 0):
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        graph.add_edge(a, b, length=float(rng.uniform(0, 200)))
    xy = rng.uniform(0, 1000, size=(n, 2))
    weights = rng.choice([0.0, 1.0, 5.0], size=n) + 0.01
    count = data.draw(st.integers(1, n))
    region = cut(graph, xy, count, weights)
    assert sorted(set(region.tolist())) == list(range(count))
    for r in range(count):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(region == r).tolist()))


@pytest.mark.parametrize("count", range(1, 8))
def test_partition_of_a_star_where_bisection_cannot_cut(count: int) -> None:
    # six spokes: leaves only connect through the centre, so most
    # cuts into many grids need the fallback; every grid is still one piece
    graph = nx.star_graph(6)
    nx.set_edge_attributes(graph, 50.0, "length")
    angle = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    xy = np.vstack([[0.0, 0.0], np.column_stack([np.cos(angle), np.sin(angle)]) * 50])
    region = cut(graph, xy, count)
    assert sorted(set(region.tolist())) == list(range(count))
    sizes = np.bincount(region)
    assert sizes.max() == 7 - (count - 1)  # leaves alone, the rest with the centre
    for r in range(count):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(region == r).tolist()))


def test_partition_numbers_grids_like_blocks(small_scenario) -> None:
    community = build_community(small_scenario({
        "map.rows": 10, "map.cols": 10,
        "grids": {"assignment": "partition", "count": 4}}))
    centroids = np.array([community.xy[nodes].mean(axis=0) for nodes in community.grid_nodes])
    assert community.grid_names == ["grid-01", "grid-02", "grid-03", "grid-04"]
    # two rows of two: south-west, south-east, north-west, north-east
    assert centroids[0, 1] < centroids[2, 1] and centroids[1, 1] < centroids[3, 1]
    assert centroids[0, 0] < centroids[1, 0] and centroids[2, 0] < centroids[3, 0]


def test_demand_weights_are_street_frontage_or_a_node_attribute(
        small_scenario, tmp_path: Path, write_scenario) -> None:
    scenario = small_scenario({"map.rows": 3, "map.cols": 3, "grids": {
        "assignment": "partition", "count": 1, "balance": "demand"}})
    community = build_community(scenario)
    weights = node_weights(scenario.grids, community.graph)
    # corners meet two 100 m streets, edges three, the middle four: half of each
    np.testing.assert_allclose(weights, [100, 150, 100, 150, 200, 150, 100, 150, 100])
    graph, _ = lattice(4, 4)
    for v in graph:  # one crowded corner
        graph.nodes[v].update(x=float(v % 4 * 100), y=float(v // 4 * 100),
                              homes=10.0 if v == 0 else 1.0)
    nx.write_graphml(graph, tmp_path / "homes.graphml")
    data = {"map": {"source": "file", "path": "homes.graphml"},
            "grids": {"assignment": "partition", "count": 2, "balance": "demand",
                      "weight_attribute": "homes", "total_residents": 8801},
            "demand": {"categories": [{"name": "job", "rate_per_hour": 1.0,
                                       "service": {"distribution": "fixed", "value": 5}}]}}
    scenario = twin.load_scenario(write_scenario(data, folder=tmp_path))
    community = build_community(scenario)
    weights = node_weights(scenario.grids, community.graph)
    assert sorted(weights.tolist()) == [1.0] * 15 + [10.0]
    load = np.array([weights[nodes].sum() for nodes in community.grid_nodes])
    assert np.abs(load - 12.5).max() <= 0.5  # 25 homes in halves
    assert min(len(nodes) for nodes in community.grid_nodes) <= 4  # the crowded corner
    # residents follow the weight and add up exactly
    assert community.residents.sum() == 8801
    np.testing.assert_allclose(community.residents, 8801 * load / 25, atol=1)


# ----------------------------------------------------------------- Helsinki
@pytest.fixture(scope="module")
def helsinki() -> tuple[nx.Graph, np.ndarray]:
    import json

    raw = nx.node_link_graph(json.loads(HELSINKI.read_text(encoding="utf-8")), edges="links")
    graph = nx.convert_node_labels_to_integers(raw)
    xy = np.array([[graph.nodes[v]["x"], graph.nodes[v]["y"]] for v in graph])
    return graph, xy


def test_helsinki_extract_is_small_connected_and_attributed(helsinki) -> None:
    graph, _ = helsinki
    assert HELSINKI.stat().st_size < 2_000_000
    assert 1000 <= graph.number_of_nodes() <= 5000
    assert nx.is_connected(graph)
    assert all(d["length"] > 0 for _, _, d in graph.edges(data=True))
    notes = (HELSINKI.parent / "README.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in notes and "ODbL 1.0" in notes
    assert "https://www.openstreetmap.org/copyright" in notes


@pytest.mark.parametrize("balance", ["nodes", "demand"])
def test_partition_of_helsinki(helsinki, balance: str, small_scenario) -> None:
    graph, xy = helsinki
    if balance == "nodes":
        weights = np.ones(len(xy))
    else:
        weights = np.array([sum(d["length"] for _, _, d in graph.edges(v, data=True)) / 2
                            for v in graph])
    region = cut(graph, xy, 8, weights)
    assert_sound(graph, region, 8, weights)
    np.testing.assert_array_equal(cut(graph, xy, 8, weights), region)


def test_real_map_scenario_runs_a_day() -> None:
    maps = MapCache()
    scenario = twin.load_checked(str(REAL_MAP), ["run.horizon_days=1", "run.warmup_days=0.25",
                                                 "run.replications=1"], maps=maps)
    assert scenario.grids.assignment == "partition"
    community = community_for(scenario, maps)  # the map load_checked built, reused by the run
    assert community.grid_names == [f"grid-0{i}" for i in range(1, 9)]
    assert community.residents.sum() == scenario.grids.total_residents
    for g, nodes in enumerate(community.grid_nodes):
        assert community.centre_node[g] in nodes  # the default base is inside the grid
        assert nx.is_connected(community.graph.subgraph(nodes.tolist()))
    result = twin.run_replications(scenario, execution=twin.Execution(maps=maps))
    assert result.errors == {}
    assert result.kpis["arrived"].iloc[0] > 0


# ---------------------------------------------------------------- bad input
VALID = """\
name: tiny
map:
  source: lattice
  rows: 4
  cols: 4
grids:
  assignment: partition
  count: 3
demand:
  categories:
    - name: repair
      rate_per_hour: 1.0
      service: {distribution: exponential, mean: 20}
"""


def problems_of(tmp_path: Path, text: str, checked: bool = False) -> tuple[Path, list[str]]:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        if checked:
            twin.load_checked(str(path))
        else:
            twin.load_scenario(path)
    return path, str(caught.value).splitlines()


def test_valid_partition_scenario_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(VALID, encoding="utf-8")
    scenario = twin.load_checked(str(path))
    assert scenario.grids.count == 3 and scenario.grids.balance == "nodes"


def test_count_larger_than_the_map(tmp_path: Path) -> None:
    path, lines = problems_of(tmp_path, VALID.replace("count: 3", "count: 17"), checked=True)
    assert lines == [f"{path}:8: grids.count: must be at most the number of map nodes, 16 "
                     "(got 17)"]


def test_count_zero(tmp_path: Path) -> None:
    path, lines = problems_of(tmp_path, VALID.replace("count: 3", "count: 0"))
    assert lines == [f"{path}:8: grids.count: must be >= 1 (got 0)"]


def test_count_missing(tmp_path: Path) -> None:
    path, lines = problems_of(tmp_path, VALID.replace("  count: 3\n", ""))
    assert lines == [f"{path}:6: grids.count: assignment partition needs count, "
                     "the number of grids"]


def test_unknown_balance(tmp_path: Path) -> None:
    path, lines = problems_of(tmp_path, VALID.replace("count: 3", "count: 3\n  balance: people"))
    assert lines == [f"{path}:9: grids.balance: must be one of: nodes, demand (got 'people')"]


def test_count_without_partition_and_items_of_the_wrong_length(tmp_path: Path) -> None:
    text = VALID.replace("  assignment: partition\n", "  assignment: nearest_centre\n"
                         "  items: [{name: a, centre: [0, 0]}]\n")
    path, lines = problems_of(tmp_path, text)
    assert lines == [f"{path}:9: grids.count: only used with assignment partition"]
    text = VALID.replace("count: 3", "count: 3\n  items: [{name: a}, {name: b}]")
    path, lines = problems_of(tmp_path, text)
    assert lines == [f"{path}:9: grids.items: count 3 makes 3 grids but items lists 2; "
                     "list one item per grid or none"]


def test_total_residents_and_item_residents_conflict(tmp_path: Path) -> None:
    text = VALID.replace("count: 3", "count: 1\n  total_residents: 5000\n"
                         "  items: [{name: a, residents: 100}]")
    path, lines = problems_of(tmp_path, text)
    assert lines == [f"{path}:9: grids.total_residents: give residents per item or "
                     "total_residents, not both"]


def test_weight_attribute_on_some_nodes_only(tmp_path: Path, write_scenario) -> None:
    graph, _ = lattice(3, 3)
    for v in graph:
        graph.nodes[v].update(x=float(v % 3), y=float(v // 3))
    graph.nodes[0]["homes"] = 5.0
    nx.write_graphml(graph, tmp_path / "some.graphml")
    data = {"map": {"source": "file", "path": "some.graphml"},
            "grids": {"assignment": "partition", "count": 2, "balance": "demand",
                      "weight_attribute": "homes"},
            "demand": {"categories": [{"name": "job", "rate_per_hour": 1.0,
                                       "service": {"distribution": "fixed", "value": 5}}]}}
    path = write_scenario(data, folder=tmp_path)
    with pytest.raises(ScenarioError) as caught:
        twin.load_checked(str(path))
    line = line_of(path, "weight_attribute")
    assert str(caught.value).splitlines() == [
        f"{path}:{line}: grids.weight_attribute: 8 map node(s) have no attribute 'homes' "
        "(needed by balance: demand)"]
