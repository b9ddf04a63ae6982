"""The joint response to red cases: one responder from every pool, at the same time.

Seizure is all-or-nothing and happens inside one callback, with no yield between
checking and taking: a red case starts only when every pool has an idle
responder, and then takes one from each at once. No responder is ever held while
waiting for another pool, so there is no deadlock and no idle holding. Each
responder travels from where it is; those who arrive first stand by (state
``standby``) until the last arrives; all are then on site together and released
together. Red cases wait in one queue, most urgent first.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from typing import Any

import simpy

from twin.records import OFF_SHIFT, ON_SITE, STANDBY, TRAVEL
from twin.staffing import RESPONDER


class JointResponse:
    """Mixin of the dispatcher (``twin.casework.Casework``) for red cases."""

    env: simpy.Environment
    staff: Any
    heaps: list[list[int]]
    joint_units: list[int]
    joint_q: int
    _node: Any
    _t_dispatched: Any
    _travel: Any

    # Provided by the dispatcher this class is mixed into.
    def _valid(self, key: int) -> bool:
        raise NotImplementedError

    def _task_of(self, key: int) -> int:
        raise NotImplementedError

    def _take(self, task: int) -> None:
        raise NotImplementedError

    def _book(self, worker: int, task: int, travel: float) -> None:
        raise NotImplementedError

    def on_site(self, task: int) -> None:
        raise NotImplementedError

    def service_of(self, task: int) -> float:
        raise NotImplementedError

    def finish(self, task: int) -> None:
        raise NotImplementedError

    def try_joint(self) -> None:
        """Start joint responses while a red case waits and every pool has someone free."""
        if not self.joint_units:
            return
        heap = self.heaps[self.joint_q]
        staff = self.staff
        while True:
            while heap and not self._valid(heap[0]):
                heapq.heappop(heap)
            if not heap:
                return
            pools = [staff.idle_sets[u * 4 + RESPONDER] for u in self.joint_units]
            if not all(pools):
                return
            issue = self._task_of(heapq.heappop(heap))
            self._take(issue)
            node = self._node[issue]
            first = math.isnan(self._t_dispatched[issue])
            team = []
            for pool in pools:
                worker, t = staff.nearest_in(pool, node)
                staff.clear_idle(worker)
                self._book(worker, issue, t)
                team.append((worker, t))
            if first:  # the response starts when the last responder arrives
                self._travel[issue] = max(t for _, t in team)
            self.env.process(self.joint_response(issue, team))

    def joint_response(self, issue: int, team: list[tuple[int, float]]
                       ) -> Generator[simpy.Event, Any, None]:
        """One responder from every pool travels; all are held until the case is settled."""
        env, staff, add = self.env, self.staff, self.staff.activity.add
        start = env.now
        longest = max(t for _, t in team)
        for worker, _t in team:
            staff.phase[worker] = (TRAVEL, start, issue)
        if longest > 0:
            yield env.timeout(longest)
        arrived = env.now
        for worker, t in team:
            add(worker, TRAVEL, start, start + t, issue)
            add(worker, STANDBY, start + t, arrived, issue)
            staff.phase[worker] = (ON_SITE, arrived, issue)
        self.on_site(issue)
        yield env.timeout(self.service_of(issue))
        for worker, _t in team:
            add(worker, ON_SITE, arrived, env.now, issue)
        self.finish(issue)
        for worker, _t in team:
            if staff.on_shift[worker]:
                staff.set_idle(worker, self._node[issue])
            else:
                staff.phase[worker] = (OFF_SHIFT, env.now, -1)
        self.try_joint()
