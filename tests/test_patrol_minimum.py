"""A daily patrol minimum: grid workers patrol at least so long a day before taking work.

Patrols find latent hazards; under load an idle-only patrol never happens. With
`patrols.minimum_per_day`, a grid worker that still owes patrol today takes no waiting
work and is sent nowhere until it has patrolled what it owes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import twin
from twin import ScenarioError

DAY = 1440.0
BUSY = """\
name: busy
map: {{source: lattice, rows: 6, cols: 6, block_length: 100}}
grids: {{blocks: [1, 2]}}
demand:
  categories:
    - name: hazard
      rate_per_hour: 3.0
      latent: {{report_delay: 600}}
      service: {{distribution: exponential, mean: 30}}
workforce:
  per_grid: 2
  shifts: [{{start: "08:00", end: "17:00"}}]
patrols: {{enabled: true{minimum}}}
run: {{horizon_days: 8, warmup_days: 1, replications: 1}}
"""


def load(tmp_path: Path, minimum: str = "") -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(BUSY.format(minimum=minimum)), encoding="utf-8")
    return twin.load_scenario(path)


def per_worker_day(activity: pd.DataFrame, state: str) -> pd.Series:
    rows = activity[activity["state"].astype(str) == state]
    day = (rows["t_start"] // DAY).astype(int)
    return (rows["t_end"] - rows["t_start"]).groupby([rows["worker"], day]).sum()


def test_every_worker_patrols_its_minimum_each_day_before_taking_work(tmp_path: Path) -> None:
    loose = twin.simulate(load(tmp_path), 0)
    kept = twin.simulate(load(tmp_path, ", minimum_per_day: 90"), 0)
    # without a minimum, the load leaves some worker-days with hardly any patrol
    assert per_worker_day(loose.activity, "patrol").min() < 30
    patrol = per_worker_day(kept.activity, "patrol")
    assert len(patrol) == 4 * 8  # every worker patrols every day
    assert (patrol >= 90 - 1e-6).all()
    # and it patrols before its first travel or work of the day
    act = kept.activity
    busy = act[act["state"].astype(str).isin(["travel", "on_site"])]
    first_work = busy.groupby([busy["worker"], (busy["t_start"] // DAY).astype(int)])[
        "t_start"].min()
    pat = act[act["state"].astype(str) == "patrol"]
    for (worker, day), start in first_work.items():
        before = pat[(pat["worker"] == worker) & (pat["t_start"] >= day * DAY)
                     & (pat["t_end"] <= start + 1e-9)]
        assert (before["t_end"] - before["t_start"]).sum() >= 90 - 1e-6, (worker, day)


def test_a_patrol_minimum_finds_latent_hazards_sooner(tmp_path: Path) -> None:
    def found_by_patrol(scenario: twin.Scenario) -> int:
        return int(sum((twin.simulate(scenario, r).issues["channel"].astype(str) == "patrol")
                       .sum() for r in range(3)))
    assert found_by_patrol(load(tmp_path, ", minimum_per_day: 120")) > 1.5 * found_by_patrol(
        load(tmp_path))


def test_a_zero_minimum_changes_nothing(tmp_path: Path) -> None:
    a = twin.simulate(load(tmp_path), 0).issues
    b = twin.simulate(load(tmp_path, ", minimum_per_day: 0"), 0).issues
    assert np.array_equal(a["t_resolved"].to_numpy(), b["t_resolved"].to_numpy(),
                          equal_nan=True)


def test_a_minimum_needs_patrols(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(BUSY.format(minimum="")).replace(
        "enabled: true", "enabled: false, minimum_per_day: 60"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    assert str(caught.value).endswith(
        "patrols.minimum_per_day: needs patrols: set enabled: true")


def test_a_worker_idle_at_midnight_patrols_its_minimum_first(tmp_path: Path) -> None:
    # round the clock: nobody comes on duty in the morning, so the new day's patrol is
    # owed by workers who are idle (or busy) when it starts
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(BUSY.format(minimum=", minimum_per_day: 120")).replace(
        '  shifts: [{start: "08:00", end: "17:00"}]\n', "").replace("rate_per_hour: 3.0",
                                                                      "rate_per_hour: 1.0"),
        encoding="utf-8")
    act = twin.simulate(twin.load_scenario(path), 0).activity
    busy = act[act["state"].astype(str).isin(["travel", "on_site"])]
    starts = busy.groupby([busy["worker"], (busy["t_start"] // DAY).astype(int)])["t_start"]
    pat = act[act["state"].astype(str) == "patrol"]
    for (worker, day), start in starts.min().items():
        if day == 0:
            continue
        mine = pat[(pat["worker"] == worker) & (pat["t_end"] > day * DAY)
                   & (pat["t_start"] < start)]
        done = (np.minimum(mine["t_end"], start) - np.maximum(mine["t_start"], day * DAY)).sum()
        # a job that began before midnight may run into the day; its next one waits
        carried = busy[(busy["worker"] == worker) & (busy["t_start"] < day * DAY)
                       & (busy["t_end"] > day * DAY)]
        if len(carried) == 0:
            assert done >= 120 - 1e-6, (worker, day, done)
