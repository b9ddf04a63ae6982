"""Repeat-complaint offsets kept per block give the numbers of the whole n x 20 draw."""

from __future__ import annotations

import numpy as np

from twin.demand import REPEAT_BLOCK, REPEAT_DRAWS, RepeatOffsets


def _matrix(seed: int, n: int, limit: float, rate: float) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(seed))
    e = np.cumsum(rng.exponential(1.0, (n, REPEAT_DRAWS)), 1)
    return np.sqrt(2.0 * limit * e / rate)


def _offsets(sizes: list[int], rate: float) -> tuple[RepeatOffsets, np.ndarray]:
    """Parts of the given sizes, their rows shuffled into issue order; and the matrix of
    every issue's offsets drawn at once."""
    offsets = RepeatOffsets(rate)
    whole = []
    for p, n in enumerate(sizes):
        offsets.add_part(np.random.Generator(np.random.PCG64(p)), 100.0 * (p + 1), n)
        whole.append(_matrix(p, n, 100.0 * (p + 1), rate))
    order = np.random.default_rng(9).permutation(sum(sizes))
    offsets.finish(order)
    return offsets, np.concatenate(whole)[order]


def test_every_offset_is_the_one_drawn_at_once() -> None:
    offsets, matrix = _offsets([3, 2 * REPEAT_BLOCK + 7, 0, REPEAT_BLOCK], 0.01)
    assert offsets.shape == matrix.shape
    for i in range(0, len(matrix), 37):
        assert [offsets[i, j] for j in range(REPEAT_DRAWS)] == matrix[i].tolist()
        assert offsets[i, -1] == matrix[i, -1]


def test_hits_are_the_offsets_below_the_time_open() -> None:
    offsets, matrix = _offsets([5, REPEAT_BLOCK + 1, 40], 0.01)
    open_for = np.random.default_rng(3).uniform(0, 1.2 * matrix[:, -1].max(), len(matrix))
    open_for[::7] = np.nan
    issue, offset, beyond, last = offsets.hits(open_for)
    limit = np.nan_to_num(open_for, nan=-1.0)
    want_issue, want_k = np.nonzero(matrix < limit[:, None])
    assert issue.tolist() == want_issue.tolist()
    assert offset.tolist() == matrix[want_issue, want_k].tolist()
    want_beyond = np.flatnonzero(limit > matrix[:, -1])
    assert len(want_beyond) > 0
    assert beyond.tolist() == want_beyond.tolist()
    assert last.tolist() == matrix[want_beyond, -1].tolist()


def test_off_means_no_columns_and_no_hits() -> None:
    offsets = RepeatOffsets(0.0)
    offsets.finish(np.arange(4))
    assert offsets.shape == (4, 0)
    assert all(len(a) == 0 for a in offsets.hits(np.full(4, 1e9)))


def test_a_run_with_no_issues_has_no_repeat_complaints() -> None:
    """Repeat complaints on, but the run too short for any issue: an empty table."""
    from pathlib import Path

    import twin

    path = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    scenario = twin.load_scenario(path, overrides={"run.horizon_days": 0.0003,
                                                   "run.warmup_days": 0})
    assert scenario.repeat_complaints.rate_at_deadline > 0
    records = twin.simulate(scenario, 0)
    assert len(records.issues) == 0 and len(records.complaints) == 0
    offsets = RepeatOffsets(0.5)
    offsets.finish(np.zeros(0, dtype=np.int64))
    issue, offset, late, last = offsets.hits(np.zeros(0))
    assert len(issue) == len(offset) == len(late) == len(last) == 0
