"""Patrols (巡查) walked leg by leg when someone looks, with a timer only where a find waits.

An idle grid worker on patrol walks its unit's closed route, node after node. Its
position is a leg (from node a at time s to node b at time e), held by
:class:`twin.engine.staff.Staff`. Nothing happens at most nodes, so the walk sets no
timer there: it advances a leg only when it is read (a nearest-idle search, the end
of the patrol, the end of the run), with the arithmetic a chain of SimPy timeouts
would do. A leg of length d started at s ends at ``e = s + d``; its timer would fire
at ``s + (e - s)`` (SimPy's ``now + delay``), where the next leg starts. Positions
are therefore bit-identical to a walk with one timer per node. A leg is taken as
walked only if its timer would have fired strictly before now: one ending exactly
now is still under way, as it is for any event that SimPy queued before that timer
(a shift end, midnight, the end of a patrol minimum).

A timer is needed only where something can happen: at a node that holds latent
issues (:meth:`PatrolWalk.mark`), whose arrival reports them. Each patrolling worker
has at most one pending find, its next arrival at such a node, set when the patrol
starts, when a latent issue appears on the route and after each find. Which node
comes first is a matter of route order (the latent nodes' route indices are kept
sorted); when its leg starts is estimated from the route's running sums, and a timer
just before that estimate advances the leg and computes the start exactly, so no
one walks ahead through legs it may never walk.

Equal times. SimPy runs the events of one time in the order they were created, and a
walk with one timer per node creates the timer of a leg when the leg starts. So every
leg carries a stamp: (its start, the stamp of the leg whose arrival started it), or,
for a patrol's first leg, (its start, (the time the event that started it was
created, its number)). Two arrivals at one time come in the order of their stamps
(compared from the newest start back). A find's timer is created when its leg starts:
at once when the leg starts now, else from one batch per start time that runs after
the other events of that time and creates its timers in stamp order (a find or a
patrol starting at that time first creates those of the batch stamped before it). So
a find comes after every event at its time created before its leg began (a shift
end, midnight, the end of a patrol minimum), before every one created later, and
workers walking in step report in the order they would with one timer per node.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable
from itertools import accumulate

import numpy as np
import simpy

from twin.engine.eventorder import STAMP_ORDER, Late, Stamp, compare_stamps, delay_to
from twin.engine.views import FloatColumn, IntColumn, items

ArrivalPort = Callable[[int, int], None]
"""Called with (worker, node) when a patrolling worker reaches a node of its route."""
Entry = tuple[Stamp, int, int, int, float]
"""A find's timer to create when its leg starts: (stamp, worker, gen, token, delay)."""
_MARGIN = 1e-9  # a timer set this much (relative) before a leg's estimated start


def route_hops(between: Callable[[int, int], float], route: list[int]) -> list[float]:
    """Minutes of each leg of a closed route: ``route[k]`` to ``route[k + 1]`` (the last
    back to the first); none for a route of fewer than two nodes."""
    if len(route) < 2:
        return []
    return [between(a, b) for a, b in zip(route, route[1:] + route[:1], strict=True)]


