"""Repeat complaints of open cases: their times after report, drawn per grid and category
and kept per block of issues rather than as an (issues x REPEAT_DRAWS) matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

REPEAT_DRAWS = 20
REPEAT_BLOCK = 512
"""Rows of repeat-complaint draws made at once; the stream's state is kept at the start
of each block, so a block can be drawn again."""


class RepeatOffsets:
    """The first REPEAT_DRAWS repeat-complaint offsets of every issue, without holding
    them: the first of each issue is kept; the rest are drawn again, a block of
    REPEAT_BLOCK issues of one grid and category at a time, from the state its stream
    had before the block (the same numbers as drawing them all at once).

    ``offsets[i, j]`` is issue ``i``'s ``j``-th offset [min]; ``shape`` is (n,
    REPEAT_DRAWS), or (n, 0) when repeat complaints are off; :meth:`hits` gives the ones
    that fell while each issue was open.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        """Repeat complaints per minute at the time limit [1/min]."""
        self.limits: list[float] = []
        """Per part (grid and category): the limit D of t_k = sqrt(2 D E_k / R) [min]."""
        self.states: list[list[Mapping[str, Any]]] = []
        """Per part: the stream's state before each block."""
        self.starts = np.zeros(1, dtype=np.int64)
        """Per part: its first row among all parts' rows, then the total (set by
        :meth:`finish`)."""
        self._sizes: list[int] = []
        self.first = np.zeros(0)
        """Per issue: its first offset [min]."""
        self.source = np.zeros(0, dtype=np.int64)
        """Per issue: its row among all parts' rows (parts concatenated)."""
        self._cache: dict[tuple[int, int], np.ndarray] = {}
        self._firsts: list[np.ndarray] = []

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.first), REPEAT_DRAWS if self.rate > 0 else 0

    def add_part(self, rng: np.random.Generator | None, limit: float, n: int) -> None:
        """Draw a part's offsets block by block, keeping the states and first offsets
        (``rng`` may be None when ``n`` is 0: nothing is drawn)."""
        states = []
        for lo in range(0, n, REPEAT_BLOCK):
            assert rng is not None
            states.append(rng.bit_generator.state)
            self._firsts.append(self._first(rng, limit, min(REPEAT_BLOCK, n - lo)))
        self.limits.append(limit)
        self.states.append(states)
        self._sizes.append(n)

    def finish(self, order: np.ndarray) -> None:
        """The issues are the parts' rows taken in ``order``."""
        first = np.concatenate(self._firsts) if self._firsts else np.zeros(0)
        self._firsts = []
        self.starts = np.concatenate([[0], np.cumsum(self._sizes, dtype=np.int64)])
        self._sizes = []
        self.first = first[order] if self.rate > 0 else np.zeros(len(order))
        self.source = order.astype(np.int32)

    def _block(self, rng: np.random.Generator, limit: float, m: int) -> np.ndarray:
        # rate r(t) = R t / D: Lambda(t) = R t^2 / (2 D), so t_k = sqrt(2 D E_k / R)
        e = np.cumsum(rng.exponential(1.0, (m, REPEAT_DRAWS)), 1)
        return np.sqrt(2.0 * limit * e / self.rate)

    def _first(self, rng: np.random.Generator, limit: float, m: int) -> np.ndarray:
        # _block(...)[:, 0], the same numbers without summing and rooting the rest
        e = rng.exponential(1.0, (m, REPEAT_DRAWS))[:, 0]
        return np.sqrt(2.0 * limit * e / self.rate)

    def _redraw(self, part: int, block: int) -> np.ndarray:
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = self.states[part][block]
        n = int(self.starts[part + 1] - self.starts[part])
        return self._block(rng, self.limits[part], min(REPEAT_BLOCK, n - block * REPEAT_BLOCK))

    def __getitem__(self, at: tuple[int, int]) -> float:
        issue, j = at
        if j == 0:
            return float(self.first[issue])
        if j < 0:
            j += REPEAT_DRAWS
        src = int(self.source[issue])
        part = int(np.searchsorted(self.starts, src, side="right")) - 1
        row = src - int(self.starts[part])
        key = (part, row // REPEAT_BLOCK)
        block = self._cache.get(key)
        if block is None:
            if len(self._cache) >= 16:
                del self._cache[next(iter(self._cache))]
            block = self._cache[key] = self._redraw(*key)
        return float(block[row % REPEAT_BLOCK, j])

    def hits(self, open_for: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray]:
        """The offsets below each issue's ``open_for`` [min] (NaN: none), as (issue,
        offset) sorted by issue and offset; and the issues open beyond their last
        drawn offset, ascending, with that offset."""
        if self.shape[0] == 0 or self.shape[1] == 0:  # no issues, or no repeats drawn
            none = np.zeros(0, dtype=np.int64)
            return none, np.zeros(0), none, np.zeros(0)
        issue_of = np.empty(len(self.source), dtype=np.int64)  # row -> issue
        issue_of[self.source] = np.arange(len(self.source))
        limit = np.nan_to_num(open_for, nan=-1.0)
        issues, ks, offsets, beyond, lasts = [], [], [], [], []
        for part, states in enumerate(self.states):
            lo = int(self.starts[part])
            for b in range(len(states)):
                offs = self._redraw(part, b)
                mine = issue_of[lo + b * REPEAT_BLOCK:lo + b * REPEAT_BLOCK + len(offs)]
                row, k = np.nonzero(offs < limit[mine][:, None])
                issues.append(mine[row])
                ks.append(k)
                offsets.append(offs[row, k])
                out = np.flatnonzero(limit[mine] > offs[:, -1])
                beyond.append(mine[out])
                lasts.append(offs[out, -1])
        issue, k = np.concatenate(issues), np.concatenate(ks)
        order = np.lexsort((k, issue))
        late = np.concatenate(beyond)
        late_order = np.argsort(late)
        return (issue[order], np.concatenate(offsets)[order], late[late_order],
                np.concatenate(lasts)[late_order])
