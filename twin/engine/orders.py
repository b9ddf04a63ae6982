"""The order desk: the chain of a work order (工单), step by step.

An issue of a category with a flow is received, answered at once (a share of
residents' requests, no order) or walked through its flow:

* a ``check`` step (grid worker, residents' reports only) comes before filing;
* the centre files the order (立案): at once, or as a task of its desk;
* a ``handle`` step is assigned (派单) to its unit; with the flow's probability
  the centre picks a wrong unit, which returns it (退单) after its return delay,
  and it is reassigned (重派); after ``max_returns`` returns at one step the
  district decides (兜底) and the next assignment is right. The unit signs for it (签收) after its
  signing delay and contacts the requester (响应); after any lead time the order
  waits in the unit's queue for a handler;
* ``settle``, ``verify`` (and ``check``) go to the grid workers of the issue's
  grid, as the dispatch policy says; a verification may find the problem unfixed
  and send it back to the last work step (退回重办);
* after the last step the order is closed (结案); listeners then call back the
  requester (:mod:`~twin.engine.callback`) and close its repeats; chasing,
  whistles and repeats are :mod:`~twin.engine.oversight`'s, small requests
  :mod:`~twin.engine.wishes`'s.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import simpy

from twin.demand import sample_service
from twin.engine.orderplan import (
    U_ANSWER,
    U_DETECT,
    U_FIXED,
    U_WHICH,
    U_WRONG,
    Flow,
    OrderPlan,
)
from twin.engine.orderstate import OrderPorts, OrderUnits, StepState, staged
from twin.records import OrderRecorder, StepRecorder
from twin.rng import Streams
from twin.vocab import (
    ASSIGN,
    CHECK,
    DONE,
    FILE,
    FOUND_NOT_FIXED,
    HANDLE,
    HANDLER,
    LEAD,
    NOT_FIXED,
    RESIDENT,
    RETURNED,
    SETTLE,
    SIGNED,
    VERIFY,
    WISH,
)

_NAN = float("nan")
FILING = -2
"""Step position of an order waiting for, or being filed by, the centre's desk."""


