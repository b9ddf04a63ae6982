"""Working calendars: time limits counted in working time (工作时间) over a real calendar.

Work orders (工单) carry limits such as "answer within 4 working hours" or "finish within 5
working days". A `WorkCalendar` turns them into sim times: minutes since 00:00 of the run's
start date (day 0). It models
* the normal week (`WorkingHours`): periods per weekday in minutes of the day, e.g. 09:00-12:00
  and 13:30-17:30 around lunch; a weekday with none (Saturday, Sunday by default) is a rest day;
* official public holidays (days off) and swapped working days (调休: weekend days worked to
  make a holiday longer), which use the periods of ``swap_weekday`` (by default Monday's);
* the planner's ``extra_holidays`` and ``extra_workdays``, applied after the official dates
  (an extra working day on a weekday without periods also uses ``swap_weekday``'s);
* with ``official=False``, no official calendar at all: the normal week and the lists only.

Definitions. Working time is the union of the periods of the working days; a period is
half-open, so an office open 13:30-17:30 is closed at 17:30 (`is_open`).
``working_minutes(t0, t1)`` is the working time in [t0, t1]. ``add(t, m)`` is the earliest
time by which m minutes of working time have passed since t: outside working time the clock
starts at the next opening, and a limit that uses a period up exactly ends at its close, not
at the next opening; ``add(t, 0) == t`` at any hour (a limit of no time is due at once, which
keeps ``add`` monotone). ``add_days(t, n)`` is the close of working time on the n-th working
day after the day of t, and ``add_days(t, 0) == t``. The day of t never counts, even for a
case received at 08:00, as for periods in days under the Civil Code (民法典 第二百零一条:
开始的当日不计入，自下一日开始计算), which also ends such a period at the close of business
(第二百零三条: 有业务时间的，停止业务活动的时间为截止时间); a case received late on a Friday is
thus not charged for hours already gone.

A calendar covers ``days + margin_days`` days, so that limits set near the end of a run still
resolve; time outside them raises `OutOfRangeError` (a ``ValueError``) rather than a guess.
Queries take O(log n) over precomputed open intervals and cumulative working minutes; the
``*_many`` methods do the same over numpy arrays.

Holiday data come from the PyPI package ``chinese-calendar`` (import ``chinese_calendar``),
maintained from the State Council's yearly notice (国务院办公厅关于××××年部分节假日安排的通知).
`official_years` gives the years it covers; a calendar reaching beyond them raises
`YearNotCoveredError`, and the planner can list that year's dates with ``official=False``.

>>> import datetime as dt
>>> cal = WorkCalendar(dt.date(2025, 9, 22), days=30)   # a Monday, before National Day 2025
>>> cal.date_of(6), cal.is_working_day(6)               # Sunday 28 September: 调休, worked
(datetime.date(2025, 9, 28), True)
>>> friday_17 = 4 * 1440 + 17 * 60                       # Friday 26 September, 17:00
>>> (cal.add(friday_17, 4 * 60) - 6 * 1440) / 60         # 30 min on Friday, 3.5 h on Sunday
14.0
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

import chinese_calendar
import numpy as np
from numpy.typing import ArrayLike, NDArray

from twin.vocab import MINUTES_PER_DAY, WEEKDAYS

Period = tuple[float, float]
"""A working period ``(start, end)`` in minutes of the day, 0 <= start < end <= 1440."""
Clock = float | int | str
"""A time of day as minutes or as ``"HH:MM"`` (00:00 to 24:00)."""
DayClocks = Sequence[Sequence[Clock]]
"""The periods of one day as pairs of `Clock`."""


class CalendarError(ValueError):
    """A working calendar that cannot be built, or a question it cannot answer."""


class PeriodError(CalendarError):
    """Working periods that are not ordered, non-overlapping periods within a day."""


class YearNotCoveredError(CalendarError):
    """The official calendar has no data for a year the working calendar needs."""


class OutOfRangeError(CalendarError):
    """A time, or a limit's end, outside the days the working calendar was built for."""


