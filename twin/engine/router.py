"""The router: where a task goes next, and who is sent.

A case (a category with neither a flow nor a dispute block) goes to the grid
workers of the issue's unit, as the dispatch policy says, volunteers first for
eligible cases; its category's time limit sets its place in the queue (shortest
first; see :mod:`twin.engine.book`). Work
orders and disputes are received by their desks, whose visits (a department's
report, a mediation session, a red dispute's lead and joining units, ...) are
routed here by purpose to the staff of their own unit. A freed worker takes the
most urgent waiting task of its queues (:meth:`Router.next_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import simpy

from twin.engine.book import ORDINARY, VISIT_RANK, CaseBook
from twin.engine.gridwork import HandOffs, waiting_at
from twin.engine.log import CaseLog
from twin.engine.policies import DispatchPolicy
from twin.engine.staff import Staff
from twin.engine.views import FloatColumn, IntColumn
from twin.vocab import (
    GRID_WORKER,
    HANDLER,
    MINUTES_PER_DAY,
    PATROL_FOUND,
    RESIDENT,
    VOLUNTEER,
)

_INF = float("inf")
REPORT_RANK = -1
"""Rank of a department's report to a whistle, and of a red dispute's lead responder:
ahead of all its other work."""
VISIT_ROUTE = ((HANDLER, REPORT_RANK), (HANDLER, ORDINARY), (GRID_WORKER, ORDINARY), (HANDLER, 1),
               (HANDLER, 1), (HANDLER, REPORT_RANK), (HANDLER, 0), (HANDLER, VISIT_RANK))
"""Per visit purpose (report, repeat filing; a dispute's mediation by a grid worker,
session in person or online, lead, joining unit, follow-up by its unit): who takes it,
at what rank."""


class OrderPort(Protocol):
    """What the router asks of the order desk about work orders."""

    def receive(self, issue: int) -> None: ...
    def booked(self, issue: int, worker: int, travel: float) -> None: ...
    def arrived(self, issue: int) -> None: ...
    def service_of(self, issue: int) -> float: ...
    def finish(self, issue: int) -> None: ...
    def in_field(self, issue: int) -> bool: ...


@dataclass(frozen=True)
class Desks:
    """The other parts a routed task may go to, as callables."""

    orders: OrderPort | None = None
    """The order desk (None: no category has a flow)."""
    flowed: list[bool] | None = None
    """Per category: its issues are work orders."""
    order_queues: list[int] | None = None
    """Per unit: the queue its handlers take work orders from."""
    visit_done: list[Callable[[int], None] | None] | None = None
    """Per visit purpose: told when a visit of that purpose ends (None: nobody)."""
    receive: list[Callable[[int], None] | None] | None = None
    """Per category: the desk that receives its reports (the order desk, the dispute
    desk), or None for a case the router sends to grid workers."""
    flare_latent: Callable[[int], None] | None = None
    """The dispute desk: a latent dispute flared up before anyone found it."""


class Router:
    """Routes tasks, assigns staff and takes tasks off the queues."""

    _handoffs: HandOffs | None = None
    """Hand-offs between specialised teams (None: a find goes straight to its team)."""
    _here_first: list[bool]
    """Per staff member: takes the tasks waiting where it is first (with same place first)."""

    def __init__(self, env: simpy.Environment, book: CaseBook, staff: Staff, log: CaseLog,
                 policy: DispatchPolicy, desks: Desks, visit_queues: list[int],
                 issue_unit: IntColumn,
                 issue_node: IntColumn, issue_category: IntColumn, eligible: list[bool],
                 service: FloatColumn) -> None:
        self.env = env
        self.book = book
        self.staff = staff
        self.log = log
        self.policy = policy
        self.desks = desks
        self.visit_q = visit_queues
        self.n = book.n
        self._unit = issue_unit
        self._node = issue_node
        self._cat = issue_category
        self._eligible = eligible
        self._service = service
        self.latent_at: dict[int, list[int]] = {}
        self.pending = bytearray(book.n)  # 1 while a latent issue waits to be found
        self.draws: list[list[int]] = [self._draws(w) for w in range(staff.n)]
        # A policy's queues are fixed when it is set up: read them once.
        units = range(len(visit_queues))
        self.home_q = [policy.home_queue(u) for u in units]
        self.elig_q = [policy.eligible_queue(u) for u in units]
        self._first_choice = policy.first_choice
        self._waiting = policy.waiting
        self._volunteers = [staff.idle_pool(u, VOLUNTEER) for u in units]
        self._best, self._between, self._booked = book.best, staff.between, log.booked
        self._orders = desks.orders
        self._flowed = desks.flowed or [False] * len(eligible)
        self._receive = desks.receive or [None] * len(eligible)
        self._visit_done = desks.visit_done or [None] * len(VISIT_ROUTE)
        if desks.orders is not None:
            self._booked = self._booked_order

    def _draws(self, worker: int) -> list[int]:
        kind, unit = self.staff.kind[worker], self.staff.unit[worker]
        policy = self.policy
        if kind == GRID_WORKER:
            return [policy.home_queue(unit), policy.eligible_queue(unit), self.visit_q[unit],
                    *policy.extra_queues(unit)]
        if kind == VOLUNTEER:
            wishes = [self.desks.order_queues[unit]] if self.desks.order_queues else []
            return [policy.eligible_queue(unit), *wishes]
        if kind == HANDLER:
            orders = self.desks.order_queues
            return [orders[unit], self.visit_q[unit]] if orders else [self.visit_q[unit]]
        return []

    def _booked_order(self, worker: int, task: int, travel: float, now: float) -> None:
        if task < self.n and self._flowed[self._cat[task]]:
            assert self._orders is not None
            self._orders.booked(task, worker, travel)
            if not self._orders.in_field(task):
                return  # the centre's desk filing it: not a response on site
        self.log.booked(worker, task, travel, now)

    # ------------------------------------------------------------ intake
    def appear(self, issue: int) -> None:
        """A latent issue now exists at its node, unreported, for a patrol to find."""
        self.pending[issue] = 1
        node = self._node[issue]
        here = self.latent_at.get(node)
        if here is None:
            self.latent_at[node] = [issue]
            self.staff.mark_latent(node)  # patrols heading there will stop to look
        else:
            here.append(issue)

    def report(self, issue: int, channel: int = -1) -> None:
        """An issue is reported (by a resident, sensor or patrol): route it."""
        t_reported = self.log.t_reported
        if t_reported[issue] == t_reported[issue]:  # not NaN: reported already
            return
        self.pending[issue] = 0
        t_reported[issue] = self.env.now
        if channel >= 0:
            self.log.channel[issue] = channel
        # _deliver, inline on the path of every issue (keep the two the same)
        seq = self.book.seq_task  # inline of book.known(issue): one call fewer per issue
        seq.append(issue)
        self.book.key[issue] = len(seq) - 1
        receive = self._receive[self._cat[issue]]
        if receive is not None:
            receive(issue)  # a work order follows its flow, a dispute its grade
            return
        self.route(issue)

    def _deliver(self, issue: int) -> None:
        """A handed-over issue reaches its team after the delay: its desk receives it,
        or it is routed (what :meth:`report` does at once)."""
        seq = self.book.seq_task
        seq.append(issue)
        self.book.key[issue] = len(seq) - 1
        receive = self._receive[self._cat[issue]]
        if receive is not None:
            receive(issue)  # a work order follows its flow, a dispute its grade
            return
        self.route(issue)

    def found(self, issue: int) -> None:
        """A grid worker's daily report found a latent dispute."""
        self.report(issue, channel=PATROL_FOUND)

    def flared(self, issue: int) -> None:
        """A latent dispute flared up before anyone found it: it is reported now."""
        if self.log.t_reported[issue] == self.log.t_reported[issue]:
            return
        assert self.desks.flare_latent is not None
        self.desks.flare_latent(issue)
        self.report(issue, channel=RESIDENT)

    def patrol_arrival(self, worker: int, node: int) -> None:
        """A patrolling worker reached ``node``: it reports what it finds there, or,
        with hand-offs, hands over what another team handles."""
        found = self.latent_at.pop(node, None)
        if found:
            self.staff.unmark_latent(node)
            handoffs = self._handoffs
            astray: list[int] = []
            for issue in found:
                if not self.pending[issue]:
                    continue
                if handoffs is not None and handoffs.crosses(worker, issue):
                    if not self._hand_over(issue, handoffs):
                        astray.append(issue)
                else:
                    self.report(issue, channel=PATROL_FOUND)
            if astray:  # still latent, for the next patrol to find
                self.latent_at.setdefault(node, []).extend(astray)
                self.staff.mark_latent(node)

    def _hand_over(self, issue: int, handoffs: HandOffs) -> bool:
        """Hand a find over to the team that handles it: reported now (by patrol),
        received after the drawn delay. False if the hand-off went astray."""
        delay = handoffs.fate(issue)
        if delay < 0.0:
            return False
        self.pending[issue] = 0
        self.log.t_reported[issue] = self.env.now
        self.log.channel[issue] = PATROL_FOUND
        if delay > 0.0:
            self.env.timeout(delay).callbacks.append(lambda _event: self._deliver(issue))
        else:
            self._deliver(issue)
        return True

    def use_grid_work(self, handoffs: HandOffs | None, same_place_first: bool) -> None:
        """Switch on hand-offs between teams and, for grid workers, same place first
        (see :mod:`twin.engine.gridwork`). Off, neither costs anything."""
        self._handoffs = handoffs
        if same_place_first:
            self._here_first = [k == GRID_WORKER for k in self.staff.kind]
            self.next_for = self._next_here_first  # type: ignore[method-assign]

    def use_patrol_minimum(self, minutes: float) -> None:
        """Switch on a daily patrol minimum: a grid worker that owes patrol today takes
        no waiting work and is sent nowhere until it has patrolled it (see
        :meth:`Staff.owes_patrol`). Off, it costs nothing."""
        self.staff.minimum = minutes
        inner, owes = self.next_for, self.staff.owes_patrol

        def next_for(worker: int, node: int) -> tuple[int, float] | None:
            return None if owes(worker) else inner(worker, node)

        self.next_for = next_for  # type: ignore[method-assign]
        self.staff.on_release = self._patrolled
        self._midnight(None)

    def _midnight(self, _event: simpy.Event | None) -> None:
        """At the start of each day, an idle grid worker that owes patrol starts patrolling
        it (and is sent nowhere until done), as one that becomes free does."""
        staff = self.staff
        now = self.env.now
        staff.cause = now - MINUTES_PER_DAY  # this timer was set a day ago
        for w in range(staff.n):
            if staff.idle[w] and not staff.committed[w] and staff.owes_patrol(w):
                staff.set_idle(w, staff.clear_idle(w))
        staff.cause = None
        nxt = self.env.timeout((now // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY - now)
        nxt.callbacks.append(self._midnight)

    def _patrolled(self, worker: int, node: int) -> None:
        """``worker`` has patrolled what it owed: the next waiting task, or idle."""
        job = self.next_for(worker, node)
        if job is None:
            self.staff.set_idle(worker, node)
            return
        wake = self.staff.wake[worker]
        assert wake is not None
        self.staff.wake[worker] = None
        wake.succeed(job)

    # ----------------------------------------------------------- routing
    def route(self, task: int, rank: int = -1) -> None:
        """Send an idle staff member to ``task`` or put it in its queue.

        A visit goes to the staff of its unit who take its purpose. A case goes to its
        grid's workers at the rank of its category's time limit (shortest first); with
        ``rank`` given, at that rank: a work order's grid-worker step."""
        staff = self.staff
        if task >= self.n:
            v = task - self.n
            visits = self.log.visits
            unit = visits.unit[v]
            kind, visit_rank = VISIT_ROUTE[visits.purpose[v]]
            worker, t = staff.nearest_in(staff.idle_pool(unit, kind), visits.node[v])
            self._assign_or_wait(task, worker, t, self.visit_q[unit], visit_rank)
            return
        issue = task
        node = self._node[issue]
        if rank < 0:
            rank = self.book.urgency[issue]
        # the grid's workers, as the policy says; volunteers first for an eligible case
        # (not one chased or supervised)
        unit = self._unit[issue]
        eligible = self._eligible[self._cat[issue]] and rank >= ORDINARY
        worker, t = -1, _INF
        if eligible:
            worker, t = staff.nearest_in(self._volunteers[unit], node)
        if worker < 0:
            worker, t = self._first_choice(unit, node)
        queue = self.elig_q[unit] if eligible else self.home_q[unit]
        if worker >= 0 and t < _INF:  # _assign_or_wait, inline on the path of every issue
            self.assign(worker, issue, t)
        else:
            self.book.push(issue, queue, rank)
            self._waiting(issue)

    def _assign_or_wait(self, task: int, worker: int, t: float, queue: int, rank: int) -> bool:
        """Assign if someone was found, else queue; True if the task now waits."""
        if worker >= 0 and t < _INF:
            self.assign(worker, task, t)
            return False
        self.book.push(task, queue, rank)
        return True

    def assign(self, worker: int, task: int, travel: float) -> None:
        """Send idle ``worker`` to ``task`` (wakes its process)."""
        self.book.take(task)
        self.staff.clear_idle(worker)
        self._booked(worker, task, travel, self.env.now)
        wake = self.staff.wake[worker]
        assert wake is not None
        self.staff.wake[worker] = None
        wake.succeed((task, travel))

    def next_for(self, worker: int, node: int) -> tuple[int, float] | None:
        """The best waiting task ``worker`` (free at ``node``) may take, booked to it."""
        task = self._best(self.draws[worker])
        if task < 0:
            return None
        target = self._node[task] if task < self.n else self.log.visits.node[task - self.n]
        travel = self._between(worker, node, target)
        self._booked(worker, task, travel, self.env.now)
        return task, travel

    def _next_here_first(self, worker: int, node: int) -> tuple[int, float] | None:
        """:meth:`next_for` with same place first: a grid worker takes the most urgent
        task waiting at ``node`` in its queues, with no travel, if there is one."""
        if self._here_first[worker]:
            task = waiting_at(self.book, self.draws[worker], node, self.node_of)
            if task >= 0:
                self._booked(worker, task, 0.0, self.env.now)
                return task, 0.0
        return Router.next_for(self, worker, node)

    # ---------------------------------------------------------- handling
    def node_of(self, task: int) -> int:
        """Map node of a task."""
        return self._node[task] if task < self.n else self.log.visits.node[task - self.n]

    def arrive(self, task: int) -> float:
        """The handler arrived: its arrival is logged (a work order's step only when in
        the field, not at the centre's desk); returns the attempt's on-site time [min]."""
        if task >= self.n:
            self.log.arrived(task, self.env.now)
            return self.log.visits.service[task - self.n]
        orders = self._orders
        if orders is not None and self._flowed[self._cat[task]]:
            orders.arrived(task)
            if orders.in_field(task):
                self.log.arrived(task, self.env.now)
            return orders.service_of(task)
        self.log.arrived(task, self.env.now)
        return self._service[task]

    def finish(self, task: int) -> int:
        """On-site work ended: a case is settled; a visit or a work order's step is
        handed to its desk. Returns the task's node (where the worker now is)."""
        now = self.env.now
        if task >= self.n:
            v = task - self.n
            self.log.visits.t_done[v] = now
            done = self._visit_done[self.log.visits.purpose[v]]
            if done is not None:
                done(v)
            return self.log.visits.node[v]
        if self._orders is not None and self._flowed[self._cat[task]]:
            self._orders.finish(task)
            return self._node[task]
        self.log.t_resolved[task] = now
        return self._node[task]
