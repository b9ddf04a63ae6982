"""SimPy processes: arrivals, dispatch, the grid worker's loop and the duty roster.

Design, chosen for speed (see docs/architecture.md):

* Workers are long-lived processes that pull from a backlog, not one process
  per issue waiting on a Resource.
* Waiting issues sit in heaps keyed by ``colour_rank * N + issue_id``; issue ids
  follow report order, so the key means "red first, then first come first
  served". Entries are removed lazily: an issue taken from one heap is skipped
  when met in another.
* An idle worker is described by a leg (from node a at time s to node b at time
  e): standing still is a leg with a == b. A worker walking back to base can be
  redirected; its travel time to a target is bounded by turning back or going
  on, ``min(elapsed + T[a, x], remaining + T[b, x])``, exact at both ends.
  Arrival at base needs no event: it is read off the leg when needed.
* The nearest idle worker among many is one numpy argmin over all workers'
  travel times plus a penalty array (0 for idle, inf for busy workers).
* The event loop reads and writes single items through memoryviews, so clock
  arithmetic stays in Python floats instead of numpy scalars.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from twin.geography import TravelTimes
from twin.policies import DispatchPolicy
from twin.records import IDLE, OFF_SHIFT, ON_SITE, TRAVEL, ActivityRecorder, IssueRecorder

COLOUR_RANK = np.array([2, 1, 0], dtype=np.int64)  # green, yellow, red -> red first
GO_OFF = -1  # message to an idle worker: your shift has ended
GO_ON = -2  # message to an off-duty worker: your shift starts
_SMALL = 24  # below this many candidates a Python loop beats numpy
_INF = float("inf")


def _items(array: np.ndarray) -> Any:
    """Item access to a 1-D array's own buffer that reads and writes Python numbers."""
    if array.ndim != 1 or not array.flags.c_contiguous:
        raise ValueError("item access needs a contiguous 1-D array")
    return array.data


