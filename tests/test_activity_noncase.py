"""Off-shift intervals split at non-case blocks: the recorder resumes its scan of a staff
member's blocks where the last interval left it, with the same rows as a scan from the
start, in or out of time order."""

from __future__ import annotations

import numpy as np

from twin.records import ActivityRecorder
from twin.vocab import NONCASE, OFF_SHIFT


def _split(blocks: list[tuple[float, float]], t0: float, t1: float
           ) -> list[tuple[int, float, float]]:
    """The parts of [t0, t1) inside and outside the blocks, by a scan from the start."""
    out, t = [], t0
    for s, e in blocks:
        if e <= t or s >= t1:
            continue
        if s > t:
            out.append((OFF_SHIFT, t, s))
        out.append((NONCASE, max(s, t), min(e, t1)))
        t = min(e, t1)
    if t1 > t:
        out.append((OFF_SHIFT, t, t1))
    return [row for row in out if row[2] > row[1]]


def _rows(rec: ActivityRecorder) -> list[tuple[int, int, float, float]]:
    return list(zip(rec.worker, rec.state, rec.t_start, rec.t_end, strict=True))


def _blocks(rng: np.random.Generator) -> list[tuple[float, float]]:
    edges = np.sort(rng.choice(np.arange(0, 2000, 5), size=20, replace=False))
    return [(float(a), float(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def test_off_shift_rows_as_a_scan_from_the_start() -> None:
    rng = np.random.default_rng(7)
    blocks = [_blocks(rng), [], _blocks(rng)]
    rec = ActivityRecorder(np.zeros(3, np.int64), np.zeros(3, np.int64), 0)
    rec.set_noncase(blocks)
    want = []
    t = [0.0, 0.0, 0.0]
    for _ in range(60):
        w = int(rng.integers(3))
        if rng.random() < 0.2:  # now and then an interval out of time order
            t0 = float(rng.uniform(0, t[w] + 1))
        else:
            t0 = t[w] + float(rng.uniform(0, 50))
        t1 = t0 + float(rng.uniform(0, 300))
        t[w] = max(t[w], t1)
        rec.add(w, OFF_SHIFT, t0, t1)
        want += [(w, s, a, b) for s, a, b in _split(blocks[w], t0, t1)]
    assert _rows(rec) == want
    assert any(state == NONCASE for _, state, _, _ in want)


def test_interval_ending_inside_a_block_resumes_there() -> None:
    rec = ActivityRecorder(np.zeros(1, np.int64), np.zeros(1, np.int64), 0)
    rec.set_noncase([[(10.0, 20.0), (30.0, 40.0)]])
    rec.add(0, OFF_SHIFT, 0.0, 15.0)
    rec.add(0, OFF_SHIFT, 15.0, 35.0)
    rec.add(0, OFF_SHIFT, 50.0, 60.0)
    assert _rows(rec) == [(0, OFF_SHIFT, 0.0, 10.0), (0, NONCASE, 10.0, 15.0),
                          (0, NONCASE, 15.0, 20.0), (0, OFF_SHIFT, 20.0, 30.0),
                          (0, NONCASE, 30.0, 35.0), (0, OFF_SHIFT, 50.0, 60.0)]


def test_a_noncase_end_is_found_as_a_set_of_the_ends_would_find_it() -> None:
    """``noncase_ends_at`` answers as ``t in {ends}`` does, also where one block ends as
    the next starts and at starts that are not ends."""
    rng = np.random.default_rng(3)
    touching = [(10.0, 20.0), (20.0, 30.0), (40.0, 50.0)]
    blocks = [_blocks(rng), [], touching, _blocks(rng)]
    rec = ActivityRecorder(np.zeros(4, np.int64), np.zeros(4, np.int64), 0)
    rec.set_noncase(blocks)
    for w, spans in enumerate(blocks):
        ends = {e for _, e in spans}
        probes = {t for span in spans for t in span} | {0.0, 5.0, 35.0, 2500.0}
        for t in sorted(probes):
            assert rec.noncase_ends_at(w, t) == (t in ends), (w, t)
    assert rec.noncase_ends_at(2, 20.0) and not rec.noncase_ends_at(2, 10.0)
    empty = ActivityRecorder(np.zeros(2, np.int64), np.zeros(2, np.int64), 0)
    empty.set_noncase([[], []])
    assert not empty.noncase_ends_at(1, 0.0)
