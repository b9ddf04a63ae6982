"""Cases from report to close: queues, routing by colour, escalation, follow-ups, joint response.

Tasks are issues (ids 0..n-1) and follow-up visits (ids n, n+1, ...). A waiting
task sits in one heap keyed ``rank * BIG + seq``: rank 0 red, 1 yellow, 2 green,
3 visit; seq is the order of report, so a heap pops red first, then first come
first served. Entries are removed lazily: a popped key is skipped unless it is
the task's current key and the task is still waiting.

Routing by current colour: with `tiers`, yellow goes to the mediation office
and red to the joint response; otherwise (and always for green) to the grid
workers of the issue's unit, volunteers first for eligible green cases.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np
import simpy

from twin.demand import Arrivals
from twin.dispatch import Staff, items
from twin.escalation import DEADLINE, FAILED, GREW, RED, WHISTLE, YELLOW, EscalationRules
from twin.followup import FollowUps
from twin.joint import JointResponse
from twin.policies import DispatchPolicy
from twin.records import (
    EventRecorder,
    IssueRecorder,
    VisitRecorder,
)
from twin.rng import Streams
from twin.staffing import GRID_WORKER, MEDIATOR, VOLUNTEER, Staffing

BIG = 1 << 40
VISIT_RANK = 3
_INF = float("inf")


class Casework(JointResponse, FollowUps):
    """The dispatcher: where each task waits, who is sent, and what happens next."""

    def __init__(self, env: simpy.Environment, staff: Staff, staffing: Staffing,
                 arrivals: Arrivals, issues: IssueRecorder, escalations: EventRecorder,
                 visits: VisitRecorder, rules: EscalationRules, policy: DispatchPolicy,
                 eligible: np.ndarray, follow_up: Any, streams: Streams,
                 grid_names: list[str], categories: list[Any]) -> None:
        self.env = env
        self.staff = staff
        self.issues = issues
        self.escalations = escalations
        self.visits = visits
        self.rules = rules
        self.escalating = rules.enabled
        self.streams = streams
        self.names = (grid_names, [c.name for c in categories])
        pool_names = [staffing.unit_names[u] for u in staffing.joint_units]
        self.n = len(arrivals)
        self.any_grid = bool(policy.any_grid)
        self.borrow_after = policy.borrow_after
        self.follow_up = follow_up
        n_units = len(staffing.unit_names)
        n_teams = len(staffing.team_names)
        self.tiers = staffing.mediation_unit >= 0
        self.med_unit = staffing.mediation_unit
        self.joint_units = staffing.joint_units
        team_first = {int(t): u for u, t in reversed(list(enumerate(staffing.unit_team)))}
        unit_team = staffing.unit_team.tolist()
        # heap indices: unit queues, then eligible queues, then per-team borrow queues
        self.home_q = [team_first[t] if self.any_grid and t >= 0 else u
                       for u, t in enumerate(unit_team)]
        self.elig_q = [n_units + q for q in self.home_q]
        self.borrow_q = [2 * n_units + t for t in range(n_teams)]
        # follow-up visits wait for their own unit's workers, whatever the policy
        self.visit_q = [2 * n_units + n_teams + u for u in range(n_units)]
        self.heaps: list[list[int]] = [[] for _ in range(3 * n_units + n_teams)]
        self.joint_q = self.joint_units[0] if self.joint_units else -1
        # per category: positions (in joint_units) of the pools a red case needs
        self.case_pools = [
            [pool_names.index(p) for p in c.joint_pools] if c.joint_pools
            else list(range(len(self.joint_units)))
            for c in categories
        ]
        self.draws: list[list[int]] = [self._draws(w, unit_team) for w in range(staff.n)]
        # per-issue state (items views of the record arrays where they exist)
        self._colour = items(issues.colour_closed)
        self._unit = items(np.ascontiguousarray(issues.unit))
        self._node = items(np.ascontiguousarray(issues.node))
        self._cat = items(np.ascontiguousarray(issues.category))
        self._grid = items(np.ascontiguousarray(issues.grid))
        self._eligible = eligible.tolist()
        self._service = [items(np.ascontiguousarray(arrivals.service[:, c])) for c in range(3)]
        self._fail_draw = arrivals.fail_draw
        self._t_reported = items(issues.t_reported)
        self._t_dispatched = items(issues.t_dispatched)
        self._t_on_site = items(issues.t_on_site)
        self._t_resolved = items(issues.t_resolved)
        self._travel = items(issues.travel)
        self._worker = items(issues.worker)
        self._handler = items(issues.handler)
        self._borrowed = items(issues.borrowed)
        self._n_escalations = items(issues.escalations)
        self.channel = items(issues.channel)
        self.waiting: list[bool] = [False] * self.n
        self.key: list[int] = [0] * self.n
        self.colour_epoch: list[int] = [0] * self.n
        self.seq_task: list[int] = []
        self.latent_at: dict[int, list[int]] = {}
        self.pending = bytearray(self.n)  # 1 while a latent issue waits to be found
        self.visit_key: list[int] = []
        self.visit_waiting: list[bool] = []
        # True when finishing a job only stamps the resolution time (no failure
        # draws, no follow-up visits): the worker loop then does it inline.
        self.plain = not self.escalating and follow_up is None
        staff.on_arrival = self._patrol_arrival

    def _draws(self, worker: int, unit_team: list[int]) -> list[int]:
        kind, unit = self.staff.kind[worker], self.staff.unit[worker]
        if kind == GRID_WORKER:
            queues = [self.home_q[unit], self.elig_q[unit], self.visit_q[unit]]
            return queues + ([self.borrow_q[unit_team[unit]]] if self.borrow_after is not None
                             else [])
        if kind == VOLUNTEER:
            return [self.elig_q[unit]]
        if kind == MEDIATOR:
            return [self.home_q[unit]]
        return []

    # ------------------------------------------------------------ reports
    def appear(self, issue: int) -> None:
        """A latent issue now exists at its node, unreported, for a patrol to find."""
        self.pending[issue] = 1
        self.latent_at.setdefault(self._node[issue], []).append(issue)

    def report(self, issue: int, channel: int = -1) -> None:
        """An issue is reported (by a resident, sensor or patrol): route it."""
        if self._t_reported[issue] == self._t_reported[issue]:  # not NaN: reported already
            return
        self.pending[issue] = 0
        self._t_reported[issue] = self.env.now
        if channel >= 0:
            self.channel[issue] = channel
        self.seq_task.append(issue)
        self.key[issue] = len(self.seq_task) - 1  # rank added when it enters a queue
        self._route(issue)
        if self.escalating:
            self._watch_deadline(issue)

    def _patrol_arrival(self, worker: int, node: int) -> None:
        found = self.latent_at.pop(node, None)
        if found:
            for issue in found:
                if self.pending[issue]:
                    self.report(issue, channel=1)  # CHANNELS.index("patrol")

    # ------------------------------------------------------------- routing
    def _route(self, task: int) -> None:
        """Send an idle staff member to ``task`` or put it in its queue."""
        staff = self.staff
        if task >= self.n:
            unit = self.visits.unit[task - self.n]
            worker, t = staff.nearest_in(staff.idle_sets[unit * 4 + GRID_WORKER],
                                         self.visits.node[task - self.n])
            self._assign_or_wait(task, worker, t, self.visit_q[unit], VISIT_RANK)
            return
        colour = self._colour[issue := task]
        node = self._node[issue]
        if self.tiers and colour == YELLOW:
            worker, t = staff.nearest_in(staff.idle_sets[self.med_unit * 4 + MEDIATOR], node)
            self._assign_or_wait(issue, worker, t, self.home_q[self.med_unit], 2 - colour)
            return
        if self.tiers and colour == RED:
            self._push(issue, self.joint_q, 0)
            self.try_joint()
            return
        unit = self._unit[issue]
        eligible = self._eligible[self._cat[issue]] and colour == 0
        worker, t = -1, _INF
        if eligible:
            worker, t = staff.nearest_in(staff.idle_sets[unit * 4 + VOLUNTEER], node)
        if worker < 0:
            if self.any_grid:
                worker, t = staff.nearest_of_team(staff.team_of_unit(unit), node)
            else:
                worker, t = staff.nearest_in(staff.idle_sets[unit * 4 + GRID_WORKER], node)
        queue = self.elig_q[unit] if eligible else self.home_q[unit]
        if self._assign_or_wait(issue, worker, t, queue, 2 - colour) and (
                self.borrow_after is not None):
            # Borrowing counts from the report: a case re-routed by an escalation
            # after borrow_after minutes is open to other grids at once.
            due = self._t_reported[issue] + self.borrow_after - self.env.now
            if due <= 0.0:
                self._open(issue)
            else:
                timer = self.env.timeout(due, value=(issue, self.key[issue]))
                timer.callbacks.append(self._open_to_all)

    def _assign_or_wait(self, task: int, worker: int, t: float, queue: int, rank: int) -> bool:
        """Assign if someone was found, else queue; True if the task now waits."""
        if worker >= 0 and t < _INF:
            self.assign(worker, task, t)
            return False
        self._push(task, queue, rank)
        return True

    def _push(self, task: int, queue: int, rank: int) -> None:
        seq = self.key[task] % BIG if task < self.n else self.visit_key[task - self.n] % BIG
        key = rank * BIG + seq
        if task < self.n:
            self.key[task] = key
            self.waiting[task] = True
            if self.escalating and rank in (1, 2):
                self._watch_growth(task, key)
        else:
            self.visit_key[task - self.n] = key
            self.visit_waiting[task - self.n] = True
        heapq.heappush(self.heaps[queue], key)

    def _open_to_all(self, event: simpy.Event) -> None:
        issue, key = event.value  # type: ignore[misc]
        if self.waiting[issue] and self.key[issue] == key:
            self._open(issue)

    def _open(self, issue: int) -> None:
        """A waiting case becomes open to the grid workers of every unit of its team."""
        key = self.key[issue]
        team = self.staff.team_of_unit(self._unit[issue])
        heapq.heappush(self.heaps[self.borrow_q[team]], key)
        worker, t = self.staff.nearest_of_team(team, self._node[issue])
        if worker >= 0:
            self.assign(worker, issue, t)

    def _task_of(self, key: int) -> int:
        return self.seq_task[key % BIG]

    def _valid(self, key: int) -> bool:
        task = self.seq_task[key % BIG]
        if task < self.n:
            return self.waiting[task] and self.key[task] == key
        v = task - self.n
        return self.visit_waiting[v] and self.visit_key[v] == key

    def _take(self, task: int) -> None:
        if task < self.n:
            self.waiting[task] = False
        else:
            self.visit_waiting[task - self.n] = False

    # ---------------------------------------------------------- assigning
    def assign(self, worker: int, task: int, travel: float) -> None:
        """Send idle ``worker`` to ``task`` (wakes its process)."""
        self._take(task)
        self.staff.clear_idle(worker)
        self._book(worker, task, travel)
        wake = self.staff.wake[worker]
        assert wake is not None
        self.staff.wake[worker] = None
        wake.succeed((task, travel))

    def _book(self, worker: int, task: int, travel: float) -> None:
        now = self.env.now
        if task >= self.n:
            v = task - self.n
            if self.visits.t_dispatched[v] != self.visits.t_dispatched[v]:
                self.visits.t_dispatched[v] = now
            self.visits.worker[v] = worker
            return
        if self._t_dispatched[task] != self._t_dispatched[task]:  # NaN: first dispatch
            self._t_dispatched[task] = now
            self._travel[task] = travel
        self._worker[task] = worker
        self._handler[task] = self.staff.kind[worker]
        self._borrowed[task] = self.staff.unit[worker] != self._unit[task] and (
            self.staff.kind[worker] == GRID_WORKER)

    def next_for(self, worker: int, node: int) -> tuple[int, float] | None:
        """The best waiting task ``worker`` (free at ``node``) may take, booked to it."""
        best_q, best = -1, -1
        heaps, seq_task, n = self.heaps, self.seq_task, self.n
        waiting, keys = self.waiting, self.key
        for q in self.draws[worker]:
            heap = heaps[q]
            while heap:
                key = heap[0]
                task = seq_task[key % BIG]
                if task < n:  # inline of _valid for issues, the common case
                    if waiting[task] and keys[task] == key:
                        break
                elif self._valid(key):
                    break
                heapq.heappop(heap)
            if heap and (best < 0 or heap[0] < best):
                best_q, best = q, heap[0]
        if best_q < 0:
            return None
        heapq.heappop(heaps[best_q])
        task = self._task_of(best)
        self._take(task)
        travel = self.staff.between(worker, node, self.node_of(task))
        self._book(worker, task, travel)
        return task, travel

    def node_of(self, task: int) -> int:
        """Map node of a task."""
        return self._node[task] if task < self.n else self.visits.node[task - self.n]

    def service_of(self, task: int) -> float:
        """On-site time of the coming attempt [min]."""
        if task >= self.n:
            return self.visits.service[task - self.n]
        return self._service[self._colour[task]][task]

    def on_site(self, task: int) -> None:
        """The handler arrived."""
        if task >= self.n:
            v = task - self.n
            if self.visits.t_on_site[v] != self.visits.t_on_site[v]:
                self.visits.t_on_site[v] = self.env.now
        elif self._t_on_site[task] != self._t_on_site[task]:
            self._t_on_site[task] = self.env.now

    def finish(self, task: int) -> None:
        """On-site work ended: the case is settled, or the attempt failed and it moves up."""
        now = self.env.now
        if task >= self.n:
            self.visits.t_done[task - self.n] = now
            return
        colour = self._colour[task]
        if self.escalating and colour < RED:
            p = self.rules.failure[self._cat[task], colour]
            if p > 0.0 and self._fail_draw[task, colour] < p:
                self.escalate(task, FAILED)
                return
        self._t_resolved[task] = now
        if self.follow_up is not None and self._colour[task] >= YELLOW:
            self._plan_visit(task)

    # ---------------------------------------------------------- escalation
    def escalate(self, issue: int, cause: int) -> None:
        """Apply an escalation event to ``issue`` (see twin.escalation)."""
        colour = self._colour[issue]
        to = self.rules.next_colour(colour, cause)
        if to is None:
            return
        now = self.env.now
        if colour == RED:
            self.escalations.add(issue, now, RED, RED, WHISTLE)
            return
        self.escalations.add(issue, now, colour, to, cause)
        self.waiting[issue] = False  # its old queue entry is now stale
        self._colour[issue] = to
        self._n_escalations[issue] += 1
        self.colour_epoch[issue] += 1
        self._route(issue)
        self._watch_deadline(issue)

    def _watch_deadline(self, issue: int) -> None:
        if not self.rules.on_deadline:
            return
        colour = self._colour[issue]
        timer = self.env.timeout(float(self.rules.deadlines[colour]),
                                 value=(issue, self.colour_epoch[issue]))
        timer.callbacks.append(self._deadline_passed)

    def _deadline_passed(self, event: simpy.Event) -> None:
        issue, epoch = event.value  # type: ignore[misc]
        if self.colour_epoch[issue] == epoch and self.waiting[issue]:
            self.escalate(issue, DEADLINE)

    def _watch_growth(self, issue: int, key: int) -> None:
        rate = self.rules.growth[self._cat[issue]]
        if rate <= 0.0:
            return
        grid, cat = self.names[0][self._grid[issue]], self.names[1][self._cat[issue]]
        delay = float(self.streams[f"growth/{grid}/{cat}"].exponential(1.0 / rate))
        timer = self.env.timeout(delay, value=(issue, key))
        timer.callbacks.append(self._grew)

    def _grew(self, event: simpy.Event) -> None:
        issue, key = event.value  # type: ignore[misc]
        if self.waiting[issue] and self.key[issue] == key:
            self.escalate(issue, GREW)
