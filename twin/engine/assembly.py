"""Assembling the engine: each part built with the ports it needs, and nothing more.

The parts are built in the order of their dependencies; where two parts need
each other (the router routes to the joint desk, which finishes cases through
the router) the port is a small function that looks the other part up when
called, never a reference to its ``self`` held at construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from twin.demand import Arrivals
from twin.engine.book import CaseBook
from twin.engine.followup import FollowUpDesk
from twin.engine.joint import JointDesk, JointPorts
from twin.engine.log import CaseLog, FastPath
from twin.engine.policies import PolicyPorts, Units, policy_for
from twin.engine.router import Desks, Router
from twin.engine.staff import Staff
from twin.engine.views import Callback, FloatColumn, IntColumn, Schedule, items
from twin.engine.watch import EscalationWatch, escalation_rules
from twin.geography import Community
from twin.records import ActivityRecorder, EventRecorder, IssueRecorder, VisitRecorder
from twin.rng import Streams
from twin.scenario.schema import Scenario
from twin.staffing import Staffing, unit_neighbours


@dataclass(frozen=True)
class Engine:
    """The assembled parts the model starts and reads."""

    staff: Staff
    book: CaseBook
    router: Router
    fast: FastPath
    try_joint: Callable[[], None]


def _scheduler(env: simpy.Environment) -> Schedule:
    def schedule(delay: float, callback: Callback, value: object) -> None:
        timer = env.timeout(delay, value=value)
        timer.callbacks.append(callback)
    return schedule


def assemble_engine(env: simpy.Environment, scenario: Scenario, community: Community,
                    staffing: Staffing, arr: Arrivals, issues: IssueRecorder,
                    activity: ActivityRecorder, escalations: EventRecorder,
                    visits: VisitRecorder, streams: Streams) -> Engine:
    """Build every part of the engine for one replication."""
    parts: dict[str, Router] = {}  # filled below; the ports look it up when called
    schedule = _scheduler(env)

    def now() -> float:
        return env.now

    mediators_travel = scenario.tiers is None or scenario.tiers.mediation.travel
    staff = Staff(env, community.travel, staffing, activity, scenario.workforce.return_to_base,
                  mediators_travel, scenario.patrols.enabled,
                  on_arrival=lambda w, node: parts["router"].patrol_arrival(w, node))
    book = CaseBook(len(arr), arr.colour.astype(np.int64).tolist())
    unit_view: IntColumn = items(np.ascontiguousarray(issues.unit))
    node_view: IntColumn = items(np.ascontiguousarray(issues.node))
    cat_view: IntColumn = items(np.ascontiguousarray(issues.category))
    grid_view: IntColumn = items(np.ascontiguousarray(issues.grid))
    log = CaseLog(issues, visits, staff.kind, staff.unit, unit_view)
    service: list[FloatColumn] = [items(np.ascontiguousarray(arr.service[:, c]))
                                  for c in range(3)]
    grid_names = list(community.grid_names)
    cats = list(scenario.demand.categories)

    watch = None
    if scenario.escalation.enabled:
        rules = escalation_rules(scenario)

        def growth_draw(issue: int) -> float:
            grid, cat = grid_names[grid_view[issue]], cats[cat_view[issue]].name
            rate = rules.growth[cat_view[issue]]
            return float(streams[f"growth/{grid}/{cat}"].exponential(1.0 / rate))

        watch = EscalationWatch(rules, book, schedule, now, escalations.add, log.escalated,
                                lambda i: parts["router"].route(i), cat_view, arr.fail_draw,
                                growth_draw)
        book.on_wait = watch.watch_growth

    n_units = len(staffing.unit_names)
    units = Units(unit_team=staffing.unit_team.tolist(),
                  neighbours=unit_neighbours(staffing, community)
                  if scenario.dispatch.policy == "own_grid_then_neighbours" else
                  [[] for _ in range(n_units)])
    policy_ports = PolicyPorts(
        queues=book, staff=staff, assign=lambda w, t, x: parts["router"].assign(w, t, x),
        schedule=schedule, now=now, reported_at=lambda i: log.t_reported[i],
        unit_of=lambda i: unit_view[i], node_of=lambda i: node_view[i],
        key_of=lambda i: book.key[i])
    policy = policy_for(scenario.dispatch, units, policy_ports)
    visit_queues = [book.new_queue() for _ in range(n_units)]
    med_queue = book.new_queue()
    joint_queue = book.new_queue()

    pool_names = [staffing.unit_names[u] for u in staffing.joint_units]
    case_pools = [[pool_names.index(p) for p in c.joint_pools] if c.joint_pools
                  else list(range(len(staffing.joint_units))) for c in cats]
    joint = JointDesk(env, staff, list(staffing.joint_units), joint_queue, case_pools,
                      JointPorts(waiting_keys=book.waiting_keys, keep=book.keep,
                                 task_of=book.task_of, take=book.take, booked=log.booked,
                                 arrived=log.arrived,
                                 service_of=lambda t: parts["router"].service_of(t),
                                 finish=lambda t: parts["router"].finish(t),
                                 node_of=lambda i: node_view[i],
                                 category_of=lambda i: cat_view[i],
                                 t_dispatched=log.t_dispatched, travel=log.travel))
    followups = None
    if scenario.follow_up is not None:
        followups = FollowUpDesk(env, scenario.follow_up, visits, book.add_visit, book.known,
                                 lambda t: parts["router"].route(t), streams,
                                 lambda i: grid_names[grid_view[i]])
    desks = Desks(joint_queue=joint_queue if staffing.joint_units else -1,
                  try_joint=joint.try_start,
                  attempt_failed=watch.attempt_failed if watch is not None else None,
                  watch_deadline=watch.watch_deadline if watch is not None else None,
                  plan_visit=followups.plan if followups is not None else None)
    eligible = [c.volunteer_eligible and scenario.volunteers is not None for c in cats]
    router = Router(env, book, staff, log, policy, desks, staffing.mediation_unit, med_queue,
                    visit_queues, unit_view, node_view, cat_view, eligible, service)
    parts["router"] = router
    fast = FastPath(n=len(arr), t_on_site=log.t_on_site, t_resolved=log.t_resolved,
                    service=service, colour=book.colour, node=node_view,
                    plain=watch is None and followups is None)
    return Engine(staff=staff, book=book, router=router, fast=fast, try_joint=joint.try_start)
