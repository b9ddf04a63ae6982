"""People, not posts: rotas (轮班), duty turns (值班), leave, non-case work and cost.

A ``shifts`` list describes *posts*: staff member k of a pool works shift k mod n every
day the shift names, however many hours that makes. A ``rota`` describes *people*: each
works the day hours on their own working days (a 5-day week; rest days staggered when
the pool covers more days than that), takes leave as a share of those days, and takes
night and rest-day duty turns (值班) in turn. The expansion into each person's on-duty
intervals is :mod:`twin.scenario.rotaplan`; the hours check and FTE are
:mod:`twin.headcount`. Labour Law art. 36: at most 8 hours a day and on average 44 hours
a week.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from twin.scenario.base import Found, Strict
from twin.vocab import WEEKDAYS

WORKDAYS = "workdays"
"""A rota's or a block's days: the calendar's working days (Monday to Friday without a
calendar)."""
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_COST_PER_FTE = 1e8
"""Largest cost per FTE accepted [yuan a year]."""


def clock_minutes(text: str) -> float:
    """Minutes after midnight of a time of day HH:MM (24:00 is 1440)."""
    h, m = text.split(":")
    return int(h) * 60.0 + int(m)


def _clock_problems(model: Any) -> Found:
    for key in ("start", "end"):
        v = getattr(model, key, None)
        if isinstance(v, str) and v != "24:00" and not _CLOCK.match(v):
            yield (key,), f"must be a time of day HH:MM from 00:00 to 24:00 (got {v!r})"
    if getattr(model, "start", None) == getattr(model, "end", None):
        yield ("end",), f"equals start ({model.start}): the period would be empty"


def _day_problems(days: list[str]) -> Found:
    for i, day in enumerate(days):
        if day not in WEEKDAYS and day != WORKDAYS:
            yield ("days", i), (f"unknown day {day!r}; allowed: {', '.join(WEEKDAYS)}, "
                                f"{WORKDAYS}")


class Period(Strict):
    """A period of the day, HH:MM to HH:MM; an end before the start runs past midnight."""

    start: str
    """Start time of day, HH:MM."""
    end: str
    """End time of day, HH:MM (24:00 allowed); before the start: the next day."""

    def _check_clock(self, raw: dict[str, Any]) -> Found:
        yield from _clock_problems(self)

    def minutes(self) -> float:
        """Length [min]."""
        start, end = clock_minutes(self.start), clock_minutes(self.end)
        return end - start if end > start else end + 1440.0 - start


class DutyTurn(Period):
    """A duty turn (值班): who stays on call outside the day hours."""

    staff: int = Field(default=1, ge=1, le=1000)
    """People on each turn (taken in turn by the pool's staff)."""


class DutySpec(Strict):
    """Night and rest-day duty (值班), taken in turn by the staff of the pool."""

    night: DutyTurn | None = None
    """A turn each night, e.g. 17:30 to 08:30 (from the evening of every day)."""
    restday: DutyTurn | None = None
    """A turn on each rest day of the pool (a weekend or holiday), e.g. 08:30 to 17:30."""
    time_off: bool = True
    """A rest-day turn earns a day off in lieu (补休) on one of the first five of the
    person's working days after it not already off: the one with the most of their grid
    (on a shared roster), then of the pool, at work."""
    shared: bool = False
    """For a pool with staff in every grid (grid workers, a `per_grid` unit): the turns go
    round all grids' staff together (one duty roster for the community, each turn worked
    from the person's own base); false: each grid's staff take their grid's turns."""


class RotaSpec(Strict):
    """A rota of people (use instead of `shifts`): every person works the `day` hours on
    their working days, takes leave, and takes duty turns in turn."""

    day: Period = Field(default_factory=lambda: Period(start="08:30", end="17:30"))
    """Working hours on a working day."""
    unpaid_break: float = Field(default=60.0, ge=0, le=720)
    """Unpaid minutes within the day (lunch), subtracted from the hours worked; staff stay
    reachable [min]."""
    week: int = Field(default=5, ge=1, le=7)
    """Working days per person per week: when the pool works more days a week (a list of
    seven weekdays), each person works this many of them, rest days staggered."""
    days: list[str] = Field(default_factory=lambda: [WORKDAYS], min_length=1)
    """Days the pool works: `workdays` (the calendar's working days: holidays off, swapped
    days on; Monday to Friday without a calendar) or weekdays (mon .. sun)."""
    duty: DutySpec | None = None
    """Night and rest-day duty turns (值班); absent: none."""
    leave: float = Field(default=0.0, ge=0, le=0.5)
    """Share of each person's working days on leave (annual, sick, training), spread
    evenly over the run and staggered between people."""

    def _check_days(self, raw: dict[str, Any]) -> Found:
        yield from _day_problems(self.days)
        if WORKDAYS in self.days and len(self.days) > 1:
            yield ("days",), f"give {WORKDAYS} alone or a list of weekdays, not both"

    def _check_break(self, raw: dict[str, Any]) -> Found:
        if self.unpaid_break >= self.day.minutes():
            yield ("unpaid_break",), (f"must be shorter than the day "
                                      f"({self.day.minutes():g} min) (got {self.unpaid_break:g})")

    def work_minutes(self) -> float:
        """Paid minutes of a working day: the day less its unpaid break [min]."""
        return self.day.minutes() - self.unpaid_break


class NonCaseBlock(Period):
    """A block of non-case work: information collection (信息采集), household visits,
    ledgers (台账), meetings. The worker takes no new case during it."""

    name: str = Field(min_length=1)
    """What it is (e.g. `ledgers`, `meeting`)."""
    days: list[str] = Field(default_factory=lambda: [WORKDAYS], min_length=1)
    """Days it is held: `workdays` (the calendar's working days; Monday to Friday without a
    calendar) or weekdays (mon .. sun)."""

    def _check_days(self, raw: dict[str, Any]) -> Found:
        yield from _day_problems(self.days)


class NonCaseSpec(Strict):
    """Grid workers' work that is not casework, as scheduled blocks and/or a share of
    the time on duty. On duty and paid, but taking no new case."""

    blocks: list[NonCaseBlock] = Field(default_factory=list)
    """Scheduled blocks (held only while the worker is on duty)."""
    share: float = Field(default=0.0, ge=0, lt=1)
    """Share of the rest of each on-duty hour spent on non-case work, staggered between
    the workers of a grid so that some of them are always free for cases."""


def check_rota_or_shifts(model: Any, raw: dict[str, Any]) -> Found:
    """A pool gives `shifts` (posts) or a `rota` (people), not both (a ``_check_*`` of
    every pool with both keys)."""
    if raw.get("rota") is not None and raw.get("shifts"):
        yield ("rota",), ("give shifts (posts, each worked every day it names) or a rota "
                          "(people with 5-day weeks, leave and duty turns), not both")
