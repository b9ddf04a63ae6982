"""Unit tests of the engine's parts, each through its own ports: the case book, the
escalation watch, the dispatch policies, the router, the joint and follow-up desks and
the staff."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import simpy

import twin
from twin.demand import generate_arrivals
from twin.engine.assembly import assemble_engine
from twin.engine.book import BIG, VISIT_RANK, CaseBook
from twin.engine.policies import PolicyPorts, Units, policy_for
from twin.engine.triggers import CAUSE_CODE
from twin.engine.watch import EscalationRules, EscalationWatch
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
from twin.vocab import GREEN, GRID_WORKER, RED, YELLOW

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ case book
def test_book_serves_red_first_then_first_come_first_served() -> None:
    book = CaseBook(4, [GREEN, RED, YELLOW, GREEN])
    q = book.new_queue()
    for issue in range(4):
        book.known(issue)
        book.push(issue, q, 2 - book.colour[issue])
    assert [book.best([q]) for _ in range(5)] == [1, 2, 0, 3, -1]


def test_book_skips_stale_entries_and_takes_a_task_once() -> None:
    book = CaseBook(2, [GREEN, GREEN])
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


def test_book_tells_the_watch_about_waiting_green_and_yellow_only() -> None:
    told: list[tuple[int, int]] = []
    book = CaseBook(3, [GREEN, YELLOW, RED])
    book.on_wait = lambda issue, key: told.append((issue, key))
    q = book.new_queue()
    for issue in range(3):
        book.known(issue)
        book.push(issue, q, 2 - book.colour[issue])
    assert [i for i, _ in told] == [0, 1]
    assert told[0][1] == 2 * BIG + 0 and told[1][1] == 1 * BIG + 1
    assert book.still_waiting(0, told[0][1]) and not book.still_waiting(0, 0)


def test_visits_wait_after_every_issue() -> None:
    book = CaseBook(1, [GREEN])
    q = book.new_queue()
    visit = book.add_visit()
    book.known(visit)
    book.push(visit, q, VISIT_RANK)
    book.known(0)
    book.push(0, q, 2)
    assert [book.best([q]), book.best([q])] == [0, visit]
    assert book.waiting_keys(q) == []


# --------------------------------------------------------------- the watch
class _Cases:
    def __init__(self, colours: list[int]) -> None:
        self.colour = colours
        self.colour_epoch = [0] * len(colours)
        self.waiting = [True] * len(colours)
        self.key = [0] * len(colours)

    def still_waiting(self, issue: int, key: int) -> bool:
        return self.waiting[issue] and self.key[issue] == key


def _watch(colours: list[int], failure: float = 0.0, growth: float = 0.0
           ) -> tuple[simpy.Environment, _Cases, list[Any], list[int], EscalationWatch]:
    env = simpy.Environment()
    cases = _Cases(colours)
    rules = EscalationRules(True, True, np.array([10.0, 20.0, 30.0]),
                            np.full((1, 3), failure), np.array([growth]))
    recorded: list[Any] = []
    rerouted: list[int] = []

    def reroute(issue: int) -> None:  # routed again, and nobody free: it waits again
        rerouted.append(issue)
        cases.waiting[issue] = True

    def schedule(delay: float, callback: Any, value: Any) -> None:
        env.timeout(delay, value=value).callbacks.append(callback)

    watch = EscalationWatch(rules, cases, schedule, lambda: env.now,
                            lambda *row: recorded.append(row), lambda i: None, reroute,
                            [0] * len(colours), np.full((len(colours), 3), 0.5),
                            lambda issue: 5.0)
    return env, cases, recorded, rerouted, watch


def test_deadline_moves_a_waiting_case_up_at_its_deadline_and_red_whistles() -> None:
    env, cases, recorded, rerouted, watch = _watch([GREEN])
    watch.watch_deadline(0)
    env.run(until=100)
    assert recorded == [(0, 10.0, GREEN, YELLOW, CAUSE_CODE["deadline"]),
                        (0, 30.0, YELLOW, RED, CAUSE_CODE["deadline"]),
                        (0, 60.0, RED, RED, CAUSE_CODE["whistle"])]
    assert rerouted == [0, 0] and cases.colour == [RED]


def test_a_taken_case_is_not_escalated_by_its_old_timer() -> None:
    env, cases, recorded, _, watch = _watch([GREEN])
    watch.watch_deadline(0)
    cases.waiting[0] = False
    env.run(until=100)
    assert recorded == []


def test_failed_attempt_and_growth() -> None:
    env, cases, recorded, _, watch = _watch([GREEN, GREEN], failure=0.6, growth=1.0)
    assert watch.attempt_failed(0)  # draw 0.5 < 0.6
    assert recorded[-1][2:] == (GREEN, YELLOW, CAUSE_CODE["failed"])
    cases.colour[0] = RED
    assert not watch.attempt_failed(0)  # a red attempt always concludes
    watch.watch_growth(1, 0)
    env.run(until=6)
    assert recorded[-1] == (1, 5.0, GREEN, YELLOW, CAUSE_CODE["grew"])


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
    book = CaseBook(1, [GREEN])
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
                             DisputeRecorder())
    return SimpleNamespace(env=env, engine=engine, issues=issues, visits=visits,
                           staffing=staffing, scenario=scenario)


def _case(e: Any, colour: int | None = None) -> int:
    """The first issue of a category without a flow (a case routed by its colour), of
    ``colour`` if given: work orders go to the order desk, not to the router's tiers."""
    cases = [k for k, c in enumerate(e.scenario.demand.categories) if c.flow is None]
    mine = np.isin(np.asarray(e.issues.category), cases)
    if colour is not None:
        mine &= np.asarray(e.issues.colour) == colour
    return int(np.flatnonzero(mine)[0])


