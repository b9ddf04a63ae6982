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
        "dispatch.policy": "own_grid_then_neighbours", "dispatch.borrow_after": 20}


def _scenario(**extra: object) -> twin.Scenario:
    return twin.load_scenario(ROOT / "scenarios" / "baseline.yaml", overrides={**BUSY, **extra})


def test_neighbours_of_block_grids() -> None:
    scenario = _scenario()
    community = build_community(scenario)
    staffing = build_staffing(scenario, community)
    neighbours = unit_neighbours(staffing, community)
    names = staffing.unit_names
    blocks = scenario.grids.blocks
    assert blocks is not None
    rows, cols = blocks
    for u, found in enumerate(neighbours):  # grids are numbered row by row
        r, c = divmod(u, cols)
        expect = {(r + dr) * cols + c + dc for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                  if 0 <= r + dr < rows and 0 <= c + dc < cols}
        assert set(found) == expect, (names[u], found)


def test_borrowed_workers_come_from_neighbouring_grids_after_the_delay() -> None:
    scenario = _scenario()
    community = build_community(scenario)
    staffing = build_staffing(scenario, community)
    neighbours = unit_neighbours(staffing, community)
    records = simulate(scenario, 0, community)
    issues = records.issues
    borrowed = issues[issues["borrowed"]]
    assert len(borrowed) > 20
    worker_unit = pd.Series(staffing.unit)[borrowed["worker"].to_numpy()].to_numpy()
    issue_unit = [staffing.unit_names.index(str(u)) for u in borrowed["unit"]]
    assert all(w in neighbours[i] for w, i in zip(worker_unit, issue_unit, strict=True))
    waited = (borrowed["t_dispatched"] - borrowed["t_reported"]).to_numpy()
    assert (waited >= 20.0 - 1e-9).all()


def test_with_borrowing_beyond_the_horizon_it_is_own_grid() -> None:
    late = simulate(_scenario(**{"dispatch.borrow_after": 10 * 1440.0}), 0)
    own = simulate(_scenario(**{"dispatch.policy": "own_grid"}), 0)
    assert late.issues.equals(own.issues)
    assert late.activity.equals(own.activity)


def test_neighbours_borrow_less_than_the_whole_team() -> None:
    near = simulate(_scenario(), 0).issues
    team = simulate(_scenario(**{"dispatch.policy": "own_grid_then_nearest"}), 0).issues
    assert 0 < near["borrowed"].sum() <= team["borrowed"].sum()
    assert np.isfinite(near["t_resolved"]).sum() > 0
