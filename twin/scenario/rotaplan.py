"""Each person's time from a rota, and the non-case blocks within it.

Everything here is deterministic (no random stream), so a rota gives every replication
the same people at work: the planner's rota, not a draw.

* **Working days.** With `days: workdays` everyone works every working day of the
  calendar (Monday to Friday without one). With a list of weekdays, a week's listed days
  are worked by everyone when there are at most `week` of them; otherwise person k works
  the i-th listed day of each week when ``(i - k) mod len(days) < week`` (rest days
  staggered, so the pool covers every listed day with about ``week / len(days)`` of its
  people).
* **Leave** is spread evenly over each person's working days, staggered: person k of n
  is on leave on its j-th working day when ``floor((j+1)p + f) > floor(j p + f)``, with
  ``f = (k + 1/2) / n``; so a person takes floor or ceil of ``p`` times their working
  days.
* **Duty turns** go round the pool in order: night t (the night after day t-1, from day
  -1, the night before the run) to people ``(t s + j) mod n``, rest-day turn r likewise.
  A rest-day turn with `time_off` gives a day off in lieu on one of the first five of
  the person's working days after it not already off: the one with the most of their
  group (a grid's staff on a shared roster), then of the pool, at work; earliest on
  ties (:func:`twin.scenario.daysoff.lieu_day`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from twin.scenario.daysoff import AtWork, leave_days, lieu_day
from twin.scenario.people import (
    WORKDAYS,
    DutyTurn,
    Period,
    RotaSpec,
    clock_minutes,
)
from twin.scenario.spanarrays import (
    EMPTY,
    SharedRows,
    Span,
    merge_arrays,
    merge_columns,
    merged_columns,
    rows,
    subtract_arrays,
    union_rows,
)
from twin.vocab import MINUTES_PER_DAY, WEEKDAYS

LONG = 64
"""Lists of spans longer than this are worked in numpy (:mod:`twin.scenario.spanarrays`:
the same pieces, bit for bit)."""
WorkingDay = Callable[[int], bool]
"""Whether day d of the run is a working day of the calendar."""


def weekdays_only(day: int) -> bool:
    """Monday to Friday: the working days without a calendar."""
    return day % 7 < 5


@dataclass(frozen=True, eq=False)
class PersonTime:
    """One person's time over a run [min]: spans as read-only rows of (start, end)."""

    work: np.ndarray
    """Working time on working days (the day hours), sorted and disjoint."""
    duty: np.ndarray
    """Duty turns (值班), sorted and disjoint."""
    days_worked: int
    """Working days worked (leave and days off in lieu excluded)."""
    leave_days: int
    """Working days on leave."""
    nights: int
    """Night turns."""
    restdays: int
    """Rest-day turns."""

    def on_duty(self) -> np.ndarray:
        """Work and duty turns merged: one array, worked out once and shared by every
        staff member this person stands for (read-only)."""
        return self._on_duty

    @functools.cached_property
    def _on_duty(self) -> np.ndarray:
        return union_rows(self.work, self.duty)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersonTime):
            return NotImplemented
        return ((self.days_worked, self.leave_days, self.nights, self.restdays)
                == (other.days_worked, other.leave_days, other.nights, other.restdays)
                and same_spans(self.work, other.work) and same_spans(self.duty, other.duty))

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not immutable


