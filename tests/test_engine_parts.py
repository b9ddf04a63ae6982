"""Unit tests of the engine's parts, each through its own ports: the case book, the
dispatch policies, the router, the dispute desk's red response and the staff."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import simpy

import twin
from twin.deadlines import TimeLimits
from twin.demand import generate_arrivals
from twin.engine.assembly import assemble_engine
from twin.engine.book import ORDINARY, VISIT_RANK, CaseBook, urgency_ranks
from twin.engine.policies import PolicyPorts, Units, policy_for
from twin.geography import build_community
from twin.model import flowed_issues, order_limits
from twin.records import (
    ActivityRecorder,
    DisputeRecorder,
    EventRecorder,
    IssueRecorder,
    OrderRecorder,
    StepRecorder,
    VisitRecorder,
)
from twin.rng import Streams
from twin.scenario.registry import DISPATCH_POLICIES
from twin.scenario.schema import DispatchSpec
from twin.staffing import build_staffing
from twin.vocab import (
    GREEN,
    GRID_WORKER,
    HANDLER,
    JOIN_RESPONSE,
    LEAD_RESPONSE,
    MEDIATE,
    RED,
    RESIDENT,
    UNGRADED,
    VOLUNTEER,
)

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ case book
def test_book_serves_the_shortest_limit_first_then_first_come_first_served() -> None:
    urgency = urgency_ranks([1440.0, 240.0, 720.0, 1440.0])  # per issue's category
    book = CaseBook(4, [UNGRADED] * 4, urgency)
    q = book.new_queue()
    for issue in range(4):
        book.known(issue)
        book.push(issue, q, book.urgency[issue])
    assert [book.best([q]) for _ in range(5)] == [1, 2, 0, 3, -1]


def test_book_skips_stale_entries_and_takes_a_task_once() -> None:
    book = CaseBook(2, [UNGRADED] * 2, [ORDINARY] * 2)
    a, b = book.new_queue(), book.new_queue()
    for issue in range(2):
        book.known(issue)
    book.push(0, a, 2)
    book.also_in(b, 0)  # the same key waits in two queues
    book.push(1, a, 2)
    assert book.best([b, a]) == 0
    assert book.best([b]) == -1  # the copy in b is stale now
    book.take(1)
    assert book.best([a]) == -1


def test_visits_wait_after_every_issue() -> None:
    book = CaseBook(1, [UNGRADED], [ORDINARY])
    q = book.new_queue()
    visit = book.add_visit()
    book.known(visit)
    book.push(visit, q, VISIT_RANK)
    book.known(0)
    book.push(0, q, 2)
    assert [book.best([q]), book.best([q]), book.best([q])] == [0, visit, -1]


# ------------------------------------------------------------------ policies
class _Staff:
    """Two teams: units 0, 1, 2 in a row (team 0) and unit 3 (team 1)."""

    def __init__(self) -> None:
        self.pools = {0: {10}, 1: set(), 2: {12}, 3: {13}}
        self.times = {10: 4.0, 12: 2.0, 13: 1.0}

    def idle_pool(self, unit: int, kind: int) -> set[int]:
        return self.pools[unit] if kind == GRID_WORKER else set()

    def nearest_in(self, pool: set[int], node: int) -> tuple[int, float]:
        found = sorted((self.times[w], w) for w in pool)
        return (found[0][1], found[0][0]) if found else (-1, float("inf"))

    def nearest_of_team(self, team: int, node: int) -> tuple[int, float]:
        units = [0, 1, 2] if team == 0 else [3]
        return self.nearest_in(set().union(*(self.pools[u] for u in units)), node)

    def team_of_unit(self, unit: int) -> int:
        return 0 if unit < 3 else 1


def _policy(name: str) -> tuple[Any, simpy.Environment, CaseBook, list[Any]]:
    env = simpy.Environment()
    book = CaseBook(1, [UNGRADED], [ORDINARY])
    assigned: list[Any] = []

    def schedule(delay: float, callback: Any, value: Any) -> None:
        env.timeout(delay, value=value).callbacks.append(callback)

    ports = PolicyPorts(queues=book, staff=_Staff(), assign=lambda *a: assigned.append(a),
                        schedule=schedule, now=lambda: env.now, waiting_since=lambda i: 0.0,
                        unit_of=lambda i: 1, node_of=lambda i: 0, key_of=lambda i: book.key[i])
    units = Units(unit_team=[0, 0, 0, 1], neighbours=[[1], [0, 2], [1], []])
    policy = policy_for(DispatchSpec(policy=name, borrow_after=30.0), units, ports)
    return policy, env, book, assigned


def _wait(policy: Any, env: simpy.Environment, book: CaseBook) -> None:
    book.known(0)
    book.push(0, policy.home_queue(1), 2)
    policy.waiting(0)
    env.run(until=60)


def test_own_grid_never_borrows() -> None:
    policy, env, book, assigned = _policy("own_grid")
    assert policy.first_choice(1, 0) == (-1, float("inf"))  # unit 1 has nobody idle
    assert policy.home_queue(0) != policy.home_queue(1)
    _wait(policy, env, book)
    assert assigned == [] and policy.extra_queues(1) == []


def test_nearest_idle_shares_one_queue_per_team() -> None:
    policy, _, _, _ = _policy("nearest_idle")
    assert policy.home_queue(0) == policy.home_queue(1) == policy.home_queue(2)
    assert policy.home_queue(3) != policy.home_queue(0)
    assert policy.first_choice(1, 0) == (12, 2.0)  # nearest of the team, any grid


def test_then_nearest_borrows_from_the_team_after_borrow_after() -> None:
    policy, env, book, assigned = _policy("own_grid_then_nearest")
    _wait(policy, env, book)
    assert assigned == [(12, 0, 2.0)]
    assert policy.extra_queues(0) == policy.extra_queues(2)  # one borrow queue per team


def test_then_neighbours_borrows_only_from_adjacent_grids() -> None:
    policy, env, book, assigned = _policy("own_grid_then_neighbours")
    _wait(policy, env, book)
    assert assigned == [(12, 0, 2.0)]  # unit 2 (2.0 min) beats unit 0 (4.0); 13 is no neighbour
    assert len({policy.extra_queues(u)[0] for u in range(4)}) == 4
    policy, env, book, assigned = _policy("own_grid_then_neighbours")
    policy.ports.staff.pools[2] = set()
    policy.ports.staff.pools[0] = set()
    _wait(policy, env, book)
    assert assigned == []
    for unit, expect in ((0, 1), (2, 1), (3, 0), (1, 0)):
        assert len(book.heaps[policy.extra_queues(unit)[0]]) == expect


def test_registry_names_are_the_schema_names() -> None:
    assert list(DISPATCH_POLICIES) == ["own_grid", "nearest_idle", "own_grid_then_nearest",
                                       "own_grid_then_neighbours"]
    with pytest.raises(twin.ScenarioError) as caught:
        twin.load_scenario(ROOT / "scenarios" / "baseline.yaml",
                           overrides={"dispatch.policy": "nearest"})
    assert str(caught.value) == ("--set: dispatch.policy: must be one of: own_grid, "
                                 "nearest_idle, own_grid_then_nearest, own_grid_then_neighbours "
                                 "(got 'nearest')")


# ------------------------------------------------- router, desks and staff
def _engine(path: str, **overrides: Any) -> Any:
    scenario = twin.load_scenario(ROOT / path, overrides={"run.horizon_days": 2,
                                                          "run.warmup_days": 0.5, **overrides})
    community = build_community(scenario)
    streams = Streams(scenario.run.seed, 0)
    arr = generate_arrivals(scenario, community, streams, 2 * 1440.0)
    staffing = build_staffing(scenario, community, streams)
    unit = staffing.unit_of_node[staffing.team_of_category[arr.category], arr.node]
    env = simpy.Environment()
    issues = IssueRecorder(arr.t, arr.grid, unit, arr.category, arr.channel, arr.colour,
                           arr.node, arr.latent)
    activity = ActivityRecorder(staffing.unit, staffing.kind, len(arr))
    visits = VisitRecorder()
    orders = OrderRecorder(len(arr), flowed_issues(scenario, arr.category), arr.grid,
                           arr.category, arr.channel, order_limits(scenario, arr.category))
    engine = assemble_engine(env, scenario, community, staffing, arr, issues, activity,
                             EventRecorder(), visits, streams, orders, StepRecorder(),
                             DisputeRecorder(), TimeLimits(scenario))
    return SimpleNamespace(env=env, engine=engine, issues=issues, visits=visits,
                           staffing=staffing, scenario=scenario)


CASES = {  # the stress scenario with its disputes and elderly care replaced by plain cases
    "demand.categories.3": {"name": "case", "rate_per_hour": 0.2, "limit": 1440.0,
                            "service": {"distribution": "exponential", "mean": 20.0}},
    "demand.categories.4": {"name": "urgent", "rate_per_hour": 0.2, "limit": 60.0,
                            "service": {"distribution": "exponential", "mean": 20.0}}}


def _first(e: Any, name: str, unit: int | None = None) -> int:
    """The first issue of category ``name`` (of ``unit`` if given)."""
    k = [c.name for c in e.scenario.demand.categories].index(name)
    mine = np.asarray(e.issues.category) == k
    if unit is not None:
        mine &= np.asarray(e.issues.unit) == unit
    return int(np.flatnonzero(mine)[0])


def _on_duty(e: Any, workers: list[int]) -> None:
    """Put ``workers`` on duty, idle at their base, waiting for the router."""
    staff = e.engine.staff
    for w in workers:
        staff.on_shift[w] = True
        staff.set_idle(w, staff.base[w])
        staff.wake[w] = e.env.event()


def test_router_sends_the_nearest_idle_worker_of_the_unit() -> None:
    e = _engine("scenarios/stress.yaml", **CASES)
    staff, router = e.engine.staff, e.engine.router
    case = _first(e, "case")
    unit = int(e.issues.unit[case])
    pool = [w for w in range(staff.n) if staff.unit[w] == unit and staff.kind[w] == GRID_WORKER]
    _on_duty(e, pool)  # both idle at base
    router.report(case)
    assert e.issues.worker[case] in pool and not staff.idle[e.issues.worker[case]]
    assert e.issues.t_dispatched[case] == 0.0 and not e.engine.book.waiting[case]


def test_router_queues_when_nobody_is_free_and_a_freed_worker_takes_it() -> None:
    e = _engine("scenarios/stress.yaml", **CASES)
    router, book = e.engine.router, e.engine.book
    urgent = _first(e, "urgent")
    unit = int(e.issues.unit[urgent])
    slow = _first(e, "case", unit)
    router.report(slow)  # reported first, but with the longer limit
    router.report(urgent)
    assert book.waiting[slow] and book.waiting[urgent]
    worker = next(w for w in range(e.engine.staff.n) if e.engine.staff.unit[w] == unit)
    task, travel = router.next_for(worker, int(e.issues.node[urgent]))
    assert task == urgent and travel == 0.0 and not book.waiting[urgent]  # shortest limit first
    assert router.next_for(worker, 0)[0] == slow
    assert router.next_for(worker, 0) is None


def test_a_green_mediation_goes_before_a_longer_limit_and_after_nothing_shorter() -> None:
    # stress limits: sanitation 240, safety_hazard and elderly care 1440, repair 4320
    e = _engine("scenarios/stress.yaml",
                **{"demand.categories.3.rate_per_hour_per_1000_residents": 0.05})
    router, book, staff = e.engine.router, e.engine.book, e.engine.staff
    channel = np.asarray(e.issues.channel)
    k = [c.name for c in e.scenario.demand.categories].index("repair")
    repairs = np.flatnonzero((np.asarray(e.issues.category) == k) & (channel == RESIDENT))
    disputes = {int(e.issues.unit[i]): i for i in range(len(channel))
                if e.scenario.demand.categories[int(e.issues.category[i])].name
                == "neighbour_dispute"}
    repair = next(int(r) for r in repairs if int(e.issues.unit[r]) in disputes)
    unit = int(e.issues.unit[repair])
    dispute = disputes[unit]
    book.colour[dispute] = GREEN
    router.report(repair)  # its check waits for a grid worker, at repair's rank
    router.report(dispute)  # the grid worker's mediation, reported later
    worker = next(w for w in range(staff.n) if staff.unit[w] == unit
                  and staff.kind[w] == GRID_WORKER)
    first, _ = router.next_for(worker, staff.base[worker])
    second, _ = router.next_for(worker, staff.base[worker])
    n = len(channel)
    assert first >= n and e.visits.purpose[first - n] == MEDIATE  # the mediation first
    assert second == repair


def test_a_waiting_small_request_keeps_its_category_s_urgency() -> None:
    help_case = {"name": "help", "rate_per_hour": 0.5, "limit": 1440.0,
                 "volunteer_eligible": True,
                 "service": {"distribution": "exponential", "mean": 20.0}}
    e = _engine("scenarios/volunteers_15.yaml", **{"demand.categories.4": help_case})
    router, staff = e.engine.router, e.engine.staff
    wishes = router._orders.on_wish.__self__  # the desk that offers small requests
    wish = _first(e, "small_request")  # limit 2880 (the default `wish` flow's)
    unit = int(e.issues.unit[wish])
    helping = _first(e, "help", unit)  # limit 1440
    wishes._ask(wish)  # nobody free: it waits for the next volunteer
    router.report(helping)  # reported later, with the shorter limit
    volunteer = next(w for w in range(staff.n) if staff.unit[w] == unit
                     and staff.kind[w] == VOLUNTEER)
    assert router.next_for(volunteer, staff.base[volunteer])[0] == helping
    assert router.next_for(volunteer, staff.base[volunteer])[0] == wish


def test_a_red_dispute_sends_its_lead_at_once_and_each_joining_unit_on_its_own() -> None:
    e = _engine("scenarios/disputes_baseline.yaml")
    staff, router, visits = e.engine.staff, e.engine.router, e.visits
    names = e.staffing.unit_names
    members = {name: [w for w in range(staff.n) if names[staff.unit[w]] == name
                      and staff.kind[w] == HANDLER] for name in ("police", "judicial",
                                                                  "community")}
    red = _first(e, "neighbour_dispute")
    e.engine.book.colour[red] = RED
    _on_duty(e, members["police"][:1])  # one officer free; nobody of the others
    router.report(red)
    purpose = list(visits.purpose)
    lead, joins = purpose.index(LEAD_RESPONSE), [v for v, p in enumerate(purpose)
                                                  if p == JOIN_RESPONSE]
    assert visits.t_dispatched[lead] == 0.0 and visits.worker[lead] == members["police"][0]
    assert len(joins) == 2 and all(visits.t_dispatched[v] != visits.t_dispatched[v]
                                   for v in joins)  # waiting, and holding nobody
    n = len(e.issues.t_reported)
    assert all(e.engine.book.visit_waiting[v] for v in joins)
    # A judicial officer freed later takes the judicial office's visit, whatever the others do.
    judicial = members["judicial"][0]
    task, _travel = router.next_for(judicial, staff.base[judicial])
    assert task - n in joins and names[visits.unit[task - n]] == "judicial"
    community = members["community"][0]
    assert router.next_for(community, staff.base[community])[0] - n in joins


def test_staff_pools_and_legs() -> None:
    e = _engine("scenarios/baseline.yaml")
    staff = e.engine.staff
    w = 0
    staff.set_idle(w, staff.base[w])
    assert w in staff.idle_pool(staff.unit[w], GRID_WORKER)
    assert staff.nearest_in(staff.idle_pool(staff.unit[w], GRID_WORKER), staff.base[w]) == (w, 0.0)
    node = staff.clear_idle(w)
    assert node == staff.base[w] and w not in staff.idle_pool(staff.unit[w], GRID_WORKER)
