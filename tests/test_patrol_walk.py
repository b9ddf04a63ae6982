"""Patrols walked without a timer per route node give the tables of a walk with one.

The walk with one SimPy timer per route node is kept here only, as the reference:
:class:`EveryNodeStaff` is :class:`twin.engine.staff.Staff` with the patrol of before
(a timer at every node, reporting there; the next timer set after it). Every record
table of both runs must be equal, value for value, on random street maps (lengths
in float metres) and on lattices, where legs of whole minutes make many arrivals,
shift ends, midnights and ends of a patrol minimum fall at one time.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import simpy

import twin
from twin.engine import assembly
from twin.engine.eventorder import compare_stamps
from twin.engine.patrolwalk import PatrolWalk
from twin.engine.staff import Staff

TABLES = ("issues", "activity", "escalations", "visits", "complaints", "orders", "steps",
          "disputes")

SCENARIO = """\
name: patrol-walk
map: {map}
grids: {grids}
demand:
  categories:
    - name: hazard
      rate_per_hour: {hazards}
      latent: {{report_delay: 300}}
      service: {{distribution: exponential, mean: 25}}
    - name: job
      rate_per_hour: {jobs}
      service: {{distribution: exponential, mean: 20}}
workforce:
  per_grid: {per_grid}
  return_to_base: {to_base}
  shifts: [{{start: "08:00", end: "12:00"}}, {{start: "08:00", end: "17:00"}},
           {{start: "13:00", end: "21:00"}}]
patrols: {{enabled: true, minimum_per_day: {minimum}}}
run: {{horizon_days: {days}, warmup_days: 0.5, replications: 1, seed: {seed}}}
"""


class EveryNodeStaff(Staff):
    """Staff whose patrol sets a timer at every node of its route (the walk before)."""

    made: list[EveryNodeStaff] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.walk = None  # positions are kept up to date by the timers themselves
        self.patrol_pos = [0] * self.n
        self.steps = 0
        EveryNodeStaff.made.append(self)

    def clear_idle(self, worker: int) -> int:
        if self.patrol_since[worker] >= 0.0:
            self.patrol_gen[worker] += 1  # stops the patrol's pending step
        return super().clear_idle(worker)

    def _patrol(self, worker: int, node: int) -> None:
        route = self.routes[self.unit[worker]]
        k = self.patrol_pos[worker]
        target = route[k]
        if target == node:  # already here: aim for the next node of the route
            k = (k + 1) % len(route)
            self.patrol_pos[worker] = k
            target = route[k]
        now = self.env.now
        self._a[worker] = node
        self._b[worker] = target
        self._s[worker] = now
        self._e[worker] = now + self.travel.between(node, target)
        gen = self.patrol_gen[worker]
        self.steps += 1
        step = self.env.timeout(self._e[worker] - now)
        step.callbacks.append(lambda _event: self._patrol_step(worker, gen))

    def _patrol_step(self, worker: int, gen: int) -> None:
        if self.patrol_gen[worker] != gen or not self._idle[worker]:
            return  # dispatched or off duty since this step was planned
        node = self._b[worker]
        route = self.routes[self.unit[worker]]
        self.patrol_pos[worker] = (self.patrol_pos[worker] + 1) % len(route)
        self._a[worker] = node
        self._s[worker] = self.env.now
        self.on_arrival(worker, node)  # may report latent issues and dispatch this worker
        if self.patrol_gen[worker] == gen and self._idle[worker]:
            self._patrol(worker, node)


class CountedStaff(Staff):
    """Staff as shipped, kept for a look at its walk after the run."""

    made: list[CountedStaff] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        CountedStaff.made.append(self)


def random_map(path: Path, seed: int, n: int = 40) -> None:
    """A connected street map: a random tree plus cross streets, lengths from the
    coordinates (float metres)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 900.0, size=(n, 2))
    links = {(int(rng.integers(v)), v) for v in range(1, n)}
    for _ in range(n // 2):
        a, b = (int(x) for x in rng.choice(n, size=2, replace=False))
        links.add((min(a, b), max(a, b)))
    data = {"directed": False, "multigraph": False, "graph": {},
            "nodes": [{"id": v, "x": float(x), "y": float(y)} for v, (x, y) in enumerate(xy)],
            "links": [{"source": a, "target": b} for a, b in sorted(links)]}
    path.write_text(json.dumps(data), encoding="utf-8")


def scenario(tmp_path: Path, **values: Any) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SCENARIO.format(**values)), encoding="utf-8")
    return twin.load_scenario(path)


