"""``own_grid_then_neighbours`` (邻格支援) on whole runs: it borrows only from grids that
share a boundary, and only after ``borrow_after`` minutes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import twin
from twin.engine.policies import Units  # noqa: F401 - the policy's port type
from twin.geography import build_community
from twin.model import simulate
from twin.staffing import build_staffing, unit_neighbours

ROOT = Path(__file__).resolve().parents[1]
BUSY = {"run.horizon_days": 4, "run.warmup_days": 1, "workforce.per_grid": 1,
        "dispatch.policy": "own_grid_then_neighbours", "dispatch.borrow_after": 20,
        # the stress scenario's disputes replaced by cases a grid worker settles in one visit
        # (a dispute's visits stay with its own grid, whatever the policy)
        "demand.categories.3": {"name": "case", "rate_per_hour_per_1000_residents": 0.05,
                                "limit": 240,
                                "service": {"distribution": "lognormal", "mean": 35,
                                            "sd": 25}}}


def _scenario(**extra: object) -> twin.Scenario:
    return twin.load_scenario(ROOT / "scenarios" / "stress.yaml", overrides={**BUSY, **extra})


def test_neighbours_of_block_grids() -> None:
    scenario = _scenario()
    community = build_community(scenario)
    staffing = build_staffing(scenario, community)
    neighbours = unit_neighbours(staffing, community)
    names = staffing.unit_names
    grids = community.grid_names
    blocks = scenario.grids.blocks
    assert blocks is not None
    rows, cols = blocks
    for g, grid in enumerate(grids):  # grids are numbered row by row
        r, c = divmod(g, cols)
        expect = {names.index(grids[(r + dr) * cols + c + dc])
                  for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                  if 0 <= r + dr < rows and 0 <= c + dc < cols}
        assert set(neighbours[names.index(grid)]) == expect, (grid, neighbours[names.index(grid)])
    for u, name in enumerate(names):  # handling units and the centre borrow from nobody
        if name not in grids:
            assert neighbours[u] == [], name


GRID_STEPS = ("check", "settle", "verify")
"""Steps of a work order done by the grid workers of the order's grid (or a neighbour's)."""


def test_borrowed_workers_come_from_neighbouring_grids_after_the_delay() -> None:
    scenario = _scenario()
    community = build_community(scenario)
    staffing = build_staffing(scenario, community)
    neighbours = unit_neighbours(staffing, community)
    names = staffing.unit_names
    records = simulate(scenario, 0, community)
    # Cases (categories without a flow): the issue table says who settled them.
    cases = {c.name for c in scenario.demand.categories if c.flow is None}
    assert cases == {"case"}
    issues = records.issues
    borrowed = issues[issues["borrowed"] & issues["category"].astype(str).isin(cases)]
    assert len(borrowed) > 5
    worker_unit = pd.Series(staffing.unit)[borrowed["worker"].to_numpy()].to_numpy()
    issue_unit = [names.index(str(u)) for u in borrowed["unit"]]
    assert all(w in neighbours[i] for w, i in zip(worker_unit, issue_unit, strict=True))
    waited = (borrowed["t_dispatched"] - borrowed["t_reported"]).to_numpy()
    assert (waited >= 20.0 - 1e-9).all()
    # Work orders: a check, settle or verify step done by another grid's worker was
    # taken by a neighbour, at least the delay after the step became ready (a case's
    # delay counts from its report, a step's from when it started waiting).
    steps = records.steps
    orders = records.orders.set_index("order_id")
    done = steps[steps["step"].astype(str).isin(GRID_STEPS) & (steps["worker"] >= 0)]
    home = orders["grid"].astype(str).loc[done["order_id"]].to_numpy()
    away = done[done["unit"].astype(str).to_numpy() != home]
    assert len(away) > 20
    for row in away.itertuples():
        grid = str(orders.at[row.order_id, "grid"])
        assert names.index(str(row.unit)) in neighbours[names.index(grid)], (row, grid)
        assert row.t_dispatched - row.t_ready >= 20.0 - 1e-9, row


def test_with_borrowing_beyond_the_horizon_it_is_own_grid() -> None:
    late = simulate(_scenario(**{"dispatch.borrow_after": 10 * 1440.0}), 0)
    own = simulate(_scenario(**{"dispatch.policy": "own_grid"}), 0)
    assert late.issues.equals(own.issues)
    assert late.activity.equals(own.activity)


def test_neighbours_borrow_less_than_the_whole_team() -> None:
    # Two workers per grid: busy, not swamped (with one, every grid borrows whenever it
    # can under either policy, and the counts say nothing)
    scenario = _scenario(**{"workforce.per_grid": 2})
    cases = {c.name for c in scenario.demand.categories if c.flow is None}

    def borrowed(records: twin.model.ReplicationRecords) -> int:
        """Cases settled, and work-order steps done, by another grid's worker."""
        issues = records.issues
        own = int(issues.loc[issues["category"].astype(str).isin(cases), "borrowed"].sum())
        steps, orders = records.steps, records.orders.set_index("order_id")
        done = steps[steps["step"].astype(str).isin(GRID_STEPS) & (steps["worker"] >= 0)]
        home = orders["grid"].astype(str).loc[done["order_id"]].to_numpy()
        return own + int((done["unit"].astype(str).to_numpy() != home).sum())

    near = [simulate(scenario, r) for r in range(3)]
    team = [simulate(_scenario(**{"dispatch.policy": "own_grid_then_nearest",
                                  "workforce.per_grid": 2}), r) for r in range(3)]
    assert 0 < sum(map(borrowed, near)) < sum(map(borrowed, team))
    assert np.isfinite(near[0].issues["t_resolved"]).sum() > 0
