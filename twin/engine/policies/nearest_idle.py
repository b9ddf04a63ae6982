"""``nearest_idle``: the idle worker with the shortest travel time, from any grid."""

from __future__ import annotations

from twin.engine.policies import PolicyPorts, Units
from twin.engine.policies.own_grid import OwnGrid
from twin.scenario.schema import DispatchSpec


class NearestIdle(OwnGrid):
    """One queue per team (shared by all its grids); a new case goes to the team's
    nearest idle grid worker."""

    name = "nearest_idle"

    def __init__(self, spec: DispatchSpec, units: Units, ports: PolicyPorts) -> None:
        super().__init__(spec, units, ports)
        first = {t: u for u, t in reversed(list(enumerate(units.unit_team)))}
        home, eligible = self.home, self.eligible  # every grid reads its team's queues
        self.home = [home[first[t]] if t >= 0 else home[u]
                     for u, t in enumerate(units.unit_team)]
        self.eligible = [eligible[first[t]] if t >= 0 else eligible[u]
                         for u, t in enumerate(units.unit_team)]
        self._team = units.unit_team
        self._nearest_of_team = ports.staff.nearest_of_team

    def first_choice(self, unit: int, node: int) -> tuple[int, float]:
        """The nearest idle grid worker of the unit's team."""
        return self._nearest_of_team(self._team[unit], node)
