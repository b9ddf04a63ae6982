"""Response and resolution by time of day: in working hours, off hours, and per hour.

Headline response times mix issues reported at 10:00 on a Tuesday with issues
reported at 02:00 on a Sunday; the second kind waits for the morning shift and
dominates the P90, so a change of staffing in one part of the day barely moves
it. These KPIs split the issues by when they were reported:

* ``_working`` (``response_mean_working``, …): inside the working hours of the
  scenario's ``calendar`` (its periods per weekday, public holidays and swapped
  working days included);
  a scenario without a calendar uses office hours, 09:00-12:00 and 13:30-17:30
  Monday to Friday, day 0 being a Monday (:data:`twin.worktime.OFFICE_HOURS`);
* ``_off``: every other time (nights, lunch, weekends, holidays).

The predicate is a plain function of report times (minutes since 00:00 of day 0),
built once per run by :func:`working_time`, so computing a KPI never reads the
scenario. :func:`hourly_table` gives the hour-of-day profile drawn by the report.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from twin.deadlines import build_calendar
from twin.metrics.core import mean, observed, pct
from twin.scenario.schema import Scenario
from twin.vocab import MINUTES_PER_DAY
from twin.worktime import OFFICE_HOURS, WorkCalendar, WorkingHours

Working = Callable[[np.ndarray], np.ndarray]
"""Report times [min] -> whether each is in working hours (a boolean array)."""

HOURS = ("working", "off")
"""Suffixes of the time-of-day KPIs (``response_mean_working``, ``response_p90_off``)."""

HOURLY_COLUMNS = ("scenario", "hour", "reported", "response_mean", "response_p90")
"""Columns of :func:`hourly_table`."""


def weekly_hours(hours: WorkingHours = OFFICE_HOURS) -> Working:
    """Working hours repeated every week from day 0, a Monday (no holidays): the
    predicate of a scenario without a calendar."""
    table = [hours.week[d] for d in range(7)]

    def working(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        day = np.floor(t / MINUTES_PER_DAY)
        minute = t - day * MINUTES_PER_DAY
        weekday = np.mod(np.nan_to_num(day), 7).astype(int)
        out = np.zeros(t.shape, dtype=bool)
        for d, periods in enumerate(table):
            on_day = weekday == d
            for start, end in periods:  # half-open, as WorkCalendar.is_open
                out |= on_day & (minute >= start) & (minute < end)
        return out & ~np.isnan(t)

    return working


def calendar_hours(calendar: WorkCalendar) -> Working:
    """The working time of a :class:`~twin.worktime.WorkCalendar` (holidays and
    swapped working days included) as a predicate over report times; times after the
    calendar's last day are off hours."""
    opens, closes = calendar.intervals

    def working(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        i = np.searchsorted(opens, np.nan_to_num(t, nan=-1.0), side="right") - 1
        inside = i >= 0
        out = np.zeros(t.shape, dtype=bool)
        out[inside] = t[inside] < closes[i[inside]]
        return out

    return working


def working_time(scenario: Scenario) -> Working:
    """The working-hours predicate of a scenario: its calendar's working time, or
    office hours Monday to Friday without a calendar."""
    if scenario.calendar is None:
        return weekly_hours()
    return calendar_hours(build_calendar(scenario))


def time_of_day_kpis(issues: pd.DataFrame, warmup: float,
                     working: Working | None = None) -> dict[str, float]:
    """Mean and P90 response and resolution of the issues reported in working hours
    and of those reported off hours (see the module docstring).

    Parameters
    ----------
    issues
        Issue records (``t_reported``, ``t_on_site``, ``t_resolved`` [min]).
    warmup
        Issues reported before it are left out [min].
    working
        Working-hours predicate (:func:`working_time`); default office hours
        Monday to Friday.
    """
    obs = observed(issues, warmup)
    reported = obs["t_reported"].to_numpy(float)
    inside = (working or weekly_hours())(reported)
    out: dict[str, float] = {}
    for name, column in (("response", "t_on_site"), ("resolution", "t_resolved")):
        elapsed = obs[column].to_numpy(float) - reported
        reached = ~np.isnan(elapsed)
        for hours, mask in zip(HOURS, (inside, ~inside), strict=True):
            values = elapsed[reached & mask]
            out[f"{name}_mean_{hours}"] = mean(values)
            out[f"{name}_p90_{hours}"] = pct(values, 90)
    return out


def hourly_table(issues: pd.DataFrame, warmup: float, *, scenario: str = "") -> pd.DataFrame:
    """Per hour of the day (0-23) at which issues were reported: the issues reported
    in that hour per replication, and the mean and P90 response
    (reported -> first on site) over all of them and all replications (NaN when none
    was reached). Issues reported before ``warmup`` are left out.

    Parameters
    ----------
    issues
        Issue records, with ``replication`` when several are stacked.
    warmup
        [min].
    scenario
        Name written in the ``scenario`` column.
    """
    obs = observed(issues, warmup)
    reported = obs["t_reported"].to_numpy(float)
    response = obs["t_on_site"].to_numpy(float) - reported
    hour = np.floor(np.mod(reported, MINUTES_PER_DAY) / 60.0).astype(int)
    reps = max(1, issues["replication"].nunique()) if "replication" in issues.columns else 1
    rows = []
    for h in range(24):
        mine = hour == h
        reached = response[mine & ~np.isnan(response)]
        rows.append((scenario, h, mine.sum() / reps, mean(reached), pct(reached, 90)))
    return pd.DataFrame(rows, columns=list(HOURLY_COLUMNS))
