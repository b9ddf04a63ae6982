"""Hourly Poisson counts and their report times' uniforms, drawn as numpy draws them.

``hourly_draws(rng, lam)`` returns the same numbers, and uses the same part of the
stream, as ``counts = rng.poisson(lam); u = rng.random(counts.sum())``, but in a
fraction of the time when the rates are small (a grid's category has a few
hundredths of a report an hour, and a year has 8,760 hours).

numpy draws a Poisson count below rate 10 by multiplying uniforms until the
product falls to ``exp(-lam)`` or below (one uniform when the count is 0; none
when the rate is 0). Here the uniforms are drawn in one call and only the few
that exceed the least ``exp(-lam)`` of the hours can start a count above 0; they
are walked through in order, with the same double arithmetic, so the counts are
the same to the bit. ``math.exp`` is the C library's ``exp``, as numpy's.
"""

from __future__ import annotations

import math

import numpy as np

MULTIPLICATION_BELOW = 10.0
"""numpy's Poisson draw multiplies uniforms below this rate (rejection above)."""


def hourly_draws(rng: np.random.Generator, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts per hour for rates ``lam`` [1/h], then ``counts.sum()`` uniforms in [0, 1).

    The same as ``rng.poisson(lam)`` followed by ``rng.random(counts.sum())``; the
    generator is left further on than that (draw nothing more from it).
    """
    positive = lam > 0
    rates = lam if positive.all() else lam[positive]
    hours = len(rates)
    if hours == 0 or rates.max() >= MULTIPLICATION_BELOW:
        counts = rng.poisson(lam)
        return counts, rng.random(int(counts.sum()))
    floor = math.exp(-float(rates.max()))  # no hour's exp(-lam) is below it
    expected = float(rates.sum())
    u = rng.random(hours + int(2 * expected + 8 * math.sqrt(expected)) + 16)
    cand = np.flatnonzero(u > floor).tolist()

    def grow() -> None:
        nonlocal u
        more = rng.random(len(u) // 2 + 16)
        cand.extend((np.flatnonzero(more > floor) + len(u)).tolist())
        u = np.concatenate([u, more])

    events: list[int] = []
    extra: list[int] = []
    shift = 0  # uniforms used beyond one an hour so far: hour i starts at i + shift
    done = 0  # hours decided so far
    c = 0
    while True:
        while c < len(cand):
            p = cand[c]
            c += 1
            i = p - shift
            if i < done:  # used inside an earlier hour's count
                continue
            if i >= hours:
                break
            enlam = math.exp(-float(rates[i]))
            prod = float(u[p])
            if not prod > enlam:
                continue
            x, q = 0, p
            while prod > enlam:
                x += 1
                q += 1
                if q >= len(u):
                    grow()
                prod *= float(u[q])
            events.append(i)
            extra.append(x)
            shift += x
            done = i + 1
        else:
            if len(u) < hours + shift:  # hours past the drawn uniforms: draw on
                grow()
                continue
        break
    while len(u) < hours + 2 * shift:
        grow()
    counts = np.zeros(len(lam), dtype=np.int64)
    counts_active = counts if rates is lam else np.zeros(hours, dtype=np.int64)
    counts_active[events] = extra
    if rates is not lam:
        counts[positive] = counts_active
    return counts, u[hours + shift:hours + 2 * shift]