def same_spans(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of spans hold the same rows, bit for bit."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def union(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """``merge([*a, *b])`` of sorted ``a`` and ``b``, in one pass over both."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and a[i] <= b[j]):
            s, e = a[i]
            i += 1
        else:
            s, e = b[j]
            j += 1
        _join(out, s, e)
    return out


def merge(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined; empty ones dropped."""
    if len(spans) > LONG:
        return merge_arrays(spans)
    out: list[Span] = []
    for s, e in sorted(spans):
        _join(out, s, e)
    return out


def _join(out: list[Span], s: float, e: float) -> None:
    """Append the span (s, e) to sorted joined ``out``, joining it to the last one if they
    overlap or touch; an empty span is dropped."""
    if e <= s:
        return
    if out and s <= out[-1][1]:
        out[-1] = (out[-1][0], max(out[-1][1], e))
    else:
        out.append((s, e))


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The parts of sorted disjoint ``a`` inside sorted disjoint ``b``."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if e > s:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Span], cut: Sequence[Span]) -> list[Span]:
    """The parts of sorted disjoint ``a`` outside sorted disjoint ``cut``."""
    if len(a) + len(cut) > LONG:
        return subtract_arrays(a, cut)
    out: list[Span] = []
    j = 0
    for s, e in a:
        while j < len(cut) and cut[j][1] <= s:
            j += 1
        k, start = j, s
        while k < len(cut) and cut[k][0] < e:
            if cut[k][0] > start:
                out.append((start, cut[k][0]))
            start = max(start, cut[k][1])
            k += 1
        if start < e:
            out.append((start, e))
    return out


def total(spans: Sequence[Span]) -> float:
    """Summed length [min]."""
    return sum(e - s for s, e in spans)


@functools.lru_cache(maxsize=256)
def _clock_span(start_text: str, end_text: str) -> tuple[float, float]:
    """A period's start and end after midnight [min], the end past midnight if earlier."""
    start, end = clock_minutes(start_text), clock_minutes(end_text)
    return start, end + MINUTES_PER_DAY if end <= start else end


def _span(day: int, period: Period, horizon: float) -> Span | None:
    return clock_span_on(day, period.start, period.end, horizon)


def clock_span_on(day: int, start_text: str, end_text: str, horizon: float) -> Span | None:
    start, end = _clock_span(start_text, end_text)
    s, e = max(day * MINUTES_PER_DAY + start, 0.0), min(day * MINUTES_PER_DAY + end, horizon)
    return (s, e) if e > s else None


def pool_day(days: list[str], working_day: WorkingDay) -> Callable[[int], bool]:
    if days == [WORKDAYS]:
        return working_day
    return lambda d: WEEKDAYS[d % 7] in days


def _days_of_person(pool: list[int], k: int, rota: RotaSpec) -> list[int]:
    """Person k's working days among the pool's (staggered rest days; see the module)."""
    if rota.days == [WORKDAYS]:
        return list(pool)
    out: list[int] = []
    weeks: dict[int, list[int]] = {}
    for d in pool:
        weeks.setdefault(d // 7, []).append(d)
    per_week = len(rota.days)
    for week in weeks.values():
        for d in week:
            i = sum(1 for w in WEEKDAYS[:d % 7] if w in rota.days)  # index among listed days
            if per_week <= rota.week or (i - k) % per_week < rota.week:
                out.append(d)
    return out


def _day_columns(days: np.ndarray, start_text: str, end_text: str, horizon: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of a period on each of ``days`` clipped to [0, horizon] [min] (the
    arithmetic of :func:`clock_span_on`; empty where outside the run)."""
    start, end = _clock_span(start_text, end_text)
    at = days.astype(np.int64) * MINUTES_PER_DAY
    return np.maximum(at + start, 0.0), np.minimum(at + end, horizon)


def _turns(days: Sequence[int], turn: DutyTurn, n: int, horizon: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Person, start and end of each of ``turn.staff`` people on duty each of ``days``,
    taken in turn round the ``n`` of the pool: person ``(t s + j) mod n`` on the t-th
    day, in that order (a turn outside the run is an empty span)."""
    s = min(turn.staff, n)
    at = np.asarray(days, dtype=np.int64)
    person = (np.arange(len(at) * s, dtype=np.int64)) % n  # t s + j, in turn order
    starts, ends = _day_columns(np.repeat(at, s), turn.start, turn.end, horizon)
    return person, starts, ends


def _duty_rows(turns: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int
               ) -> list[np.ndarray]:
    """Per person of ``n``, their turns' spans merged (``merge`` of each one's list)."""
    person, starts, ends = (np.concatenate(c) for c in zip(*turns, strict=True))
    keep = ends > starts
    person, starts, ends = person[keep], starts[keep], ends[keep]
    order = np.lexsort((ends, starts, person))  # by person, then as merge() sorts
    person, starts, ends = person[order], starts[order], ends[order]
    bounds = np.searchsorted(person, np.arange(n + 1)).tolist()
    return [rows(*merged_columns(starts[a:b], ends[a:b])) if b > a else EMPTY
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def rota_people(rota: RotaSpec, n: int, horizon: float, working_day: WorkingDay | None = None,
                groups: Sequence[int] | None = None) -> list[PersonTime]:
    """The time of each of the ``n`` people of a pool on ``rota`` over [0, horizon] [min];
    ``working_day`` is the calendar's (Monday to Friday if None); ``groups``: sizes of the
    consecutive groups of the pool (a grid's staff on a shared roster), whose days off in
    lieu are spread within each group first."""
    if n <= 0:
        return []
    working = working_day or weekdays_only
    n_days = math.ceil(horizon / MINUTES_PER_DAY)
    is_pool_day = pool_day(rota.days, working)
    pool = [d for d in range(n_days) if is_pool_day(d)]
    rest = [d for d in range(n_days) if not is_pool_day(d)]
    days = [_days_of_person(pool, k, rota) for k in range(n)]
    off = [leave_days(days[k], rota.leave, k, n) for k in range(n)]
    on_leave = [len(o) for o in off]
    nobody = np.zeros(0, dtype=np.int64)
    turns = [(nobody, np.zeros(0), np.zeros(0))]
    nights, restdays = [0] * n, [0] * n
    spec = rota.duty
    if spec is not None and spec.night is not None:
        turns.append(_turns(range(-1, n_days), spec.night, n, horizon))
        nights = np.bincount(turns[-1][0], minlength=n).tolist()
    if spec is not None and spec.restday is not None:
        turns.append(_turns(rest, spec.restday, n, horizon))
        restdays = np.bincount(turns[-1][0], minlength=n).tolist()
        if spec.time_off:  # 补休: a day the group and pool can best spare, within a week
            taken = np.repeat(np.asarray(rest, dtype=np.int64), min(spec.restday.staff, n))
            at_work = AtWork(days, off, groups)
            for d, p in zip(taken.tolist(), turns[-1][0].tolist(), strict=True):
                later = lieu_day(p, days[p], off[p], d, at_work)
                if later is not None:
                    off[p].add(later)
                    at_work.take_off(p, later)
    duty = _duty_rows(turns, n)
    day_start, day_end = _day_columns(np.arange(n_days), rota.day.start, rota.day.end,
                                      horizon)  # each day's hours, once
    start, end = _clock_span(rota.day.start, rota.day.end)
    join = end - start >= MINUTES_PER_DAY  # else days' spans neither overlap nor touch
    shared = SharedRows()  # people with the same time share its arrays, and the person
    out: list[PersonTime] = []
    same: dict[tuple[int, ...], PersonTime] = {}
    for k in range(n):
        worked = np.fromiter((d for d in days[k] if d not in off[k]), dtype=np.int64)
        s, e = day_start[worked], day_end[worked]
        s, e = s[e > s], e[e > s]
        person = PersonTime(work=shared.one(rows(*merge_columns(s, e)) if join else
                                            rows(s, e)),
                            duty=shared.one(duty[k]), days_worked=len(worked),
                            leave_days=on_leave[k], nights=nights[k], restdays=restdays[k])
        key = (id(person.work), id(person.duty), len(worked), on_leave[k], nights[k],
               restdays[k])
        out.append(same.setdefault(key, person))
    return out


def grouped_people(rota: RotaSpec, counts: Sequence[int], horizon: float,
                   working_day: WorkingDay | None = None) -> list[list[PersonTime]]:
    """The people of groups of ``counts`` staff on one ``rota`` (a grid's staff each): each
    group on its own, or, with a shared duty roster, all planned as one pool and cut into
    the groups in order."""
    return RotaPlans(horizon, working_day).grouped(rota, counts)


class RotaPlans:
    """The people of each rota and pool size, planned once for one horizon [min] and
    calendar (``working_day``), so that the staffing and the headcount of a scenario
    share them. The people are shared: read them, never change them."""

    def __init__(self, horizon: float, working_day: WorkingDay | None = None) -> None:
        self.horizon = horizon
        self.working_day = working_day
        self.made_for = ""
        """The horizon and calendar of the scenario they were made for (a key)."""
        self._planned: dict[tuple[str, int, tuple[int, ...]], list[PersonTime]] = {}

    def people(self, rota: RotaSpec, n: int, groups: Sequence[int] | None = None
               ) -> list[PersonTime]:
        """:func:`rota_people` of ``n`` people on ``rota`` (in ``groups``)."""
        key = (rota.model_dump_json(), n, tuple(groups or ()))
        if key not in self._planned:
            self._planned[key] = rota_people(rota, n, self.horizon, self.working_day, groups)
        return self._planned[key]

    def grouped(self, rota: RotaSpec, counts: Sequence[int]) -> list[list[PersonTime]]:
        """:func:`grouped_people`: groups of the same size get the same people."""
        if rota.duty is not None and rota.duty.shared:
            people = self.people(rota, sum(counts), counts)
            starts = [sum(counts[:g]) for g in range(len(counts) + 1)]
            return [people[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
        return [self.people(rota, count) for count in counts]
