"""The roster's shift changes made a week at a time are the rows of one sort of them all."""

from __future__ import annotations

import numpy as np
import pytest

from twin.engine.shiftrows import WINDOW, shift_rows


def one_sort(duty: list[np.ndarray | None], horizon: float) -> list[tuple[float, int, bool]]:
    """Every start after 0 and end before the horizon, sorted at once by (time, end
    before start, staff member)."""
    rows = [(float(s), w, True) for w, spans in enumerate(duty) if spans is not None
            for s in spans[:, 0] if s > 0.0]
    rows += [(float(e), w, False) for w, spans in enumerate(duty) if spans is not None
             for e in spans[:, 1] if e < horizon]
    return sorted(rows, key=lambda r: (r[0], r[2], r[1]))


def random_duty(rng: np.random.Generator, people: int, horizon: float
                ) -> list[np.ndarray | None]:
    """Sorted disjoint spans on a 30-minute grid (many equal times, some on a window's
    edge, some at 0 and at the horizon), shared by several people, some always on."""
    kinds: list[np.ndarray | None] = [None, np.zeros((0, 2))]
    for _ in range(6):
        cuts = np.unique(rng.integers(0, int(horizon // 30) + 1, 2 * rng.integers(1, 40)))
        cuts = cuts[: len(cuts) // 2 * 2] * 30.0
        kinds.append(cuts.reshape(-1, 2))
    return [kinds[int(k)] for k in rng.integers(0, len(kinds), people)]


@pytest.mark.parametrize("seed", range(8))
def test_rows_equal_one_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    horizon = float(rng.choice([3 * WINDOW, 2.5 * WINDOW, WINDOW / 3]))
    duty = random_duty(rng, 40, horizon)
    assert list(shift_rows(duty, horizon)) == one_sort(duty, horizon)
    small = float(rng.choice([60.0, 1440.0, 90.0]))  # other windows give the same rows
    assert list(shift_rows(duty, horizon, small)) == one_sort(duty, horizon)


def test_a_change_on_a_windows_edge_is_made_once() -> None:
    duty: list[np.ndarray | None] = [np.array([[0.0, WINDOW], [WINDOW + 60.0, 2 * WINDOW]])]
    assert list(shift_rows(duty, 3 * WINDOW)) == [
        (WINDOW, 0, False), (WINDOW + 60.0, 0, True), (2 * WINDOW, 0, False)]
