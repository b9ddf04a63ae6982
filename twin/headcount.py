"""Headcount: people, hours, full-time equivalents (FTE) and cost of every staff pool, and
the working hours of each person against the Labour Law.

A pool on ``shifts`` is made of posts: person k works shift k mod n every day it names,
and a pool with neither shifts nor rota is on duty round the clock, so one "person" of
such a pool stands for more than one real person. A pool on a ``rota`` is made of
people. Either way the FTE is the pool's working hours a week over the standard 40
(Labour Law art. 36: at most 8 hours a day, on average at most 44 a week; the State
Council's 1995 regulation sets the standard week at 40). Working hours are the time on
duty of a post, or the rota's day hours less the unpaid break on the days worked. Duty
turns (值班) are on-call time, counted apart: in the hours they add, not in the hours
checked against the law, and they earn days off in lieu when the rota says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from twin.geography import Community, build_community
from twin.scenario.duty import checked_plans, duty_intervals, working_days
from twin.scenario.orders import CENTRE_UNIT
from twin.scenario.people import RotaSpec, clock_minutes
from twin.scenario.rotaplan import PersonTime, RotaPlans, Span, total
from twin.scenario.schema import Scenario, Shift, known_grid_names
from twin.scenario.spanarrays import as_array
from twin.vocab import GRID_WORKER, KINDS, MINUTES_PER_DAY, MINUTES_PER_WEEK

STANDARD_WEEK = 40.0
"""Hours of a full-time week (国务院关于职工工作时间的规定, 1995) [h]."""
LEGAL_WEEK = 44.0
"""Most hours a week on average (Labour Law art. 36) [h]."""
LEGAL_DAY = 8.0
"""Most hours of work a day (Labour Law art. 36) [h]."""
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class PersonHours:
    """One person's (or post's) hours over the run."""

    label: str
    """Who: pool, unit or grid, and number (from 1)."""
    week_mean: float
    """Working hours a week on average [h]."""
    week_max: float
    """Working hours in the heaviest whole week of the run (the mean if none) [h]."""
    worst_week: int
    """That week, from 1."""
    day_max: float
    """Most working hours in one day [h]."""
    duty_week: float
    """Duty turns (值班) a week on average [h]."""
    whole_weeks: int = 1
    """Whole weeks in the run: with none, the weekly average is not checked."""


@dataclass(frozen=True)
class PoolHeadcount:
    """People, hours, FTE and cost of one staff pool."""

    pool: str
    """`grid_worker`, a handling unit's name, or `command_centre`."""
    people: int
    """Staff listed (posts for a pool on shifts or round the clock)."""
    posts: bool
    """The pool is on shifts or round the clock (posts), not on a rota (people)."""
    hours_per_week: float
    """Working hours a week of the whole pool [h]."""
    duty_hours_per_week: float
    """Duty turns a week of the whole pool [h]."""
    fte: float
    """Full-time equivalents: ``hours_per_week`` / 40."""
    cost_per_fte: float | None
    """Cost per FTE [yuan/year], as given; None if not given."""
    persons: tuple[PersonHours, ...]
    """Each person's hours."""

    @property
    def cost_per_day(self) -> float | None:
        """The pool's cost a day [yuan/day]; None without a cost per FTE."""
        return None if self.cost_per_fte is None else self.fte * self.cost_per_fte / DAYS_PER_YEAR