class PatrolWalk:
    """Where patrolling workers are on their routes, and their pending finds.

    Parameters
    ----------
    env
        The simulation environment.
    between
        Travel time between two nodes [min].
    routes, hops
        Per unit: its closed route (distinct nodes) and the minutes of its legs
        (:func:`route_hops`); an empty route: the unit does not patrol.
    unit
        Per staff member: its unit.
    legs
        Item views of the staff's legs: from node, to node, start [min], end [min].
    on_arrival
        Told (worker, node) when a worker reaches a node that holds latent issues.
    """

    def __init__(self, env: simpy.Environment, between: Callable[[int, int], float],
                 routes: list[list[int]], hops: list[list[float]], unit: list[int],
                 legs: tuple[IntColumn, IntColumn, FloatColumn, FloatColumn],
                 on_arrival: ArrivalPort) -> None:
        if any(len(set(r)) != len(r) for r in routes):
            raise ValueError("a patrol route visits each node once")
        self.env = env
        self.between = between
        self.routes = routes
        self.hops = hops
        self.unit = unit
        self._a, self._b, self._s, self._e = legs
        self.on_arrival = on_arrival
        n = len(unit)
        self.pos = [0] * n
        """Per staff member: index of its leg's end node in its route."""
        self.gen = [0] * n
        """Per staff member: bumped when its patrol stops; voids its pending timers."""
        self.walking = np.zeros(n, dtype=bool)
        """Per staff member: on patrol now."""
        self._walking = items(self.walking)
        self._stamp: list[Stamp] = [()] * n
        self._aim = [-1] * n  # route index of the node it aims at (-1: none)
        self._target = [0.0] * n  # start of the leg into it, once its timer is set [min]
        self._token = [0] * n  # bumped when the aim changes; voids the earlier find's timers
        self._starts = 0
        self._walkers: list[set[int]] = [set() for _ in routes]
        self._batches: dict[float, list[Entry]] = {}
        self.latent: set[int] = set()
        """Nodes holding latent issues (the keys of the router's ``latent_at``)."""
        self._latent_idx: list[list[int]] = [[] for _ in routes]  # per unit, sorted
        self._index = [{node: k for k, node in enumerate(r)} for r in routes]
        self._places: dict[int, list[tuple[int, int]]] = {}  # node -> (unit, index) on routes
        for u, route in enumerate(routes):
            for k, node in enumerate(route):
                self._places.setdefault(node, []).append((u, k))
        self._cum = [[0.0, *accumulate(h)] for h in hops]  # minutes from a route's start
        self._arriving = -1
        self.timers = 0
        """Timers set so far for finds (one near its leg, one per batch of leg starts,
        each find's own)."""

    # ------------------------------------------------------------ patrol
    def start(self, worker: int, node: int, created: float) -> None:
        """``worker`` starts patrolling from ``node``, towards its route's next node, in
        an event created at ``created`` [min]."""
        u = self.unit[worker]
        self._walking[worker] = True
        self._walkers[u].add(worker)
        self._starts += 1
        self._stamp[worker] = (self.env.now, (created, (float(self._starts), ())))
        self._leg(worker, node)
        self._aim_next(worker, True)

    def stop(self, worker: int) -> None:
        """``worker`` stops patrolling (call :meth:`catch_up` first): its timers are void."""
        self.gen[worker] += 1
        self._walking[worker] = False
        self._walkers[self.unit[worker]].discard(worker)
        self._aim[worker] = -1
        self._stamp[worker] = ()

    def _leg(self, worker: int, node: int) -> None:
        route = self.routes[self.unit[worker]]
        k = self.pos[worker]
        target = route[k]
        if target == node:  # already here: aim for the next node of the route
            k = (k + 1) % len(route)
            self.pos[worker] = k
            target = route[k]
        now = self.env.now
        self._a[worker] = node
        self._b[worker] = target
        self._s[worker] = now
        self._e[worker] = now + self.between(node, target)

    def catch_up(self, worker: int) -> None:
        """Advance ``worker``'s leg past every node it reached before now."""
        now = self.env.now
        e = self._e[worker]
        if e > now:  # the leg's timer fires at e or within an ulp of it: after now
            return
        s = self._s[worker]
        f = s + (e - s)
        if f >= now:
            return
        u = self.unit[worker]
        hops = self.hops[u]
        last = len(hops) - 1
        k = j = self.pos[worker]
        stamp = self._stamp[worker]
        while f < now:
            j = k
            k = j + 1 if j < last else 0
            s = f
            e = f + hops[j]
            f = s + (e - s)
            stamp = (s, stamp)
        route = self.routes[u]
        self.pos[worker] = k
        self._a[worker] = route[j]
        self._b[worker] = route[k]
        self._s[worker] = s
        self._e[worker] = e
        self._stamp[worker] = stamp

    def catch_up_all(self, workers: set[int] | list[int]) -> None:
        """:meth:`catch_up` every patrolling one of ``workers`` whose leg may be over."""
        now = self.env.now
        walking, e = self._walking, self._e
        for w in workers:
            if walking[w] and e[w] <= now:
                self.catch_up(w)

    def catch_up_where(self, candidate: np.ndarray, ends: np.ndarray) -> None:
        """:meth:`catch_up` the patrolling staff with ``candidate == 0`` (a penalty
        or mask array) whose leg end ``ends`` may be over."""
        stale = np.flatnonzero((ends <= self.env.now) & self.walking & (candidate == 0.0))
        for w in stale.tolist():
            self.catch_up(w)

    # ------------------------------------------------------------- finds
    def mark(self, node: int) -> None:
        """``node`` now holds latent issues: a patrol reaching it reports them."""
        if node in self.latent:
            return
        self.latent.add(node)
        places = self._places.get(node)
        if not places:
            return
        walkers: list[int] = []
        for u, x in places:
            insort(self._latent_idx[u], x)
            walkers += self._walkers[u]
        for w in walkers:
            self.catch_up(w)
        walkers.sort(key=lambda w: STAMP_ORDER(self._stamp[w]))
        for w in walkers:
            if w == self._arriving:
                continue  # a worker reporting here aims again when done
            aim, k, n = self._aim[w], self.pos[w], len(self.hops[self.unit[w]])
            x = self._index[self.unit[w]][node]
            if aim < 0 or (x - k) % n < (aim - k) % n:  # reached before the one it aims at
                self._aim_at(w, x, False)

    def unmark(self, node: int) -> None:
        """``node`` holds no latent issue any more (a timer aimed at it finds nothing)."""
        if node not in self.latent:
            return
        self.latent.discard(node)
        for u, x in self._places.get(node, ()):
            idx = self._latent_idx[u]
            del idx[bisect_left(idx, x)]

    def _aim_next(self, worker: int, started_now: bool) -> None:
        """Aim ``worker`` at its next latent node, from its current leg (caught up;
        ``started_now``: that leg started in the event now running)."""
        idx = self._latent_idx[self.unit[worker]]
        if not idx:
            return
        k = self.pos[worker]
        i = bisect_left(idx, k)
        self._aim_at(worker, idx[i] if i < len(idx) else idx[0], started_now)

    def _aim_at(self, worker: int, x: int, started_now: bool) -> None:
        """Aim ``worker`` at its next arrival at route index ``x``: its find's timer is
        set now if that leg is near, else when it nearly is (positions are advanced
        leg by leg only for legs walked)."""
        self._aim[worker] = x
        self._token[worker] += 1
        token = self._token[worker]
        u = self.unit[worker]
        k = self.pos[worker]
        now = self.env.now
        if x != k:
            hops, cum = self.hops[u], self._cum[u]
            ahead = cum[x] - cum[k] if x > k else cum[-1] - cum[k] + cum[x]
            start = self._e[worker] + ahead - hops[x - 1]  # about when the leg into x starts
            near = start - _MARGIN * (1.0 + abs(start))
            if near > now:
                self.timers += 1
                gen = self.gen[worker]
                self.env.timeout(near - now).callbacks.append(
                    lambda _event: self._near(worker, gen, token))
                return
        self._schedule(worker, started_now)

    def _near(self, worker: int, gen: int, token: int) -> None:
        if self.gen[worker] == gen and self._token[worker] == token:
            self.catch_up(worker)
            self._schedule(worker, False)

    def _schedule(self, worker: int, started_now: bool) -> None:
        """Set the timer of ``worker``'s find, exactly, when the leg into the route
        index it aims at starts."""
        u = self.unit[worker]
        route, hops = self.routes[u], self.hops[u]
        x = self._aim[worker]
        last = len(route) - 1
        k = self.pos[worker]
        s, e, stamp = self._s[worker], self._e[worker], self._stamp[worker]
        while k != x:
            f = s + (e - s)
            j = k
            k = j + 1 if j < last else 0
            s = f
            e = f + hops[j]
            stamp = (s, stamp)
            started_now = False
        self._target[worker] = s
        entry = (stamp, worker, self.gen[worker], self._token[worker], e - s)
        now = self.env.now
        if started_now:  # the leg starts in this event: its timer now, after earlier ones
            self._create(now, stamp)
            self._set(entry)
        elif s >= now:  # when the leg starts, in its batch
            batch = self._batches.get(s)
            if batch is None:
                batch = self._batches[s] = []
                self.timers += 1
                Late(self.env, delay_to(now, s)).callbacks.append(
                    lambda _event: self._create(s, None))
            batch.append(entry)
        else:  # the leg is under way: its end, exactly
            self.timers += 1
            _, w, gen, token, _d = entry
            self.env.timeout(delay_to(now, s + (e - s))).callbacks.append(
                lambda _event: self._found(w, gen, token))

    def _create(self, start: float, before: Stamp | None) -> None:
        """Create the timers of the batch of legs starting at ``start``: all, or those
        stamped before ``before``."""
        batch = self._batches.get(start)
        if not batch:
            return
        batch.sort(key=lambda entry: STAMP_ORDER(entry[0]))
        k = len(batch)
        if before is not None:
            k = 0
            while k < len(batch) and compare_stamps(batch[k][0], before) < 0:
                k += 1
        if k == len(batch):
            del self._batches[start]
        else:
            self._batches[start] = batch[k:]
        for entry in batch[:k]:
            self._set(entry)

    def _set(self, entry: Entry) -> None:
        _stamp, worker, gen, token, delay = entry
        if self.gen[worker] == gen and self._token[worker] == token:
            self.timers += 1
            self.env.timeout(delay).callbacks.append(
                lambda _event: self._found(worker, gen, token))

    def _found(self, worker: int, gen: int, token: int) -> None:
        """``worker`` reaches the latent node it aimed at: it reports what is there and
        walks on."""
        if self.gen[worker] != gen or self._token[worker] != token:
            return  # dispatched, off duty or aiming elsewhere since
        u = self.unit[worker]
        route, hops = self.routes[u], self.hops[u]
        node, start = route[self._aim[worker]], self._target[worker]
        self._aim[worker] = -1
        self.catch_up(worker)
        for _ in range(len(route) + 1):  # on through legs of no length, if any
            if self._b[worker] == node and self._s[worker] == start:
                break
            k = self.pos[worker]
            f = self._s[worker] + (self._e[worker] - self._s[worker])
            self.pos[worker] = (k + 1) % len(route)
            self._a[worker], self._b[worker] = route[k], route[self.pos[worker]]
            self._s[worker], self._e[worker] = f, f + hops[k]
            self._stamp[worker] = (f, self._stamp[worker])
        else:
            raise AssertionError(f"worker {worker} passed the node it aimed at")
        now = self.env.now
        self.pos[worker] = (self.pos[worker] + 1) % len(route)
        self._a[worker] = node
        self._s[worker] = now
        self._arriving = worker
        self.on_arrival(worker, node)  # may report latent issues and dispatch this worker
        self._arriving = -1
        if self.gen[worker] == gen:
            self._stamp[worker] = (now, self._stamp[worker])
            self._leg(worker, node)
            self._aim_next(worker, True)
