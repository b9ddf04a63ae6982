"""Sorted spans of time in numpy, for long lists (a year of a person's time).

Each function gives the same pieces, bit for bit, as its plain counterpart in
:mod:`twin.scenario.rotaplan` (`merge`, `intersect`, `subtract`): the ends are the
inputs' own values, only picked, never computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np

Span = tuple[float, float]


def as_array(spans: Sequence[Span]) -> np.ndarray:
    """Rows of (start, end), read faster than ``np.asarray`` reads tuples."""
    flat = np.fromiter(chain.from_iterable(spans), dtype=np.float64, count=2 * len(spans))
    return flat.reshape(-1, 2)


def _pairs(s: np.ndarray, e: np.ndarray) -> list[Span]:
    return list(zip(s.tolist(), e.tolist(), strict=True))


def merge_arrays(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined; empty ones dropped."""
    arr = as_array(spans)
    arr = arr[arr[:, 1] > arr[:, 0]]
    if not len(arr):
        return []
    arr = arr[np.lexsort((arr[:, 1], arr[:, 0]))]
    return _pairs(*merged_columns(arr[:, 0], arr[:, 1]))


def merged_columns(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the joined spans of non-empty spans sorted by start."""
    reach = np.maximum.accumulate(ends)
    breaks = np.flatnonzero(starts[1:] > reach[:-1])
    return (starts[np.concatenate(([0], breaks + 1))],
            reach[np.concatenate((breaks, [len(starts) - 1]))])


def intersect_arrays(a: np.ndarray, c_start: np.ndarray, c_end: np.ndarray) -> list[Span]:
    """The parts of sorted disjoint spans ``a`` (rows of start, end) inside the sorted
    disjoint spans (``c_start``, ``c_end``): every pair that overlaps, in order."""
    lo = np.searchsorted(c_end, a[:, 0], side="right")  # first span ending after the start
    hi = np.searchsorted(c_start, a[:, 1], side="left")  # spans starting before the end
    count = np.maximum(hi - lo, 0)
    row = np.repeat(np.arange(len(a)), count)
    col = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(
        np.cumsum(count) - count, count)
    s = np.maximum(a[row, 0], c_start[col])
    e = np.minimum(a[row, 1], c_end[col])
    keep = e > s
    return _pairs(s[keep], e[keep])


def subtract_arrays(spans: Sequence[Span], cut: Sequence[Span]) -> list[Span]:
    """The parts of sorted disjoint ``spans`` outside sorted disjoint ``cut``: each span
    split at the cuts inside it (start, then each cut's end; each cut's start, then the
    span's end), the empty pieces dropped."""
    a = as_array(spans)
    c = as_array(cut)
    if not len(c):
        return _pairs(a[:, 0], a[:, 1])
    lo = np.searchsorted(c[:, 1], a[:, 0], side="right")  # first cut ending after the start
    hi = np.searchsorted(c[:, 0], a[:, 1], side="left")  # cuts starting before the end
    count = np.maximum(hi - lo, 0)
    row = np.repeat(np.arange(len(a)), count + 1)
    pos = np.arange(len(row)) - np.repeat(np.cumsum(count + 1) - (count + 1), count + 1)
    at = lo[row] + pos
    last = len(c) - 1
    s = np.where(pos == 0, a[row, 0], c[np.clip(at - 1, 0, last), 1])
    e = np.where(pos == count[row], a[row, 1], c[np.clip(at, 0, last), 0])
    keep = e > s
    return _pairs(s[keep], e[keep])
