"""The staff: where every member is and who is free (idle pools, legs, nearest search,
patrols).

* An idle staff member is described by a leg (from node a at time s to node b
  at time e): standing still is a leg with a == b. Walking back to base or
  patrolling is a leg towards the next node. A worker can be redirected on the
  way; its travel time to a target is bounded by turning back or going on,
  ``min(elapsed + T[a, x], remaining + T[b, x])``, exact at both ends. Arrival
  at base needs no event: it is read off the leg when needed.
* Idle staff are kept in one set per (unit, kind) "pool", reached with
  :meth:`Staff.idle_pool`. The nearest idle
  grid worker of a whole team is one numpy argmin over all staff's travel
  times plus the team's penalty array (0 for its idle grid workers, inf else).
  On a large map the times come from a ball around the target node that widens
  until the nearest lies strictly inside it (``TravelTimes.nearest``): same answer.
* A patrol walks its route leg by leg with no timer per node: a patrolling
  worker's leg is advanced when it is read (a search, the end of the patrol), and
  a timer is set only for its next arrival at a node holding latent issues
  (:mod:`twin.engine.patrolwalk`). It stops as soon as the worker is taken out of
  the idle set.
* The event loop reads and writes single items through memoryviews, so clock
  arithmetic stays in Python floats instead of numpy scalars.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from twin.engine.patrolwalk import ArrivalPort, PatrolWalk, route_hops
from twin.engine.views import items
from twin.records import ActivityRecorder
from twin.staffing import Staffing
from twin.travel import Choice, Reach, TravelTimes
from twin.vocab import GRID_WORKER, IDLE, KINDS, MINUTES_PER_DAY, OFF_SHIFT, PATROL, TRAVEL

N_KINDS = len(KINDS)
_SMALL = 24  # below this many candidates a Python loop beats numpy
_FEW_PLACES = 8  # at most this many distinct places: times from the places' own balls
_INF = float("inf")
_EPS = 1e-9


class Staff:
    """State of every staff member: duty, idleness, position, current phase."""

    def __init__(self, env: simpy.Environment, travel: TravelTimes, staffing: Staffing,
                 activity: ActivityRecorder, return_to_base: bool,
                 patrols: bool, on_arrival: ArrivalPort | None = None) -> None:
        self.env = env
        self.travel = travel
        self.activity = activity
        activity.set_noncase(staffing.noncase)  # non-case blocks are recorded as such
        self.resumes_here = activity.noncase_ends_at
        """(worker, t): whether a non-case spell of the worker ends at t; it then goes on
        from where it stood (after other time off, it starts at base)."""
        self.return_to_base = return_to_base
        n = len(staffing.kind)
        self.n = n
        self.kind: list[int] = staffing.kind.tolist()
        self.unit: list[int] = staffing.unit.tolist()
        self.base: list[int] = staffing.base.tolist()
        travel.pin(set(self.base))  # every walk back to base reads a base's ball
        unit_team = staffing.unit_team.tolist()
        self.unit_team: list[int] = unit_team
        self.team: list[int] = [unit_team[u] for u in self.unit]
        self.pool: list[int] = [u * N_KINDS + k for u, k in zip(self.unit, self.kind, strict=True)]
        self.idle_sets: list[set[int]] = [set() for _ in range(len(unit_team) * N_KINDS)]
        self.penalty = [np.full(n, np.inf, dtype=np.float32) for _ in staffing.team_names]
        self._penalty = [items(p) for p in self.penalty]
        self.idle_in_team = [0] * len(staffing.team_names)
        self.static: list[bool] = (~staffing.travels).tolist()  # office or remote work
        # A route with no length (a one-node grid, zero-length streets) is no patrol.
        hops = [route_hops(travel.between, r.tolist()) if patrols else []
                for r in staffing.routes]
        self.routes: list[list[int]] = [
            r.tolist() if sum(h) > 0.0 else [] for r, h in zip(staffing.routes, hops, strict=True)]
        self._patroller = [k == GRID_WORKER and len(self.routes[u]) > 1
                           for k, u in zip(self.kind, self.unit, strict=True)]
        self._grid_team = [t if k == GRID_WORKER else -1
                           for k, t in zip(self.kind, self.team, strict=True)]
        self.patrol_since = [-1.0] * n
        self.cause: float | None = None
        """When the event now running was created [min], if known and not now (midnight's
        timer, the end of a patrol minimum): orders patrols started at one time."""
        self.minimum = 0.0
        """Minutes each grid worker must patrol a day before it takes waiting work."""
        self.owed, self.owed_day = [0.0] * n, [-1] * n
        self.committed = [False] * n
        """Per staff member: patrolling what it owes; not dispatchable meanwhile."""
        self.on_release: Callable[[int, int], None] = lambda worker, node: None
        """Told (worker, node) when a worker has patrolled what it owed today."""
        # Idle staff may be on the move (walking to base, patrolling) rather than standing.
        self.moving = return_to_base or any(self.routes)
        self.on_arrival: ArrivalPort = on_arrival or (lambda worker, node: None)
        self.on_shift = np.zeros(n, dtype=bool)
        self.idle = np.zeros(n, dtype=bool)
        self.leg_a = staffing.base.astype(np.int64).copy()
        self.leg_b = staffing.base.astype(np.int64).copy()
        self.leg_s = np.zeros(n)
        self.leg_e = np.zeros(n)
        self.wake: list[simpy.Event | None] = [None] * n
        # What each staff member not idle is doing since when: (state, start, task).
        self.phase: list[tuple[int, float, int]] = [(OFF_SHIFT, 0.0, -1)] * n
        self._idle = items(self.idle)
        self.on_shift_view = items(self.on_shift)  # item access for the worker loop
        self._a = items(self.leg_a)
        self._b = items(self.leg_b)
        self._s = items(self.leg_s)
        self._e = items(self.leg_e)
        self.walk: PatrolWalk | None = None
        """The patrols' walk (None: nobody patrols)."""
        if any(self.routes):
            self.walk = PatrolWalk(env, travel.between, self.routes,
                                   [h if r else [] for r, h in zip(self.routes, hops, strict=True)],
                                   self.unit, (self._a, self._b, self._s, self._e),
                                   self.on_arrival)
        self.patrol_gen = self.walk.gen if self.walk is not None else [0] * n
        """Per staff member: bumped when its patrol stops (voids its pending timers)."""

    def idle_pool(self, unit: int, kind: int) -> set[int]:
        """The idle staff of ``kind`` in ``unit`` (a live set: do not change it)."""
        return self.idle_sets[unit * N_KINDS + kind]

    def team_of_unit(self, unit: int) -> int:
        """Team index of a grid-worker unit."""
        return self.unit_team[unit]

    # ------------------------------------------------------------- travel
    def travel_time(self, worker: int, at: Callable[[int], float]) -> float:
        """Travel time of an idle worker to the node whose times ``at(node)`` gives."""
        if self.static[worker]:
            return 0.0
        a, b = self._a[worker], self._b[worker]
        if a == b:  # standing still (a leg from a node to itself has length 0)
            return at(a)
        s, e = self._s[worker], self._e[worker]
        elapsed = min(max(self.env.now - s, 0.0), e - s)
        return min(elapsed + at(a), (e - s - elapsed) + at(b))

    def between(self, worker: int, a: int, b: int) -> float:
        """Travel time of ``worker`` from node a to node b (0 for office-bound staff)."""
        if a == b or self.static[worker]:
            return 0.0
        return self.travel.between(a, b)

    def nearest_in(self, pool: set[int], node: int) -> tuple[int, float]:
        """The idle member of ``pool`` nearest to ``node`` and its travel time."""
        if not pool:
            return -1, _INF
        if self.walk is not None:  # patrollers' legs as they are now
            self.walk.catch_up_all(pool)
        choose: Callable[[Reach], Choice]
        if len(pool) < _SMALL:
            first = min(pool)
            if self.static[first]:  # on the spot, and ties go to the lowest id
                return first, 0.0
            matrix = self.travel.matrix
            workers = sorted(pool)  # sorted: ties go to the lowest id, reproducibly
            if matrix is not None:
                worker, _rank, t = self._first(workers, matrix[node].item)
                return worker, t
            choose = lambda reach: self._first(workers, reach.at)  # noqa: E731
        else:
            mask = np.full(self.n, np.inf, dtype=np.float32)
            mask[np.fromiter(pool, dtype=np.int64, count=len(pool))] = 0.0
            matrix = self.travel.matrix
            if matrix is not None:
                worker, _rank, t = self._argmin(matrix[node].take, mask)
                return worker, t
            choose = lambda reach: self._argmin(reach.take, mask)  # noqa: E731
        places = self._places(pool)
        if places is not None:  # e.g. a unit's staff at or on the way to its one base
            worker, _rank, t = choose(self.travel.towards(node, places))
            return worker, t
        return self.travel.nearest(node, choose)

    def _places(self, pool: set[int]) -> list[int] | None:
        """The few nodes ``pool``'s travel times are read at, when times are symmetric
        and there are at most ``_FEW_PLACES`` of them (else None: search around the
        target). On a large map a far pool's own balls are kept, a target's are not."""
        travel = self.travel
        if travel.full or len(pool) > 64 * _FEW_PLACES or not travel.symmetric:
            return None
        a, b = self._a, self._b
        places = {a[w] for w in pool} | {b[w] for w in pool}
        return list(places) if len(places) <= _FEW_PLACES else None

    def nearest_of_team(self, team: int, node: int) -> tuple[int, float]:
        """The idle grid worker of ``team`` nearest to ``node`` (-1 if none)."""
        if not self.idle_in_team[team]:
            return -1, _INF
        penalty = self.penalty[team]
        if self.walk is not None:  # patrollers' legs as they are now
            self.walk.catch_up_where(penalty, self.leg_e)
        matrix = self.travel.matrix
        if matrix is not None:  # the row itself: no ball to search or wrap
            worker, _rank, t = self._argmin(matrix[node].take, penalty)
            return worker, t
        return self.travel.nearest(node, lambda reach: self._argmin(reach.take, penalty))

    def _first(self, workers: list[int], at: Callable[[int], float]) -> Choice:
        """The first of ``workers`` (in their order) with the shortest time; ``at(node)``
        gives the times from the target."""
        best, best_t = -1, _INF
        for w in workers:
            t = self.travel_time(w, at)
            if t < best_t:
                best, best_t = w, t
                if t <= 0.0:  # nobody is nearer than on the spot
                    break
        return best, best_t, best_t

    def _argmin(self, take: Callable[[np.ndarray], np.ndarray], penalty: np.ndarray
                ) -> Choice:
        """The staff member with the least time plus ``penalty`` (inf: not a candidate);
        ``take(nodes)`` gives the times from the target to ``nodes``."""
        if self.moving:
            s, e = self.leg_s, self.leg_e
            elapsed = np.minimum(np.maximum(self.env.now - s, 0.0), e - s)
            times = np.minimum(elapsed + take(self.leg_a), (e - s - elapsed) + take(self.leg_b))
            times += penalty
        else:  # every idle worker stands still where its last job ended
            times = take(self.leg_a) + penalty
        w = int(times.argmin())  # ties go to the lowest id
        t = float(times[w])
        if t == _INF:
            return -1, _INF, _INF
        return w, t, 0.0 if self.static[w] else t

    # ----------------------------------------------------------- idle set
    def owes_patrol(self, worker: int) -> bool:
        """Whether ``worker`` still owes patrol today (a new day owes the minimum)."""
        if not self._patroller[worker]:
            return False
        day = int(self.env.now // MINUTES_PER_DAY)
        if self.owed_day[worker] != day:
            self.owed_day[worker], self.owed[worker] = day, self.minimum
        return self.owed[worker] > _EPS

    def set_idle(self, worker: int, node: int) -> None:
        """``worker`` has nothing to do at ``node``: patrol, walk to base, or wait."""
        now = self.env.now
        if self.minimum and self.owes_patrol(worker):  # patrols first, taking nothing
            self.committed[worker] = self._idle[worker] = True
            self.patrol_since[worker] = now
            self._patrol(worker, node)
            gen = self.patrol_gen[worker]
            done = self.env.timeout(self.owed[worker])
            done.callbacks.append(lambda _event: self._patrolled(worker, gen))
            return
        if self._patroller[worker]:
            self.patrol_since[worker] = now
            self._patrol(worker, node)
        else:
            base = self.base[worker] if self.return_to_base else node
            self._a[worker] = node
            self._b[worker] = base
            self._s[worker] = now
            self._e[worker] = now if base == node else now + self.between(worker, node, base)
        self._idle[worker] = True
        self.idle_sets[self.pool[worker]].add(worker)
        team = self._grid_team[worker]
        if team >= 0:
            self._penalty[team][worker] = 0.0
            self.idle_in_team[team] += 1

    def _patrolled(self, worker: int, gen: int) -> None:
        if self.patrol_gen[worker] == gen and self.committed[worker]:
            self.cause = self.patrol_since[worker]  # this timer was set when it started
            self.on_release(worker, self.clear_idle(worker))
            self.cause = None

    def clear_idle(self, worker: int) -> int:
        """Take ``worker`` out of the idle set; record its idle time; return its node."""
        now = self.env.now
        walk = self.walk
        if walk is not None and walk.walking[worker]:  # where its patrol got to
            walk.catch_up(worker)
            walk.stop(worker)  # voids the patrol's pending timers
        if self.committed[worker]:  # patrolling what it owes: off no idle set
            self.committed[worker] = self._idle[worker] = False
            since, self.patrol_since[worker] = self.patrol_since[worker], -1.0
            self.owed[worker] = max(0.0, self.owed[worker] - (now - since))
            self.activity.add(worker, PATROL, since, now)
            return self._b[worker] if now >= self._e[worker] else self._a[worker]
        self._idle[worker] = False
        self.idle_sets[self.pool[worker]].discard(worker)
        team = self._grid_team[worker]
        if team >= 0:
            self._penalty[team][worker] = _INF
            self.idle_in_team[team] -= 1
        a, b = self._a[worker], self._b[worker]
        s, e = self._s[worker], self._e[worker]
        since = self.patrol_since[worker]
        if since >= 0.0:
            self.patrol_since[worker] = -1.0
            self.activity.add(worker, PATROL, since, now)
        elif a != b:
            self.activity.add(worker, TRAVEL, s, min(e, now))
            self.activity.add(worker, IDLE, max(s, e), now)
        else:
            self.activity.add(worker, IDLE, s, now)
        return b if now >= e else a

    # ------------------------------------------------------------- patrol
    def _patrol(self, worker: int, node: int) -> None:
        assert self.walk is not None  # a patroller has a route
        created = self.env.now if self.cause is None else self.cause
        self.walk.start(worker, node, created)

    def mark_latent(self, node: int) -> None:
        """``node`` holds latent issues now (a patrol reaching it reports them)."""
        if self.walk is not None:
            self.walk.mark(node)

    def unmark_latent(self, node: int) -> None:
        """``node`` holds no latent issue any more."""
        if self.walk is not None:
            self.walk.unmark(node)
