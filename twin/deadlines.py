"""When each issue and order is due: its category's time limit on the run's calendar.

A limit in calendar time is due its length after the clock starts; a limit in
working time runs only inside the working hours of the scenario's ``calendar``
(paused at night, on rest days and public holidays; swapped working days count),
and ``N working days`` ends at the close of the N-th working day after the day it
starts (the day itself does not count). See :mod:`twin.worktime`.

A flow may also limit the stages of its orders (signing, responding, handling); a
dated event may set another limit for requests received on its days (the first event
listed that covers the day and names the category wins).
"""

from __future__ import annotations

import numpy as np

from twin.scenario.calendar import Limit, every_limit, run_calendar
from twin.scenario.schema import Scenario
from twin.worktime import CalendarError, WorkCalendar


def build_calendar(scenario: Scenario) -> WorkCalendar:
    """The working calendar of a scenario with a `calendar` section (see
    :func:`twin.scenario.calendar.run_calendar`)."""
    if scenario.calendar is None:
        raise CalendarError("the scenario has no calendar section")
    return run_calendar(scenario.calendar, scenario.run.horizon_days, every_limit(scenario))


STAGES = ("sign", "respond", "handle")
"""Stages of an order that a flow may limit (see ``FlowSpec.stage_limit``)."""


class TimeLimits:
    """Per category, the time allowed from a start to the due time [min]."""

    def __init__(self, scenario: Scenario) -> None:
        cats = scenario.demand.categories
        self.limits: list[Limit | None] = [c.limit_spec() for c in cats]
        self.stages: dict[str, list[Limit | None]] = {
            stage: [c.flow.stage_limit(stage) if c.flow is not None else None for c in cats]
            for stage in STAGES}
        self.overrides: list[tuple[float, float, dict[int, Limit]]] = []
        """Per dated event that sets limits: its first and end minute, and its limits."""
        if scenario.calendar is not None:
            index = {c.name: k for k, c in enumerate(cats)}
            first = scenario.calendar.start
            for event in scenario.events:
                set_ = {index[name]: lim for name in event.limits
                        if (lim := event.limit_of(name)) is not None}
                if set_:
                    self.overrides.append(((event.start - first).days * 1440.0,
                                           ((event.end - first).days + 1) * 1440.0, set_))
        working = any(lim is not None and lim.working for lim in every_limit(scenario))
        self.calendar: WorkCalendar | None = (
            build_calendar(scenario) if working and scenario.calendar is not None else None)
        self.staged = any(lim is not None for row in self.stages.values() for lim in row)
        """Some flow limits a stage of its own."""

    @property
    def dynamic(self) -> bool:
        """Whether a due time depends on when the clock starts (working time or events)."""
        return self.calendar is not None or bool(self.overrides)

    def working(self, category: int) -> bool:
        """Whether the category's limit is counted in working time."""
        limit = self.limits[category]
        return limit is not None and limit.working

    def limit_at(self, category: int, start: float) -> Limit | None:
        """The category's limit for a request received at ``start``."""
        for first, end, set_ in self.overrides:
            if first <= start < end and category in set_:
                return set_[category]
        return self.limits[category]

    def _length(self, limit: Limit | None, start: float) -> float:
        if limit is None:
            return float("nan")
        if not limit.working or self.calendar is None:
            return limit.minutes
        if limit.unit == "day":
            return self.calendar.add_days(start, int(limit.amount)) - start
        return self.calendar.add(start, limit.minutes) - start

    def allowed(self, category: int, start: float) -> float:
        """Minutes from ``start`` until the category's limit is due (NaN: no limit)."""
        return self._length(self.limit_at(category, start), start)

    def stage(self, category: int, stage: str, start: float) -> float:
        """Minutes from ``start`` until the category's ``stage`` limit is due (NaN: its flow
        sets none, so the unit's own applies, or none)."""
        return self._length(self.stages[stage][category], start)

    def _many(self, limit: Limit, t: np.ndarray) -> np.ndarray:
        if not limit.working or self.calendar is None:
            return np.full(len(t), limit.minutes)
        due = (self.calendar.add_days_many(t, np.full(len(t), int(limit.amount)))
               if limit.unit == "day" else self.calendar.add_many(t, limit.minutes))
        return due - t

    def allowed_many(self, category: np.ndarray, start: np.ndarray) -> np.ndarray:
        """:meth:`allowed` over arrays (NaN where ``start`` is NaN or there is no limit)."""
        written = np.array([np.nan if lim is None else lim.minutes for lim in self.limits])
        out = written[category]
        known = ~np.isnan(start)
        taken = np.zeros(len(out), dtype=bool)  # set by an earlier event
        for first, end, set_ in self.overrides:
            inside = known & ~taken & (start >= first) & (start < end)
            for k, limit in set_.items():
                mine = inside & (category == k)
                if mine.any():
                    out[mine] = self._many(limit, start[mine])
                    taken |= mine
        if self.calendar is None:
            return out
        for k, own in enumerate(self.limits):
            if own is None or not own.working:
                continue
            mine = (category == k) & known & ~taken
            if mine.any():
                out[mine] = self._many(own, start[mine])
        return out