def tables_both_ways(monkeypatch: pytest.MonkeyPatch, sc: twin.Scenario
                     ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Every record table with the walk as shipped and with a timer per node."""
    out = []
    for kind in (CountedStaff, EveryNodeStaff):
        kind.made.clear()
        monkeypatch.setattr(assembly, "Staff", kind)
        records = twin.simulate(sc, 0)
        out.append({t: getattr(records, t) for t in TABLES})
    return out[0], out[1]


def assert_same(new: dict[str, pd.DataFrame], old: dict[str, pd.DataFrame]) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(new[table], old[table], check_exact=True, obj=table)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_map_tables_equal_a_walk_with_a_timer_per_node(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    random_map(tmp_path / "streets.json", seed)
    sc = scenario(tmp_path, map='{source: file, path: streets.json, speed: 70}',
                  grids="{assignment: partition, count: 3}", hazards=0.5, jobs=0.3,
                  per_grid=3, to_base="true", minimum=[0, 90, 200][seed - 1], days=3,
                  seed=seed)
    new, old = tables_both_ways(monkeypatch, sc)
    assert_same(new, old)
    found = (new["issues"]["channel"].astype(str) == "patrol").sum()
    assert found > 10  # the patrols did find things
    walk = CountedStaff.made[0].walk
    assert walk is not None
    assert walk.timers < EveryNodeStaff.made[0].steps / 2


@pytest.mark.parametrize(("seed", "minimum", "to_base", "per_grid", "hazards", "days"),
                         [(4, 300, "true", 6, 1.5, 6), (5, 240, "false", 6, 1.2, 5),
                          (6, 0, "true", 4, 0.8, 4)])
def test_lattice_tables_equal_a_walk_with_a_timer_per_node(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, minimum: int,
        to_base: str, per_grid: int, hazards: float, days: int) -> None:
    # 80 m blocks at 80 m/min: every leg takes whole minutes, so workers who started
    # together arrive together, and at shift ends, midnight and the minimum's end
    sc = scenario(tmp_path, map="{source: lattice, rows: 7, cols: 8, block_length: 80}",
                  grids="{blocks: [1, 2]}", hazards=hazards, jobs=0.5, per_grid=per_grid,
                  to_base=to_base, minimum=minimum, days=days, seed=seed)
    new, old = tables_both_ways(monkeypatch, sc)
    assert_same(new, old)
    assert (new["issues"]["channel"].astype(str) == "patrol").sum() > 50


def test_a_worker_reads_where_its_patrol_got_to_with_no_timer_on_the_way() -> None:
    env = simpy.Environment()
    n = 1
    a, b = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    s, e = np.zeros(n), np.zeros(n)
    hops = [1.5, 2.25, 0.5, 3.0]
    route = [10, 11, 12, 13]

    def between(x: int, y: int) -> float:
        i, j = route.index(x), route.index(y)
        return sum(hops[k % 4] for k in range(i, i + (j - i) % 4))

    found: list[tuple[int, int, float]] = []

    def arrival(w: int, node: int) -> None:  # what the router does: report, unmark
        found.append((w, node, env.now))
        walk.unmark(node)

    walk = PatrolWalk(env, between, [route], [hops], [0], (a.data, b.data, s.data, e.data),
                      arrival)
    env.run(until=0.3)
    walk.start(0, 10, env.now)
    env.run(until=5.0)
    ends = [0.3]  # the walk with a timer per node: each leg ends at s + (e - s)
    for hop in hops * 3:
        end = ends[-1] + hop
        ends.append(ends[-1] + (end - ends[-1]))
    walk.catch_up(0)  # at 5.0: past 11, 12 and 13, on the way back to 10
    assert ends[3] < 5.0 < ends[4]
    assert (int(a[0]), int(b[0]), float(s[0])) == (13, 10, ends[3])
    assert float(e[0]) == ends[3] + hops[3]
    assert walk.timers == 0 and found == []
    walk.mark(11)
    env.run(until=20.0)
    assert found == [(0, 11, ends[5])]  # the next arrival at 11 (none before it was marked)
    assert walk.timers == 3  # near the leg into 11, its start (a batch), the find


def test_stamps_order_from_the_newest_start_back() -> None:
    root = (480.0, (480.0, (1.0, ())))
    other = (480.0, (480.0, (2.0, ())))
    x = (482.0, (481.0, root))
    y = (482.0, (481.0, other))
    assert compare_stamps(x, y) == -1 and compare_stamps(y, x) == 1 and compare_stamps(x, x) == 0
    assert compare_stamps((482.0, (480.5, other)), x) == -1  # its leg began earlier
    deep_x, deep_y = x, y
    for t in range(5000):  # in step for hours: no recursion limit
        deep_x, deep_y = (483.0 + t, deep_x), (483.0 + t, deep_y)
    assert compare_stamps(deep_x, deep_y) == -1
