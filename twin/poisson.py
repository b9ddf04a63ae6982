"""Hourly Poisson counts and their report times' uniforms for many streams, drawn as
numpy draws them.

``hourly_draws(gens, lam)`` gives, for every row ``s`` of ``lam``, the same numbers as
``counts = g.poisson(lam[s]); u = g.random(counts.sum())`` with ``g = gens(s)``, in
a fraction of the time when the rates are small: a grid's category has a few
hundredths of a report an hour, and a district thousands of grids.

numpy draws a Poisson count below rate 10 by multiplying uniforms until the
product falls to ``exp(-lam)`` or below: one uniform when the count is 0, so hour
``i`` starts at uniform ``i + D``, where ``D`` is the sum of the earlier hours'
counts. Here each stream's uniforms are drawn in one call, and only those above
the least ``exp(-lam)`` of its hours (a few hundredths of them) can start a count
above 0. Which of them do depends on ``D``; ``D`` on which of them do: starting
from ``D = 0``, both are recomputed, for all streams at once, until they agree.
The agreeing answer is the sequential one (each candidate depends only on the ones
before it), so the counts are the same to the bit. ``exp`` is the C library's,
as numpy's: ``np.exp`` decides, and ``math.exp`` settles the rare values within
a few units in the last place of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

MULTIPLICATION_BELOW = 10.0
"""numpy's Poisson draw multiplies uniforms below this rate (rejection above)."""
WINDOW = 12
"""Uniforms looked at for one hour's count; a longer product is drawn by numpy."""
BLOCK = 8
"""Candidates of a row looked at in one step (a step goes up to the row's first count)."""
CHUNK = 1 << 21
"""Uniforms held at once (rows x hours): 16 MB."""


def _above(values: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """``values > exp(-rates)`` with the C library's ``exp``."""
    enlam = np.exp(-rates)
    out = values > enlam
    near = np.abs(values - enlam) <= 1e-15  # at least 8 units in the last place below 1
    if near.any():
        for at in zip(*np.nonzero(near), strict=True):
            out[at] = values[at] > math.exp(-float(rates[at]))
    return out


def hourly_draws(gens: Callable[[int], np.random.Generator], n_rows: int, hours: int,
                 rates: Callable[[np.ndarray], np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every row's issues: (row, hour, uniform), by row, then hour, then draw.

    Row ``s`` has rates ``rates(rows)[i]`` [1/h] for the hours of the run (asked for
    a chunk of rows at a time) and draws from ``gens(s)``, a generator at the start
    of its stream; ``counts = g.poisson(lam)`` gives each hour's issues, and
    ``g.random(counts.sum())`` their uniforms, in order. The generator is left
    further on than numpy's calls would leave it (draw nothing more from it).
    """
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    step = max(1, CHUNK // (hours + 64))
    for lo in range(0, n_rows, step):
        rows = np.arange(lo, min(n_rows, lo + step))
        lam = rates(rows)
        top = lam.max(axis=1) if hours else np.zeros(len(rows))
        fast = (lam.min(axis=1) > 0) & (top < MULTIPLICATION_BELOW) if hours else top < 0
        if fast.any():
            parts.append(_draw_chunk(gens, lam[fast], top[fast], rows[fast], parts))
        for j in np.flatnonzero(~fast).tolist():
            parts.append(_numpy_draws(gens(int(rows[j])), lam[j], int(rows[j])))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    row, hour, uniform = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.argsort(row, kind="stable")
    return row[order], hour[order], uniform[order]


def _numpy_draws(gen: np.random.Generator, lam: np.ndarray, row: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = gen.poisson(lam)
    n = int(counts.sum())
    return (np.full(n, row, dtype=np.int64), np.repeat(np.arange(len(lam)), counts),
            gen.random(n))


def _draw_chunk(gens: Callable[[int], np.random.Generator], lam: np.ndarray, top: np.ndarray,
                chunk: np.ndarray, redone: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The issues of rows ``chunk`` (rates ``lam``, all in (0, 10)), as
    :func:`hourly_draws` gives them; rows that need numpy's own draws are appended
    to ``redone``."""
    n, hours = lam.shape
    expected = float(lam.sum(axis=1).max())
    width = hours + int(2 * expected + 8 * math.sqrt(expected)) + 16 + WINDOW
    u = np.empty((n, width))
    for j, s in enumerate(chunk.tolist()):
        gens(s).random(out=u[j])
    floor = np.array([math.exp(-v) for v in top.tolist()])  # the least exp(-lam) of a row
    r, p = np.nonzero(u > floor[:, None])  # candidates, by row, then position
    at = np.searchsorted(r, np.arange(n))  # each row's next candidate
    end = np.searchsorted(r, np.arange(n), side="right")
    last = max(len(r) - 1, 0)
    value = u[r, p]
    products = np.cumprod(u[r[:, None], np.minimum(p[:, None] + np.arange(WINDOW), width - 1)],
                          axis=1)  # a count's running products if it starts here
    overrun = p + WINDOW > width
    shift = np.zeros(n, dtype=np.int64)  # D: uniforms used beyond one an hour
    done = np.zeros(n, dtype=np.int64)  # hours decided
    bad = np.zeros(n, dtype=bool)
    block = np.arange(BLOCK)
    rows, hits, extras = [], [], []
    live = np.flatnonzero(at < end)
    while len(live):  # the rows walk through their candidates side by side
        c = at[live][:, None] + block
        valid = c < end[live][:, None]
        c = np.minimum(c, last)
        hour = p[c] - shift[live][:, None]
        over = valid & (hour >= hours)  # past the last hour: the issues' uniforms
        look = valid & ~over & (hour >= done[live][:, None])  # else inside a product
        rate = lam[live[:, None], np.clip(hour, 0, hours - 1)]
        hit = look & _above(value[c], rate)
        stop = hit | over
        first = np.argmax(stop, axis=1)  # a row goes as far as its first hit
        line = np.arange(len(live))
        struck = stop[line, first] & hit[line, first]
        ended = stop[line, first] & ~struck
        e = np.flatnonzero(struck)
        if len(e):
            j, ce, i = live[e], c[e, first[e]], hour[e, first[e]]
            stays = _above(products[ce], rate[e, first[e]][:, None])
            x = np.argmin(stays, axis=1)  # first product at or below exp(-lam)
            bad[j[stays.all(axis=1) | overrun[ce]]] = True
            shift[j] += x
            done[j] = i + 1
            rows.append(j)
            hits.append(i)
            extras.append(x)
        at[live] += np.where(struck, first + 1, BLOCK)
        live = live[~ended & (at[live] < end[live]) & ~bad[live]]
    bad |= hours + 2 * shift > width  # the hours and the uniforms after them
    for j in np.flatnonzero(bad).tolist():
        redone.append(_numpy_draws(gens(int(chunk[j])), lam[j], int(chunk[j])))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    j, i, x = np.concatenate(rows), np.concatenate(hits), np.concatenate(extras)
    keep = ~bad[j]
    j, i, x = j[keep], i[keep], x[keep]
    by = np.lexsort((i, j))  # by row, then hour
    j, i, x = j[by], i[by], x[by]
    row = np.repeat(j, x)
    rank = np.arange(len(row)) - np.searchsorted(row, row)  # issue's place in its row
    return chunk[row], np.repeat(i, x), u[row, hours + shift[row] + rank]
