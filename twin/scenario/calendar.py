"""The scenario's calendar and time limits written in calendar or working time.

``calendar:`` puts a run on real dates: its first day (a Monday, since every
weekly pattern of twin starts on Monday), the official holidays and swapped
working days of China (调休) from the ``chinese-calendar`` package or none, the
planner's own dates, and the working hours over which a limit in working time
runs. A time limit is a number of calendar minutes or a text such as
``"4 working hours"``, ``"5 working days"``, ``"7 days"`` or ``"2 hours"``
(see :func:`parse_limit`); a limit in working time needs a ``calendar`` section.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from twin.scenario.base import Found, Strict, parts_problems
from twin.scenario.limits import MAX_MINUTES
from twin.scenario.shifts import CALENDAR_DAYS, Shift
from twin.vocab import WEEKDAYS
from twin.worktime import (
    CalendarError,
    OutOfRangeError,
    WorkCalendar,
    WorkingHours,
    official_years,
)

UNITS: dict[str, float] = {"minute": 1.0, "hour": 60.0, "day": 1440.0}
"""Minutes per unit of a written limit."""
_SPELLINGS = {"min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
              "h": "hour", "hour": "hour", "hours": "hour", "day": "day", "days": "day"}
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+(working\s+)?([a-z]+)\s*$")
LIMIT_FORMS = ("a number of minutes", "'N minutes'", "'N hours'", "'N days'",
               "'N working hours'", "'N working days'")
"""How a time limit may be written (for messages)."""


@dataclass(frozen=True)
class Limit:
    """A time limit: an amount of calendar or working time."""

    amount: float
    unit: str
    """``minute``, ``hour`` or ``day``."""
    working: bool
    """Counted in working time (paused outside working hours, on rest days and holidays)."""

    @property
    def minutes(self) -> float:
        """Its length as written [min]: a working day counts as a day, a working hour as an
        hour. Used to order categories by urgency and to scale rates, never as a due time."""
        return self.amount * UNITS[self.unit]

    def __str__(self) -> str:
        amount = f"{self.amount:g}"
        return f"{amount} {'working ' if self.working else ''}{self.unit}s"


def parse_limit(value: Any) -> Limit | str:
    """A written limit as a :class:`Limit`, or what is wrong with it (a message)."""
    if isinstance(value, bool):
        return f"must be a time limit, not true or false; allowed: {', '.join(LIMIT_FORMS)}"
    if isinstance(value, int | float):
        if not value > 0:
            return f"must be > 0 (got {value:g})"
        return Limit(float(value), "minute", False)
    if not isinstance(value, str):
        return f"must be a time limit; allowed: {', '.join(LIMIT_FORMS)}"
    if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value):  # a number written as text
        return parse_limit(float(value))
    m = _LIMIT.match(value.lower())
    unit = _SPELLINGS.get(m.group(3)) if m else None
    if m is None or unit is None:
        return f"not a time limit {value!r}; allowed: {', '.join(LIMIT_FORMS)}"
    amount, working = float(m.group(1)), m.group(2) is not None
    if amount <= 0:
        return f"must be more than no time (got {value!r})"
    if working and unit == "day" and not amount.is_integer():
        return f"working days are whole days (got {value!r})"
    return Limit(amount, unit, working)


def limit_problems(value: Any, key: tuple[str | int, ...], calendar: bool) -> Found:
    """Problems of a written limit at ``key``: its form, and working time without a calendar."""
    parsed = parse_limit(value)
    if isinstance(parsed, str):
        yield key, parsed
    elif parsed.minutes > MAX_MINUTES:
        yield key, f"must be at most {MAX_MINUTES:g} minutes, ten years (got {value!r})"
    elif parsed.working and not calendar:
        yield key, (f"{parsed} counts working time, which needs a `calendar` section (its "
                    "start date, holidays and working hours)")


class CalendarSpec(Strict):
    """Real dates for a run: its first day, holidays, swapped working days and working hours."""

    start: dt.date
    """The run's first day, a Monday (YYYY-MM-DD)."""
    holidays: str = Field(default="china", json_schema_extra={"enum": ["china", "none"]})
    """`china`: public holidays and swapped working days (调休) of the State Council's
    yearly notice, from the `chinese-calendar` package; `none`: weekends only (list your
    own dates below)."""
    extra_holidays: list[dt.date] = Field(default_factory=list)
    """The planner's own days off (YYYY-MM-DD), after the official ones."""
    extra_workdays: list[dt.date] = Field(default_factory=list)
    """The planner's own working days (e.g. a weekend day worked), after the official ones."""
    working_hours: dict[str, list[list[str]]] = Field(
        default_factory=lambda: {d: [["09:00", "12:00"], ["13:30", "17:30"]]
                                 for d in WEEKDAYS[:5]})
    """Working periods per weekday (`mon` .. `sun`), each `[start, end]` as HH:MM; a
    weekday not named is a rest day; a swapped working day on a weekend works Monday's
    periods (or the first weekday's that has any). Limits in working time run only
    inside them."""

    def _check_start(self, raw: dict[str, Any]) -> Found:
        if self.start.weekday() != 0:
            yield ("start",), (f"must be a Monday: every weekly pattern starts on Monday "
                               f"(got {self.start:%A} {self.start})")

    def _check_holidays(self, raw: dict[str, Any]) -> Found:
        if self.holidays not in ("china", "none"):
            yield ("holidays",), f"must be one of: china, none (got {self.holidays!r})"
        elif self.holidays == "china" and self.start.year not in official_years():
            years = official_years()
            yield ("holidays",), (
                f"the official calendar installed covers {years.start}-{years.stop - 1}, not "
                f"{self.start.year}; use holidays: none and list the dates in extra_holidays "
                "and extra_workdays")

    def _check_dates(self, raw: dict[str, Any]) -> Found:
        for i, day in enumerate(self.extra_workdays):
            if day in self.extra_holidays:
                yield ("extra_workdays", i), f"{day} is also in extra_holidays"

    def _check_hours(self, raw: dict[str, Any]) -> Found:
        try:
            self.hours()
        except CalendarError as error:
            yield ("working_hours",), str(error)

    def hours(self) -> WorkingHours:
        """The working hours as :class:`twin.worktime.WorkingHours`."""
        periods = {day: [tuple(p) for p in spans] for day, spans in self.working_hours.items()}
        swap = "mon" if periods.get("mon") else next(
            (d for d in WEEKDAYS if periods.get(d)), "mon")
        return WorkingHours.by_weekday(periods, swap)


