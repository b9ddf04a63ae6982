"""SimPy processes: the worker's loop; arrivals and the duty roster as timer chains.

Staff (grid workers, volunteers, the staff of handling units) are long-lived
processes that pull from the router's queues, not one process per issue waiting
on a Resource (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any, Protocol

import numpy as np
import simpy
from simpy.events import URGENT

from twin.engine.log import FastPath
from twin.engine.staff import Staff
from twin.engine.views import APPEAR, REPORT, Events, items
from twin.vocab import OFF_SHIFT, ON_SITE, TRAVEL

GO_OFF = -1  # message to an idle worker: your shift has ended
GO_ON = -2  # message to an off-duty worker: your shift starts


CHUNK = 4096
"""Rows of a pre-sorted table turned into Python numbers at a time: a long run holds
its events as numpy arrays, not as lists of Python objects."""


def rows(*columns: np.ndarray) -> Iterator[tuple[Any, ...]]:
    """The rows of equally long columns as tuples of Python numbers, a chunk at a time."""
    for lo in range(0, len(columns[0]), CHUNK):
        yield from zip(*(c[lo:lo + CHUNK].tolist() for c in columns), strict=True)


def arrival_events(t: np.ndarray, t_report: np.ndarray, latent: np.ndarray, patrols: bool,
                   extra: Events | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time-sorted (time, issue, kind) columns: latent issues appear (when patrols can
    find them) and every issue is reported by its resident or sensor; ``extra`` adds
    the finds and flare-ups of latent disputes."""
    n = len(t)
    appear = np.flatnonzero(latent) if patrols else np.zeros(0, dtype=np.int64)
    more = extra or (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    times = np.concatenate([t[appear], t_report, more[0]])
    issue = np.concatenate([appear, np.arange(n), more[1]])
    kind = np.concatenate([np.full(len(appear), APPEAR), np.full(n, REPORT), more[2]])
    order = np.lexsort((kind, times))  # by time; at equal times appear before report
    return times[order], issue[order], kind[order]


class WorkPort(Protocol):
    """What a worker's loop asks of the router."""

    def next_for(self, worker: int, node: int) -> tuple[int, float] | None: ...
    def arrive(self, task: int) -> float: ...
    def finish(self, task: int) -> int: ...


class _Begin(simpy.events.Event):
    """An event that fires now, before the others of its time: SimPy's ``Initialize``
    without a process, so a chain of callbacks starts where a process would."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None]
                 ) -> None:
        super().__init__(env)
        self.callbacks.append(callback)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT)


class Timeline:
    """Call ``handlers[kind](subject)`` for each row (time, subject, kind) of
    time-sorted columns, at its time.

    One timer per distinct time, chained by its callback: what a process looping over
    the rows (``if t > now: yield timeout(t - now)``) does, in the same order of events
    and with the same clock, without a generator to resume per event.
    """

    def __init__(self, env: simpy.Environment, table: Iterator[tuple[Any, ...]],
                 handlers: list[Callable[[int], None]]) -> None:
        self.env = env
        self.rows = table
        self.handlers = handlers
        self.row: tuple[Any, ...] | None = None
        """The row its timer waits for."""
        _Begin(env, self._fire)

    def _fire(self, _event: simpy.Event) -> None:
        env, handlers = self.env, self.handlers
        now = env.now  # a handler schedules, but the clock stands still until we return
        if self.row is not None:
            _t, subject, kind = self.row
            handlers[kind](subject)
        for row in self.rows:
            t, subject, kind = row
            if t > now:
                self.row = row
                env.timeout(t - now).callbacks.append(self._fire)
                return
            handlers[kind](subject)
        self.row = None


def arrivals(env: simpy.Environment, handlers: list[Callable[[int], None]],
             events: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Timeline:
    """Let the pre-drawn issues appear and be reported at their times: ``handlers``
    are the callables of each kind of event (APPEAR, REPORT, FOUND, FLARE)."""
    return Timeline(env, rows(*events), handlers)


def worker(env: simpy.Environment, cw: WorkPort, staff: Staff, fast: FastPath, me: int,
           on_duty: bool) -> Generator[simpy.Event, Any, None]:
    """A grid worker (网格员), volunteer or handling unit's staff member: wait for work,
    travel, serve, take the next task or go idle."""
    add = staff.activity.add
    on_shift = staff.on_shift_view
    # Item views for the fast path of issues (tasks below n); visits go through cw.
    n, t_on_site, t_resolved = fast.n, fast.t_on_site, fast.t_resolved
    service, issue_node, static = fast.service, fast.node, staff.static[me]
    a_worker, a_state, a_start, a_end, a_task = staff.activity.appenders()
    phase, wakes, set_idle = staff.phase, staff.wake, staff.set_idle
    resumes_here = staff.resumes_here
    event, timeout = env.event, env.timeout  # bound once, not at every use
    base = staff.base[me]
    node = base
    job: tuple[int, float] | None = None
    off_since = 0.0
    now = env.now
    msg: Any
    if not on_duty:
        msg = GO_OFF
    else:
        job = cw.next_for(me, node)
        msg = None
    while True:
        if msg == GO_OFF:
            # Off duty until the roster calls; the next shift starts at base.
            phase[me] = (OFF_SHIFT, off_since, -1)
            wake = event()
            wakes[me] = wake
            msg = yield wake
            now = env.now
            add(me, OFF_SHIFT, off_since, now)
            if not resumes_here(me, now):  # back from non-case work: where it was
                node = base
            job = cw.next_for(me, node)
        if job is None:
            set_idle(me, node)
            wake = event()
            wakes[me] = wake
            msg = yield wake
            now = env.now
            if msg == GO_OFF:
                off_since = now
                continue
            task, travel = msg
        else:
            task, travel = job
        start = now
        if travel > 0:
            phase[me] = (TRAVEL, start, task)
            yield timeout(travel)
            now = start + travel  # = env.now: SimPy's timer fires at now + delay
            a_worker(me), a_state(TRAVEL), a_start(start), a_end(now), a_task(task)
            start = now
        phase[me] = (ON_SITE, start, task)
        if task < n:  # a case: settled when its one visit ends
            if t_on_site[task] != t_on_site[task]:  # NaN: the first arrival
                t_on_site[task] = start
            on_site = service[task]
            yield timeout(on_site)
            now = start + on_site
            if now > start:  # the record of ActivityRecorder.add, inline
                a_worker(me), a_state(ON_SITE), a_start(start), a_end(now), a_task(task)
            t_resolved[task] = now
            if not static:
                node = issue_node[task]
        else:  # arrive: on site, for how long; finish: where it was
            on_site = cw.arrive(task)
            yield timeout(on_site)
            now = start + on_site
            if now > start:
                a_worker(me), a_state(ON_SITE), a_start(start), a_end(now), a_task(task)
            there = cw.finish(task)
            if not static:
                node = there
        if on_shift[me]:
            job = cw.next_for(me, node)
            msg = None
        else:
            job, msg, off_since = None, GO_OFF, now


def roster(env: simpy.Environment, staff: Staff,
           changes: Iterator[tuple[float, int, bool]]) -> Timeline:
    """Start and end shifts: ``changes`` are time-sorted (time, staff, on) rows."""
    on_shift, wake, idle = staff.on_shift_view, staff.wake, items(staff.idle)

    def start(me: int) -> None:
        on_shift[me] = True
        event = wake[me]
        if event is not None and not idle[me]:  # off duty, waiting for this
            wake[me] = None
            event.succeed(GO_ON)

    def end(me: int) -> None:
        on_shift[me] = False
        if idle[me]:
            staff.clear_idle(me)  # an idle worker goes off where it stands
            event = wake[me]
            assert event is not None
            wake[me] = None
            event.succeed(GO_OFF)

    return Timeline(env, changes, [end, start])  # on: False (0) ends, True (1) starts
