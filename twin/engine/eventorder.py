"""The order of events at one time, for timers set later than SimPy would have set them.

SimPy runs the events of one time in the order they were created. A part that sets a
timer later than a plainer model would (e.g. only where something can happen) keeps
that order with a stamp per timer: (when it would have been created, the stamp of
the event that would have created it), compared from the newest time back. Stamps
end in ``()``; a stamp whose creator is a real event ends in (that event's creation
time, a sequence number).
"""

from __future__ import annotations

import math
from functools import cmp_to_key
from typing import Any

import simpy
from simpy.events import NORMAL, EventPriority

Stamp = tuple[Any, ...]
"""(time [min], the stamp before it), ending in ``()``: the order in which a timer
would have been created."""
LATE = EventPriority(NORMAL + 1)  # after SimPy's ordinary events of the same time

_INF = float("inf")


def compare_stamps(x: Stamp, y: Stamp) -> int:
    """-1, 0 or 1 as stamp ``x`` comes before, with or after ``y`` (iteratively:
    stamps of timers chained for hours are deep)."""
    while x is not y:
        if not x or not y:
            return (1 if x else 0) - (1 if y else 0)
        if x[0] != y[0]:
            return -1 if x[0] < y[0] else 1
        x, y = x[1], y[1]
    return 0


STAMP_ORDER = cmp_to_key(compare_stamps)
"""Sort key of stamps."""


class Late(simpy.Event):
    """An event that fires ``delay`` minutes on, after the ordinary events of its time
    (as :class:`simpy.Timeout`, at another priority)."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, LATE, delay)


def delay_to(now: float, t: float) -> float:
    """The delay that SimPy turns into exactly ``t`` (it fires at ``now + delay``)."""
    delay = t - now
    for _ in range(64):  # one exists: the spacing of delays is at most that of t
        if now + delay < t:
            delay = math.nextafter(delay, _INF)
        elif now + delay > t:
            delay = math.nextafter(delay, -_INF)
        else:
            break
    return delay
