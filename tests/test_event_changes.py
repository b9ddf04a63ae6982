"""Dated events that bring temporary categories or change time limits.

An event's `adds` lists categories that arrive only on its days (deliveries under a
lockdown); its `limits` gives a category another time limit for requests received on
its days (the first event listed that covers the day wins).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import twin
from twin import ScenarioError
from twin.deadlines import TimeLimits
from twin.scenario.loader import dump_scenario

DAY = 1440.0
P_MIN = 1e-3
# 2025-09-22 is a Monday; the event runs Monday 6 to Sunday 12 October (days 14 to 20)
BASE = """\
name: lockdown
map: {source: lattice, rows: 4, cols: 4}
grids: {blocks: [2, 2]}
demand:
  categories:
    - {name: noise, rate_per_hour: 1.0, limit: 240,
       service: {distribution: fixed, value: 10}}
    - {name: delivery, rate_per_hour: 2.0, limit: 120,
       service: {distribution: fixed, value: 10}}
workforce: {per_grid: 2}
calendar: {start: 2025-09-22}
run: {horizon_days: 28, warmup_days: 1, replications: 1}
"""


def load(tmp_path: Path, more: str, base: str = BASE) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(base + textwrap.dedent(more), encoding="utf-8")
    return twin.load_scenario(path)


BARE = BASE.replace("workforce: {per_grid: 2}\n", "").replace(
    "run: {horizon_days: 28, warmup_days: 1, replications: 1}\n", "")


def problems(tmp_path: Path, more: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(tmp_path, more)
    return [line.split(": ", 1)[1] for line in str(caught.value).splitlines()]


def test_a_temporary_category_arrives_only_on_its_events_days(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
        events:
          - {name: lockdown, start: 2025-10-06, end: 2025-10-12, adds: [delivery]}
        """)
    issues = twin.simulate(scenario, 0).issues
    day = (issues["t_occurred"].to_numpy() // DAY).astype(int)
    delivery = issues["category"].astype(str).to_numpy() == "delivery"
    assert ((day[delivery] >= 14) & (day[delivery] <= 20)).all()
    # inside its days at its own rate: 2 per hour per grid, 4 grids, 7 days
    inside = int(delivery.sum())
    assert stats.poisson.cdf(inside, 2.0 * 24 * 4 * 7) > P_MIN / 2
    assert stats.poisson.sf(inside - 1, 2.0 * 24 * 4 * 7) > P_MIN / 2
    # the other category is untouched
    noise = twin.simulate(load(tmp_path, ""), 0).issues
    assert (noise["category"].astype(str) == "noise").sum() == (~delivery).sum()


def test_an_events_limit_holds_for_requests_received_on_its_days(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
        events:
          - {name: lockdown, start: 2025-10-06, end: 2025-10-12, limits: {noise: 720}}
          - {name: later, start: 2025-10-06, end: 2025-10-19, limits: {noise: "1 days"}}
        """)
    issues = twin.simulate(scenario, 0).issues
    noise = issues[issues["category"].astype(str) == "noise"]
    day = (noise["t_reported"].to_numpy() // DAY).astype(int)
    deadline = noise["deadline"].to_numpy()
    first, second = (day >= 14) & (day <= 20), (day >= 21) & (day <= 27)
    assert first.sum() > 50 and second.sum() > 50
    assert (deadline[first] == 720.0).all()  # the first event listed wins
    assert (deadline[second] == DAY).all()
    assert (deadline[~first & ~second] == 240.0).all()
    limits = TimeLimits(scenario)
    assert limits.allowed(0, 14 * DAY) == 720.0 and limits.allowed(0, 14 * DAY - 1) == 240.0


def test_an_events_working_limit_follows_the_calendar(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
        events:
          - {name: rush, start: 2025-09-29, end: 2025-10-12,
             limits: {noise: "2 working hours"}}
        """)
    limits = TimeLimits(scenario)
    # Tuesday 30 September 17:00: half an hour that day (to 17:30), then the holiday
    # (1-8 October), then 90 minutes from 09:00 on Thursday 9 October: due 10:30
    start = 8 * DAY + 17 * 60
    assert limits.calendar is not None
    assert limits.allowed(0, start) == pytest.approx(17 * DAY + 10 * 60 + 30 - start)


def test_event_change_mistakes_are_located(tmp_path: Path) -> None:
    found = problems(tmp_path, """\
        events:
          - {name: a, start: 2025-10-06, end: 2025-10-12, adds: [parcels],
             limits: {parcels: 60, noise: "2 weeks"}, staff: {police: -1, grid_worker: 0}}
          - {name: b, start: 2025-10-06, end: 2025-10-12, adds: [noise, delivery],
             staff: {grid_worker: -3}}
        """)
    assert "events.0.adds.0: no such category 'parcels'; known: noise, delivery" in found
    assert "events.0.limits.parcels: no such category 'parcels'; known: noise, delivery" \
        in found
    assert ("events.0.limits.noise: not a time limit '2 weeks'; allowed: a number of "
            "minutes, 'N minutes', 'N hours', 'N days', 'N working hours', 'N working days'"
            in found)
    assert "events.0.staff.grid_worker: must be a change: a whole number other than 0" in found
    assert "events.0.staff.police: no such pool 'police'; known: grid_worker" in found
    assert "events.1.staff.grid_worker: grid_worker has 2 staff per unit; it cannot lose 3" \
        in found
    assert ("events: every category is temporary (listed in an event's `adds`); keep at "
            "least one that arrives all the time") in found


def test_without_changes_an_event_changes_nothing(tmp_path: Path) -> None:
    plain = twin.simulate(load(tmp_path, ""), 0).issues
    same = twin.simulate(load(tmp_path, """\
        events:
          - {name: quiet, start: 2025-10-06, end: 2025-10-12}
        """), 0).issues
    assert np.array_equal(plain["t_resolved"].to_numpy(), same["t_resolved"].to_numpy(),
                          equal_nan=True)


INLINE = """\
extends: base.yaml
name: lockdown
events:
  - name: lockdown
    start: 2025-10-06
    end: 2025-10-12
    adds:
      - name: parcels
        rate_per_hour: {rate}
        limit: 60
        service: {{distribution: exponential, mean: {mean}}}
"""


def test_a_category_written_in_an_event_joins_the_demand_there(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "lockdown.yaml"
    path.write_text(INLINE.format(rate=1.5, mean=10), encoding="utf-8")
    scenario = twin.load_scenario(path)
    assert [c.name for c in scenario.demand.categories] == ["noise", "delivery", "parcels"]
    assert scenario.events[0].adds == ["parcels"]
    issues = twin.simulate(scenario, 0).issues
    day = (issues.loc[issues["category"].astype(str) == "parcels", "t_occurred"] // DAY)
    assert len(day) > 100 and day.between(14, 20).all()
    # the resolved scenario reads back as the same scenario
    again = tmp_path / "resolved.yaml"
    again.write_text(dump_scenario(scenario), encoding="utf-8")
    assert twin.load_scenario(again) == scenario


def test_a_mistake_in_an_events_category_is_reported_where_it_was_written(
        tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "lockdown.yaml"
    path.write_text(INLINE.format(rate=-1, mean=0), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    assert str(caught.value).splitlines() == [
        f"{path}:9: events.0.adds.0.rate_per_hour: must be >= 0 (got -1)",
        f"{path}:11: events.0.adds.0.service.mean: must be > 0 (got 0)",
    ]


def on_duty(duty: list[tuple[float, float]] | None, t: float) -> bool:
    return duty is None or any(a <= t < b for a, b in duty)


def test_an_events_staff_change_holds_on_its_days_only(tmp_path: Path) -> None:
    from twin.geography import build_community
    from twin.staffing import build_staffing
    from twin.vocab import GRID_WORKER

    scenario = load(tmp_path, """\
        workforce:
          per_grid: 2
          shifts: [{start: "08:00", end: "17:00"}]
        run: {horizon_days: 28, warmup_days: 1, replications: 1}
        events:
          - {name: sent down, start: 2025-10-06, end: 2025-10-12, staff: {grid_worker: 1}}
          - {name: away, start: 2025-10-13, end: 2025-10-14, staff: {grid_worker: -2}}
        """, BARE)
    staffing = build_staffing(scenario, build_community(scenario))
    workers = np.flatnonzero(staffing.kind == GRID_WORKER)
    assert len(workers) == 4 * 3  # two per grid, and one more for the event
    for day, expected in ((13, 2), (14, 3), (20, 3), (21, 0), (22, 0), (23, 2)):
        t = day * DAY + 10 * 60  # 10:00
        for unit in range(4):
            mine = [w for w in workers if staffing.unit[w] == unit]
            assert sum(on_duty(staffing.duty[w], t) for w in mine) == expected, (day, unit)
    # the helper works the first worker's hours: not at night
    assert not any(on_duty(staffing.duty[w], 14 * DAY + 20 * 60) for w in workers)


def test_more_staff_on_the_events_days_shortens_the_waits(tmp_path: Path) -> None:
    busy = "workforce: {per_grid: 1}\nrun: {horizon_days: 28, warmup_days: 1, replications: 1}\n"
    plain = twin.simulate(load(tmp_path, busy, BARE), 0).issues
    helped = twin.simulate(load(tmp_path, busy + "events:\n  - {name: sent down, start: "
                                "2025-10-06, end: 2025-10-12, staff: {grid_worker: 2}}\n",
                                BARE), 0).issues

    def wait(issues: pd.DataFrame, first: int, last: int) -> float:
        day = issues["t_reported"] // DAY
        mine = issues[(day >= first) & (day <= last)]
        return float((mine["t_on_site"] - mine["t_reported"]).mean())

    assert wait(helped, 15, 20) < 0.8 * wait(plain, 15, 20)
    assert wait(helped, 1, 12) == pytest.approx(wait(plain, 1, 12))


def test_a_staff_change_touches_its_pool_only(tmp_path: Path) -> None:
    from twin.geography import build_community
    from twin.staffing import build_staffing
    from twin.vocab import GRID_WORKER, HANDLER, VOLUNTEER

    base = BARE.replace("grids: {blocks: [2, 2]}", "grids: {blocks: [2, 2], residents: 1000}")
    cut = load(tmp_path, """\
        workforce: {per_grid: 1}
        volunteers: {registered_per_1000_residents: 100, participation: 1.0}
        run: {horizon_days: 12, warmup_days: 1, replications: 1}
        events:
          - {name: cut, start: 2025-09-22, end: 2025-09-23, staff: {grid_worker: -1}}
        """, base.replace("limit: 120,", "limit: 120, volunteer_eligible: true,"))
    staffing = build_staffing(cut, build_community(cut))
    plain = build_staffing(cut.model_copy(update={"events": []}), build_community(cut))
    kinds = staffing.kind.tolist()
    noon = [d * DAY + 12 * 60 for d in range(12)]
    volunteers = [w for w, k in enumerate(kinds) if k == VOLUNTEER]
    workers = [w for w, k in enumerate(kinds) if k == GRID_WORKER]
    assert volunteers and all(np.array_equal(staffing.duty[w], plain.duty[w])
                              for w in volunteers)
    assert len(workers) == 4 and not any(on_duty(staffing.duty[w], noon[0]) for w in workers)
    assert all(on_duty(staffing.duty[w], noon[2]) for w in workers)

    helped = load(tmp_path, """\
        workforce:
          per_grid: 1
          grids: {grid-02: {workers: 0}}
        work_orders:
          units:
            - {name: fixers, staff: 1, shifts: [{start: "10:00", end: "19:00", days: [sat]}]}
        run: {horizon_days: 12, warmup_days: 1, replications: 1}
        events:
          - {name: cut, start: 2025-09-22, end: 2025-09-23, staff: {fixers: -1}}
          - {name: help, start: 2025-09-24, end: 2025-09-24, staff: {grid_worker: 1}}
        """, base)
    community = build_community(helped)
    staffing = build_staffing(helped, community)
    kinds = staffing.kind.tolist()
    # a helper for grid-02, which has no worker to follow: a grid worker at its centre
    mine = [w for w, k in enumerate(kinds) if k == GRID_WORKER and staffing.unit[w] == 1]
    assert len(mine) == 1 and staffing.base[mine[0]] == community.centre_node[1]
    assert on_duty(staffing.duty[mine[0]], noon[2]) and not on_duty(staffing.duty[mine[0]],
                                                                    noon[3])
    # a handler never on duty during the cut stays as it was: not round the clock
    fixer = [w for w, k in enumerate(kinds) if k == HANDLER]
    assert len(fixer) == 1
    assert [int(a // DAY) for a, _ in staffing.duty[fixer[0]]] == [5]  # Saturday only
