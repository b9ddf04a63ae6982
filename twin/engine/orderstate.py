"""The current step of every work order (who does it, since when, and its row), and
the ports of the order desk.

An order does one step at a time, so one slot per order holds the step's unit,
when it became ready, who was sent, when and how far, and when they arrived;
the step table's row is written from it when the step ends (or, for steps still
open, at the end of the run). Attempts count how often an order has been
through each step of its flow.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass

import simpy

from twin.engine.book import CaseBook
from twin.engine.staff import Staff
from twin.engine.views import FloatColumn, IntColumn, Schedule
from twin.records import StepRecorder
from twin.vocab import OPEN

_NAN = float("nan")


class StepState:
    """One slot per order for its current step."""

    def __init__(self, n: int, steps: StepRecorder, env: simpy.Environment) -> None:
        self.steps = steps
        self.env = env
        self._ints, self._floats = steps.ints.extend, steps.floats.extend
        # typed arrays, not lists: 8 bytes a slot, no number objects
        self.unit = array("q", [-1]) * n
        """Unit doing (or assigned) the current step."""
        self.ready = array("d", [0.0]) * n
        self.worker = array("q", [-1]) * n
        self.dispatched = array("d", [_NAN]) * n
        self.travel = array("d", [0.0]) * n
        self.on_site = array("d", [_NAN]) * n
        self.tries = array("q", [1]) * n
        """Attempt number of the current step."""
        self.entered = array("q", [0]) * n
        """Per order: a bit per step position it has entered."""
        self.again: dict[tuple[int, int], int] = {}
        """Attempts of steps entered more than once (rare: rework)."""

    def attempt(self, issue: int, k: int) -> int:
        """Step ``k`` of ``issue`` becomes current: one more attempt; returns its number."""
        bit = 1 << k
        if self.entered[issue] & bit:
            count = self.again.get((issue, k), 1) + 1
            self.again[(issue, k)] = count
        else:
            self.entered[issue] |= bit
            count = 1
        self.tries[issue] = count
        return count

    def start(self, issue: int, unit: int) -> None:
        """The current step (of ``unit``) begins now; nobody is sent yet."""
        self.unit[issue], self.ready[issue], self.worker[issue] = unit, self.env.now, -1
        self.dispatched[issue], self.on_site[issue], self.travel[issue] = _NAN, _NAN, 0.0

    def sent(self, issue: int, worker: int, travel: float) -> None:
        """``worker`` was sent now, ``travel`` minutes away."""
        self.worker[issue], self.travel[issue] = worker, travel
        self.dispatched[issue] = self.env.now

    def row(self, issue: int, step: int, k: int, outcome: int, limit: float = _NAN) -> None:
        """Write the row of the step that ends now (as :meth:`StepRecorder.add`, inline:
        it runs several times per order)."""
        self._ints((issue, step, k, self.unit[issue], self.worker[issue],
                    self.tries[issue] if k >= 0 else 1, outcome))
        self._floats((self.ready[issue], self.dispatched[issue], self.on_site[issue],
                      self.env.now, self.travel[issue], limit))

    def row_open(self, issue: int, step: int, k: int) -> None:
        """Write the row of a step still open at the end of the run."""
        self.steps.add(issue, step, k, self.unit[issue], self.worker[issue],
                       self.tries[issue] if k >= 0 else 1, self.ready[issue],
                       self.dispatched[issue], self.on_site[issue], _NAN, self.travel[issue],
                       OPEN)


@dataclass(frozen=True)
class OrderPorts:
    """What the order desk uses of the other parts."""

    book: CaseBook
    staff: Staff
    env: simpy.Environment
    """The clock (``env.now``)."""
    schedule: Schedule
    to_grid: Callable[[int, int], None]
    """Send an issue to the grid workers of its grid at a rank (the dispatch policy)."""
    assign: Callable[[int, int, float], None]
    category: IntColumn
    grid: IntColumn
    node: IntColumn
    channel: IntColumn
    grid_unit: IntColumn
    """The grid-worker unit of each issue."""
    resolved: FloatColumn
    """The issue table's ``t_resolved``: stamped when an order closes."""
    allowed: Callable[[int, float], float] | None = None
    """Per category and receipt time, the minutes until the order is due, for categories
    whose limit is in working time or set by a dated event; None when none is (the flow's
    limit is used)."""
    stage: Callable[[int, str, float], float] | None = None
    """Per category, stage (`sign`, `respond`, `handle`) and start, the minutes until the
    stage is due, NaN where its flow sets no limit of its own; None when no flow does."""


@dataclass(frozen=True)
class OrderUnits:
    """The units of work orders."""

    handling: dict[str, list[int]]
    """Per handling unit name: its unit, or one per grid."""
    centre: int
    """Unit of the centre's desk (-1: filing takes no time)."""
    queue: list[int]
    """Per unit: the queue its handlers take orders from."""
    assignable: tuple[str, ...] = ()
    """Handling units a wrong assignment may go to (empty: every handling unit); the
    units only disputes name (mediation office, police ...) take no orders."""


def staged(p: OrderPorts, issue: int, stage: str, start: float, default: float) -> float:
    """The time its flow allows an order's ``stage`` from ``start`` [min], else ``default``."""
    if p.stage is None:
        return default
    allowed = p.stage(p.category[issue], stage, start)
    return default if allowed != allowed else allowed
