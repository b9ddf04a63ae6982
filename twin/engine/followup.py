"""The follow-up desk (回访): visits planned when a yellow or red case is resolved.

A visit becomes due ``follow_up.delay_days`` after the resolution; it then goes
to the grid workers of the case's unit, after every waiting case (lowest
priority). Its on-site time is drawn from the stream ``follow-up/<grid>``.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from twin.demand import sample_service
from twin.records import VisitRecorder
from twin.rng import Streams
from twin.scenario.governance import FollowUpSpec
from twin.vocab import MINUTES_PER_DAY


class FollowUpDesk:
    """Plans follow-up visits and hands them to the router when due."""

    def __init__(self, env: simpy.Environment, spec: FollowUpSpec, visits: VisitRecorder,
                 add_visit: Callable[[], int], known: Callable[[int], None],
                 route: Callable[[int], None], streams: Streams,
                 grid_name: Callable[[int], str]) -> None:
        self.env = env
        self.spec = spec
        self.visits = visits
        self.add_visit = add_visit
        """Room in the case book for one more visit; returns its task id."""
        self.known = known
        self.route = route
        self.streams = streams
        self.grid_name = grid_name
        """Name of an issue's grid (for its stream)."""

    def plan(self, issue: int, unit: int, node: int) -> None:
        """Plan the visit of a case just resolved."""
        spec = self.spec
        stream = self.streams[f"follow-up/{self.grid_name(issue)}"]
        service = float(sample_service(spec.service, stream, 1)[0])
        due = self.env.now + spec.delay_days * MINUTES_PER_DAY
        self.visits.create(issue, unit, node, due, service)
        task = self.add_visit()
        timer = self.env.timeout(due - self.env.now, value=task)
        timer.callbacks.append(self._due)

    def _due(self, event: simpy.Event) -> None:
        task = int(event.value)  # type: ignore[arg-type]
        self.known(task)
        self.route(task)
