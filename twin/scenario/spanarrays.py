"""Sorted spans of time in numpy: a person's time as rows of (start, end) [min].

A rota's people, the staffing and the engine hand each person's time on as a float64
array of shape (n, 2), read-only (people on the same rota or shift share one), 16 bytes
a span instead of a Python tuple's hundred. Each function gives the same pieces, bit for
bit, as its plain counterpart in :mod:`twin.scenario.rotaplan` (`merge`, `union`,
`intersect`, `subtract`): the ends are the inputs' own values, only picked, never
computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np

Span = tuple[float, float]


def frozen(arr: np.ndarray) -> np.ndarray:
    """``arr`` made read-only (it may be shared), returned."""
    arr.flags.writeable = False
    return arr


EMPTY = frozen(np.zeros((0, 2)))
"""No spans: rows of (start, end), none."""


class SharedRows:
    """Arrays of spans kept once by value: :meth:`one` gives the array already kept that
    holds the same rows, bit for bit, so that people with the same time share one."""

    def __init__(self) -> None:
        self._kept: dict[bytes, np.ndarray] = {}
        self._ids: set[int] = set()  # of the kept arrays: one passed again is answered at once

    def one(self, arr: np.ndarray) -> np.ndarray:
        """``arr``, or the kept array with its rows (``arr`` read-only, kept if new)."""
        if not len(arr):
            return EMPTY
        if id(arr) in self._ids:
            return arr
        key = arr.tobytes()
        kept = self._kept.get(key)
        if kept is None:
            kept = self._kept[key] = frozen(arr)
            self._ids.add(id(kept))
        return kept


def rows(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Columns of starts and ends as read-only rows of (start, end)."""
    if not len(starts):
        return EMPTY
    out = np.empty((len(starts), 2))
    out[:, 0], out[:, 1] = starts, ends
    return frozen(out)


def merge_rows(a: np.ndarray) -> np.ndarray:
    """Rows of spans in any order, overlapping or touching ones joined, empty ones
    dropped (``merge``)."""
    return rows(*merge_columns(a[:, 0], a[:, 1]))


def union_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The merge of both sorted disjoint ``a`` and ``b`` (``union``)."""
    if not len(b):
        return a
    if not len(a):
        return b
    return rows(*merge_columns(np.concatenate((a[:, 0], b[:, 0])),
                               np.concatenate((a[:, 1], b[:, 1]))))


def intersect_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The parts of sorted disjoint ``a`` inside sorted disjoint ``b`` (``intersect``)."""
    return rows(*intersect_columns(a, b[:, 0], b[:, 1]))


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
    return pairs(*subtract_columns(as_array(spans), as_array(cut)))


def subtract_rows(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """:func:`subtract_arrays` of rows of (start, end), as rows (``a`` itself when there
    is nothing to cut)."""
    if not len(c) or not len(a):
        return a
    return rows(*subtract_columns(a, c))


def subtract_columns(a: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`subtract_arrays` of rows of (start, end), as columns of starts and ends."""
    if not len(c):
        return a[:, 0], a[:, 1]
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
    return s[keep], e[keep]
