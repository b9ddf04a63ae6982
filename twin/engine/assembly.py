"""Assembling the engine: each part built with the ports it needs, and nothing more.

The parts are built in the order of their dependencies; where two parts need
each other (the router hands reports to the order and dispute desks, which route
their steps and visits through the router) the port is a small function that
looks the other part up when called, never a reference to its ``self`` held at
construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import simpy

from twin.deadlines import TimeLimits
from twin.demand import Arrivals
from twin.engine.book import CaseBook, urgency_ranks
from twin.engine.callback import CallbackDesk, CallbackPorts
from twin.engine.disputes import DisputeDesk, DisputePorts, DisputeUnits
from twin.engine.gridwork import HandOffs
from twin.engine.log import CaseLog, FastPath
from twin.engine.orderplan import order_plan
from twin.engine.orders import OrderDesk, OrderPorts, OrderUnits
from twin.engine.oversight import Oversight, OversightPorts
from twin.engine.policies import PolicyPorts, Units, policy_for
from twin.engine.router import Desks, Router
from twin.engine.staff import Staff
from twin.engine.views import Callback, FloatColumn, IntColumn, Schedule, items
from twin.engine.wishes import WishDesk, WishPorts
from twin.geography import Community
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
from twin.scenario.schema import Scenario
from twin.staffing import Staffing, unit_neighbours
from twin.vocab import (
    DISPUTE_PURPOSES,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    PURPOSES,
    REPEAT_FILING,
    REPORT_TO_WHISTLE,
)


@dataclass(frozen=True)
class Engine:
    """The assembled parts the model starts and reads."""

    staff: Staff
    book: CaseBook
    router: Router
    fast: FastPath
    flush: Callable[[], None]
    """Write the rows of work-order steps still open at the end of the run."""


def _scheduler(env: simpy.Environment) -> Schedule:
    def schedule(delay: float, callback: Callback, value: object) -> None:
        timer = env.timeout(delay, value=value)
        timer.callbacks.append(callback)
    return schedule


def assemble_engine(env: simpy.Environment, scenario: Scenario, community: Community,
                    staffing: Staffing, arr: Arrivals, issues: IssueRecorder,
                    activity: ActivityRecorder, escalations: EventRecorder,
                    visits: VisitRecorder, streams: Streams, orders: OrderRecorder,
                    steps: StepRecorder, disputes: DisputeRecorder,
                    limits: TimeLimits) -> Engine:
    """Build every part of the engine for one replication (``limits``: when each
    category's orders are due)."""
    parts: dict[str, Router] = {}  # filled below; the ports look it up when called
    schedule = _scheduler(env)

    def now() -> float:
        return env.now

    staff = Staff(env, community.travel, staffing, activity, scenario.workforce.return_to_base,
                  scenario.patrols.enabled,
                  on_arrival=lambda w, node: parts["router"].patrol_arrival(w, node))
    ranks = np.array(urgency_ranks([c.time_limit() for c in scenario.demand.categories]))
    book = CaseBook(len(arr), arr.colour.astype(np.int64).tolist(),
                    ranks[arr.category].tolist())
    unit_view: IntColumn = items(np.ascontiguousarray(issues.unit))
    node_view: IntColumn = items(np.ascontiguousarray(issues.node))
    cat_view: IntColumn = items(np.ascontiguousarray(issues.category))
    grid_view: IntColumn = items(np.ascontiguousarray(issues.grid))
    log = CaseLog(issues, visits, staff.kind, staff.unit, unit_view)
    service: FloatColumn = items(np.ascontiguousarray(arr.service))
    cats = list(scenario.demand.categories)
    desks_of_orders: list[OrderDesk] = []  # filled below, if any category has a flow

    def waiting_since(issue: int) -> float:
        if desks_of_orders and desks_of_orders[0].flow_of[issue] is not None:
            return desks_of_orders[0].s.ready[issue]  # a work order: its current step
        return log.t_reported[issue]

    n_units = len(staffing.unit_names)
    units = Units(unit_team=staffing.unit_team.tolist(),
                  neighbours=unit_neighbours(staffing, community)
                  if scenario.dispatch.policy == "own_grid_then_neighbours" else
                  [[] for _ in range(n_units)])
    policy_ports = PolicyPorts(
        queues=book, staff=staff, assign=lambda w, t, x: parts["router"].assign(w, t, x),
        schedule=schedule, now=now, waiting_since=waiting_since,
        unit_of=lambda i: unit_view[i], node_of=lambda i: node_view[i],
        key_of=lambda i: book.key[i])
    policy = policy_for(scenario.dispatch, units, policy_ports)
    visit_queues = [book.new_queue() for _ in range(n_units)]
    desks = Desks()
    plan = order_plan(scenario, arr.category, streams)
    flush: list[Callable[[], None]] = []
    receive: list[Callable[[int], None] | None] = [None] * len(cats)
    visit_done: list[Callable[[int], None] | None] = [None] * len(PURPOSES)
    if plan is not None:
        allowed = limits.allowed if limits.dynamic else None
        order_queues = [book.new_queue() for _ in range(n_units)]
        desk = OrderDesk(plan, OrderUnits(handling=staffing.handling_units,
                                          centre=staffing.centre_unit, queue=order_queues,
                                          assignable=_order_units(scenario)),
                         OrderPorts(book=book, staff=staff, env=env, schedule=schedule,
                                    to_grid=lambda i, r: parts["router"].route(i, r),
                                    assign=lambda w, t, x: parts["router"].assign(w, t, x),
                                    category=cat_view, grid=grid_view, node=node_view,
                                    channel=log.channel, grid_unit=unit_view,
                                    resolved=log.t_resolved, allowed=allowed,
                                    stage=limits.stage if limits.staged else None),
                         orders, steps, streams)
        desks_of_orders.append(desk)
        centre_unit = staffing.centre_unit  # not the staffing: its span lists go after the start
        callback = CallbackDesk(plan, orders, steps, CallbackPorts(
            schedule=schedule, now=now, channel=log.channel, category=cat_view,
            unfixed=desk.unfixed, reopen=desk.reopen,
            unit=lambda i: centre_unit if centre_unit >= 0 else (
                int(orders.unit[i]) if orders.unit[i] >= 0 else unit_view[i])), streams)
        oversight = Oversight(plan, orders, steps, visits, OversightPorts(
            schedule=schedule, now=now, closed=desk.closed, raise_rank=desk.raise_rank,
            unit_of=desk.unit_of, add_visit=book.add_visit, known=book.known,
            route=lambda t: parts["router"].route(t), category=cat_view, node=node_view,
            channel=log.channel),
            staffing.centre_unit, arr.repeat_offsets,
            scenario.repeat_complaints.rate_at_deadline / MINUTES_PER_HOUR, streams,
            scenario.run.horizon_days * MINUTES_PER_DAY)
        desk.on_open.append(oversight.opened)
        desk.on_close += [oversight.closed, callback.closed]
        desk.on_beyond_street, desk.on_reopen = oversight.whistle, oversight.reopened
        if scenario.volunteers is not None:
            wishes = WishDesk(scenario.volunteers, orders, steps, WishPorts(
                book=book, staff=staff, schedule=schedule, now=now,
                assign=lambda w, t, x: parts["router"].assign(w, t, x), close=desk.close,
                unit=unit_view, node=node_view, queue=order_queues), streams)
            desk.on_wish, desk.on_wish_taken = wishes.offer, wishes.took
            desk.on_close.append(wishes.rated)
        desks = replace(desks, orders=desk, order_queues=order_queues,
                        flowed=[flow is not None for flow in plan.flows])
        flush += [desk.flush, oversight.flush]
        receive = [desk.receive if flow is not None else None for flow in plan.flows]
        visit_done[REPORT_TO_WHISTLE] = visit_done[REPEAT_FILING] = oversight.visit_done
    if scenario.disputes is not None and any(c.dispute is not None for c in cats):
        bases = {int(u): int(b) for u, b in zip(staffing.unit[::-1], staffing.base[::-1],
                                                   strict=True)}  # a unit's first member's
        centre = int(community.centre_node[0])
        dispute_desk = DisputeDesk(
            scenario.disputes, [c.dispute for c in cats],
            DisputeUnits(handling=staffing.handling_units,
                         office_node=lambda u: bases.get(u, centre)),
            DisputePorts(env=env, schedule=schedule, visits=visits, add_visit=book.add_visit,
                         known=book.known, route=lambda t: parts["router"].route(t),
                         take=book.take, colour=book.colour,
                         reported_colour=items(issues.colour), record=escalations.add,
                         count=log.escalated, category=cat_view, grid=grid_view,
                         node=node_view, channel=log.channel, grid_unit=unit_view,
                         t_dispatched=log.t_dispatched, t_on_site=log.t_on_site,
                         t_resolved=log.t_resolved),
            disputes, streams, len(arr))
        receive = [dispute_desk.receive if c.dispute is not None else r
                   for c, r in zip(cats, receive, strict=True)]
        for purpose in DISPUTE_PURPOSES:
            visit_done[purpose] = dispute_desk.visit_done
        desks = replace(desks, flare_latent=dispute_desk.flare_latent)
        flush.append(dispute_desk.flush)
    desks = replace(desks, receive=receive, visit_done=visit_done)
    eligible = [c.volunteer_eligible and scenario.volunteers is not None for c in cats]
    router = Router(env, book, staff, log, policy, desks, visit_queues, unit_view, node_view,
                    cat_view, eligible, service)
    parts["router"] = router
    work = scenario.grid_work
    if work.handoff is not None or work.same_place_first:
        router.use_grid_work(None if work.handoff is None else HandOffs(
            work.handoff, staff.team, staffing.team_of_category.tolist(), cat_view, streams),
            work.same_place_first)
    if scenario.patrols.enabled and scenario.patrols.minimum_per_day > 0:
        router.use_patrol_minimum(scenario.patrols.minimum_per_day)
    # With work orders every task goes through the router (a step's own time, stamps).
    fast = FastPath(n=len(arr) if plan is None else 0, t_on_site=log.t_on_site,
                    t_resolved=log.t_resolved, service=service, node=node_view)
    return Engine(staff=staff, book=book, router=router, fast=fast, flush=lambda: _each(flush))


def _order_units(scenario: Scenario) -> tuple[str, ...]:
    """Handling units that take work orders: all but those only disputes name."""
    units = [u.name for u in scenario.work_orders.units] if scenario.work_orders else []
    if scenario.disputes is None:
        return tuple(units)
    named = {step.by for c in scenario.demand.categories if c.flow is not None
             for step in c.flow.flow_steps()}
    only = {name for _, name in scenario.disputes.units()} - named
    return tuple(u for u in units if u not in only)


def _each(calls: list[Callable[[], None]]) -> None:
    for call in calls:
        call()
