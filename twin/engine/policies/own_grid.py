"""``own_grid``: only the grid's own workers handle its cases."""

from __future__ import annotations

from twin.engine.policies import PolicyPorts, Units
from twin.scenario.schema import DispatchSpec
from twin.vocab import GRID_WORKER


class OwnGrid:
    """Each unit has its own queue and its own eligible queue; nobody borrows."""

    name = "own_grid"

    def __init__(self, spec: DispatchSpec, units: Units, ports: PolicyPorts) -> None:
        self.ports = ports
        self._nearest_in = ports.staff.nearest_in
        self._pools = [ports.staff.idle_pool(u, GRID_WORKER) for u in range(len(units.unit_team))]
        self.home = [ports.queues.new_queue() for _ in units.unit_team]
        self.eligible = [ports.queues.new_queue() for _ in units.unit_team]

    def home_queue(self, unit: int) -> int:
        """The unit's own queue."""
        return self.home[unit]

    def eligible_queue(self, unit: int) -> int:
        """The unit's own queue of volunteer-eligible cases."""
        return self.eligible[unit]

    def extra_queues(self, unit: int) -> list[int]:
        """None."""
        return []

    def first_choice(self, unit: int, node: int) -> tuple[int, float]:
        """The nearest idle grid worker of the unit."""
        return self._nearest_in(self._pools[unit], node)

    def waiting(self, issue: int) -> None:
        """Nothing: the case waits for its own grid."""
