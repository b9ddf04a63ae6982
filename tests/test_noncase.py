"""Non-case work of grid workers: blocks and a share of the time on duty, in which no new
case is taken, recorded as `noncase` activity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import twin
from twin.geography import build_community
from twin.model import simulate
from twin.scenario.rotaplan import total
from twin.staffing import build_staffing
from twin.vocab import NONCASE, STATES

DAY = 1440.0

BASE = """\
name: noncase
map: {{source: lattice, rows: 4, cols: 4}}
grids: {{blocks: [1, 1]}}
demand:
  categories:
    - {{name: a, rate_per_hour: {rate}, service: {{distribution: exponential, mean: 30}}}}
workforce:
  per_grid: 3
{workforce}run: {{horizon_days: {days}, warmup_days: 2, seed: 7}}
"""
BLOCKS = ("  rota: {days: [mon, tue, wed, thu, fri, sat, sun], week: 7, unpaid_break: 0}\n"
          "  non_case:\n    blocks:\n"
          "      - {name: ledgers, start: '16:30', end: '17:30'}\n"
          "      - {name: meeting, start: '08:30', end: '10:00', days: [mon]}\n")


def load(tmp_path: Path, workforce: str, rate: float = 3.0, days: int = 21) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.format(workforce=workforce, rate=rate, days=days), encoding="utf-8")
    return twin.load_scenario(path)


def test_no_case_starts_inside_a_block(tmp_path: Path) -> None:
    scenario = load(tmp_path, BLOCKS)
    staffing = build_staffing(scenario, build_community(scenario))
    for w, spans in enumerate(staffing.noncase):  # ledgers on workdays, meetings on Mondays
        assert total(spans) == 15 * 60 + 3 * 90
        duty = staffing.duty[w]
        assert duty is not None and not any(s < e2 and s2 < e for s, e in spans
                                            for s2, e2 in duty)
    act = simulate(scenario, replication=0).activity
    state = act["state"].astype(str)
    tasks = act[act["issue_id"] >= 0].groupby(["worker", "issue_id"])["t_start"].min()
    for (w, _issue), t in tasks.items():
        assert not any(s <= t < e for s, e in staffing.noncase[int(w)]), (w, t)
    noncase = act[state == STATES[NONCASE]]
    assert len(noncase)
    for w, spans in enumerate(staffing.noncase):  # recorded inside the blocks only
        mine = noncase[noncase["worker"] == w]
        assert all(any(s <= a and b <= e for s, e in spans)
                   for a, b in zip(mine["t_start"], mine["t_end"], strict=True))
        assert mine.eval("t_end - t_start").sum() <= total(spans) + 1e-6


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5])
def test_a_share_takes_its_part_of_the_time_on_duty(tmp_path: Path, share: float) -> None:
    scenario = load(tmp_path, f"  non_case: {{share: {share}}}\n", days=7)
    staffing = build_staffing(scenario, build_community(scenario))
    horizon = 7 * DAY
    for spans in staffing.noncase:  # round the clock: exactly the share of every hour
        assert total(spans) == pytest.approx(share * horizon)
    t = np.arange(0.0, horizon, 1.0) + 0.5  # staggered: never all three away at once
    away = sum(np.array([any(s <= x < e for s, e in spans) for x in t[::7]])
               for spans in staffing.noncase)
    assert away.max() <= int(np.ceil(3 * share))


def test_more_non_case_time_means_longer_waits(tmp_path: Path) -> None:
    waits = []
    for share in (0.0, 0.2, 0.4):
        scenario = load(tmp_path, f"  non_case: {{share: {share}}}\n", rate=4.0)
        issues = simulate(scenario, replication=0).issues
        done = issues.dropna(subset=["t_on_site"])
        waits.append(float((done["t_on_site"] - done["t_reported"]).mean()))
    assert waits[0] < waits[1] < waits[2]