def _weeks(spans: list[Span] | np.ndarray, horizon: float) -> tuple[list[float], list[int]]:
    """Per week of the run: the time of sorted disjoint ``spans`` (a list, or rows of
    start and end) in it (the same sum, in the same order, as ``total(intersect(spans,
    [week]))``) [min], and how many of them start in it; in one pass, linear in the
    spans."""
    n_weeks = math.ceil(horizon / MINUTES_PER_WEEK)
    rows = spans if isinstance(spans, np.ndarray) else as_array(spans)
    week = rows[:, 0] // MINUTES_PER_WEEK  # numpy's floor division is Python's
    if len(rows) and (week >= 0).all() and (rows[:, 1] <= (week + 1) * MINUTES_PER_WEEK).all():
        # each span inside one week: its whole length there, summed in order (bincount
        # adds its weights one by one, in order), as the loop below does
        inside = week < n_weeks
        filled = inside & (rows[:, 1] > rows[:, 0])
        worked_in = np.bincount(week[filled].astype(np.int64),
                                weights=rows[filled, 1] - rows[filled, 0], minlength=n_weeks)
        return (worked_in.tolist(),
                np.bincount(week[inside].astype(np.int64), minlength=n_weeks).tolist())
    worked: list[float] = [0] * n_weeks
    starts = [0] * n_weeks
    for s, e in rows.tolist():
        w = int(s // MINUTES_PER_WEEK)
        if 0 <= w < n_weeks and w * MINUTES_PER_WEEK <= s < (w + 1) * MINUTES_PER_WEEK:
            starts[w] += 1
        for x in range(max(w, 0), n_weeks):
            lo, hi = x * MINUTES_PER_WEEK, (x + 1) * MINUTES_PER_WEEK
            if lo >= e:
                break
            piece_s, piece_e = max(s, lo), min(e, hi)
            if piece_e > piece_s:
                worked[x] += piece_e - piece_s
    return worked, starts


def _rota_hours(person: PersonTime, rota: RotaSpec, horizon: float, label: str
                ) -> PersonHours:
    unpaid = rota.unpaid_break
    day = rota.work_minutes() / 60.0
    worked, starts = _weeks(person.work, horizon)
    per_week = [w - unpaid * n for w, n in zip(worked, starts, strict=True)]
    return _hours(label, per_week, sum(per_week), horizon, day,
                  total(person.duty.tolist()))


def _post_hours(shift: Shift | None, horizon: float, label: str, scenario: Scenario
                ) -> PersonHours:
    on = ([(0.0, horizon)] if shift is None else
          duty_intervals([shift], horizon, working_days(scenario)))
    per_week = _weeks(on, horizon)[0]
    if shift is None:
        day = 24.0
    else:
        start, end = clock_minutes(shift.start), clock_minutes(shift.end)
        day = ((end - start) % MINUTES_PER_DAY or MINUTES_PER_DAY) / 60.0
    return _hours(label, per_week, total(on), horizon, day, 0.0)


def _hours(label: str, per_week: list[float], work: float, horizon: float, day: float,
           duty: float) -> PersonHours:
    weeks = horizon / MINUTES_PER_WEEK
    mean = work / 60.0 / weeks
    whole = per_week[:int(weeks)]
    worst = max(range(len(whole)), key=lambda w: whole[w]) if whole else 0
    return PersonHours(label=label, week_mean=mean,
                       week_max=whole[worst] / 60.0 if whole else mean,
                       worst_week=worst + 1, day_max=day, duty_week=duty / 60.0 / weeks,
                       whole_weeks=len(whole))


def _persons(scenario: Scenario, groups: list[tuple[str, int]], shifts: list[Shift],
             rota: RotaSpec | None, plans: RotaPlans) -> list[PersonHours]:
    """The people of ``groups`` (label, staff), each group with its own people or posts."""
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    persons: list[PersonHours] = []
    if rota is not None:
        planned = plans.grouped(rota, [c for _, c in groups])
        done: dict[int, PersonHours] = {}  # groups of the same size share their people
        for (label, _), people in zip(groups, planned, strict=True):
            for k, p in enumerate(people):
                if id(p) not in done:
                    done[id(p)] = _rota_hours(p, rota, horizon, "")
                persons.append(replace(done[id(p)], label=f"{label} #{k + 1}"))
        return persons
    cache: dict[int, list[PersonHours]] = {}
    for label, count in groups:
        if count not in cache:  # the same shifts for a group of the same size
            chosen: list[Shift | None] = list(shifts) or [None]
            per_shift = [_post_hours(s, horizon, "", scenario) for s in chosen]
            cache[count] = [per_shift[k % len(per_shift)] for k in range(count)]
        persons += [replace(h, label=f"{label} #{k + 1}") for k, h in enumerate(cache[count])]
    return persons


def _pool(name: str, persons: list[PersonHours], posts: bool, cost: float | None
          ) -> PoolHeadcount:
    hours = sum(p.week_mean for p in persons)
    return PoolHeadcount(pool=name, people=len(persons), posts=posts, hours_per_week=hours,
                         duty_hours_per_week=sum(p.duty_week for p in persons),
                         fte=hours / STANDARD_WEEK, cost_per_fte=cost, persons=tuple(persons))


def _grid_names(scenario: Scenario, community: Community | None) -> list[str]:
    names = known_grid_names(scenario)
    if names is None:
        names = list((community or build_community(scenario)).grid_names)
    return names


def headcount(scenario: Scenario, community: Community | None = None,
              plans: RotaPlans | None = None) -> dict[str, PoolHeadcount]:
    """People, hours, FTE and cost per staff pool: `grid_worker`, each handling unit (all
    its grids' units together with `per_grid`) and `command_centre`. ``community`` is
    needed only when the grid names depend on the map (built if not given); ``plans``
    holds the rotas already planned (:func:`twin.staffing.rota_plans`)."""
    grids = _grid_names(scenario, community)
    plans = checked_plans(plans, scenario)
    out: dict[str, PoolHeadcount] = {}
    wf = scenario.workforce
    grid_worker = KINDS[GRID_WORKER]
    if scenario.teams:
        persons: list[PersonHours] = []
        for team in scenario.teams:
            n = team.blocks[0] * team.blocks[1] if team.blocks is not None else len(grids)
            persons += _persons(scenario, [(f"{team.name} grid {g + 1}", team.per_grid)
                                           for g in range(n)], team.shifts, None, plans)
        out[grid_worker] = _pool(grid_worker, persons, True, wf.cost_per_fte)
    else:
        groups = []
        for g in grids:
            staff = wf.grids.get(g)
            n = wf.per_grid if staff is None or staff.workers is None else staff.workers
            groups.append((f"{grid_worker} {g}", n))
        out[grid_worker] = _pool(grid_worker, _persons(scenario, groups, wf.shifts, wf.rota, plans),
                                 wf.rota is None, wf.cost_per_fte)
    orders = scenario.work_orders
    for unit in orders.units if orders is not None else []:
        groups = ([(f"{unit.name} {g}", unit.staff) for g in grids] if unit.per_grid
                  else [(unit.name, unit.staff)])
        out[unit.name] = _pool(unit.name, _persons(scenario, groups, unit.shifts, unit.rota, plans),
                               unit.rota is None, unit.cost_per_fte)
    if orders is not None and orders.centre is not None:
        c = orders.centre
        out[CENTRE_UNIT] = _pool(CENTRE_UNIT, _persons(scenario, [(CENTRE_UNIT, c.staff)],
                                                       c.shifts, c.rota, plans),
                                 c.rota is None, c.cost_per_fte)
    return out


def hours_warnings(pools: dict[str, PoolHeadcount]) -> list[str]:
    """Warnings for people over the Labour Law's 44 hours a week on average or 8 hours a
    day; one line per pool on a rota and limit, naming the heaviest person and week. A
    pool on shifts is made of posts, not people: see :func:`posts_note`."""
    out: list[str] = []
    short = False  # a run shorter than a week: a few days scaled to a week say nothing
    for name, pool in pools.items():
        if pool.posts:
            continue
        short = short or any(not p.whole_weeks for p in pool.persons)
        over = [p for p in pool.persons if p.whole_weeks and p.week_mean > LEGAL_WEEK + 1e-9]
        if over:
            worst = max(over, key=lambda p: p.week_mean)
            out.append(f"{name}: {len(over)} of {pool.people} persons over the Labour Law's "
                       f"{LEGAL_WEEK:g} hours a week on average; {worst.label} works "
                       f"{worst.week_mean:.1f} h a week (week {worst.worst_week}: "
                       f"{worst.week_max:.1f} h)")
        long = [p for p in pool.persons if p.day_max > LEGAL_DAY + 1e-9]
        if long:
            worst = max(long, key=lambda p: p.day_max)
            out.append(f"{name}: {len(long)} of {pool.people} work more than the Labour "
                       f"Law's {LEGAL_DAY:g} hours a day; {worst.label}: {worst.day_max:.1f} h")
    if short:
        out.append(f"the run is shorter than a week: weekly hours are not checked against "
                   f"the Labour Law's {LEGAL_WEEK:g} hours; run 7 days or more to check them")
    return out


def posts_note(pools: dict[str, PoolHeadcount]) -> str | None:
    """One line on the pools on shifts whose posts are longer than a person's legal
    week or day: the people each post needs at the standard week (None if none)."""
    parts = []
    for name, pool in pools.items():
        if not pool.posts or not pool.persons:
            continue
        worst = max(pool.persons, key=lambda p: p.week_mean)
        day = max(p.day_max for p in pool.persons)
        if worst.week_mean > LEGAL_WEEK + 1e-9 or day > LEGAL_DAY + 1e-9:
            parts.append(f"{name} {worst.week_mean / STANDARD_WEEK:.2f} ({worst.week_mean:.1f} "
                         f"h a week, days up to {day:.1f} h)")
    if not parts:
        return None
    return (f"pools on shifts are posts, not people; at {STANDARD_WEEK:g} h a week each post "
            f"needs: {'; '.join(parts)}. Give a pool a rota to plan people and check their "
            "hours against the Labour Law")


def headcount_lines(scenario: Scenario, community: Community | None = None,
                    plans: RotaPlans | None = None) -> list[str]:
    """One line per pool (people, hours a week, FTE, cost a day), the note on posts, then
    the hours warnings (each starting with ``warning:``), for `twin validate`."""
    pools = headcount(scenario, community, plans)
    lines = []
    for name, p in pools.items():
        cost = "" if p.cost_per_day is None else f", {p.cost_per_day:,.0f} yuan a day"
        duty = f" + {p.duty_hours_per_week:,.0f} h on duty turns" if p.duty_hours_per_week else ""
        lines.append(f"{name}: {p.people} {'posts' if p.posts else 'people'}, "
                     f"{p.hours_per_week:,.0f} h a week{duty}, {p.fte:.1f} FTE{cost}")
    note = posts_note(pools)
    return lines + ([note] if note else []) + [f"warning: {w}" for w in hours_warnings(pools)]
