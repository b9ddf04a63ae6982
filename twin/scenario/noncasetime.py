"""Non-case time (meetings, ledgers: on duty but taking no new case) cut out of a
person's time on duty: the scenario's blocks, and a share of every hour staggered over a
grid's workers. Deterministic, as the rotas are (:mod:`twin.scenario.rotaplan`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from twin.scenario.people import NonCaseBlock
from twin.scenario.rotaplan import WorkingDay, clock_span_on, merge, pool_day, weekdays_only
from twin.scenario.spanarrays import (
    Span,
    as_array,
    intersect_columns,
    merge_columns,
    merged_columns,
    pairs,
    rows,
    subtract_rows,
)
from twin.vocab import MINUTES_PER_DAY


def block_spans(blocks: Sequence[NonCaseBlock], horizon: float,
                working_day: WorkingDay | None = None) -> list[Span]:
    """Every non-case block over [0, horizon], merged [min]."""
    key = tuple((b.start, b.end, tuple(b.days)) for b in blocks)
    return list(_block_spans(key, horizon, working_day or weekdays_only))


@functools.lru_cache(maxsize=8)  # the same blocks for every grid's staff
def _block_spans(blocks: tuple[tuple[str, str, tuple[str, ...]], ...], horizon: float,
                 working: WorkingDay) -> tuple[Span, ...]:
    spans: list[Span] = []
    for d in range(-1, math.ceil(horizon / MINUTES_PER_DAY)):
        for start, end, days in blocks:
            held = pool_day(list(days), working if d >= 0 else weekdays_only)(d)
            span = clock_span_on(d, start, end, horizon) if held else None
            if span is not None:
                spans.append(span)
    return tuple(merge(spans))


def share_spans(share: float, k: int, n: int, on_duty: Sequence[Span],
                period: float = 60.0) -> list[Span]:
    """Non-case time of person k of n as a share of the time on duty: in every hour of the
    clock, ``share`` of it starting at minute ``60 k / n`` (wrapping round), so that a
    grid's workers are not all away at once; only inside ``on_duty`` [min]."""
    if share <= 0.0 or not len(on_duty):
        return []
    return pairs(*_share_columns(share, k, n, as_array(on_duty), period))


def _share_columns(share: float, k: int, n: int, on: np.ndarray, period: float = 60.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`share_spans` as columns of starts and ends (``on``: rows of the time on
    duty)."""
    empty = np.zeros(0)
    if share <= 0.0 or not len(on):
        return empty, empty
    offset, length = period * k / n, period * share
    first = math.floor(float(on[0, 0]) / period) - 1
    last = math.ceil(float(on[-1, 1]) / period)
    # the hour slots, merged as merge() does (sorted, empty dropped, touching joined)
    starts = np.arange(first, last + 1, dtype=np.float64) * period + offset
    ends = starts + length
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if not len(starts):
        return empty, empty
    c_start, c_end = merged_columns(starts, ends)
    return intersect_columns(on, c_start, c_end)


def split_non_case(on: np.ndarray, blocks: np.ndarray, share: float, k: int, n: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Person k of n's non-case time within sorted disjoint ``on`` and the rest of ``on``,
    as rows of (start, end): ``away = merge(intersect(on, blocks) + share_spans(share, k,
    n, on))`` and ``subtract(on, away)``, the same pieces, in numpy (``on`` and
    ``blocks``: rows of sorted disjoint spans, ``blocks`` from :func:`block_spans`); the
    rest is ``on`` itself when nothing is away."""
    in_blocks = intersect_columns(on, blocks[:, 0], blocks[:, 1])
    shares = _share_columns(share, k, n, on)
    away = rows(*merge_columns(np.concatenate((in_blocks[0], shares[0])),
                               np.concatenate((in_blocks[1], shares[1]))))
    return away, subtract_rows(on, away)
