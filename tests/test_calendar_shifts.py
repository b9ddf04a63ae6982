"""Shifts on the calendar's working days (holidays off, swapped days on) and duty cover on
its rest days."""

from __future__ import annotations

from pathlib import Path

import pytest

import twin
from twin import ScenarioError
from twin.geography import build_community
from twin.staffing import build_staffing

DAY = 1440.0
# Monday 22 September 2025: National Day 1-8 October (days 9-16) off; Sunday 28
# September (day 6) and Saturday 11 October (day 19) are swapped working days
BASE = """\
name: shifts
map: {{source: lattice, rows: 4, cols: 4}}
grids: {{blocks: [1, 1]}}
demand:
  categories:
    - {{name: a, rate_per_hour: 0.5, service: {{distribution: fixed, value: 10}}}}
workforce:
  per_grid: 2
  shifts:
    - {{start: "09:00", end: "17:00", days: [workdays]}}
    - {{start: "00:00", end: "24:00", days: [restdays]}}
{calendar}run: {{horizon_days: 28, warmup_days: 1}}
"""


def load(tmp_path: Path, calendar: str) -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.format(calendar=calendar), encoding="utf-8")
    return twin.load_scenario(path)


def days_on(intervals: list[tuple[float, float]]) -> set[int]:
    """Days on which some duty interval starts or runs."""
    return {d for s, e in intervals for d in range(int(s // DAY), int(-(-e // DAY)))}


def test_workdays_follow_the_holidays_and_restdays_cover_the_rest(tmp_path: Path) -> None:
    scenario = load(tmp_path, "calendar: {start: 2025-09-22}\n")
    staffing = build_staffing(scenario, build_community(scenario))
    office, duty = staffing.duty[0], staffing.duty[1]
    assert office is not None and duty is not None
    working = {0, 1, 2, 3, 4, 6, 7, 8, 17, 18, 19, 21, 22, 23, 24, 25}
    assert days_on(office) == working  # no holidays, the swapped Sunday and Saturday worked
    assert all(e - s == 480 and s % DAY == 540 for s, e in office)
    assert days_on(duty) == set(range(28)) - working  # weekends and the holiday week
    # the duty worker's days merge into whole blocks: 1-8 October is one interval
    assert [9 * DAY, 17 * DAY] in duty.tolist()


def test_without_official_holidays_workdays_are_monday_to_friday(tmp_path: Path) -> None:
    scenario = load(tmp_path, "calendar: {start: 2025-09-22, holidays: none}\n")
    office = build_staffing(scenario, build_community(scenario)).duty[0]
    assert office is not None
    assert days_on(office) == {d for d in range(28) if d % 7 < 5}


def test_calendar_days_need_a_calendar(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(tmp_path, "")
    assert [line.split(": ", 1)[1] for line in str(caught.value).splitlines()] == [
        "workforce.shifts.0.days.0: workdays needs a `calendar` section (its working days "
        "and holidays)",
        "workforce.shifts.1.days.0: restdays needs a `calendar` section (its working days "
        "and holidays)"]
