"""Travel times without n x n memory: bounded searches give exactly the full Dijkstra.

The truth is what the model computed before: scipy's all-pairs Dijkstra on the
street matrix read both ways, ``float32(metres / speed)``. The bounded path is
forced on small random maps by lowering ``FULL_MATRIX_MAX_NODES``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
import simpy
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from typer.testing import CliRunner

import twin
import twin.travel as travel_module
from twin.cli import app
from twin.engine.staff import Staff
from twin.geography import build_community
from twin.model import simulate
from twin.records import ActivityRecorder
from twin.staffing import build_staffing
from twin.travel import TravelTimes, exact_sums

SPEED = 70.0


def random_streets(seed: int, n: int = 160, detours: bool = True, whole: bool = False
                   ) -> nx.Graph:
    """A connected random geometric street map [m]: streets as long as their chord or
    longer (winding); with ``detours`` also some shorter than their chord (and one of
    length 0), so the straight line is no lower bound. ``whole``: lengths rounded up to
    whole metres, so every sum is exact and times are symmetric."""
    rng = np.random.default_rng(seed)
    raw = nx.random_geometric_graph(n, 0.16, seed=seed)
    keep = max(nx.connected_components(raw), key=len)
    raw = nx.convert_node_labels_to_integers(raw.subgraph(keep).copy())
    graph = nx.Graph()
    for v, d in raw.nodes(data=True):
        graph.add_node(v, x=float(d["pos"][0] * 2000.0), y=float(d["pos"][1] * 2000.0))
    for a, b in raw.edges:
        chord = float(np.hypot(graph.nodes[a]["x"] - graph.nodes[b]["x"],
                               graph.nodes[a]["y"] - graph.nodes[b]["y"]))
        factor = 1.0 if rng.random() < 0.4 else rng.uniform(1.0, 2.0)
        if detours and rng.random() < 0.1:
            factor = rng.uniform(0.2, 1.0)
        graph.add_edge(a, b, length=float(np.ceil(chord * factor)) if whole else chord * factor)
    if detours:
        a, b = next(iter(graph.edges))
        graph.edges[a, b]["length"] = 0.0
    return graph


def adjacency_of(graph: nx.Graph) -> tuple[csr_matrix, np.ndarray]:
    n = graph.number_of_nodes()
    xy = np.array([[graph.nodes[v]["x"], graph.nodes[v]["y"]] for v in range(n)])
    return csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(n), weight="length")), xy


def truth(adjacency: csr_matrix, speed: float) -> np.ndarray:
    """All-pairs travel times [min] as the model computed them before."""
    return (dijkstra(adjacency, directed=False) / speed).astype(np.float32)


@pytest.fixture(params=[1_500, 12, 0], ids=["python-balls", "both", "scipy-only"])
def bounded(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded searches, by the Python ball search, by scipy past a few nodes, or by
    scipy only (a budget of 0 nodes)."""
    monkeypatch.setattr(travel_module, "FULL_MATRIX_MAX_NODES", 0)
    monkeypatch.setattr(travel_module, "_SMALL_BALL", request.param)


@pytest.mark.parametrize(("seed", "detours", "whole"),
                         [(1, True, False), (2, False, False), (3, True, False), (8, True, True)])
def test_between_and_among_equal_full_dijkstra(bounded: None, seed: int, detours: bool,
                                               whole: bool) -> None:
    adjacency, xy = adjacency_of(random_streets(seed, detours=detours, whole=whole))
    expected = truth(adjacency, SPEED)
    travel = TravelTimes(adjacency, SPEED, xy)
    assert not travel.full and travel.matrix is None
    assert travel.symmetric == whole
    n = travel.n
    got = np.array([[travel.between(a, b) for b in range(n)] for a in range(n)])
    assert np.array_equal(got, expected.astype(float))
    rng = np.random.default_rng(seed)
    for size in (1, 7, 40):
        nodes = rng.choice(n, size, replace=False)
        fresh = TravelTimes(adjacency, SPEED, xy)
        assert np.array_equal(fresh.among(nodes), expected[np.ix_(nodes, nodes)])
    assert travel.matrix is None  # nothing of n x n was built


