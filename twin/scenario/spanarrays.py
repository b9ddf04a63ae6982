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


def pairs(s: np.ndarray, e: np.ndarray) -> list[Span]:
    """Columns of starts and ends as a list of (start, end)."""
    return list(zip(s.tolist(), e.tolist(), strict=True))


def merge_arrays(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined; empty ones dropped."""
    arr = as_array(spans)
    return pairs(*merge_columns(arr[:, 0], arr[:, 1]))


def merge_columns(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`merge_arrays` on columns, in any order: starts and ends of the joined spans."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if not len(starts):
        return starts, ends
    order = np.lexsort((ends, starts))
    return merged_columns(starts[order], ends[order])


def merged_columns(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the joined spans of non-empty spans sorted by start."""
    reach = np.maximum.accumulate(ends)
    breaks = np.flatnonzero(starts[1:] > reach[:-1])
    return (starts[np.concatenate(([0], breaks + 1))],
            reach[np.concatenate((breaks, [len(starts) - 1]))])


def intersect_arrays(a: np.ndarray, c_start: np.ndarray, c_end: np.ndarray) -> list[Span]:
    """The parts of sorted disjoint spans ``a`` (rows of start, end) inside the sorted
    disjoint spans (``c_start``, ``c_end``): every pair that overlaps, in order."""
    return pairs(*intersect_columns(a, c_start, c_end))


def intersect_columns(a: np.ndarray, c_start: np.ndarray, c_end: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`intersect_arrays` as columns of starts and ends."""
    lo = np.searchsorted(c_end, a[:, 0], side="right")  # first span ending after the start
    hi = np.searchsorted(c_start, a[:, 1], side="left")  # spans starting before the end
    count = np.maximum(hi - lo, 0)
    row = np.repeat(np.arange(len(a)), count)
    col = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(
        np.cumsum(count) - count, count)
    s = np.maximum(a[row, 0], c_start[col])
    e = np.minimum(a[row, 1], c_end[col])
    keep = e > s
    return s[keep], e[keep]


def subtract_arrays(spans: Sequence[Span], cut: Sequence[Span]) -> list[Span]:
    """The parts of sorted disjoint ``spans`` outside sorted disjoint ``cut``: each span
    split at the cuts inside it (start, then each cut's end; each cut's start, then the
    span's end), the empty pieces dropped."""
    return subtract_rows(as_array(spans), as_array(cut))


def subtract_rows(a: np.ndarray, c: np.ndarray) -> list[Span]:
    """:func:`subtract_arrays` of rows of (start, end)."""
    if not len(c):
        return pairs(a[:, 0], a[:, 1])
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
    return pairs(s[keep], e[keep])
