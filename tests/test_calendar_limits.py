"""Time limits in working time on the scenario's calendar.

A category's limit may be written as calendar minutes or as text ("4 working hours",
"5 working days", "7 days"); a limit in working time runs over the `calendar` section's
working hours, weekends, Chinese public holidays and swapped working days (调休).
The calendar itself is tested in test_worktime.py; here: the scenario keys, their
errors, and that issues and orders are due by it.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pytest

import twin
from twin import ScenarioError
from twin.deadlines import TimeLimits, build_calendar
from twin.scenario.calendar import Limit, parse_limit

ROOT = Path(__file__).resolve().parents[1]
# a Monday; National Day 2025: 1-8 October off, Sun 28 Sep and Sat 11 Oct worked
START = "2025-09-22"
DAY = 1440.0

TINY = """\
name: tiny
map: {{source: lattice, rows: 4, cols: 4}}
grids: {{blocks: [1, 2]}}
demand:
  categories:
    - name: noise
      rate_per_hour: 1.0
      limit: {limit}
      service: {{distribution: exponential, mean: 20}}
{more}"""


def load(tmp_path: Path, limit: str, more: str = "") -> twin.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(TINY.format(limit=limit, more=textwrap.dedent(more)), encoding="utf-8")
    return twin.load_scenario(path)


def problems(tmp_path: Path, limit: str, more: str = "") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(tmp_path, limit, more)
    return [line.split(": ", 1)[1] for line in str(caught.value).splitlines()]


@pytest.mark.parametrize(("text", "limit"), [
    (240, Limit(240.0, "minute", False)),
    ("240", Limit(240.0, "minute", False)),
    ("4 working hours", Limit(4.0, "hour", True)),
    ("5 Working Days", Limit(5.0, "day", True)),
    ("7 days", Limit(7.0, "day", False)),
    ("2 h", Limit(2.0, "hour", False)),
    ("30 min", Limit(30.0, "minute", False)),
])
def test_limits_are_read_as_written(text: object, limit: Limit) -> None:
    assert parse_limit(text) == limit
    assert limit.minutes == limit.amount * {"minute": 1, "hour": 60, "day": 1440}[limit.unit]


def test_bad_limits_and_working_time_without_a_calendar(tmp_path: Path) -> None:
    forms = ("a number of minutes, 'N minutes', 'N hours', 'N days', 'N working hours', "
             "'N working days'")
    assert problems(tmp_path, "4 weeks") == [
        f"demand.categories.0.limit: not a time limit '4 weeks'; allowed: {forms}"]
    assert problems(tmp_path, "1.5 working days") == [
        "demand.categories.0.limit: working days are whole days (got '1.5 working days')"]
    assert problems(tmp_path, "0 hours") == [
        "demand.categories.0.limit: must be more than no time (got '0 hours')"]
    assert problems(tmp_path, "4 working hours") == [
        "demand.categories.0.limit: 4 working hours counts working time, which needs a "
        "`calendar` section (its start date, holidays and working hours)"]


def test_calendar_mistakes_are_located(tmp_path: Path) -> None:
    assert problems(tmp_path, "240", "calendar: {start: 2025-09-24}\n") == [
        "calendar.start: must be a Monday: every weekly pattern starts on Monday "
        "(got Wednesday 2025-09-24)"]
    assert problems(tmp_path, "240", "calendar: {start: 2025-09-22, extra_holidays: "
                    "[2025-09-23], extra_workdays: [2025-09-23]}\n") == [
        "calendar.extra_workdays.0: 2025-09-23 is also in extra_holidays"]
    bad_hours = "calendar: {start: 2025-09-22, working_hours: {mon: [[\"12:00\", \"09:00\"]]}}\n"
    assert problems(tmp_path, "240", bad_hours) == [
        "calendar.working_hours: mon: period 1 (12:00-09:00) must start before it ends"]
    far = problems(tmp_path, "240", "calendar: {start: 2031-03-03}\n")
    assert len(far) == 1 and far[0].startswith("calendar.holidays: ")
    assert "2031" in far[0]
    # without the official calendar, any year will do
    scenario = load(tmp_path, "4 working hours", "calendar: {start: 2031-03-03, holidays: none}\n")
    assert scenario.calendar is not None and scenario.calendar.holidays == "none"


def test_a_friday_evening_limit_before_a_holiday_is_due_on_the_swapped_working_day(
        tmp_path: Path) -> None:
    scenario = load(tmp_path, "4 working hours", f"calendar: {{start: {START}}}\n")
    limits = TimeLimits(scenario)
    friday_17 = 4 * DAY + 17 * 60  # Friday 26 September 2025, 17:00
    # 30 minutes to 17:30 on Friday; Saturday off; Sunday 28 September is worked (调休):
    # 09:00-12:00 and 13:30-14:00 make the other 3.5 hours
    assert friday_17 + limits.allowed(0, friday_17) == 6 * DAY + 14 * 60
    # a report on Tuesday 30 September at 16:00: 1.5 h that day, then National Day
    # (1-8 October off); 2.5 h more on Thursday 9 October: 09:00-11:30
    tuesday_16 = 8 * DAY + 16 * 60
    assert tuesday_16 + limits.allowed(0, tuesday_16) == 17 * DAY + 11.5 * 60


def test_working_days_end_at_the_close_of_the_nth_working_day(tmp_path: Path) -> None:
    scenario = load(tmp_path, "2 working days", f"calendar: {{start: {START}}}\n")
    limits = TimeLimits(scenario)
    friday_10 = 4 * DAY + 10 * 60
    # the day of receipt does not count: Sunday 28 (worked), Monday 29 September
    assert friday_10 + limits.allowed(0, friday_10) == 7 * DAY + 17.5 * 60
    assert scenario.demand.categories[0].time_limit() == 2 * DAY  # its length as written


def test_issues_are_due_by_the_calendar(tmp_path: Path) -> None:
    scenario = load(tmp_path, "4 working hours", f"""\
        calendar: {{start: {START}}}
        run: {{horizon_days: 21, warmup_days: 1, replications: 1}}
        """)
    issues = twin.simulate(scenario, 0).issues
    cal = build_calendar(scenario)
    reported = issues["t_reported"].to_numpy()
    due = reported + issues["deadline"].to_numpy()
    assert len(issues) > 300 and np.isfinite(due).all()
    worked = cal.working_minutes_many(reported, due)
    assert np.allclose(worked, 240.0)
    # due inside working time or at a period's close, never in the night or a holiday
    assert all(cal.is_open(t - 1e-6) for t in due)
    holiday = (due >= 9 * DAY) & (due < 17 * DAY)  # 1-8 October
    assert not holiday.any()


def test_orders_are_due_by_the_calendar_and_chased_then(tmp_path: Path) -> None:
    scenario = twin.load_scenario(ROOT / "scenarios" / "work_orders.yaml", overrides={
        "calendar": {"start": START},
        "demand.categories.2.flow.limit": "1 working hours",
        "work_orders.overdue.chase_after": 0,
        "run.horizon_days": 21, "run.warmup_days": 1, "run.replications": 1})
    k = 2
    name = scenario.demand.categories[k].name
    rec = twin.simulate(scenario, 0)
    orders = rec.orders[rec.orders["category"].astype(str) == name]
    orders = orders[orders["t_received"].notna() & (orders["repeat_of"] < 0)]
    assert len(orders) > 50
    limits = TimeLimits(scenario)
    expected = [limits.allowed(k, t) for t in orders["t_received"]]
    assert np.allclose(orders["limit"].to_numpy(), expected)
    assert orders["limit"].nunique() > 10  # it varies with the receipt
    chased = orders[orders["t_chased"].notna()]
    assert len(chased) > 20
    due = chased["t_received"] + chased["limit"]
    assert (chased["t_chased"] >= due - 1e-6).all()
    # chased when due (chase_after 0), unless it was closed then and sent back later
    once = chased["reworks"] == 0
    assert once.sum() > 20
    assert np.allclose(chased["t_chased"][once], due[once])


def test_a_shorter_written_limit_is_more_urgent(tmp_path: Path) -> None:
    scenario = load(tmp_path, "4 working hours", f"calendar: {{start: {START}}}\n")
    assert scenario.demand.categories[0].time_limit() == 240.0


def test_the_calendar_reaches_past_the_run_for_long_limits(tmp_path: Path) -> None:
    scenario = load(tmp_path, "40 working days", f"""\
        calendar: {{start: {START}, holidays: none}}
        run: {{horizon_days: 7, warmup_days: 1}}
        """)
    cal = build_calendar(scenario)
    assert cal.last_date >= dt.date(2025, 9, 22) + dt.timedelta(days=7 + 56)
    limits = TimeLimits(scenario)
    assert limits.allowed(0, 6 * DAY) > 40 * DAY  # 40 working days from the last day


def test_the_margin_fits_the_limits_and_no_more(tmp_path: Path) -> None:
    # one working day a week: 20 working days from the end of a week's run need 20 weeks
    saturdays = """\
        calendar: {start: 2025-09-22, holidays: none,
                   working_hours: {sat: [["09:00", "17:00"]]}}
        run: {horizon_days: 7, warmup_days: 1}
        """
    scenario = load(tmp_path, "20 working days", saturdays)
    limits = TimeLimits(scenario)
    assert limits.allowed(0, 7 * DAY - 1) > 19 * 7 * DAY  # no running out of the calendar
    too_long = problems(tmp_path, "300 working days", saturdays)
    assert too_long == [
        "calendar.holidays: a limit in working time started at the end of the run would end "
        "more than 1000 days later, with these working hours and holidays; shorten the limit "
        "or add working hours"]
    # a run late in the last year the official calendar covers needs no later year
    late = load(tmp_path, "4 working hours", """\
        calendar: {start: 2026-11-02}
        run: {horizon_days: 28, warmup_days: 1}
        """)
    assert build_calendar(late).last_date.year == 2026


def test_repeat_complaints_scale_to_the_limit_as_written(tmp_path: Path) -> None:
    # a case's handling does not depend on its limit, so the same limit written in working
    # hours or in minutes gives the same repeat complaints (R at the written length)
    more = f"""\
        calendar: {{start: {START}}}
        repeat_complaints: {{rate_at_deadline: 2.0}}
        workforce: {{per_grid: 1, shifts: [{{start: "09:00", end: "17:00"}}]}}
        run: {{horizon_days: 10, warmup_days: 1, replications: 1}}
        """
    working = twin.simulate(load(tmp_path, "4 working hours", more), 0)
    minutes = twin.simulate(load(tmp_path, "240", more), 0)
    assert len(working.complaints) > 1000
    assert working.complaints.equals(minutes.complaints)
    assert not np.allclose(working.issues["deadline"], minutes.issues["deadline"])
