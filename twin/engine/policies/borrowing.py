"""Own grid first, then borrowing after ``borrow_after`` minutes of waiting.

``own_grid_then_nearest`` borrows from any grid of the team;
``own_grid_then_neighbours`` (邻格支援) only from grids that share a boundary
with the case's grid. Borrowing counts from when the task started waiting: a
case's report, a work-order step's readiness.
"""

from __future__ import annotations

import simpy

from twin.engine.policies import PolicyPorts, Units
from twin.engine.policies.own_grid import OwnGrid
from twin.scenario.schema import DispatchSpec
from twin.vocab import GRID_WORKER

_INF = float("inf")


class OwnGridThenNearest(OwnGrid):
    """Own grid; after ``borrow_after`` minutes the nearest idle worker of the team."""

    name = "own_grid_then_nearest"

    def __init__(self, spec: DispatchSpec, units: Units, ports: PolicyPorts) -> None:
        super().__init__(spec, units, ports)
        self.borrow_after = spec.borrow_after
        self.unit_team = units.unit_team
        self.borrowed = self._borrow_queues(units)

    def _borrow_queues(self, units: Units) -> list[int]:
        """Per unit, the queue where cases open to it wait: one per team."""
        teams = sorted({t for t in units.unit_team if t >= 0})
        queue = {t: self.ports.queues.new_queue() for t in teams}
        return [queue[t] if t >= 0 else -1 for t in units.unit_team]

    def extra_queues(self, unit: int) -> list[int]:
        """The queue of cases open to the whole team."""
        return [self.borrowed[unit]]

    def waiting(self, issue: int) -> None:
        """Open the case to others ``borrow_after`` minutes after it started waiting (a
        case: its report; a work order: its current step)."""
        ports = self.ports
        due = ports.waiting_since(issue) + self.borrow_after - ports.now()
        if due <= 0.0:
            self.open(issue)
        else:
            ports.schedule(due, self._due, (issue, ports.key_of(issue)))

    def _due(self, event: simpy.Event) -> None:
        issue, key = event.value  # type: ignore[misc]
        if self.ports.queues.still_waiting(issue, key):
            self.open(issue)

    def open(self, issue: int) -> None:
        """The waiting case becomes open to every grid worker of its team."""
        ports = self.ports
        unit = ports.unit_of(issue)
        ports.queues.also_in(self.borrowed[unit], issue)
        worker, t = ports.staff.nearest_of_team(ports.staff.team_of_unit(unit),
                                                ports.node_of(issue))
        if worker >= 0:
            ports.assign(worker, issue, t)


class OwnGridThenNeighbours(OwnGridThenNearest):
    """Own grid; after ``borrow_after`` minutes the nearest idle worker of a grid that
    shares a boundary with the case's grid."""

    name = "own_grid_then_neighbours"

    def __init__(self, spec: DispatchSpec, units: Units, ports: PolicyPorts) -> None:
        self.neighbours = units.neighbours
        super().__init__(spec, units, ports)

    def _borrow_queues(self, units: Units) -> list[int]:
        """Per unit, the queue of its neighbours' cases open to it."""
        return [self.ports.queues.new_queue() if t >= 0 else -1 for t in units.unit_team]

    def open(self, issue: int) -> None:
        """The waiting case becomes open to the grid workers of neighbouring grids."""
        ports = self.ports
        neighbours = self.neighbours[ports.unit_of(issue)]
        for unit in neighbours:
            ports.queues.also_in(self.borrowed[unit], issue)
        node = ports.node_of(issue)
        best, best_t = -1, _INF
        for unit in neighbours:
            worker, t = ports.staff.nearest_in(ports.staff.idle_pool(unit, GRID_WORKER), node)
            if worker >= 0 and (t < best_t or (t == best_t and worker < best)):
                best, best_t = worker, t
        if best >= 0 and best_t < _INF:
            ports.assign(best, issue, best_t)