def test_full_matrix_equals_full_dijkstra() -> None:
    adjacency, xy = adjacency_of(random_streets(4))
    travel = TravelTimes(adjacency, SPEED, xy)
    assert travel.full and not travel.built()
    assert travel.matrix is not None and travel.matrix.dtype == np.float32
    assert np.array_equal(travel.matrix, truth(adjacency, SPEED))


def test_cache_stays_within_its_byte_bound(bounded: None) -> None:
    adjacency, xy = adjacency_of(random_streets(5, n=300))
    expected = truth(adjacency, SPEED)
    bound = 6_000
    travel = TravelTimes(adjacency, SPEED, xy, cache_bytes=bound)
    rng = np.random.default_rng(5)
    for a, b in rng.integers(0, travel.n, size=(400, 2)):
        assert travel.between(int(a), int(b)) == expected[a, b]
        travel.around(int(b), float(rng.uniform(0.0, 30.0)))
        assert travel.cached_bytes <= bound
        assert travel.cached_bytes == sum(ball.nbytes for ball in travel.cached())
    assert travel.cached_bytes > 0


def test_pinned_balls_leave_the_cache_last(bounded: None) -> None:
    adjacency, xy = adjacency_of(random_streets(5, n=300))
    expected = truth(adjacency, SPEED)
    travel = TravelTimes(adjacency, SPEED, xy, cache_bytes=6_000)
    base = 7
    travel.pin({base})
    base_ball = travel.around(base, 20.0)
    rng = np.random.default_rng(6)
    for node in rng.integers(0, travel.n, size=200):  # other balls fill the cache
        travel.around(int(node), float(rng.uniform(0.0, 30.0)))
        assert travel.cached_bytes <= 6_000
    searches = travel.searches
    assert travel.around(base, 20.0) is base_ball  # still cached: no new search
    assert travel.searches == searches
    inside = np.flatnonzero(expected[base] < base_ball.radius)
    assert all(travel.between(base, int(v)) == expected[base, v] for v in inside)
    assert travel.searches == searches
    travel.pin({base + 1})  # another run's bases: this one is pinned no more
    for node in rng.integers(0, travel.n, size=200):
        travel.around(int(node), float(rng.uniform(0.0, 30.0)))
    assert travel.around(base, 20.0) is not base_ball
    assert travel.cached_bytes == sum(ball.nbytes for ball in travel.cached())
    # Unpinned, the same ball is pushed out by the others.
    plain = TravelTimes(adjacency, SPEED, xy, cache_bytes=6_000)
    first = plain.around(base, 20.0)
    for node in rng.integers(0, plain.n, size=200):
        plain.around(int(node), float(rng.uniform(0.0, 30.0)))
    assert plain.around(base, 20.0) is not first


# --------------------------------------------------------------- nearest idle
def _scenario(tmp_path: Path, graph: nx.Graph, **more: Any) -> twin.Scenario:
    nx.write_graphml(graph, tmp_path / "streets.graphml")
    data: dict[str, Any] = {
        "name": "random-streets",
        "map": {"source": "file", "path": "streets.graphml", "speed": SPEED},
        "grids": {"assignment": "partition", "count": 4},
        "demand": {"categories": [{"name": "job", "rate_per_hour": 6.0,
                                   "service": {"distribution": "exponential", "mean": 25.0}}]},
        "workforce": {"per_grid": 12, "return_to_base": True},
        "dispatch": {"policy": "nearest_idle"},
        "run": {"horizon_days": 2.0, "warmup_days": 0.0, "replications": 1, "seed": 3},
    }
    for key, value in more.items():
        data[key] = value
    path = tmp_path / "random.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    return twin.load_scenario(path)


def _staff(scenario: twin.Scenario, travel: TravelTimes) -> Staff:
    community = build_community(scenario)
    staffing = build_staffing(scenario, community)
    env = simpy.Environment()
    activity = ActivityRecorder(staffing.unit, staffing.kind, 0)
    return Staff(env, travel, staffing, activity, return_to_base=True, patrols=False)


def test_exact_sums() -> None:
    assert exact_sums(np.array([80.0, 0.5, 0.0, 1.0 / 1024.0]))
    assert not exact_sums(np.array([80.0, 0.1]))
    assert not exact_sums(np.array([2.0**44]))  # 2**54 steps of 1/1024 m
    assert not exact_sums(np.array([]))