class OrderDesk:
    """Walks every work order through its flow and records it."""

    def __init__(self, plan: OrderPlan, units: OrderUnits, ports: OrderPorts,
                 orders: OrderRecorder, steps: StepRecorder, streams: Streams) -> None:
        self.plan, self.units, self.p, self.env = plan, units, ports, ports.env
        self.orders, self.streams = orders, streams
        self.n = n = ports.book.n
        self.at = array("q", [-1]) * n
        """Current step position (FILING while filed by the desk; -1 before or after)."""
        self.after_filing, self.queue = array("q", [0]) * n, array("q", [-1]) * n
        self.rank = list(ports.book.urgency)
        """Queue rank of each order: its category's urgency, raised when chased or
        supervised."""
        self.before = array("q", [-1]) * n
        """ASSIGN or LEAD while a handle step waits for its signature or lead time."""
        self.filed, self.closed, self.unfixed = bytearray(n), bytearray(n), bytearray(n)
        self.s = StepState(n, steps, ports.env)
        self.returned: dict[tuple[int, int], int] = {}
        """Returns per (order, handle step position), when there were any."""
        cat = ports.category
        self.flow_of: list[Flow] = [plan.flows[cat[i]] for i in range(n)]  # type: ignore[misc]
        """Per issue: its category's flow (None for an issue that is no order)."""
        self.last_work = array("q", [-1]) * n
        self.max_returns, self.max_reworks = plan.spec.max_returns, plan.spec.callback.max_reworks
        self.on_open: list[Callable[[int], None]] = []
        """Told when an order is filed for handling (the oversight's timers)."""
        self.on_close: list[Callable[[int], None]] = []
        """Told when an order closes (the callback; its repeats close with it)."""
        self.on_reopen: Callable[[int], None] = lambda issue: None
        """Told when a closed order is sent back (its repeats open again with it)."""
        self.on_beyond_street: Callable[[int], None] = lambda issue: None
        """Told when an order of a category beyond the street's power is filed."""
        self.on_wish: Callable[[int], None] = lambda issue: None
        """Told when a small request (微心愿) is to be offered to volunteers."""
        self.on_wish_taken: Callable[[int], None] = lambda issue: None
        """Told when a volunteer sets off for a small request."""

    def _again(self, name: str) -> float:
        return float(self.streams[f"orders/again/{name}"].random())

    def unit_of(self, name: str, issue: int) -> int:
        """The unit of handling unit ``name`` for ``issue`` (its grid's, if per grid)."""
        units = self.units.handling[name]
        return units[self.p.grid[issue]] if len(units) > 1 else units[0]

    # -------------------------------------------------------------- intake
    def receive(self, issue: int) -> None:
        """A request (or a patrol or sensor find) of a category with a flow arrives."""
        p, o, flow = self.p, self.orders, self.flow_of[issue]
        now = self.env.now
        o.t_received[issue] = now
        if p.allowed is not None:  # a limit in working time: due by the calendar
            o.limit[issue] = p.allowed(p.category[issue], now)
        if p.channel[issue] == RESIDENT and self.plan.uniform[U_ANSWER][issue] < flow.answered:
            p.resolved[issue] = o.t_closed[issue] = now  # a consultation: closed, no order
            self.closed[issue] = True
            return
        o.filed[issue] = True
        for listener in self.on_open:
            listener(issue)
        self.advance(issue, 0)

    def advance(self, issue: int, k: int) -> None:
        """Go to step ``k`` of the flow (skipping what does not apply), or close."""
        kinds = self.flow_of[issue].kinds
        last = len(kinds)
        while k < last and kinds[k] == CHECK and self.p.channel[issue] != RESIDENT:
            k += 1  # only a resident's report is checked on site
        if k < last and kinds[k] not in (CHECK, WISH) and not self.filed[issue]:
            self._file(issue, k)
            return
        if k >= last:
            self.at[issue] = -1
            self._close(issue)
            return
        self.at[issue] = k
        self.s.attempt(issue, k)
        if kinds[k] == HANDLE:
            self._assign(issue, k)
        elif kinds[k] == WISH:
            self.s.start(issue, self.p.grid_unit[issue])
            self.on_wish(issue)
        else:
            self.s.start(issue, self.p.grid_unit[issue])
            self.queue[issue] = -1
            self.p.book.known(issue)  # see _to_unit
            self.p.to_grid(issue, self.rank[issue])

    # ------------------------------------------------------------- filing
    def _file(self, issue: int, k: int) -> None:
        centre = self.units.centre
        if centre < 0:
            self._filed(issue)
            self.advance(issue, k)
            return
        self.at[issue], self.after_filing[issue] = FILING, k
        self.s.start(issue, centre)
        self._to_unit(issue, centre)

    def _filed(self, issue: int) -> None:
        self.filed[issue] = True
        self.orders.t_filed[issue] = self.env.now
        if self.flow_of[issue].beyond_street:
            self.on_beyond_street(issue)

    # ---------------------------------------------------------- assignment
    def _assign(self, issue: int, k: int) -> None:
        self.before[issue] = ASSIGN
        flow, o, now = self.flow_of[issue], self.orders, self.env.now
        if o.t_assigned[issue] != o.t_assigned[issue]:
            o.t_assigned[issue] = now
            if self.p.stage is not None:  # a flow limits a stage (off: nothing to call)
                o.handle_limit[issue] = staged(self.p, issue, "handle", now, _NAN)
        returns = self.returned.get((issue, k), 0)  # at this step (the budget is per step)
        first = self.s.tries[issue] == 1 and returns == 0
        right = flow.unit_name[k]
        if returns < self.max_returns and flow.wrong > 0.0:
            u = self.plan.step_uniform[U_WRONG, k][issue] if first else self._again("wrong")
            if u < flow.wrong:
                others = [name for name in self.units.assignable or self.units.handling
                          if name != right]
                w = self.plan.step_uniform[U_WHICH, k][issue] if first else self._again("which")
                wrong = others[min(int(w * len(others)), len(others) - 1)]
                self.s.start(issue, self.unit_of(wrong, issue))
                delay = float(sample_service(self.plan.units[wrong].return_delay,
                                             self.streams[f"orders/return/{wrong}"], 1)[0])
                self.p.schedule(delay, self._returned, (issue, k))
                return
        self.s.start(issue, self.unit_of(right, issue))
        sign = self.plan.sign[k][issue] if first else float(sample_service(
            self.plan.units[right].sign, self.streams[f"orders/sign/{right}"], 1)[0])
        if sign > 0.0:
            self.p.schedule(sign, self._signed, (issue, k))
        else:
            self._sign(issue, k)

    def _returned(self, event: simpy.Event) -> None:
        issue, k = event.value  # type: ignore[misc]
        self.s.row(issue, ASSIGN, k, RETURNED)
        self.orders.returns[issue] += 1
        self.returned[issue, k] = self.returned.get((issue, k), 0) + 1
        self._assign(issue, k)

    def _signed(self, event: simpy.Event) -> None:
        self._sign(*event.value)  # type: ignore[misc]

    def _sign(self, issue: int, k: int) -> None:
        o, now, flow = self.orders, self.env.now, self.flow_of[issue]
        unit = self.plan.units[flow.unit_name[k]]
        at, limits = self.s.ready[issue], (unit.sign_limit, unit.respond_limit)  # assigned at
        if self.p.stage is not None:  # a flow's own limits, from the assignment
            limits = (staged(self.p, issue, "sign", at, limits[0]),
                      staged(self.p, issue, "respond", at, limits[1]))
        self.s.row(issue, ASSIGN, k, SIGNED, limits[0])
        if o.t_signed[issue] != o.t_signed[issue]:
            o.t_signed[issue] = now
            o.t_responded[issue] = now + self.plan.respond[k][issue]
            o.respond_limit[issue] = limits[1]
        lead = self.plan.lead[k][issue] if self.s.tries[issue] == 1 else 0.0
        if lead > 0.0:
            self.s.ready[issue] = now  # the lead time runs from the signature
            self.before[issue] = LEAD
            self.p.schedule(lead, self._lead_over, (issue, k))
        else:
            self._to_unit(issue, self.s.unit[issue])

    def _lead_over(self, event: simpy.Event) -> None:
        issue, k = event.value  # type: ignore[misc]
        self.s.row(issue, LEAD, k, DONE)
        self._to_unit(issue, self.s.unit[issue])

    def _to_unit(self, issue: int, unit: int) -> None:
        """The order waits for a handler of ``unit`` (or one is sent at once)."""
        p = self.p
        self.s.ready[issue], self.before[issue] = self.env.now, -1
        self.queue[issue] = self.units.queue[unit]
        # Each time an order joins a queue it gets a new key (the next sequence
        # number), so it is served first come first served at that unit, and a
        # leftover entry of an earlier wait (another queue, a borrowing heap) can
        # never be valid again.
        p.book.known(issue)
        worker, t = p.staff.nearest_in(p.staff.idle_pool(unit, HANDLER), p.node[issue])
        if worker >= 0:
            p.assign(worker, issue, t)
        else:
            p.book.push(issue, self.queue[issue], self.rank[issue])

    # ----------------------------------------------------- staff at work
    def booked(self, issue: int, worker: int, travel: float) -> None:
        """A staff member was sent to the current step of ``issue``."""
        self.s.sent(issue, worker, travel)
        kind = self.flow_of[issue].kinds[self.at[issue]] if self.at[issue] >= 0 else -1
        if kind == WISH:
            self.on_wish_taken(issue)
        elif kind >= 0 and kind != HANDLE:
            self.s.unit[issue] = self.p.staff.unit[worker]  # a borrowed grid worker's unit

    def in_field(self, issue: int) -> bool:
        """Whether the current step is field work (not the centre's desk filing it): the
        issue table's dispatch and arrival stamps count only field work."""
        return self.at[issue] != FILING

    def arrived(self, issue: int) -> None:
        """The staff member is on site (or at the desk)."""
        now = self.env.now
        self.s.on_site[issue] = now
        k = self.at[issue]
        if k >= 0 and self.flow_of[issue].kinds[k] == HANDLE:
            o = self.orders
            if not o.t_responded[issue] <= now:
                o.t_responded[issue] = now

    def service_of(self, issue: int) -> float:
        """Staff time of the current step [min]."""
        k = self.at[issue]
        if k == FILING:
            return self.plan.filing[issue]
        if self.s.tries[issue] == 1:
            return self.plan.service[k][issue]
        cat = self.p.category[issue]
        spec = self.flow_of[issue].services[k]
        return float(sample_service(spec, self.streams[f"orders/again/service/{cat}/{k}"],
                                    1)[0])

    def finish(self, issue: int) -> None:
        """The staff member finished the current step."""
        k, flow, o, now = self.at[issue], self.flow_of[issue], self.orders, self.env.now
        if k == FILING:
            self.s.row(issue, FILE, -1, DONE)
            self._filed(issue)
            self.advance(issue, self.after_filing[issue])
            return
        kind = flow.kinds[k]
        if kind == WISH:
            self.s.row(issue, kind, k, DONE)
            o.t_handled[issue] = now
            o.unit[issue] = self.s.unit[issue]
        elif kind in (HANDLE, SETTLE):
            first = self.s.tries[issue] == 1
            u = self.plan.step_uniform[U_FIXED, k][issue] if first else self._again("fixed")
            self.unfixed[issue] = u >= flow.fixed
            self.s.row(issue, kind, k, NOT_FIXED if self.unfixed[issue] else DONE)
            o.t_handled[issue] = now
            o.unit[issue] = self.s.unit[issue]
            self.last_work[issue] = k
        elif kind == VERIFY:
            found = False
            if self.unfixed[issue] and o.reworks[issue] < self.max_reworks:
                u = (self.plan.step_uniform[U_DETECT, k][issue] if self.s.tries[issue] == 1
                     else self._again("detect"))
                found = u < flow.detects
            if found:
                self.s.row(issue, kind, k, FOUND_NOT_FIXED)
                self._rework(issue)
                return
            self.s.row(issue, kind, k, DONE)
            o.t_verified[issue] = now
        else:
            self.s.row(issue, kind, k, DONE)
        self.advance(issue, k + 1)

    def _rework(self, issue: int) -> None:
        """Back to the last work step, with the same unit (no new assignment)."""
        self.orders.reworks[issue] += 1
        k = self.last_work[issue]
        if k < 0:  # nothing was done yet: start again
            self.advance(issue, 0)
            return
        self.at[issue] = k
        self.s.attempt(issue, k)
        if self.flow_of[issue].kinds[k] == HANDLE:
            unit = int(self.orders.unit[issue])  # the unit that handled it last time
            self.s.start(issue, unit)
            self._to_unit(issue, unit)
        else:
            self.s.start(issue, self.p.grid_unit[issue])
            self.queue[issue] = -1
            self.p.book.known(issue)  # see _to_unit
            self.p.to_grid(issue, self.rank[issue])

    # -------------------------------------------------------------- closing
    def close(self, issue: int) -> None:
        """Close an order now, wherever it is (a small request that lapsed)."""
        self.at[issue] = -1
        self._close(issue)

    def _close(self, issue: int) -> None:
        p, now = self.p, self.env.now
        self.closed[issue] = True
        self.orders.t_closed[issue] = now
        p.resolved[issue] = now
        for listener in self.on_close:
            listener(issue)

    def reopen(self, issue: int) -> None:
        """A closed order is sent back to be handled again (退回重办), as the same order."""
        self.closed[issue] = False
        self.orders.t_closed[issue] = _NAN
        self.p.resolved[issue] = _NAN
        self.on_reopen(issue)
        self._rework(issue)

    # ------------------------------------------------------------ priority
    def raise_rank(self, issue: int, rank: int) -> None:
        """Move an open order ahead in its queue (chased, supervised, whistled)."""
        if rank >= self.rank[issue]:
            return
        self.rank[issue] = rank
        book = self.p.book
        if book.waiting[issue]:
            book.waiting[issue] = False
            book.known(issue)  # a new key: every entry under the old one goes stale
            if self.queue[issue] >= 0:
                book.push(issue, self.queue[issue], self.rank[issue])
            else:
                self.p.to_grid(issue, self.rank[issue])

    # ------------------------------------------------------- end of the run
    def flush(self) -> None:
        """Rows for the steps still open at the end of the run; a response stamped ahead
        (signature + contact delay) that falls after the end did not happen."""
        now, responded = self.env.now, self.orders.t_responded
        for issue in range(self.n):
            if responded[issue] > now:
                responded[issue] = _NAN
            k = self.at[issue]
            if self.closed[issue] or not self.orders.filed[issue] or k == -1:
                continue
            if k == FILING:
                self.s.row_open(issue, FILE, -1)
            else:
                kind = self.flow_of[issue].kinds[k]
                self.s.row_open(issue, self.before[issue] if self.before[issue] >= 0 else kind,
                                k)