class Dispatcher:
    """Shared state of dispatch: idle workers, backlogs, and the assignment rule.

    Per-worker and per-issue state lives in numpy arrays (for the vectorised
    nearest-worker search and the record tables); the event loop reads and
    writes single items through memoryviews of the same buffers, which yields
    plain Python numbers and keeps numpy scalars out of the clock arithmetic.
    """

    def __init__(
        self,
        env: simpy.Environment,
        policy: DispatchPolicy,
        travel: TravelTimes,
        issues: IssueRecorder,
        activity: ActivityRecorder,
        service: np.ndarray,
        worker_grid: np.ndarray,
        worker_base: np.ndarray,
        n_grids: int,
        return_to_base: bool,
    ) -> None:
        self.env = env
        self.policy = policy
        self.any_grid = bool(policy.any_grid)
        self.borrow_after = policy.borrow_after
        self.travel = travel
        self.issues = issues
        self.activity = activity
        self.service = np.ascontiguousarray(service, dtype=float)
        self.n_issues = len(service)
        self.worker_grid = worker_grid
        self.worker_base = worker_base
        self.return_to_base = return_to_base
        w = len(worker_grid)
        self.on_shift = np.zeros(w, dtype=bool)
        self.idle = np.zeros(w, dtype=bool)
        # 0 for an idle worker, inf otherwise: added to travel times, it masks
        # out busy workers in one cheap operation.
        self.penalty = np.full(w, np.inf, dtype=np.float32)
        self.n_idle = 0
        self.idle_by_grid: list[set[int]] = [set() for _ in range(n_grids)]
        self.leg_a = worker_base.astype(np.int64).copy()
        self.leg_b = worker_base.astype(np.int64).copy()
        self.leg_s = np.zeros(w)
        self.leg_e = np.zeros(w)
        self.wake: list[simpy.Event | None] = [None] * w
        # What each worker not idle is doing since when: (state, start, issue).
        self.phase: list[tuple[int, float, int]] = [(OFF_SHIFT, 0.0, -1)] * w
        self.waiting = np.zeros(self.n_issues, dtype=bool)
        self.queues: list[list[int]] = [[] for _ in range(1 if self.any_grid else n_grids)]
        self.borrowable: list[int] = []
        self.issue_key = COLOUR_RANK[issues.colour.astype(np.int64)] * self.n_issues + np.arange(
            self.n_issues, dtype=np.int64
        )
        # Item access for the event loop (views of the arrays above).
        self._grid_of_worker: list[int] = worker_grid.tolist()
        self._base: list[int] = worker_base.tolist()
        self._idle = _items(self.idle)
        self._penalty = _items(self.penalty)
        self._on_shift = _items(self.on_shift)
        self._a = _items(self.leg_a)
        self._b = _items(self.leg_b)
        self._s = _items(self.leg_s)
        self._e = _items(self.leg_e)
        self._waiting = _items(self.waiting)
        self._key = _items(self.issue_key)
        self._service = _items(self.service)
        self._issue_grid = _items(np.ascontiguousarray(issues.grid))
        self._issue_node = _items(np.ascontiguousarray(issues.node))
        self._t_dispatched = _items(issues.t_dispatched)
        self._t_on_site = _items(issues.t_on_site)
        self._t_resolved = _items(issues.t_resolved)
        self._worker_of = _items(issues.worker)
        self._travel_of = _items(issues.travel)
        self._borrowed = _items(issues.borrowed)

    # ------------------------------------------------------------- travel
    def travel_time(self, worker: int, row: np.ndarray) -> float:
        """Travel time of an idle worker to the node whose travel-time row is given."""
        a, b = self._a[worker], self._b[worker]
        if a == b:  # standing still (a leg from a node to itself has length 0)
            return float(row[a])
        s, e = self._s[worker], self._e[worker]
        elapsed = min(max(self.env.now - s, 0.0), e - s)
        return min(elapsed + float(row[a]), (e - s - elapsed) + float(row[b]))

    def _nearest(self, candidates: set[int] | None, node: int) -> tuple[int, float]:
        row = self.travel.row(node)
        if candidates is not None and len(candidates) < _SMALL:
            best, best_t = -1, np.inf
            for w in sorted(candidates):  # sorted: ties go to the lowest id, reproducibly
                t = self.travel_time(w, row)
                if t < best_t:
                    best, best_t = w, t
            return best, best_t
        if self.return_to_base:
            s, e = self.leg_s, self.leg_e
            elapsed = np.minimum(np.maximum(self.env.now - s, 0.0), e - s)
            times = np.minimum(elapsed + row.take(self.leg_a),
                               (e - s - elapsed) + row.take(self.leg_b))
        else:  # every idle worker stands still where its last job ended
            times = row.take(self.leg_a)
        if candidates is None:
            times += self.penalty
        else:
            mask = np.zeros(len(self.idle), dtype=bool)
            mask[np.fromiter(candidates, dtype=np.int64, count=len(candidates))] = True
            times = np.where(mask, times, np.inf)
        w = int(times.argmin())  # ties go to the lowest id
        return w, float(times[w])

    # ----------------------------------------------------------- idle set
    def set_idle(self, worker: int, node: int) -> None:
        """Worker ``worker`` has nothing to do at ``node``: idle there or walking to base."""
        now = self.env.now
        base = self._base[worker] if self.return_to_base else node
        self._a[worker] = node
        self._b[worker] = base
        self._s[worker] = now
        self._e[worker] = now + self.travel.between(node, base) if base != node else now
        self._idle[worker] = True
        self._penalty[worker] = 0.0
        self.n_idle += 1
        self.idle_by_grid[self._grid_of_worker[worker]].add(worker)

    def clear_idle(self, worker: int) -> int:
        """Take ``worker`` out of the idle set; record its idle time; return its node."""
        now = self.env.now
        self._idle[worker] = False
        self._penalty[worker] = _INF
        self.n_idle -= 1
        self.idle_by_grid[self._grid_of_worker[worker]].discard(worker)
        a, b = self._a[worker], self._b[worker]
        s, e = self._s[worker], self._e[worker]
        if a != b:
            self.activity.add(worker, TRAVEL, s, min(e, now))
            self.activity.add(worker, IDLE, max(s, e), now)
        else:
            self.activity.add(worker, IDLE, s, now)
        return b if now >= e else a

    # ------------------------------------------------------------ dispatch
    def report(self, issue: int) -> None:
        """A new issue: send an idle worker or put it in the backlog."""
        grid = self._issue_grid[issue]
        if self.n_idle:
            pool = None if self.any_grid else self.idle_by_grid[grid]
            if pool is None or pool:
                worker, t = self._nearest(pool, self._issue_node[issue])
                if worker >= 0 and t < _INF:
                    self.assign(worker, issue, t)
                    return
        self._waiting[issue] = True
        heapq.heappush(self.queues[0 if self.any_grid else grid], self._key[issue])
        if self.borrow_after is not None:
            timer = self.env.timeout(self.borrow_after, value=issue)
            timer.callbacks.append(self._open_to_all)

    def _open_to_all(self, event: simpy.Event) -> None:
        issue = int(event.value)  # type: ignore[arg-type]
        if not self._waiting[issue]:
            return
        heapq.heappush(self.borrowable, self._key[issue])
        if self.n_idle:
            worker, t = self._nearest(None, self._issue_node[issue])
            if t < _INF:
                self._waiting[issue] = False
                self.assign(worker, issue, t)

    def assign(self, worker: int, issue: int, travel: float) -> None:
        """Send idle ``worker`` to ``issue``."""
        self._waiting[issue] = False
        self.clear_idle(worker)
        self._book(worker, issue, travel)
        wake = self.wake[worker]
        assert wake is not None
        self.wake[worker] = None
        wake.succeed(issue)

    def _book(self, worker: int, issue: int, travel: float) -> None:
        self._t_dispatched[issue] = self.env.now
        self._worker_of[issue] = worker
        self._travel_of[issue] = travel
        self._borrowed[issue] = self._grid_of_worker[worker] != self._issue_grid[issue]

    def next_for(self, worker: int, node: int) -> tuple[int, float] | None:
        """The best waiting issue ``worker`` (free at ``node``) may take, booked to it."""
        own = self.queues[0 if self.any_grid else self._grid_of_worker[worker]]
        other = self.borrowable
        waiting = self._waiting
        n = self.n_issues
        while own and not waiting[own[0] % n]:
            heapq.heappop(own)
        while other and not waiting[other[0] % n]:
            heapq.heappop(other)
        if not own and not other:
            return None
        if other and (not own or other[0] < own[0]):
            issue = heapq.heappop(other) % n
        else:
            issue = heapq.heappop(own) % n
        waiting[issue] = False
        target = self._issue_node[issue]
        travel = self.travel.between(node, target) if target != node else 0.0
        self._book(worker, issue, travel)
        return issue, travel