@pytest.mark.parametrize(("budget", "whole"), [(1_500, False), (12, False), (1_500, True),
                                               (12, True)])
def test_nearest_idle_equals_full_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         budget: int, whole: bool) -> None:
    scenario = _scenario(tmp_path, random_streets(6, n=220, whole=whole))
    community = build_community(scenario)
    adjacency = csr_matrix(nx.to_scipy_sparse_array(
        community.graph, nodelist=range(len(community.xy)), weight="length"))
    full = _staff(scenario, TravelTimes(adjacency, SPEED, community.xy))
    monkeypatch.setattr(travel_module, "FULL_MATRIX_MAX_NODES", 0)
    monkeypatch.setattr(travel_module, "_SMALL_BALL", budget)
    small = _staff(scenario, TravelTimes(adjacency, SPEED, community.xy))
    assert full.travel.full and not small.travel.full
    assert small.travel.symmetric == whole
    n, rng = full.travel.n, np.random.default_rng(6)
    idle: set[int] = set()
    checked = 0
    for step in range(60):  # random workers go idle (walking to base) or get busy
        for staff in (full, small):
            staff.env.run(until=step * 3.0 + 0.5)
        w = int(rng.integers(full.n))
        node = int(rng.integers(n))
        for staff in (full, small):
            if w in idle:
                staff.clear_idle(w)
            else:
                staff.set_idle(w, node)
        idle ^= {w}
        members = sorted(idle)
        pools = [set(rng.choice(members, k, replace=False).tolist())
                 for k in (1, 5, 23, 30) if k <= len(members)] + [set()]
        for target in rng.choice(n, 25, replace=False).tolist():
            assert small.nearest_of_team(0, target) == full.nearest_of_team(0, target)
            for pool in pools:
                assert small.nearest_in(pool, target) == full.nearest_in(pool, target)
                checked += 1
        if idle:  # the team's penalty keeps busy workers out
            assert small.nearest_of_team(0, 0)[0] in idle
    assert checked > 1000
    assert small.travel.matrix is None


@pytest.mark.parametrize(("budget", "whole"), [(1_500, False), (12, True)])
@pytest.mark.parametrize("policy", ["nearest_idle", "own_grid_then_nearest"])
def test_simulation_is_identical_with_bounded_searches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, budget: int,
        whole: bool) -> None:
    scenario = _scenario(tmp_path, random_streets(7, n=200, whole=whole),
                         dispatch={"policy": policy, "borrow_after": 20.0}
                         if policy != "nearest_idle" else {"policy": policy},
                         patrols={"enabled": True})
    matrix = simulate(scenario, 0)
    monkeypatch.setattr(travel_module, "FULL_MATRIX_MAX_NODES", 0)
    monkeypatch.setattr(travel_module, "_SMALL_BALL", budget)
    community = build_community(scenario)
    searched = simulate(scenario, 0, community=community)
    assert community.travel.matrix is None and community.travel.searches > 0
    assert len(matrix.issues) > 100 and matrix.issues["worker"].nunique() > 10
    pd_equal = matrix.issues.equals(searched.issues) and matrix.activity.equals(searched.activity)
    assert pd_equal


# ------------------------------------------------------------------- validate
def test_validate_builds_no_travel_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    data = {
        "name": "district",
        "map": {"source": "lattice", "rows": 200, "cols": 200, "block_length": 80.0},
        "grids": {"assignment": "blocks", "blocks": [10, 10]},
        "demand": {"categories": [{"name": "job", "rate_per_hour": 30.0,
                                   "service": {"distribution": "exponential", "mean": 20.0}}]},
        "workforce": {"per_grid": 3, "return_to_base": True},
        "patrols": {"enabled": True},
        "dispatch": {"policy": "nearest_idle"},
        "run": {"horizon_days": 1.0, "warmup_days": 0.0, "replications": 1, "seed": 1},
    }
    path = tmp_path / "district.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validate computed travel times")

    monkeypatch.setattr(travel_module, "dijkstra", refuse)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "map: 40,000 nodes in 100 grids" in result.output
