"""The callback desk (回访): after an order closes, the requester is asked whether the
problem was solved and whether they are satisfied.

The requester answers with probability ``reached``. They say solved with
probability ``solved_if_fixed`` or ``solved_if_not_fixed``, by whether the last
work attempt fixed the problem. "Satisfied" has the odds of
``satisfied_if_solved`` (or ``satisfied_if_unsolved``) times ``late_odds`` to the
power of the lateness, counted in limits (0 when closed within the limit). An
unsolved or unsatisfied answer sends the order back to be handled again
(退回重办), at most ``max_reworks`` times together with verifications. Only
residents' requests are called back: a patrol or sensor find has no requester.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from twin.engine.orderplan import U_REACHED, U_SATISFIED, U_SOLVED, OrderPlan
from twin.engine.views import IntColumn, Schedule
from twin.records import OrderRecorder, StepRecorder
from twin.rng import Streams
from twin.vocab import CALLBACK, RESIDENT, SOLVED, UNREACHED, UNSOLVED

_NAN = float("nan")


def satisfaction(p: float, late_odds: float, late: float) -> float:
    """Probability of "satisfied": the odds of ``p`` times ``late_odds ** late``, where
    ``late`` is the lateness in limits (0 when closed in time).

    >>> satisfaction(0.9, 0.5, 0.0), round(satisfaction(0.9, 0.5, 1.0), 4)
    (0.9, 0.8182)
    """
    if late <= 0.0 or p <= 0.0:
        return p
    if p >= 1.0:
        return 1.0 if late_odds > 0.0 else 0.0
    odds = p / (1.0 - p) * late_odds ** late
    return odds / (1.0 + odds)


@dataclass(frozen=True)
class CallbackPorts:
    """What the callback desk uses of the order desk."""

    schedule: Schedule
    now: Callable[[], float]
    channel: IntColumn
    category: IntColumn
    unfixed: bytearray
    """Per issue: the last work attempt did not fix the problem."""
    reopen: Callable[[int], None]
    unit: Callable[[int], int]
    """The unit a callback row is recorded under (the centre, or the order's unit)."""


class CallbackDesk:
    """Calls back residents after their orders close."""

    def __init__(self, plan: OrderPlan, orders: OrderRecorder, steps: StepRecorder,
                 ports: CallbackPorts, streams: Streams) -> None:
        self.spec = plan.spec.callback
        self.plan, self.orders, self.steps, self.p = plan, orders, steps, ports
        self.streams = streams
        self.calls: dict[int, int] = {}

    def closed(self, issue: int) -> None:
        """An order closed: call back its requester after the delay."""
        flow = self.plan.flows[self.p.category[issue]]
        if self.spec.enabled and self.p.channel[issue] == RESIDENT and not (
                flow is not None and flow.wish):  # a wish is rated, not called back
            self.p.schedule(self.spec.delay, self._call, issue)

    def _call(self, event: simpy.Event) -> None:
        """Call the requester: record the answers, and send an unsolved or unsatisfied
        order back (退回重办) while its reworks are fewer than ``max_reworks``."""
        issue = int(event.value)  # type: ignore[arg-type]
        spec, o, now = self.spec, self.orders, self.p.now()
        calls = self.calls.get(issue, 0) + 1
        self.calls[issue] = calls

        def draw(purpose: int, name: str) -> float:
            if calls == 1:
                return self.plan.uniform[purpose][issue]
            return float(self.streams[f"orders/again/{name}"].random())

        o.t_callback[issue] = now
        reached = draw(U_REACHED, "reached") < spec.reached
        o.called_back[issue] = reached
        if not reached:
            o.solved[issue] = o.satisfied[issue] = False
            self._row(issue, calls, UNREACHED)
            return
        p_solved = spec.solved_if_not_fixed if self.p.unfixed[issue] else spec.solved_if_fixed
        solved = draw(U_SOLVED, "solved") < p_solved
        flow = self.plan.flows[self.p.category[issue]]
        assert flow is not None
        # time past its due time (receipt + its limit, which in working time varies),
        # counted in the limit's length as written
        late = max(0.0, float(o.t_closed[issue] - o.t_received[issue] - o.limit[issue])
                   ) / flow.limit
        p_sat = satisfaction(spec.satisfied_if_solved if solved else spec.satisfied_if_unsolved,
                             spec.late_odds, late)
        satisfied = draw(U_SATISFIED, "satisfied") < p_sat
        o.solved[issue], o.satisfied[issue] = solved, satisfied
        self._row(issue, calls, SOLVED if solved else UNSOLVED)
        if not (solved and satisfied) and o.reworks[issue] < spec.max_reworks:
            self.p.reopen(issue)

    def _row(self, issue: int, calls: int, outcome: int) -> None:
        closed = float(self.orders.t_closed[issue])
        self.steps.add(issue, CALLBACK, -1, self.p.unit(issue), -1, calls, closed, _NAN, _NAN,
                       self.p.now(), 0.0, outcome)