def official_years() -> range:
    """The years that the installed ``chinese-calendar`` covers."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def _hhmm(minutes: float) -> str:
    if float(minutes).is_integer():
        return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"
    return f"{minutes:g} min"


def parse_clock(value: Clock, where: str = "") -> float:
    """Minutes of the day of ``"HH:MM"`` (00:00 to 24:00) or of a number of minutes."""
    prefix = f"{where}: " if where else ""
    if isinstance(value, str):
        h, sep, m = value.partition(":")
        if sep and h.isdigit() and m.isdigit() and len(m) == 2:
            minutes = int(h) * 60 + int(m)
            if int(m) < 60 and minutes <= MINUTES_PER_DAY:
                return float(minutes)
        raise PeriodError(f"{prefix}{value!r} is not a time of day HH:MM from 00:00 to 24:00")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PeriodError(f"{prefix}{value!r} is not a time of day (minutes or 'HH:MM')")
    return float(value)


def _check_periods(day: str, periods: DayClocks) -> tuple[Period, ...]:
    out: list[Period] = []
    for k, pair in enumerate(periods, start=1):
        if isinstance(pair, str) or len(pair) != 2:
            raise PeriodError(f"{day}: period {k} must be a pair (start, end), got {pair!r}")
        a, b = (parse_clock(c, f"{day}: period {k}") for c in pair)
        if not (0.0 <= a <= MINUTES_PER_DAY and 0.0 <= b <= MINUTES_PER_DAY):
            raise PeriodError(f"{day}: period {k} ({a:g} to {b:g} min) must lie within 0..1440")
        if a >= b:
            raise PeriodError(
                f"{day}: period {k} ({_hhmm(a)}-{_hhmm(b)}) must start before it ends"
            )
        if out and a < out[-1][1]:
            pa, pb = out[-1]
            raise PeriodError(
                f"{day}: period {k} ({_hhmm(a)}-{_hhmm(b)}) starts before period {k - 1} "
                f"({_hhmm(pa)}-{_hhmm(pb)}) ends; list periods in order, without overlap"
            )
        out.append((a, b))
    return tuple(out)


@dataclass(frozen=True)
class WorkingHours:
    """Working periods per weekday (Monday first) and the weekday a swapped working day copies.

    ``week[i]`` lists the periods of weekday i as ``(start, end)`` in minutes of the day or
    ``"HH:MM"``; they are checked and stored as minutes. A weekday with no periods is a rest
    day in a normal week. ``swap_weekday`` (``"mon"`` … ``"sun"``) must have periods.
    """

    week: tuple[tuple[Period, ...], ...]
    swap_weekday: str = "mon"

    def __post_init__(self) -> None:
        if len(self.week) != len(WEEKDAYS):
            raise PeriodError(f"working hours need 7 weekdays, Monday first, got {len(self.week)}")
        week = tuple(_check_periods(n, p) for n, p in zip(WEEKDAYS, self.week, strict=True))
        object.__setattr__(self, "week", week)
        if self.swap_weekday not in WEEKDAYS or not week[WEEKDAYS.index(self.swap_weekday)]:
            raise PeriodError(
                f"swap_weekday {self.swap_weekday!r} must be a weekday ({', '.join(WEEKDAYS)}) "
                "with working periods: swapped working days use them"
            )

    @classmethod
    def weekdays(cls, periods: DayClocks, swap_weekday: str = "mon") -> WorkingHours:
        """The same periods Monday to Friday; Saturday and Sunday are rest days."""
        week = tuple(tuple(periods) if i < 5 else () for i in range(7))
        return cls(week, swap_weekday)  # type: ignore[arg-type]  # checked in __post_init__

    @classmethod
    def by_weekday(
        cls, periods: Mapping[str, DayClocks], swap_weekday: str = "mon"
    ) -> WorkingHours:
        """Periods per weekday name (``"mon"`` … ``"sun"``); a weekday not named is a rest day."""
        unknown = sorted(set(periods) - set(WEEKDAYS))
        if unknown:
            raise PeriodError(f"unknown weekday {unknown[0]!r}; allowed: {', '.join(WEEKDAYS)}")
        week = tuple(tuple(periods.get(name, ())) for name in WEEKDAYS)
        return cls(week, swap_weekday)  # type: ignore[arg-type]  # checked in __post_init__

    def periods_on(self, weekday: int) -> tuple[Period, ...]:
        """Periods of a working day on ``weekday`` (0 = Monday): its own, else the swap day's."""
        return self.week[weekday] or self.week[WEEKDAYS.index(self.swap_weekday)]


OFFICE_HOURS = WorkingHours.weekdays([("09:00", "12:00"), ("13:30", "17:30")])
"""09:00-12:00 and 13:30-17:30, Monday to Friday: seven working hours a day."""


