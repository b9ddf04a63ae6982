"""When each issue and order is due: its category's time limit on the run's calendar.

A limit in calendar time is due its length after the clock starts; a limit in
working time runs only inside the working hours of the scenario's ``calendar``
(paused at night, on rest days and public holidays; swapped working days count),
and ``N working days`` ends at the close of the N-th working day after the day it
starts (the day itself does not count). See :mod:`twin.worktime`.
"""

from __future__ import annotations

import numpy as np

from twin.scenario.calendar import Limit, run_calendar
from twin.scenario.schema import Scenario
from twin.worktime import CalendarError, WorkCalendar


def build_calendar(scenario: Scenario) -> WorkCalendar:
    """The working calendar of a scenario with a `calendar` section (see
    :func:`twin.scenario.calendar.run_calendar`)."""
    if scenario.calendar is None:
        raise CalendarError("the scenario has no calendar section")
    return run_calendar(scenario.calendar, scenario.run.horizon_days,
                        [c.limit_spec() for c in scenario.demand.categories])


class TimeLimits:
    """Per category, the time allowed from a start to the due time [min]."""

    def __init__(self, scenario: Scenario) -> None:
        self.limits: list[Limit | None] = [c.limit_spec() for c in scenario.demand.categories]
        working = any(lim is not None and lim.working for lim in self.limits)
        self.calendar: WorkCalendar | None = (
            build_calendar(scenario) if working and scenario.calendar is not None else None)

    def working(self, category: int) -> bool:
        """Whether the category's limit is counted in working time."""
        limit = self.limits[category]
        return limit is not None and limit.working

    def allowed(self, category: int, start: float) -> float:
        """Minutes from ``start`` until the category's limit is due (NaN: no limit)."""
        limit = self.limits[category]
        if limit is None:
            return float("nan")
        if not limit.working or self.calendar is None:
            return limit.minutes
        if limit.unit == "day":
            return self.calendar.add_days(start, int(limit.amount)) - start
        return self.calendar.add(start, limit.minutes) - start

    def allowed_many(self, category: np.ndarray, start: np.ndarray) -> np.ndarray:
        """:meth:`allowed` over arrays (NaN where ``start`` is NaN or there is no limit)."""
        written = np.array([np.nan if lim is None else lim.minutes for lim in self.limits])
        out = written[category]
        if self.calendar is None:
            return out
        for k, limit in enumerate(self.limits):
            if limit is None or not limit.working:
                continue
            mine = (category == k) & ~np.isnan(start)
            if not mine.any():
                continue
            t = start[mine]
            due = (self.calendar.add_days_many(t, np.full(len(t), int(limit.amount)))
                   if limit.unit == "day" else self.calendar.add_many(t, limit.minutes))
            out[mine] = due - t
        return out
