"""A rota's days off among a person's working days: leave, spread evenly and staggered
between people, and days off in lieu (补休) of rest-day duty turns, placed where the
pool can best spare them."""

from __future__ import annotations

import bisect

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
"""A day off in lieu is taken within this many of the person's working days after the
turn (a working week)."""


def lieu_day(mine: list[int], off: set[int], turn: int, away: dict[int, int]) -> int | None:
    """The day off in lieu (补休) for a rest-day turn on day ``turn``: among the first
    :data:`LIEU_WITHIN` of the person's working days ``mine`` after it that are not already
    ``off``, the one with the fewest of the pool ``away`` (earliest on ties), so that
    turns worked by many people over a weekend or holiday do not send them all off on
    the same day; None when no working day follows within the run."""
    free: list[int] = []
    i = bisect.bisect_right(mine, turn)
    while i < len(mine) and len(free) < LIEU_WITHIN:
        if mine[i] not in off:
            free.append(mine[i])
        i += 1
    return min(free, key=lambda x: (away.get(x, 0), x)) if free else None


def away_counts(off: list[set[int]]) -> dict[int, int]:
    """Day -> how many of the pool are off that day."""
    away: dict[int, int] = {}
    for days in off:
        for d in days:
            away[d] = away.get(d, 0) + 1
    return away