def test_router_sends_the_nearest_idle_worker_of_the_unit() -> None:
    e = _engine("scenarios/baseline.yaml")
    staff, router = e.engine.staff, e.engine.router
    case = _case(e)
    unit = int(e.issues.unit[case])
    pool = [w for w in range(staff.n) if staff.unit[w] == unit and staff.kind[w] == GRID_WORKER]
    for w in pool:  # both idle at base
        staff.on_shift[w] = True
        staff.set_idle(w, staff.base[w])
        staff.wake[w] = e.env.event()
    router.report(case)
    assert e.issues.worker[case] in pool and not staff.idle[e.issues.worker[case]]
    assert e.issues.t_dispatched[case] == 0.0 and not e.engine.book.waiting[case]


def test_router_queues_when_nobody_is_free_and_a_freed_worker_takes_it() -> None:
    e = _engine("scenarios/baseline.yaml")
    router, book = e.engine.router, e.engine.book
    case = _case(e)
    router.report(case)
    assert book.waiting[case]
    unit = int(e.issues.unit[case])
    worker = next(w for w in range(e.engine.staff.n) if e.engine.staff.unit[w] == unit)
    task, travel = router.next_for(worker, int(e.issues.node[case]))
    assert task == case and travel == 0.0 and not book.waiting[case]
    assert router.next_for(worker, 0) is None


def test_joint_desk_starts_only_when_every_pool_is_free() -> None:
    e = _engine("scenarios/three_color_baseline.yaml")
    staff, router, book = e.engine.staff, e.engine.router, e.engine.book
    red = _case(e, RED)
    responders = [w for w in range(staff.n) if staff.kind[w] == 3]
    pools = sorted({staff.unit[w] for w in responders})
    first = [next(w for w in responders if staff.unit[w] == u) for u in pools]
    staff.on_shift[first[0]] = True
    staff.set_idle(first[0], staff.base[first[0]])  # one pool only
    router.report(red)
    assert book.waiting[red] and staff.idle[first[0]]  # nobody is held
    staff.on_shift[first[1]] = True
    staff.set_idle(first[1], staff.base[first[1]])
    e.engine.try_joint()
    assert not book.waiting[red] and not staff.idle[first[0]] and not staff.idle[first[1]]
    e.env.run(until=2 * 1440.0)
    assert e.issues.t_resolved[red] == e.issues.t_resolved[red]  # settled, not NaN


def test_follow_up_desk_plans_a_visit_after_a_yellow_case() -> None:
    e = _engine("scenarios/three_color_baseline.yaml")
    router = e.engine.router
    yellow = _case(e, YELLOW)
    e.engine.book.colour[yellow] = YELLOW
    router.finish(yellow)
    assert len(e.visits.issue) == 1 and e.visits.issue[0] == yellow
    due = e.visits.t_due[0]
    assert due == pytest.approx(e.scenario.follow_up.delay_days * 1440.0)
    e.env.run(until=due + 1e-9)
    assert e.engine.book.visit_waiting[0]  # due, and nobody idle: it waits


def test_staff_pools_and_legs() -> None:
    e = _engine("scenarios/baseline.yaml")
    staff = e.engine.staff
    w = 0
    staff.set_idle(w, staff.base[w])
    assert w in staff.idle_pool(staff.unit[w], GRID_WORKER)
    assert staff.nearest_in(staff.idle_pool(staff.unit[w], GRID_WORKER), staff.base[w]) == (w, 0.0)
    node = staff.clear_idle(w)
    assert node == staff.base[w] and w not in staff.idle_pool(staff.unit[w], GRID_WORKER)
