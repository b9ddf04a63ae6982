"""The roster's shift changes, made a week at a time from the duty arrays the staff
share: one (time, staff member, on) row per start and end of a duty span, in the order
of one sort of them all, without holding a year of them at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from twin.vocab import MINUTES_PER_DAY

WINDOW = 7 * MINUTES_PER_DAY
"""Shift changes made at a time: those with a time in one week [min]."""


def shift_rows(duty: Sequence[np.ndarray | None], horizon: float, window: float = WINDOW
               ) -> Iterator[tuple[float, int, bool]]:
    """(time, staff member, on) of every start after 0 and every end before ``horizon``
    of the staff's ``duty`` spans (None: always on duty), ordered by time, then ends
    before starts, then staff member: a total order, so cutting the times into windows
    and sorting each gives the rows of one sort of all of them. Staff sharing one array
    of spans are worked together."""
    shared: dict[int, tuple[np.ndarray, list[int]]] = {}
    for w, spans in enumerate(duty):
        if spans is not None and len(spans):
            shared.setdefault(id(spans), (spans, []))[1].append(w)
    groups = [(np.ascontiguousarray(spans[:, 0]), np.ascontiguousarray(spans[:, 1]),
               np.asarray(members, dtype=np.int32)) for spans, members in shared.values()]
    lo = 0.0
    while lo < horizon:
        hi = lo + window
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for starts, ends, members in groups:
            for times, on in ((starts, True), (ends, False)):
                a, b = np.searchsorted(times, (lo, hi))
                if b > a:
                    t = times[a:b]
                    t = t[(t > 0.0) & (t < horizon)] if on else t[t < horizon]
                    if len(t):
                        parts.append((np.repeat(t, len(members)), np.tile(members, len(t)),
                                      np.full(len(t) * len(members), on)))
        if parts:
            at, who, starts = (np.concatenate(c) for c in zip(*parts, strict=True))
            order = np.lexsort((who, starts, at))
            yield from zip(at[order].tolist(), who[order].tolist(), starts[order].tolist(),
                           strict=True)
        lo = hi
