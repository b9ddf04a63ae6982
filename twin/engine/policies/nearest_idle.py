"""``nearest_idle``: the idle worker with the shortest travel time, from any grid."""

from __future__ import annotations

from twin.engine.policies import PolicyPorts, Units
from twin.scenario.schema import DispatchSpec


class NearestIdle:
    """One queue per team (shared by all its grids); a new case goes to the team's
    nearest idle grid worker."""

    name = "nearest_idle"

    def __init__(self, spec: DispatchSpec, units: Units, ports: PolicyPorts) -> None:
        self.ports = ports
        first = {t: u for u, t in reversed(list(enumerate(units.unit_team)))}
        home = [ports.queues.new_queue() for _ in units.unit_team]
        eligible = [ports.queues.new_queue() for _ in units.unit_team]
        self.home = [home[first[t]] if t >= 0 else home[u]
                     for u, t in enumerate(units.unit_team)]
        self.eligible = [eligible[first[t]] if t >= 0 else eligible[u]
                         for u, t in enumerate(units.unit_team)]

    def home_queue(self, unit: int) -> int:
        """The team's queue."""
        return self.home[unit]

    def eligible_queue(self, unit: int) -> int:
        """The team's queue of volunteer-eligible cases."""
        return self.eligible[unit]

    def extra_queues(self, unit: int) -> list[int]:
        """None: the team's queue already holds every grid's cases."""
        return []

    def first_choice(self, unit: int, node: int) -> tuple[int, float]:
        """The nearest idle grid worker of the unit's team."""
        staff = self.ports.staff
        return staff.nearest_of_team(staff.team_of_unit(unit), node)

    def waiting(self, issue: int) -> None:
        """Nothing: any of the team's workers takes it when free."""
