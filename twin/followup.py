"""Follow-up visits (回访): planned when a yellow or red case is resolved.

A visit becomes due ``follow_up.delay_days`` after the resolution; it then goes
to the grid workers of the case's unit, after every waiting case (lowest
priority). Its on-site time is drawn from the stream ``follow-up/<grid>``.
"""

from __future__ import annotations

from typing import Any

import simpy

from twin.demand import sample_service
from twin.records import VisitRecorder


class FollowUps:
    """Mixin of the dispatcher (``twin.casework.Casework``) for follow-up visits."""

    env: simpy.Environment
    follow_up: Any
    names: tuple[list[str], list[str]]
    streams: Any
    visits: VisitRecorder
    visit_key: list[int]
    visit_waiting: list[bool]
    seq_task: list[int]
    n: int
    _grid: Any
    _unit: Any
    _node: Any

    def _route(self, task: int) -> None:  # provided by the dispatcher
        raise NotImplementedError

    def _plan_visit(self, issue: int) -> None:
        spec = self.follow_up
        grid = self.names[0][self._grid[issue]]
        service = float(sample_service(spec.service, self.streams[f"follow-up/{grid}"], 1)[0])
        due = self.env.now + spec.delay_days * 1440.0
        v = self.visits.create(issue, self._unit[issue], self._node[issue], due, service)
        self.visit_key.append(0)
        self.visit_waiting.append(False)
        timer = self.env.timeout(due - self.env.now, value=v)
        timer.callbacks.append(self._visit_due)

    def _visit_due(self, event: simpy.Event) -> None:
        v = int(event.value)  # type: ignore[arg-type]
        self.seq_task.append(self.n + v)
        self.visit_key[v] = len(self.seq_task) - 1
        self._route(self.n + v)
