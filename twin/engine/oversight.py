"""Oversight of open orders: chasing (催办) and supervising (督办) overdue ones, the
whistle that summons departments (吹哨、部门报到), and repeat requests (重复诉求).

* An order still open ``chase_after`` past its limit is chased, and
  ``supervise_after`` past it supervised; with ``raise_priority`` each moves it
  ahead in its queue, before every order not overdue (see :mod:`twin.engine.book`).
* A whistle (at filing for a category beyond the street's power, or
  ``after_overdue`` past the limit for any order) summons departments: each gets
  a report task (报到) ahead of all its other work, and its arrival is recorded
  against its report limit. The whistled order moves ahead as if supervised.
* A resident whose order is open may call again: a Poisson process whose rate
  grows with the time open (``repeat_complaints``, scaled to the flow's limit).
  Each repeat is a new order linked to the first, filed by the centre's desk
  (a task of its own), closed with the first; it makes no field work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from twin.demand import RepeatOffsets, sample_service
from twin.engine.orderplan import Flow, OrderPlan
from twin.engine.views import IntColumn, Schedule
from twin.records import OrderRecorder, StepRecorder, VisitRecorder
from twin.rng import Streams
from twin.vocab import DONE, FILE, OPEN, REPEAT_FILING, REPORT, REPORT_TO_WHISTLE, RESIDENT

_NAN = float("nan")
CHASED, SUPERVISED = 1, 0
"""Queue ranks of chased and of supervised or whistled orders (ordinary: 2 + the place of
the category's time limit, see :mod:`twin.engine.book`)."""
CHASE, SUPERVISE, WHISTLE_DUE = range(3)
"""What an oversight timer does (at equal times: chase, then supervise, then whistle)."""


@dataclass(frozen=True)
class OversightPorts:
    """What oversight uses of the other parts."""

    schedule: Schedule
    now: Callable[[], float]
    closed: bytearray
    """Per issue: the order is closed (or was answered at once)."""
    raise_rank: Callable[[int, int], None]
    unit_of: Callable[[str, int], int]
    """The unit of a handling unit's name for an issue (its grid's, if per grid)."""
    add_visit: Callable[[], int]
    known: Callable[[int], None]
    route: Callable[[int], None]
    category: IntColumn
    node: IntColumn
    channel: IntColumn


class Oversight:
    """Timers on open orders, whistles and repeat requests."""

    def __init__(self, plan: OrderPlan, orders: OrderRecorder, steps: StepRecorder,
                 visits: VisitRecorder, ports: OversightPorts, centre: int,
                 repeat_offsets: RepeatOffsets, repeat_rate: float, streams: Streams,
                 horizon: float) -> None:
        self.plan, self.orders, self.steps, self.visits, self.p = plan, orders, steps, visits, ports
        self.centre = centre
        self.offsets = repeat_offsets
        """Per issue: times after receipt of its possible repeats (drawn for its flow's
        limit) [min]."""
        self.drawn = repeat_offsets.shape[1]
        self.first = repeat_offsets.first
        """Per issue: the first of them (read without a call)."""
        self.streams = streams
        self.overdue = plan.spec.overdue
        self.whistle_spec = plan.spec.whistle
        self.horizon = horizon
        self.flow_due: list[list[tuple[float, int]]] = [
            self._due(flow) for flow in plan.flows]
        """Per category: its oversight events (time past the order's due time, what), in
        time order; the due time is receipt + the order's ``limit`` (in working time, it
        depends on the receipt)."""
        self.repeats: dict[int, list[int]] = {}
        self.paused: dict[int, int] = {}
        """Per closed order: the oversight event it was closed for."""
        self.repeats_paused: dict[int, int] = {}
        """Per closed order: the repeat that fell due while it was closed."""
        self.more: dict[int, list[float]] = {}
        """Per order with more repeats than were drawn: the offsets continued."""
        self.repeat_rate = repeat_rate
        """Repeats per minute once an order is open for its limit [1/min]."""
        self.repeat_of_visit: dict[int, int] = {}
        self.limit_of_visit: dict[int, float] = {}

    # ------------------------------------------------------------ overdue
    def _due(self, flow: Flow | None) -> list[tuple[float, int]]:
        if flow is None or flow.wish:
            return []
        due = [(self.overdue.chase_after, CHASE), (self.overdue.supervise_after, SUPERVISE)]
        if self.whistle_spec.after_overdue is not None:
            due.append((self.whistle_spec.after_overdue, WHISTLE_DUE))
        return sorted(due)

    def opened(self, issue: int) -> None:
        """An order was filed for handling: set its first timer (each sets the next,
        so an order closed in time costs one timer; none is set past the horizon)."""
        due = self.flow_due[self.p.category[issue]]
        if not due:
            return  # a small request lapses instead of being chased
        now = self.p.now()
        self._next_timer(issue, now, 0)
        if self.drawn and self.p.channel[issue] == RESIDENT:
            self._repeat_at(issue, 0, now)  # a patrol or sensor find has no one to call again

    def _next_timer(self, issue: int, received: float, j: int) -> None:
        """Set the timer of the ``j``-th oversight event of ``issue``, if any is left."""
        due = self.flow_due[self.p.category[issue]]
        if j < len(due):
            at = received + float(self.orders.limit[issue]) + due[j][0]
            if at < self.horizon:  # (after a reopening it may be past: then now)
                self.p.schedule(max(at - self.p.now(), 0.0), self._fire, (issue, j, received))

    def _fire(self, event: simpy.Event) -> None:
        issue, j, received = event.value  # type: ignore[misc]
        if self.p.closed[issue]:
            self.paused[issue] = j  # closed: resumes if a callback sends it back
            return
        what = self.flow_due[self.p.category[issue]][j][1]
        now, o = self.p.now(), self.orders
        if what == CHASE:
            o.t_chased[issue] = now
        elif what == SUPERVISE:
            o.t_supervised[issue] = now
        else:
            self.whistle(issue)
        if what != WHISTLE_DUE and self.overdue.raise_priority:
            self.p.raise_rank(issue, CHASED if what == CHASE else SUPERVISED)
        self._next_timer(issue, received, j + 1)

    # ------------------------------------------------------------ whistle
    def whistle(self, issue: int) -> None:
        """The street summons the departments of the order's category (once per order)."""
        o = self.orders
        if o.t_whistled[issue] == o.t_whistled[issue]:
            return
        now = self.p.now()
        o.t_whistled[issue] = now
        flow = self.plan.flows[self.p.category[issue]]
        assert flow is not None
        for name in flow.summon:
            unit = self.p.unit_of(name, issue)
            service = float(sample_service(self.whistle_spec.meeting,
                                           self.streams[f"orders/meeting/{name}"], 1)[0])
            v = self.visits.create(issue, unit, self.p.node[issue], now, service,
                                   REPORT_TO_WHISTLE)
            self.limit_of_visit[v] = self.plan.units[name].report_limit
            self._send(v)
        o.summoned[issue] += len(flow.summon)
        if self.overdue.raise_priority:
            self.p.raise_rank(issue, SUPERVISED)

    def _send(self, visit: int) -> None:
        task = self.p.add_visit()
        self.p.known(task)
        self.p.route(task)

    # ------------------------------------------------------------ repeats
    def _repeat(self, event: simpy.Event) -> None:
        issue, j = event.value  # type: ignore[misc]
        if self.p.closed[issue]:
            self.repeats_paused[issue] = j  # resumes if a callback sends the order back
            return
        now = self.p.now()
        k = self.orders.add_repeat(issue, now)
        self.repeats.setdefault(issue, []).append(k)
        if self.centre >= 0:
            filing = float(sample_service(self.plan.spec.centre.filing,  # type: ignore[union-attr]
                                          self.streams["orders/repeat-filing"], 1)[0])
            v = self.visits.create(issue, self.centre, self.p.node[issue], now, filing,
                                   REPEAT_FILING)
            self.repeat_of_visit[v] = k
            self._send(v)
        else:
            self.orders.repeat_filed[k] = now
        self._repeat_at(issue, j + 1, float(self.orders.t_received[issue]))

    def _offset(self, issue: int, j: int) -> float:
        """Time after receipt of the ``j``-th possible repeat [min]: drawn before the run
        for the first ones, then continued (t_j^2 = t_{j-1}^2 + 2 L E / R)."""
        drawn = self.drawn
        if j == 0 < drawn:
            return float(self.first[issue])
        if j < drawn:
            return float(self.offsets[issue, j])
        more = self.more.setdefault(issue, [float(self.offsets[issue, drawn - 1])])
        while len(more) <= j - drawn + 1:
            flow = self.plan.flows[self.p.category[issue]]
            assert flow is not None
            e = float(self.streams[f"repeat-more/{issue}"].exponential(1.0))
            more.append((more[-1] ** 2 + 2.0 * flow.limit * e / self.repeat_rate) ** 0.5)
        return more[j - drawn + 1]

    def _repeat_at(self, issue: int, j: int, received: float) -> None:
        at = received + self._offset(issue, j)
        if at < self.horizon:
            self.p.schedule(max(at - self.p.now(), 0.0), self._repeat, (issue, j))

    def closed(self, issue: int) -> None:
        """An order closed: its filed repeats close with it (again, if it was sent back);
        one still waiting to be filed closes when it is filed."""
        now, o = self.p.now(), self.orders
        for k in self.repeats.get(issue, ()):
            if o.repeat_filed[k] == o.repeat_filed[k]:
                o.repeat_closed[k] = now

    def reopened(self, issue: int) -> None:
        """An order was sent back to be handled again: its repeats are open again, and
        the oversight and repeats that fell due while it was closed resume (a missed
        chase or repeat happens now; later ones at their times)."""
        for k in self.repeats.get(issue, ()):
            self.orders.repeat_closed[k] = _NAN
        received = float(self.orders.t_received[issue])
        j = self.paused.pop(issue, None)
        if j is not None:
            due = self.flow_due[self.p.category[issue]]
            at = received + float(self.orders.limit[issue]) + due[j][0]
            self.p.schedule(max(at - self.p.now(), 0.0), self._fire,
                            (issue, j, received))
        j = self.repeats_paused.pop(issue, None)
        if j is not None:
            self._repeat_at(issue, j, received)

    # ------------------------------------------------------------- visits
    def visit_done(self, visit: int) -> None:
        """A report to a whistle or a repeat filing ended."""
        self._visit_row(visit, DONE)

    def _visit_row(self, v: int, outcome: int) -> None:
        vs = self.visits
        purpose = vs.purpose[v]
        if purpose == REPORT_TO_WHISTLE:
            order, step, limit = vs.issue[v], REPORT, self.limit_of_visit[v]
        elif purpose == REPEAT_FILING:
            k = self.repeat_of_visit[v]
            order, step, limit = self.orders.n + k, FILE, _NAN
            if outcome == DONE:
                self.orders.repeat_filed[k] = vs.t_done[v]
                if self.p.closed[vs.issue[v]]:  # the order it repeats closed meanwhile
                    self.orders.repeat_closed[k] = vs.t_done[v]
        else:
            return
        dispatched, site = vs.t_dispatched[v], vs.t_on_site[v]
        travel = site - dispatched if site == site else 0.0
        self.steps.add(order, step, -1, vs.unit[v], vs.worker[v], 1, vs.t_due[v], dispatched,
                       site, vs.t_done[v] if outcome == DONE else _NAN, travel, outcome, limit)

    def flush(self) -> None:
        """Rows for reports and repeat filings still open at the end of the run."""
        for v in [*self.limit_of_visit, *self.repeat_of_visit]:
            if self.visits.t_done[v] != self.visits.t_done[v]:
                self._visit_row(v, OPEN)
