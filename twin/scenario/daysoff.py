"""A rota's days off among a person's working days: leave, spread evenly and staggered
between people, and days off in lieu (补休) of rest-day duty turns, placed where the
pool can best spare them."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np


def leave_days(days: list[int], share: float, k: int, n: int) -> set[int]:
    """Person k's (of n) days on leave among their working ``days``, spread evenly: day j
    when ``floor((j + 1) share + f) > floor(j share + f)`` (numpy's floats are Python's)."""
    if share <= 0.0:
        return set()
    phase = (k + 0.5) / n
    j = np.arange(len(days), dtype=np.float64)
    taken = np.floor((j + 1) * share + phase) > np.floor(j * share + phase)
    return {days[i] for i in np.flatnonzero(taken).tolist()}


LIEU_WITHIN = 5
"""A day off in lieu is taken among the first this many of the person's working days
after the turn that are not already off (a working week, unless leave is in it)."""


class AtWork:
    """How many of a pool, and of each group of it (a grid's staff on a shared duty
    roster), are at work on each day: working it, and neither on leave nor off in lieu."""

    def __init__(self, days: list[list[int]], off: list[set[int]],
                 groups: Sequence[int] | None = None) -> None:
        self.group = [g for g, size in enumerate(groups or [len(days)]) for _ in range(size)]
        self.pool: dict[int, int] = {}
        self.of_group: list[dict[int, int]] = [{} for _ in range(max(self.group, default=-1) + 1)]
        for k, mine in enumerate(days):
            in_group = self.of_group[self.group[k]]
            for d in mine:
                if d not in off[k]:
                    self.pool[d] = self.pool.get(d, 0) + 1
                    in_group[d] = in_group.get(d, 0) + 1

    def take_off(self, person: int, day: int) -> None:
        """``person`` is off on ``day`` now."""
        self.pool[day] -= 1
        self.of_group[self.group[person]][day] -= 1


def lieu_day(person: int, mine: list[int], off: set[int], turn: int, at_work: AtWork
             ) -> int | None:
    """The day off in lieu (补休) of ``person`` for a rest-day turn on day ``turn``: among
    the first :data:`LIEU_WITHIN` of their working days ``mine`` after it that are not
    already ``off``, the one with the most of their group at work, then the most of the
    pool, then the earliest; so that turns worked by many people over a weekend or
    holiday do not send them all off on the same day. None when no working day follows
    within the run."""
    free: list[int] = []
    i = bisect.bisect_right(mine, turn)
    while i < len(mine) and len(free) < LIEU_WITHIN:
        if mine[i] not in off:
            free.append(mine[i])
        i += 1
    group = at_work.of_group[at_work.group[person]]
    return min(free, key=lambda x: (-group[x], -at_work.pool[x], x)) if free else None
