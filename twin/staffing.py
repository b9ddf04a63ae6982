"""Who works where and when: dispatch units, staff, bases, duty periods, patrol routes.

A *unit* is a queue of work with the staff who draw from it:

* one unit per (team, grid) for grid workers (网格员). Without `teams` there is a
  single comprehensive team whose units are the scenario's grids;
* one unit per handling unit of `work_orders` (one per grid with `per_grid`), and
  one for the centre's filing desk. Disputes' mediation office and red-response
  units are handling units too.

Volunteers belong to the grid-worker unit of their home node, of the team that
owns the volunteer-eligible categories (the first such team, if several).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.geography import Community, MapError, block_grids, street_edges
from twin.patrol import patrol_routes
from twin.rng import Streams
from twin.scenario.duty import (  # noqa: F401 - duty_intervals, working_days: older imports
    checked_plans,
    duty_intervals,
    rota_plans,
    working_days,
)
from twin.scenario.noncasetime import block_spans, split_non_case
from twin.scenario.orders import CENTRE_UNIT
from twin.scenario.people import WORKDAYS, NonCaseSpec, RotaSpec
from twin.scenario.rotaplan import PersonTime, RotaPlans
from twin.scenario.schema import Scenario, Shift
from twin.scenario.spanarrays import (
    EMPTY,
    SharedRows,
    as_array,
    frozen,
    intersect_rows,
    subtract_rows,
)
from twin.stations import placed_stations
from twin.vocab import (  # noqa: F401 - re-exported for older imports
    GRID_WORKER,
    HANDLER,
    KINDS,
    MINUTES_PER_DAY,
    VOLUNTEER,
)


@dataclass(frozen=True)
class Staffing:
    """Units, teams and staff of one scenario on one map."""

    unit_names: list[str]
    """Unit names: grid names (one team), `team/grid` (teams), handling units, `centre`."""
    unit_team: np.ndarray
    """Team index of each unit (-1 for handling units and the centre's desk)."""
    team_names: list[str]
    """Team names."""
    team_of_category: np.ndarray
    """Team index of each category."""
    unit_of_node: np.ndarray
    """Shape (teams, nodes): the unit responsible for a node, per team."""
    routes: list[np.ndarray]
    """Patrol route (node indices) per unit; empty for handling units."""
    kind: np.ndarray
    """Kind of each staff member (GRID_WORKER, VOLUNTEER, HANDLER)."""
    unit: np.ndarray
    """Unit of each staff member."""
    base: np.ndarray
    """Base node index of each staff member."""
    duty: list[np.ndarray | None]
    """Per staff member, sorted disjoint on-duty intervals [min] as read-only rows of
    (start, end), shared by the staff with the same time; None = always on duty (no
    shifts given); no rows = never on duty within the horizon."""
    travels: np.ndarray
    """Per staff member: travels on the map (false: office or remote work)."""
    handling_units: dict[str, list[int]]
    """Per handling unit of `work_orders.units`: its unit, or one unit per grid."""
    centre_unit: int
    """Unit of the centre's filing desk, -1 if none."""
    noncase: list[np.ndarray] = field(default_factory=list)
    """Per staff member, sorted disjoint non-case blocks [min] as read-only rows of
    (start, end): on duty and paid, but taking no new case (cut out of ``duty``); no
    rows when none are scheduled."""


class _Roll:
    """Staff being listed, one column per attribute."""

    def __init__(self, plans: RotaPlans, times: bool = True) -> None:
        self.plans = plans
        self.times = times
        self.horizon = plans.horizon
        self.working_day = plans.working_day
        self._posts: dict[tuple[str, str, tuple[str, ...]], np.ndarray] = {}
        self.shared = SharedRows()
        """Each staff member's time, kept once by value (staff with the same share it)."""
        self.kind: list[int] = []
        self.unit: list[int] = []
        self.base: list[int] = []
        self.duty: list[np.ndarray | None] = []
        self.travels: list[bool] = []
        self.noncase: list[np.ndarray] = []

    def add(self, count: int, kind: int, unit: int, bases: list[int], shifts: list[Shift],
            travels: bool = True, rota: RotaSpec | None = None,
            non_case: NonCaseSpec | None = None, people: list[PersonTime] | None = None
            ) -> None:
        """``count`` staff on ``shifts`` (posts: k gets shift k mod n) or on ``rota``
        (people: ``people`` when planned for a larger pool), with ``non_case`` work cut
        out of their duty."""
        pattern = _pattern(shifts, rota)  # before the times are dropped: same bases
        group = pattern if count >= pattern * len(bases) else 1  # else one a station
        if not self.times:  # who, where, not when
            rota = non_case = None
            shifts, people = [], None
        if people is None:
            people = self.plans.people(rota, count) if rota else []
        blocks = as_array(block_spans(non_case.blocks, self.horizon, self.working_day)
                          if non_case is not None else [])
        for k in range(count):
            self.travels.append(travels)
            self.kind.append(kind)
            self.unit.append(unit)
            # several bases (stations): groups of consecutive staff dealt in turn
            self.base.append(bases[k // group % len(bases)])
            # the arrays of duty are shared by the staff with the same time (read-only)
            duty = (people[k].on_duty() if people else
                    self._post(shifts[k % len(shifts)]) if shifts else None)
            away = EMPTY
            if non_case is not None:
                on = duty if duty is not None else np.array([[0.0, self.horizon]])
                away, rest = split_non_case(on, blocks, non_case.share, k, count)
                away = self.shared.one(away)
                duty = rest if len(away) else duty
            self.duty.append(None if duty is None else self.shared.one(duty))
            self.noncase.append(away)

    def _post(self, shift: Shift) -> np.ndarray:
        """:func:`duty_intervals` of one shift, worked out once per staffing (shared)."""
        key = (shift.start, shift.end, tuple(shift.days))
        if key not in self._posts:
            self._posts[key] = frozen(as_array(duty_intervals([shift], self.horizon,
                                                              self.working_day)))
        return self._posts[key]

    def grouped(self, rota: RotaSpec | None, counts: list[int]) -> list[list[PersonTime]]:
        """The people of each grid's staff on ``rota`` (:func:`grouped_people`); [] without."""
        return self.plans.grouped(rota, counts) if rota else []


def _pattern(shifts: list[Shift], rota: RotaSpec | None) -> int:
    """How many consecutive staff between them work every part of a pool's time: its
    shifts (staff k works shift k mod n), or a rota's staggered rest days (person k's
    follow k mod the days listed); 1 otherwise. Dealt to stations in such groups, every
    station works every shift and rest-day pattern, and a rota's duty turns, taken by
    consecutive people, are spread over the stations (no station gets only one kind of
    staff when the number of stations shares a factor with the pattern)."""
    if shifts:
        return len(shifts)
    if rota is not None and rota.days != [WORKDAYS] and len(rota.days) > rota.week:
        return len(rota.days)
    return 1


def _node(community: Community, label: str | int | None, key: str) -> int:
    if label is None:
        centre = community.xy.mean(axis=0)
        return int(np.argmin(((community.xy - centre) ** 2).sum(axis=1)))
    found = community.node_index(label)
    if found is None:
        labels = community.node_labels
        raise MapError(key, f"no map node {label!r}; node ids run from {labels[0]!r} to "
                            f"{labels[-1]!r} (a lattice names them 'row-col')")
    return found


def build_staffing(scenario: Scenario, community: Community, streams: Streams | None = None,
                   patrols: bool = True, plans: RotaPlans | None = None, times: bool = True
                   ) -> Staffing:
    """Units and staff of ``scenario``; raises MapError for an unknown node, or for
    `grid_work` settings that do not fit the teams. ``patrols=False`` leaves the patrol
    routes empty (checks need no travel times); ``plans`` (:func:`rota_plans`) keeps the
    rotas planned for later use. ``times=False`` lists the staff without their times
    (every ``duty`` None, every ``noncase`` empty): the check of a scenario needs only
    who works where, and a district's year of duty spans is millions of them."""
    check_grid_work(scenario)
    cats = [c.name for c in scenario.demand.categories]
    roll = _Roll(checked_plans(plans, scenario), times)
    unit_names: list[str] = []
    unit_team: list[int] = []
    unit_grids: list[tuple[np.ndarray, int, int]] = []  # per team: (grid of node, first, n)
    if scenario.teams:
        team_names = [t.name for t in scenario.teams]
        team_of_cat = np.array([next(i for i, t in enumerate(scenario.teams) if c in t.categories)
                                for c in cats], dtype=np.int64)
        for t, team in enumerate(scenario.teams):
            if team.blocks is None:
                grid_of_node, names = community.grid_of_node, community.grid_names
            else:
                grid_of_node, names = block_grids(community, scenario, team.blocks)
            first = len(unit_names)
            unit_names += [f"{team.name}/{g}" for g in names]
            unit_team += [t] * len(names)
            unit_grids.append((grid_of_node, first, len(names)))
            for g in range(len(names)):
                centre = _centre_node(community, np.flatnonzero(grid_of_node == g))
                roll.add(team.per_grid, GRID_WORKER, first + g, [centre], team.shifts)
    else:
        team_names = ["all"]
        team_of_cat = np.zeros(len(cats), dtype=np.int64)
        spec = scenario.workforce
        unit_names += list(community.grid_names)
        unit_team += [0] * len(community.grid_names)
        unit_grids.append((community.grid_of_node, 0, len(community.grid_names)))
        counts = [spec.per_grid if (staff := spec.grids.get(name)) is None
                  or staff.workers is None else staff.workers for name in community.grid_names]
        groups = roll.grouped(spec.rota, counts)
        for g, name in enumerate(community.grid_names):
            staff = spec.grids.get(name)
            base = int(community.centre_node[g])
            if staff is not None and staff.base is not None:
                base = _node(community, staff.base, f"workforce.grids.{name}.base")
            roll.add(counts[g], GRID_WORKER, g, [base], spec.shifts, rota=spec.rota,
                     non_case=spec.non_case, people=groups[g] if groups else None)
    unit_of_node = np.stack([grid_of_node + first for grid_of_node, first, _n in unit_grids])
    n_grid_units = len(unit_names)
    routes = [np.zeros(0, dtype=np.int64)] * n_grid_units
    if scenario.patrols.enabled and patrols:
        routes = []
        for grid_of_node, _first, n in unit_grids:
            routes += patrol_routes(community.xy, community.travel.among, grid_of_node, n)
    _add_volunteers(scenario, community, roll, unit_of_node, team_of_cat, streams)
    handling, centre_unit = _add_handling_units(scenario, community, roll, unit_names, unit_team)
    routes += [np.zeros(0, dtype=np.int64)] * (len(unit_names) - len(routes))
    pools = {"grid_worker": list(range(n_grid_units)), **handling,
             **({CENTRE_UNIT: [centre_unit]} if centre_unit >= 0 else {})}
    _event_staff(scenario, roll, pools, community)
    return Staffing(
        unit_names=unit_names,
        unit_team=np.array(unit_team, dtype=np.int64),
        team_names=team_names,
        team_of_category=team_of_cat,
        unit_of_node=unit_of_node,
        routes=routes,
        kind=np.array(roll.kind, dtype=np.int64),
        unit=np.array(roll.unit, dtype=np.int64),
        base=np.array(roll.base, dtype=np.int64),
        duty=roll.duty,
        travels=np.array(roll.travels, dtype=bool),
        handling_units=handling,
        centre_unit=centre_unit,
        noncase=roll.noncase,
    )


def _event_staff(scenario: Scenario, roll: _Roll, pools: dict[str, list[int]],
                 community: Community) -> None:
    """Dated events' staff changes, in each unit of a pool on the event's days: the pool's
    last staff listed are off duty (fewer), or more staff of the pool's kind work as its
    first does (more; with no one to follow, round the clock from the grid's centre)."""
    if scenario.calendar is None:
        return
    kind_of = {pool: GRID_WORKER if pool == "grid_worker" else HANDLER for pool in pools}
    by_unit: dict[tuple[int, int], list[int]] = {}  # (unit, kind) -> staff, in order
    for w, (u, k) in enumerate(zip(roll.unit, roll.kind, strict=True)):
        by_unit.setdefault((u, k), []).append(w)
    listed = {(pool, u): by_unit.get((u, kind_of[pool]), [])  # before any event adds staff
              for pool, units in pools.items() for u in units}
    for event in scenario.events:
        first, end = ((d - scenario.calendar.start).days for d in (event.start, event.end))
        window = frozen(np.array([[max(0.0, first * MINUTES_PER_DAY),
                                   min(roll.horizon, (end + 1) * 1440.0)]]))
        for pool, change in event.staff.items():
            for unit in pools.get(pool, []):
                staff = listed[(pool, unit)]
                for w in staff[len(staff) + change:] if change < 0 and roll.times else []:
                    on = roll.duty[w]
                    on = np.array([[0.0, roll.horizon]]) if on is None else on
                    roll.duty[w] = roll.shared.one(subtract_rows(on, window))
                    roll.noncase[w] = roll.shared.one(subtract_rows(roll.noncase[w], window))
                model = staff[0] if staff else None
                bases = list(dict.fromkeys(roll.base[w] for w in staff)) or [
                    int(community.centre_node[unit]) if unit < len(community.grid_names)
                    else _node(community, None, "")]
                for j in range(max(change, 0)):  # spread over the unit's stations
                    roll.kind.append(kind_of[pool])
                    roll.unit.append(unit)
                    roll.base.append(bases[j * len(bases) // change])
                    roll.travels.append(roll.travels[model] if model is not None else True)
                    like = roll.duty[model] if model is not None else None
                    roll.duty.append(None if not roll.times else roll.shared.one(
                        intersect_rows(like, window) if like is not None else window))
                    roll.noncase.append(EMPTY)


def check_grid_work(scenario: Scenario) -> None:
    """Hand-offs need specialised teams; settling several matters in one visit needs one
    comprehensive team. Raises MapError (located at the key) otherwise."""
    work = scenario.grid_work
    if work.handoff is not None and not scenario.teams:
        raise MapError("grid_work.handoff", "applies to specialised teams (teams); a "
                       "comprehensive grid has no hand-offs: remove grid_work.handoff or "
                       "add teams")
    if work.same_place_first and scenario.teams:
        raise MapError("grid_work.same_place_first", "applies to a comprehensive grid (no "
                       "teams); in specialised grids a visit settles one team's matter: set "
                       "it to false or remove teams")


def _add_handling_units(scenario: Scenario, community: Community, roll: _Roll,
                        unit_names: list[str], unit_team: list[int]
                        ) -> tuple[dict[str, list[int]], int]:
    """Units and staff of `work_orders`: handling units and the centre's desk."""
    spec = scenario.work_orders
    if spec is None:
        return {}, -1
    handling: dict[str, list[int]] = {}
    placed: dict[int, list[int]] = {}  # stations by count, placed once
    taken = set(unit_names)  # grids (or team/grid)
    for i, unit in enumerate(spec.units):
        names = [f"{unit.name}/{g}" for g in community.grid_names] if unit.per_grid else []
        for name in [unit.name, *names]:  # a grid's name may hold '/'
            if name in taken:
                raise MapError(f"work_orders.units.{i}.name", f"{name!r} is also the name "
                               "of a grid; give the handling unit another name")
        handling[unit.name] = []
        key = f"work_orders.units.{i}.node"
        if unit.per_grid:
            groups = roll.grouped(unit.rota, [unit.staff] * len(community.grid_names))
            for g, grid in enumerate(community.grid_names):
                handling[unit.name].append(len(unit_names))
                unit_names.append(f"{unit.name}/{grid}")
                unit_team.append(-1)
                base = (_node(community, unit.node, key) if unit.node is not None
                        else int(community.centre_node[g]))
                roll.add(unit.staff, HANDLER, len(unit_names) - 1, [base], unit.shifts,
                         unit.travel, rota=unit.rota, people=groups[g] if groups else None)
        else:
            handling[unit.name].append(len(unit_names))
            unit_names.append(unit.name)
            unit_team.append(-1)
            bases = ([_node(community, unit.node, key)] if unit.stations == 1 else
                     placed_stations(community, unit.stations,
                                     f"work_orders.units.{i}.stations", placed))
            roll.add(unit.staff, HANDLER, len(unit_names) - 1, bases, unit.shifts,
                     unit.travel, rota=unit.rota)
    centre_unit = -1
    if spec.centre is not None and CENTRE_UNIT in unit_names:
        raise MapError("work_orders.centre", f"a grid or handling unit is named "
                       f"{CENTRE_UNIT!r}, the name of the centre's desk; rename it")
    if spec.centre is not None:
        centre_unit = len(unit_names)
        unit_names.append(CENTRE_UNIT)
        unit_team.append(-1)
        roll.add(spec.centre.staff, HANDLER, centre_unit, [_node(community, None, "")],
                 spec.centre.shifts, travels=False, rota=spec.centre.rota)
    return handling, centre_unit


def _centre_node(community: Community, nodes: np.ndarray) -> int:
    xy = community.xy[nodes]
    return int(nodes[np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1))])


def _add_volunteers(scenario: Scenario, community: Community, roll: _Roll,
                    unit_of_node: np.ndarray, team_of_cat: np.ndarray,
                    streams: Streams | None) -> None:
    spec = scenario.volunteers
    eligible = [k for k, c in enumerate(scenario.demand.categories) if c.volunteer_eligible
                or (c.flow is not None and any(s.step == "wish" for s in c.flow.flow_steps()))]
    if spec is None or not eligible:
        return
    team = int(team_of_cat[eligible[0]])
    for g, name in enumerate(community.grid_names):
        registered = spec.registered_per_1000_residents * community.residents[g] / 1000.0
        count = int(round(registered * spec.participation))
        nodes = community.grid_nodes[g]
        rng = (streams or Streams(scenario.run.seed, 0))[f"volunteers/{name}"]
        homes = [int(v) for v in nodes[rng.integers(0, len(nodes), max(count, 1))]]
        for k in range(count):
            roll.add(1, VOLUNTEER, int(unit_of_node[team, homes[k]]), [homes[k]],
                     [spec.shifts[k % len(spec.shifts)]] if spec.shifts else [])


def unit_neighbours(staffing: Staffing, community: Community) -> list[list[int]]:
    """Per unit, the units of the same team whose grids share a boundary with its grid
    (a street joins them); empty for units that are not grid-worker units."""
    out: list[set[int]] = [set() for _ in staffing.unit_names]
    edges = street_edges(community)
    for unit_of in staffing.unit_of_node:
        a, b = unit_of[edges[:, 0]], unit_of[edges[:, 1]]
        for u, v in set(zip(a[a != b].tolist(), b[a != b].tolist(), strict=True)):
            out[u].add(v)
            out[v].add(u)
    return [sorted(s) for s in out]
