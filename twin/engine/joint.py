"""The joint-response desk: red cases get one responder from every pool they need,
at the same time.

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
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from twin.engine.staff import Staff
from twin.engine.views import FloatColumn
from twin.vocab import OFF_SHIFT, ON_SITE, RESPONDER, STANDBY, TRAVEL


@dataclass(frozen=True)
class JointPorts:
    """What the joint desk uses of the other parts."""

    waiting_keys: Callable[[int], list[int]]
    keep: Callable[[int, list[int]], None]
    task_of: Callable[[int], int]
    take: Callable[[int], None]
    booked: Callable[[int, int, float, float], None]
    arrived: Callable[[int, float], None]
    service_of: Callable[[int], float]
    finish: Callable[[int], None]
    node_of: Callable[[int], int]
    category_of: Callable[[int], int]
    t_dispatched: FloatColumn
    travel: FloatColumn


class JointDesk:
    """Red cases waiting for, and held by, a joint response."""

    def __init__(self, env: simpy.Environment, staff: Staff, pools: list[int], queue: int,
                 case_pools: list[list[int]], ports: JointPorts) -> None:
        self.env = env
        self.staff = staff
        self.pools = pools
        """Units of the responder pools."""
        self.queue = queue
        self.case_pools = case_pools
        """Per category: positions in ``pools`` of the pools a red case needs."""
        self.ports = ports

    def try_start(self) -> None:
        """Start joint responses while a red case waits and every pool it needs has
        someone free."""
        if not self.pools:
            return
        ports = self.ports
        waiting = ports.waiting_keys(self.queue)  # a sorted list is a heap
        if not waiting:
            ports.keep(self.queue, [])
            return
        idle = [self.staff.idle_pool(u, RESPONDER) for u in self.pools]
        claimed: set[int] = set()  # pools an earlier waiting case is waiting for
        started: set[int] = set()
        for key in waiting:
            issue = ports.task_of(key)
            need = self.case_pools[ports.category_of(issue)]
            if claimed.isdisjoint(need) and all(idle[p] for p in need):
                self._start(issue, [idle[p] for p in need])
                started.add(key)
            else:
                claimed.update(need)
                if len(claimed) == len(idle):
                    break
        ports.keep(self.queue, [k for k in waiting if k not in started])

    def _start(self, issue: int, pools: list[set[int]]) -> None:
        ports = self.ports
        ports.take(issue)
        node = ports.node_of(issue)
        first = math.isnan(ports.t_dispatched[issue])
        team = []
        for pool in pools:
            worker, t = self.staff.nearest_in(pool, node)
            self.staff.clear_idle(worker)
            ports.booked(worker, issue, t, self.env.now)
            team.append((worker, t))
        if first:  # the response starts when the last responder arrives
            ports.travel[issue] = max(t for _, t in team)
        self.env.process(self.respond(issue, team))

    def respond(self, issue: int, team: list[tuple[int, float]]
                ) -> Generator[simpy.Event, Any, None]:
        """One responder from every pool travels; all are held until the case is settled."""
        env, staff, add, ports = self.env, self.staff, self.staff.activity.add, self.ports
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
        ports.arrived(issue, arrived)
        yield env.timeout(ports.service_of(issue))
        for worker, _t in team:
            add(worker, ON_SITE, arrived, env.now, issue)
        ports.finish(issue)
        for worker, _t in team:
            if staff.on_shift[worker]:
                staff.set_idle(worker, ports.node_of(issue))
            else:
                staff.phase[worker] = (OFF_SHIFT, env.now, -1)
        self.try_start()
