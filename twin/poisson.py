"""Hourly Poisson counts and their issues' uniforms for many streams, drawn as numpy
draws them, in a fraction of numpy's time when the rates are small.

For every row ``s`` (a grid's category), :func:`hourly_draws` gives the same numbers
as ``counts = g.poisson(lam); u = g.random(counts.sum())`` with ``g = gens(s)``, the
generator at the start of the row's stream. A district has thousands of rows, each
with a few hundredths of a report an hour, over thousands of hours.

numpy draws a Poisson count below rate 10 by multiplying uniforms until the
product falls to ``exp(-lam)`` or below: one uniform when the count is 0, so hour
``i`` starts at uniform ``i + D``, where ``D`` is the sum of the earlier hours'
counts. Here each row's uniforms are drawn in one call; only those above the least
``exp(-lam)`` of its hours (a few hundredths of them) can start a count above 0.
The rows then walk through these candidates side by side, in order, with the same
double arithmetic, so the counts are the same to the bit. ``exp`` is the C
library's, as numpy's: ``np.exp`` decides, and ``math.exp`` settles values within
a few units in the last place of it. Rows with larger rates, a rate of 0 in some
hour, or a count longer than the uniforms kept, are drawn by numpy itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.vocab import HOURS_PER_WEEK

WALK_BELOW = 0.25
"""Rows whose rates stay below this [1/h] walk; numpy draws the others (a larger rate
has more candidates than the walk saves)."""
AHEAD = 5
"""Uniforms kept after each candidate: a count above AHEAD is drawn by numpy."""
BLOCK = 4
"""Candidates of a row looked at in one step (a step goes up to the row's first count)."""
CHUNK = 1 << 21
"""Uniforms drawn at once (rows x hours): 16 MB."""
WALKERS = 1 << 19
"""Candidates held at once by the rows walking together: about 30 MB."""

NEAR = 1e-15
"""Values this close to ``np.exp``'s are compared with ``math.exp``'s (at least 8 units
in the last place below 1)."""

Draws = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class HourlyRates:
    """Rates [1/h] of every row and hour: a weekly table times an hourly factor."""

    week: np.ndarray
    """(rows, 168): by hour of the week, Monday 00:00 first."""
    hours: int
    """Hours of the run."""
    factor: np.ndarray | None = None
    """(groups, hours): multiplies a row's rates (None: 1)."""
    group: np.ndarray | None = None
    """(rows,): each row's line of ``factor``."""

    def lam(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), hours): the rows' rates, hour by hour."""
        lam = self.week[rows][:, np.arange(self.hours) % HOURS_PER_WEEK]
        if self.factor is not None and self.group is not None:
            lam *= self.factor[self.group[rows]]
        return lam

    def extremes(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows' least and greatest rate, and about their sum over the hours."""
        if self.factor is not None:
            lam = self.lam(rows)
            return lam.min(axis=1), lam.max(axis=1), lam.sum(axis=1)
        week = self.week[rows][:, :self.hours]  # the hours of the week the run has
        times = np.bincount(np.arange(self.hours) % HOURS_PER_WEEK)
        return week.min(axis=1), week.max(axis=1), self.week[rows][:, :len(times)] @ times

    def at(self, rows: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """The rates of ``rows`` at ``hours`` (broadcast together)."""
        lam = self.week[rows, hours % HOURS_PER_WEEK]
        if self.factor is not None and self.group is not None:
            lam = lam * self.factor[self.group[rows], hours]
        return lam


def _above(values: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """``values > exp(-rates)`` with the C library's ``exp``."""
    enlam = np.exp(-rates)
    out = values > enlam
    near = np.abs(values - enlam) <= NEAR
    if near.any():
        rates = np.broadcast_to(rates, values.shape)
        for at in zip(*np.nonzero(near), strict=True):
            out[at] = values[at] > math.exp(-float(rates[at]))
    return out


def _numpy_draws(gen: np.random.Generator, lam: np.ndarray, row: int) -> Draws:
    counts = gen.poisson(lam)
    n = int(counts.sum())
    return (np.full(n, row, dtype=np.int64), np.repeat(np.arange(len(lam)), counts),
            gen.random(n))


def hourly_draws(gens: Callable[[int], np.random.Generator], rates: HourlyRates) -> Draws:
    """Every row's issues as (row, hour, uniform), by row, then hour, then draw.

    Row ``s`` draws from ``gens(s)``, a generator at the start of its stream, which
    is left further on than numpy's calls would leave it (draw nothing more from it).
    """
    hours = rates.hours
    parts: list[Draws] = []
    walk = _Walk(hours)
    step = max(1, CHUNK // (hours + 64))
    for lo in range(0, len(rates.week) if hours else 0, step):
        rows = np.arange(lo, min(len(rates.week), lo + step))
        low, top, expected = rates.extremes(rows)
        fast = (low > 0) & (top < WALK_BELOW)
        if not fast.all():
            slow = rows[~fast]
            for s, lam in zip(slow.tolist(), rates.lam(slow), strict=True):
                parts.append(_numpy_draws(gens(s), lam, s))
        if fast.any():
            walk.add(gens, rows[fast], top[fast], float(expected[fast].max()))
        if walk.candidates >= WALKERS:
            parts += walk.finish(gens, rates)
            walk = _Walk(hours)
    parts += walk.finish(gens, rates)
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    row, hour, uniform = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.argsort(row, kind="stable")
    return row[order], hour[order], uniform[order]


class _Walk:
    """Rows whose candidates are kept, to walk through them side by side."""

    def __init__(self, hours: int) -> None:
        self.hours = hours
        self.candidates = 0
        self.rows: list[np.ndarray] = []  # the rows, a chunk at a time
        self.tails: list[np.ndarray] = []  # uniforms after the hours', a chunk at a time
        self.found: list[tuple[np.ndarray, ...]] = []  # row, position, value, ahead, overrun

    def add(self, gens: Callable[[int], np.random.Generator], rows: np.ndarray,
            top: np.ndarray, expected: float) -> None:
        """Draw the rows' uniforms and keep the candidates among them (``top``: each
        row's greatest rate; ``expected``: the most issues a row expects)."""
        n, hours = len(rows), self.hours
        width = hours + int(2 * expected + 8 * math.sqrt(expected)) + 16
        u = np.empty((n, width))
        for j, s in enumerate(rows.tolist()):
            gens(s).random(out=u[j])
        floor = np.array([math.exp(-v) for v in top.tolist()])  # the least exp(-lam)
        flat = np.flatnonzero(u > floor[:, None])  # by row, then position
        r, p = np.divmod(flat, width)
        ahead = np.take(u, np.minimum(flat[:, None] + np.arange(1, AHEAD + 1), u.size - 1))
        first = sum(len(x) for x in self.rows)
        self.found.append((r + first, p, np.take(u, flat), ahead, p + AHEAD >= width))
        self.rows.append(rows)
        self.tails.append(u[:, hours:].copy())
        self.candidates += len(flat)

    def finish(self, gens: Callable[[int], np.random.Generator], rates: HourlyRates
               ) -> list[Draws]:
        """Walk the rows through their candidates; their issues (and numpy's draws of
        the rows that could not walk to the end)."""
        if not self.rows:
            return []
        hours = self.hours
        rows = np.concatenate(self.rows)
        r, p, value, ahead, overrun = (np.concatenate(x) for x in zip(*self.found, strict=True))
        self.found = []
        n = len(rows)
        room = np.concatenate([np.full(len(t), t.shape[1]) for t in self.tails])
        tail = np.zeros((n, int(room.max())))
        lo = 0
        for t in self.tails:
            tail[lo:lo + len(t), :t.shape[1]] = t
            lo += len(t)
        self.tails = []
        at = np.searchsorted(r, np.arange(n))  # each row's next candidate
        end = np.searchsorted(r, np.arange(n), side="right")
        last = max(len(r) - 1, 0)
        shift = np.zeros(n, dtype=np.int64)  # D: uniforms used beyond one an hour
        done = np.zeros(n, dtype=np.int64)  # hours decided
        bad = np.zeros(n, dtype=bool)
        block = np.arange(BLOCK)
        got: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        live = np.flatnonzero(at < end)
        while len(live):  # the rows walk through their candidates side by side
            c = np.minimum(at[live][:, None] + block, last)
            valid = at[live][:, None] + block < end[live][:, None]
            hour = p[c] - shift[live][:, None]
            over = valid & (hour >= hours)  # past the last hour: the issues' uniforms
            look = valid & ~over & (hour >= done[live][:, None])  # else inside a product
            rate = rates.at(rows[live][:, None], np.clip(hour, 0, hours - 1))
            hit = look & _above(value[c], rate)
            stop = hit | over
            first = np.argmax(stop, axis=1)  # a row goes as far as its first count
            line = np.arange(len(live))
            struck = stop[line, first] & hit[line, first]
            e = np.flatnonzero(struck)
            if len(e):
                j, ce = live[e], c[e, first[e]]
                run = np.concatenate([value[ce][:, None], ahead[ce]], axis=1)
                stays = _above(np.cumprod(run, axis=1), rate[e, first[e]][:, None])
                x = np.argmin(stays, axis=1)  # first product at or below exp(-lam)
                bad[j[stays.all(axis=1) | overrun[ce]]] = True
                shift[j] += x
                done[j] = hour[e, first[e]] + 1
                got.append((j, hour[e, first[e]], x))
            at[live] += np.where(struck, first + 1, BLOCK)
            ended = stop[line, first] & ~struck
            live = live[~ended & (at[live] < end[live]) & ~bad[live]]
        bad |= 2 * shift > room  # the issues' uniforms follow the hours'
        out = []
        redo = np.flatnonzero(bad)
        if len(redo):
            lam = rates.lam(rows[redo])
            out = [_numpy_draws(gens(int(rows[j])), lam[i], int(rows[j]))
                   for i, j in enumerate(redo.tolist())]
        if got:
            j, i, x = (np.concatenate(v) for v in zip(*got, strict=True))
            keep = ~bad[j]
            j, i, x = j[keep], i[keep], x[keep]
            by = np.lexsort((i, j))  # by row, then hour
            j, i, x = j[by], i[by], x[by]
            row = np.repeat(j, x)
            rank = np.arange(len(row)) - np.searchsorted(row, row)  # place in its row
            out.append((rows[row], np.repeat(i, x), tail[row, shift[row] + rank]))
        return out