class WorkCalendar:
    """Working time from ``start`` (day 0, 00:00) for ``days + margin_days`` days.

    ``days`` is the run's length; ``margin_days`` more are built so that limits ending after the
    run resolve (60 hold 15 working days across a Spring Festival with room to spare).
    ``official=False`` uses no official holidays or 调休. ``extra_holidays`` and
    ``extra_workdays`` are the planner's dates, applied last; dates outside the range are ignored.
    """

    def __init__(
        self,
        start: dt.date,
        days: int,
        hours: WorkingHours = OFFICE_HOURS,
        *,
        official: bool = True,
        extra_holidays: Iterable[dt.date] = (),
        extra_workdays: Iterable[dt.date] = (),
        margin_days: int = 60,
    ) -> None:
        if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
            raise CalendarError(f"start must be a date (00:00 of day 0), got {start!r}")
        if days < 1 or margin_days < 0:
            raise CalendarError(f"need days >= 1 and margin_days >= 0, got {days}, {margin_days}")
        self.start, self.days, self.hours = start, int(days), hours
        self.total_days = int(days) + int(margin_days)
        self.last_date = start + dt.timedelta(days=self.total_days - 1)
        self.end = self.total_days * MINUTES_PER_DAY
        off, on = set(extra_holidays), set(extra_workdays)
        if both := sorted(off & on):
            raise CalendarError(f"{both[0]} is both an extra holiday and an extra working day")
        if official:
            covered = official_years()
            missing = [y for y in range(start.year, self.last_date.year + 1) if y not in covered]
            if missing:
                raise YearNotCoveredError(
                    f"the official calendar (chinese-calendar {chinese_calendar.__version__}) "
                    f"covers the years {covered[0]}-{covered[-1]}, but this calendar runs from "
                    f"{start} to {self.last_date} (the run and a margin of {margin_days} days) "
                    f"and needs {', '.join(map(str, missing))}; list that year's holidays and "
                    "swapped working days yourself, with no official calendar (holidays: none "
                    "in a scenario) and the dates as extra holidays and working days"
                )
        self._working: list[bool] = []
        hol, swap = (chinese_calendar.holidays, chinese_calendar.workdays) if official else ({}, {})
        opens: list[float] = []
        closes: list[float] = []
        wdays: list[int] = []
        wclose: list[float] = []
        for d in range(self.total_days):
            date = start + dt.timedelta(days=d)
            normal = bool(hours.week[date.weekday()]) and date not in hol
            work = (normal or date in swap or date in on) and date not in off
            self._working.append(work)
            if not work:
                continue
            base = d * MINUTES_PER_DAY
            for a, b in hours.periods_on(date.weekday()):
                if closes and closes[-1] == base + a:  # touching periods: one interval
                    closes[-1] = base + b
                else:
                    opens.append(base + a)
                    closes.append(base + b)
            wdays.append(d)
            wclose.append(closes[-1])
        if not opens:
            raise CalendarError(f"no working time from {start} to {self.last_date}")
        lens = [b - a for a, b in zip(opens, closes, strict=True)]
        self._opens, self._closes, self._lens = opens, closes, lens
        self._cum = [0.0, *accumulate(lens)]
        self._wdays, self._wclose = wdays, wclose
        self._o, self._c = np.array(opens, dtype=float), np.array(closes, dtype=float)
        self._l, self._cm = np.array(lens, dtype=float), np.array(self._cum, dtype=float)
        self._wd, self._wc = np.array(wdays, dtype=np.int64), np.array(wclose, dtype=float)

    # ------------------------------------------------------------------ days
    def _check_day(self, day: int) -> int:
        if not 0 <= day < self.total_days:
            raise OutOfRangeError(f"day {day} is outside this calendar's 0..{self.total_days - 1}")
        return int(day)

    def date_of(self, day: int) -> dt.date:
        """The date of day ``day`` (0 = the start date)."""
        return self.start + dt.timedelta(days=self._check_day(day))

    def day_of(self, date: dt.date) -> int:
        """The day number of ``date``."""
        return self._check_day((date - self.start).days)

    def is_working_day(self, day: int) -> bool:
        """Whether day ``day`` is a working day (after holidays, 调休 and the planner's lists)."""
        return self._working[self._check_day(day)]

    def periods_of(self, day: int) -> tuple[Period, ...]:
        """Working periods of day ``day`` in minutes of the day; none on a day off."""
        if not self.is_working_day(day):
            return ()
        return self.hours.periods_on(self.date_of(day).weekday())

    @property
    def intervals(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Openings and closes of working time in sim minutes, sorted; touching periods merged."""
        return self._o.copy(), self._c.copy()

    # ---------------------------------------------------------------- scalar
    def _check_time(self, t: float) -> float:
        if not 0.0 <= t <= self.end:
            raise OutOfRangeError(
                f"time {t} min is outside this calendar's 0..{self.end:g} min ({self.start} to "
                f"{self.last_date}); build it with more days or a larger margin_days"
            )
        return float(t)

    def _past_end(self, what: str) -> OutOfRangeError:
        return OutOfRangeError(
            f"{what} ends after this calendar's last working time (it runs to {self.last_date}); "
            "build it with a larger margin_days"
        )

    def _cum_at(self, t: float) -> float:
        i = bisect_right(self._opens, t) - 1
        if i < 0:
            return 0.0
        return self._cum[i] + min(max(t - self._opens[i], 0.0), self._lens[i])

    def is_open(self, t: float) -> bool:
        """Whether ``t`` is in working time (periods are half-open: closed at their end)."""
        i = bisect_right(self._opens, self._check_time(t)) - 1
        return i >= 0 and t < self._closes[i]

    def next_open(self, t: float) -> float:
        """``t`` if in working time, else the next opening."""
        i = bisect_right(self._opens, self._check_time(t)) - 1
        if i >= 0 and t < self._closes[i]:
            return float(t)
        if i + 1 >= len(self._opens):
            raise self._past_end(f"the wait for an opening after {t:g} min")
        return self._opens[i + 1]

    def working_minutes(self, t0: float, t1: float) -> float:
        """Working time in [t0, t1], in minutes; t1 must not be before t0."""
        if t1 < t0:
            raise CalendarError(f"working_minutes needs t0 <= t1, got {t0} > {t1}")
        return self._cum_at(self._check_time(t1)) - self._cum_at(self._check_time(t0))

    def add(self, t: float, minutes: float) -> float:
        """Earliest time at which ``minutes`` of working time have passed since ``t``."""
        t = self._check_time(t)
        if not minutes >= 0.0 or math.isinf(minutes):
            raise CalendarError(f"minutes must be finite and >= 0, got {minutes}")
        if minutes == 0.0:
            return t
        target = self._cum_at(t) + minutes  # counted from the first interval open after t
        k = max(bisect_left(self._cum, target) - 1, bisect_right(self._closes, t))
        if k >= len(self._opens):
            raise self._past_end(f"a limit of {minutes:g} working minutes from {t:g} min")
        return max(min(self._opens[k] + (target - self._cum[k]), self._closes[k]), t)

    def add_days(self, t: float, n: int) -> float:
        """Close of working time on the ``n``-th working day after the day of ``t``."""
        t = self._check_time(t)
        if n < 0:
            raise CalendarError(f"n must be >= 0 working days, got {n}")
        if n == 0:
            return t
        j = bisect_right(self._wdays, t // MINUTES_PER_DAY) + int(n) - 1
        if j >= len(self._wdays):
            raise self._past_end(f"a limit of {n} working days from {t:g} min")
        return self._wclose[j]

    # ------------------------------------------------------------ vectorised
    def _check_times(self, t: ArrayLike) -> NDArray[np.float64]:
        arr = np.asarray(t, dtype=float)
        if (bad := ~((arr >= 0.0) & (arr <= self.end))).any():
            self._check_time(float(arr[bad].flat[0]))  # raises, naming the first bad time
        return arr

    def _cum_many(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        i = np.searchsorted(self._o, t, side="right") - 1
        ic = np.maximum(i, 0)
        return np.where(i >= 0, self._cm[ic] + np.clip(t - self._o[ic], 0.0, self._l[ic]), 0.0)

    def working_minutes_many(self, t0: ArrayLike, t1: ArrayLike) -> NDArray[np.float64]:
        """`working_minutes` over arrays (broadcast)."""
        a, b = np.broadcast_arrays(self._check_times(t0), self._check_times(t1))
        if (b < a).any():
            raise CalendarError("working_minutes_many needs t0 <= t1 everywhere")
        return self._cum_many(b) - self._cum_many(a)

    def add_many(self, t: ArrayLike, minutes: ArrayLike) -> NDArray[np.float64]:
        """`add` over arrays (broadcast); the same results, element by element."""
        ts, m = np.broadcast_arrays(self._check_times(t), np.asarray(minutes, dtype=float))
        if not ((m >= 0.0) & np.isfinite(m)).all():
            raise CalendarError("minutes must be finite and >= 0 everywhere")
        target = self._cum_many(ts) + m
        k0 = np.searchsorted(self._c, ts, side="right")
        k = np.maximum(np.searchsorted(self._cm, target, side="left") - 1, k0)
        late = (k >= len(self._opens)) & (m > 0.0)
        if late.any():
            raise self._past_end(f"a limit of {m[late].flat[0]:g} working minutes")
        k = np.minimum(k, len(self._opens) - 1)  # where m == 0 only
        s = np.minimum(self._o[k] + (target - self._cm[k]), self._c[k])
        return np.where(m == 0.0, ts, np.maximum(s, ts))

    def add_days_many(self, t: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
        """`add_days` over arrays (broadcast)."""
        ts, ns = np.broadcast_arrays(self._check_times(t), np.asarray(n, dtype=np.int64))
        if (ns < 0).any():
            raise CalendarError("n must be >= 0 working days everywhere")
        j = np.searchsorted(self._wd, np.floor_divide(ts, MINUTES_PER_DAY), side="right") + ns - 1
        late = (j >= len(self._wdays)) & (ns > 0)
        if late.any():
            raise self._past_end(f"a limit of {ns[late].flat[0]} working days")
        return np.where(ns == 0, ts, self._wc[j])