def calendar_problems(scenario: Any, raw: dict[str, Any]) -> Found:
    """Problems of dates and limits that need the whole scenario: working time without a
    calendar, a calendar that cannot hold the run and its limits, calendar days of shifts
    without a calendar (dated events: :mod:`twin.scenario.events`). Each part is skipped
    when a field it needs is itself invalid (and reported where it is)."""
    yield from parts_problems((_working_limits, _calendar_range, _shift_days), scenario, raw)


def _working_limits(scenario: Any, raw: dict[str, Any]) -> Found:
    has_calendar = raw.get("calendar") is not None  # even one with mistakes of its own
    for k, cat in enumerate(scenario.demand.categories):
        flow = cat.flow is not None
        keys = ("limit", "sign_limit", "respond_limit", "handle_limit") if flow else ("limit",)
        for name in keys:
            value = getattr(cat.flow if flow else cat, name)
            key = ("demand", "categories", k, *(("flow",) if flow else ()), name)
            if value is not None:
                yield from limit_problems(value, key, has_calendar)


def every_limit(scenario: Any) -> list[Limit | None]:
    """Every time limit a scenario writes: its categories' (a flow's limit to closing and
    its stages'), and those its dated events set; to size the working calendar."""
    out: list[Limit | None] = []
    for cat in scenario.demand.categories:
        out.append(cat.limit_spec())
        if cat.flow is not None:
            out += [cat.flow.stage_limit(stage) for stage in ("sign", "respond", "handle")]
    for event in getattr(scenario, "events", None) or []:
        out += [event.limit_of(name) for name in event.limits]
    return out


def _calendar_range(scenario: Any, raw: dict[str, Any]) -> Found:
    if scenario.calendar is not None:
        try:
            run_calendar(scenario.calendar, scenario.run.horizon_days, every_limit(scenario))
        except CalendarError as error:
            yield ("calendar", "holidays"), str(error)


def _shift_days(scenario: Any, raw: dict[str, Any]) -> Found:
    if raw.get("calendar") is not None:
        return
    for path, shift in _shifts(scenario, ()):
        for i, day in enumerate(shift.days):
            if day in CALENDAR_DAYS:
                yield (*path, "days", i), (f"{day} needs a `calendar` section (its working "
                                           "days and holidays)")


def _shifts(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...],
                                                                     Shift]]:
    """Every shift in a validated scenario, with its key path."""
    if isinstance(node, Shift):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _shifts(getattr(node, name), (*path, name))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _shifts(item, (*path, i))


MARGINS = (7, 14, 30, 60, 120, 240, 480, 1000)
"""Days tried beyond the run, shortest first, for limits that end after it."""


def run_calendar(spec: CalendarSpec, horizon_days: float,
                 limits: list[Limit | None]) -> WorkCalendar:
    """The working calendar of a run of ``horizon_days`` and, when some of ``limits`` is in
    working time, the shortest margin of :data:`MARGINS` in which each of them, started at
    the end of the run, still ends (so that no limit runs out of the calendar mid-run and
    no year beyond it is needed). Raises :class:`CalendarError` (e.g. a year the official
    calendar does not cover, or a limit longer than the longest margin)."""
    working = [lim for lim in limits if lim is not None and lim.working]
    days = max(1, math.ceil(horizon_days))
    end = horizon_days * 1440.0
    for margin in MARGINS if working else (0,):
        cal = WorkCalendar(spec.start, days, spec.hours(), official=spec.holidays == "china",
                           extra_holidays=spec.extra_holidays,
                           extra_workdays=spec.extra_workdays, margin_days=margin)
        try:
            for lim in working:
                (cal.add_days(end, int(lim.amount)) if lim.unit == "day"
                 else cal.add(end, lim.minutes))
        except OutOfRangeError:
            continue
        return cal
    raise CalendarError(f"a limit in working time started at the end of the run would end "
                        f"more than {MARGINS[-1]} days later, with these working hours and "
                        "holidays; shorten the limit or add working hours")