def arrivals(env: simpy.Environment, dispatcher: Dispatcher, times: np.ndarray
             ) -> Generator[simpy.Event, Any, None]:
    """Report the pre-drawn issues at their times."""
    report = dispatcher.report
    for issue, t in enumerate(times.tolist()):
        yield env.timeout(t - env.now)
        report(issue)


def grid_worker(env: simpy.Environment, d: Dispatcher, worker: int, on_duty: bool
                ) -> Generator[simpy.Event, Any, None]:
    """A grid worker (网格员): wait for work, travel, serve, take the next or go idle."""
    add = d.activity.add
    travel_of = d._travel_of
    t_on_site = d._t_on_site
    t_resolved = d._t_resolved
    service = d._service
    issue_node = d._issue_node
    on_shift = d._on_shift
    base = d._base[worker]
    node = base
    job: tuple[int, float] | None = None
    off_since = 0.0
    phase = d.phase
    if not on_duty:
        msg = GO_OFF
    else:
        job = d.next_for(worker, node)
        msg = None
    while True:
        if msg == GO_OFF:
            # Off duty until the roster calls; the next shift starts at base.
            phase[worker] = (OFF_SHIFT, off_since, -1)
            wake = env.event()
            d.wake[worker] = wake
            msg = yield wake
            add(worker, OFF_SHIFT, off_since, env.now)
            node = base
            job = d.next_for(worker, node)
        if job is None:
            d.set_idle(worker, node)
            wake = env.event()
            d.wake[worker] = wake
            msg = yield wake
            if msg == GO_OFF:
                off_since = env.now
                continue
            issue = int(msg)
            travel = travel_of[issue]
        else:
            issue, travel = job
        if travel > 0:
            start = env.now
            phase[worker] = (TRAVEL, start, issue)
            yield env.timeout(travel)
            add(worker, TRAVEL, start, env.now, issue)
        t_on_site[issue] = start = env.now
        phase[worker] = (ON_SITE, start, issue)
        yield env.timeout(service[issue])
        t_resolved[issue] = env.now
        add(worker, ON_SITE, start, env.now, issue)
        node = issue_node[issue]
        if on_shift[worker]:
            job = d.next_for(worker, node)
            msg = None
        else:
            job, msg, off_since = None, GO_OFF, env.now


def roster(env: simpy.Environment, d: Dispatcher, changes: list[tuple[float, int, bool]]
           ) -> Generator[simpy.Event, Any, None]:
    """Start and end shifts: ``changes`` is a time-sorted list of (time, worker, on)."""
    for t, worker, on in changes:
        if t > env.now:
            yield env.timeout(t - env.now)
        d.on_shift[worker] = on
        if on:
            wake = d.wake[worker]
            if wake is not None and not d.idle[worker]:  # off duty, waiting for this
                d.wake[worker] = None
                wake.succeed(GO_ON)
        elif d.idle[worker]:
            node = d.clear_idle(worker)
            del node  # an idle worker goes off where it stands
            wake = d.wake[worker]
            assert wake is not None
            d.wake[worker] = None
            wake.succeed(GO_OFF)
