"""The map: lattice travel times, grid assignment, street networks read from files."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import twin
from twin.geography import MapError, build_community


def test_lattice_travel_time_is_manhattan_distance_over_speed(small_scenario) -> None:
    rows, cols, block, speed = 4, 6, 75.0, 60.0
    scenario = small_scenario({"map.rows": rows, "map.cols": cols,
                               "map.block_length": block, "map.speed": speed})
    community = build_community(scenario)
    n = rows * cols
    assert community.graph.number_of_nodes() == n
    assert community.graph.number_of_edges() == rows * (cols - 1) + cols * (rows - 1)
    # node coordinates: x = col * block, y = row * block
    r, c = np.divmod(np.arange(n), cols)
    np.testing.assert_allclose(community.xy, np.column_stack([c * block, r * block]))
    manhattan = (np.abs(r[:, None] - r[None, :]) + np.abs(c[:, None] - c[None, :])) * block
    times = np.array([community.travel.row(v) for v in range(n)], dtype=float)
    np.testing.assert_allclose(times, manhattan / speed, rtol=1e-6)
    assert community.travel.between(0, n - 1) == pytest.approx(
        ((rows - 1) + (cols - 1)) * block / speed, rel=1e-6)


@pytest.mark.parametrize(("rows", "cols", "blocks"), [
    (6, 10, (2, 5)), (5, 7, (2, 3)), (30, 40, (2, 5)), (3, 3, (3, 3)), (4, 4, (1, 1))])
def test_blocks_cut_lattice_into_near_equal_rectangles(small_scenario, rows, cols,
                                                       blocks) -> None:
    scenario = small_scenario({"map.rows": rows, "map.cols": cols,
                               "grids.blocks": list(blocks)})
    community = build_community(scenario)
    br, bc = blocks
    assert len(community.grid_names) == br * bc
    assert community.grid_names[0] == "grid-01"
    heights, widths = {}, {}
    for g, nodes in enumerate(community.grid_nodes):
        r, c = np.divmod(nodes, cols)
        h, w = r.max() - r.min() + 1, c.max() - c.min() + 1
        assert len(nodes) == h * w, f"grid {g} is not a rectangle"
        # grids are numbered row by row
        assert (g // bc, g % bc) == (r.min() * br // rows, c.min() * bc // cols)
        heights.setdefault(g // bc, h)
        widths.setdefault(g % bc, w)
        assert heights[g // bc] == h and widths[g % bc] == w
    assert sum(heights.values()) == rows and sum(widths.values()) == cols
    assert max(heights.values()) - min(heights.values()) <= 1
    assert max(widths.values()) - min(widths.values()) <= 1
    assert sum(len(nodes) for nodes in community.grid_nodes) == rows * cols
    # the default base is a node of the grid near its middle
    for g, nodes in enumerate(community.grid_nodes):
        centre = community.centre_node[g]
        assert centre in nodes
        d = ((community.xy[nodes] - community.xy[nodes].mean(axis=0)) ** 2).sum(axis=1)
        assert ((community.xy[centre] - community.xy[nodes].mean(axis=0)) ** 2).sum() == d.min()


def test_named_grid_items_and_residents(small_scenario) -> None:
    scenario = small_scenario({"map.cols": 6, "grids.blocks": [1, 2],
                               "grids.items": [{"name": "west", "residents": 1200},
                                               {"name": "east", "residents": 800}]})
    community = build_community(scenario)
    assert community.grid_names == ["west", "east"]
    np.testing.assert_array_equal(community.residents, [1200, 800])


# ------------------------------------------------------------------------- file maps
def street_graph() -> nx.Graph:
    """Five junctions: a square 0-1-2-3 with a long diagonal 0-2 and a spur 3-4.

    Edge lengths differ from straight-line distances on purpose.
    """
    g = nx.Graph()
    coords = {"a": (0, 0), "b": (100, 0), "c": (100, 100), "d": (0, 100), "e": (-50, 100)}
    grids = {"a": "south", "b": "south", "c": "north", "d": "north", "e": "north"}
    for v, (x, y) in coords.items():
        g.add_node(v, x=float(x), y=float(y), grid=grids[v])
    g.add_edge("a", "b", length=120.0)
    g.add_edge("b", "c", length=110.0)
    g.add_edge("c", "d", length=100.0)
    g.add_edge("d", "a", length=100.0)
    g.add_edge("a", "c", length=500.0)  # slower than going round
    g.add_edge("d", "e", length=60.0)
    return g


def file_scenario(write_scenario, folder: Path, map_name: str, speed: float = 50.0,
                  grids: dict | None = None) -> twin.Scenario:
    data = {
        "map": {"source": "file", "path": map_name, "speed": speed},
        "grids": grids or {"assignment": "attribute", "attribute": "grid"},
        "demand": {"categories": [{"name": "job", "rate_per_hour": 1.0,
                                   "service": {"distribution": "fixed", "value": 5}}]},
        "run": {"horizon_days": 1, "warmup_days": 0.1, "replications": 1},
    }
    return twin.load_scenario(write_scenario(data, folder=folder))


def _assert_travel_matches(community, graph: nx.Graph, speed: float) -> None:
    labels = community.node_labels
    expected = dict(nx.all_pairs_dijkstra_path_length(graph, weight="length"))
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            assert community.travel.between(i, j) == pytest.approx(
                expected[a][b] / speed, rel=1e-6), (a, b)


def test_graphml_map_uses_edge_lengths(tmp_path, write_scenario) -> None:
    graph = street_graph()
    nx.write_graphml(graph, tmp_path / "streets.graphml")
    scenario = file_scenario(write_scenario, tmp_path, "streets.graphml")
    community = build_community(scenario)
    assert sorted(community.node_labels) == ["a", "b", "c", "d", "e"]
    assert community.notes == []
    _assert_travel_matches(community, graph, 50.0)
    a, c = community.node_labels.index("a"), community.node_labels.index("c")
    assert community.travel.between(a, c) == pytest.approx(200.0 / 50.0)  # round, not diagonal
    assert sorted(community.grid_names) == ["north", "south"]
    for g, name in enumerate(community.grid_names):
        members = {community.node_labels[v] for v in community.grid_nodes[g]}
        assert members == {v for v, d in graph.nodes(data=True) if d["grid"] == name}


def test_node_link_json_map_and_straight_line_default(tmp_path, write_scenario) -> None:
    graph = street_graph()
    for _, _, d in graph.edges(data=True):
        del d["length"]  # no lengths: straight-line distance between coordinates
    data = nx.node_link_data(graph, edges="links")
    (tmp_path / "streets.json").write_text(json.dumps(data), encoding="utf-8")
    scenario = file_scenario(write_scenario, tmp_path, "streets.json", speed=10.0)
    community = build_community(scenario)
    for a, b in graph.edges:
        pa, pb = np.array([graph.nodes[a]["x"], graph.nodes[a]["y"]]), np.array(
            [graph.nodes[b]["x"], graph.nodes[b]["y"]])
        graph.edges[a, b]["length"] = float(np.hypot(*(pa - pb)))
    _assert_travel_matches(community, graph, 10.0)


def test_directed_file_is_walked_both_ways(tmp_path, write_scenario) -> None:
    graph = nx.DiGraph(street_graph())
    graph.remove_edge("b", "a")
    graph.remove_edge("e", "d")  # only d -> e remains
    nx.write_graphml(graph, tmp_path / "oneway.graphml")
    community = build_community(file_scenario(write_scenario, tmp_path, "oneway.graphml"))
    i, j = community.node_labels.index("e"), community.node_labels.index("d")
    assert community.travel.between(i, j) == community.travel.between(j, i) == pytest.approx(
        60.0 / 50.0)


def test_missing_coordinates_raise_map_error(tmp_path, write_scenario) -> None:
    graph = street_graph()
    del graph.nodes["c"]["y"]
    nx.write_graphml(graph, tmp_path / "bad.graphml")
    scenario = file_scenario(write_scenario, tmp_path, "bad.graphml")
    with pytest.raises(MapError, match="coordinates") as info:
        build_community(scenario)
    assert info.value.key == "map.path"
    # load_checked reports it as a scenario problem
    path = write_scenario(scenario.model_dump(mode="json"), folder=tmp_path)
    with pytest.raises(twin.ScenarioError):
        twin.load_checked(str(path))


def test_disconnected_map_keeps_largest_part_with_note(tmp_path, write_scenario) -> None:
    graph = street_graph()
    graph.add_node("island1", x=1000.0, y=1000.0, grid="north")
    graph.add_node("island2", x=1010.0, y=1000.0, grid="north")
    graph.add_edge("island1", "island2", length=10.0)
    nx.write_graphml(graph, tmp_path / "islands.graphml")
    community = build_community(file_scenario(write_scenario, tmp_path, "islands.graphml"))
    assert sorted(community.node_labels) == ["a", "b", "c", "d", "e"]
    assert len(community.notes) == 1
    assert "2 disconnected parts" in community.notes[0]
    assert "5 of 7" in community.notes[0]
    assert np.isfinite(community.travel.matrix).all()
    result = twin.run_replications(
        file_scenario(write_scenario, tmp_path, "islands.graphml"), replications=1)
    assert result.notes == community.notes


def test_nearest_centre_assignment(tmp_path, write_scenario) -> None:
    graph = street_graph()
    nx.write_graphml(graph, tmp_path / "streets.graphml")
    grids = {"assignment": "nearest_centre",
             "items": [{"name": "left", "centre": [-100.0, 50.0]},
                       {"name": "right", "centre": [200.0, 50.0]}]}
    community = build_community(file_scenario(write_scenario, tmp_path, "streets.graphml",
                                              grids=grids))
    members = {name: {community.node_labels[v] for v in community.grid_nodes[g]}
               for g, name in enumerate(community.grid_names)}
    assert members == {"left": {"a", "d", "e"}, "right": {"b", "c"}}


def test_issue_nodes_and_bases_follow_file_grids(tmp_path, write_scenario) -> None:
    nx.write_graphml(street_graph(), tmp_path / "streets.graphml")
    scenario = file_scenario(write_scenario, tmp_path, "streets.graphml")
    rec = twin.simulate(scenario, 0)
    community = build_community(scenario)
    grid_of = dict(zip(community.node_labels,
                       [community.grid_names[g] for g in community.grid_of_node], strict=True))
    nodes = [community.node_labels[v] for v in rec.issues["node"]]
    assert [grid_of[v] for v in nodes] == list(rec.issues["grid"].astype(str))
