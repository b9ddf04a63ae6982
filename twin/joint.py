"""The joint response to red cases: one responder from every pool, at the same time.

Seizure is all-or-nothing and happens inside one callback, with no yield between
checking and taking: a red case starts only when every pool it needs (its
category's ``joint_pools``, default all) has an idle responder, and then takes
one from each at once. No responder is ever held while waiting for another pool,
so there is no deadlock and no idle holding. Red cases wait in one queue, in
report order; a later case may start before an earlier one only if it needs none
of the pools the earlier one is waiting for (so no case starves). Each responder
travels from where it is; those who arrive first stand by (state ``standby``)
until the last arrives; all are then on site together and released together.
"""

from __future__ import annotations

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
    _cat: Any
    case_pools: list[list[int]]
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
        waiting = sorted(k for k in heap if self._valid(k))  # a sorted list is a heap
        if not waiting:
            heap.clear()
            return
        staff = self.staff
        idle = [staff.idle_sets[u * 4 + RESPONDER] for u in self.joint_units]
        claimed: set[int] = set()  # pools an earlier waiting case is waiting for
        started: set[int] = set()
        for key in waiting:
            issue = self._task_of(key)
            need = self.case_pools[self._cat[issue]]
            if claimed.isdisjoint(need) and all(idle[p] for p in need):
                self._start_joint(issue, [idle[p] for p in need])
                started.add(key)
            else:
                claimed.update(need)
                if len(claimed) == len(idle):
                    break
        heap[:] = [k for k in waiting if k not in started]

    def _start_joint(self, issue: int, pools: list[set[int]]) -> None:
        self._take(issue)
        node = self._node[issue]
        first = math.isnan(self._t_dispatched[issue])
        team = []
        for pool in pools:
            worker, t = self.staff.nearest_in(pool, node)
            self.staff.clear_idle(worker)
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
        for worker, t in team:
            staff.phase[worker] = (TRAVEL, start, issue)
            staff.standby_from[worker] = start + t  # arrives, then waits for the others
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
