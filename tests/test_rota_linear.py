"""Rota planning in one pass: the non-case share of each hour and the hours of each week
are the same numbers, bit for bit, as the plain definitions (hour slots over the whole
run intersected with the time on duty; each week intersected with the time worked)."""

from __future__ import annotations

import math
import random

import pytest

from twin.headcount import _rota_hours, _weeks
from twin.scenario import rotaplan
from twin.scenario.noncasetime import share_spans
from twin.scenario.people import RotaSpec
from twin.scenario.rotaplan import (
    Span,
    intersect,
    merge,
    rota_people,
    subtract,
    total,
)
from twin.vocab import MINUTES_PER_DAY, MINUTES_PER_WEEK


def slots_definition(share: float, k: int, n: int, on: list[Span],
                     period: float = 60.0) -> list[Span]:
    """The non-case share by its definition: every hour's slot, merged, then intersected."""
    if share <= 0.0 or not on:
        return []
    offset, length = period * k / n, period * share
    first = math.floor(on[0][0] / period) - 1
    last = math.ceil(on[-1][1] / period)
    slots = [(h * period + offset, h * period + offset + length) for h in range(first, last + 1)]
    return intersect(on, merge(slots))


def random_spans(rng: random.Random, n: int, horizon: float) -> list[Span]:
    points = sorted(rng.uniform(0.0, horizon) for _ in range(2 * n))
    return merge([(points[2 * i], points[2 * i + 1]) for i in range(n)])


@pytest.mark.parametrize("seed", range(20))
def test_share_spans_equal_their_definition(seed: int) -> None:
    rng = random.Random(seed)
    horizon = rng.choice([1.0, 3.0, 30.0]) * MINUTES_PER_DAY
    on = random_spans(rng, rng.randint(1, 60), horizon)
    share = rng.choice([0.01, 0.25, 0.5, 0.999, 1.0, rng.random()])
    n = rng.randint(1, 9)
    period = rng.choice([60.0, 45.0, 7.0])
    for k in range(n):
        assert share_spans(share, k, n, on, period) == slots_definition(share, k, n, on, period)


def test_share_spans_on_day_hours_and_whole_hours() -> None:
    day = [(d * MINUTES_PER_DAY + 510.0, d * MINUTES_PER_DAY + 1050.0) for d in range(10)]
    for share in (0.25, 1.0, 0.0):
        for k in range(3):
            assert share_spans(share, k, 3, day) == slots_definition(share, k, 3, day)
    # spans that start and end on slot edges, and touching slots (share 1)
    edges = [(0.0, 60.0), (120.0, 135.0), (180.0, 600.0)]
    assert share_spans(1.0, 0, 1, edges) == slots_definition(1.0, 0, 1, edges)
    assert share_spans(0.25, 0, 1, edges) == [(0.0, 15.0), (120.0, 135.0), (180.0, 195.0),
                                              (240.0, 255.0), (300.0, 315.0), (360.0, 375.0),
                                              (420.0, 435.0), (480.0, 495.0), (540.0, 555.0)]


def weeks_definition(spans: list[Span], horizon: float) -> tuple[list[float], list[int]]:
    weeks = [(w * MINUTES_PER_WEEK, (w + 1) * MINUTES_PER_WEEK)
             for w in range(math.ceil(horizon / MINUTES_PER_WEEK))]
    return ([total(intersect(spans, [wk])) for wk in weeks],
            [sum(1 for s, _e in spans if wk[0] <= s < wk[1]) for wk in weeks])


@pytest.mark.parametrize("seed", range(20))
def test_week_sums_equal_their_definition(seed: int) -> None:
    rng = random.Random(seed)
    horizon = rng.choice([3.0, 7.0, 30.5, 100.0]) * MINUTES_PER_DAY
    spans = random_spans(rng, rng.randint(0, 80), horizon)
    assert _weeks(spans, horizon) == weeks_definition(spans, horizon)


def test_week_sums_split_a_span_across_weeks() -> None:
    horizon = 21 * MINUTES_PER_DAY
    spans = [(MINUTES_PER_WEEK - 60.0, 2 * MINUTES_PER_WEEK + 30.0)]
    assert _weeks(spans, horizon) == ([60.0, MINUTES_PER_WEEK, 30.0], [1, 0, 0])
    assert _weeks(spans, horizon) == weeks_definition(spans, horizon)


@pytest.mark.parametrize("days", [10, 91, 365])
def test_rota_hours_equal_the_week_by_week_definition(days: int) -> None:
    rota = RotaSpec.model_validate({
        "day": {"start": "08:30", "end": "17:30"}, "unpaid_break": 60, "leave": 0.05,
        "duty": {"restday": {"start": "08:30", "end": "17:30", "staff": 2}, "time_off": True}})
    horizon = days * MINUTES_PER_DAY
    for person in rota_people(rota, 5, horizon):
        worked, starts = weeks_definition(person.work, horizon)
        per_week = [w - rota.unpaid_break * n for w, n in zip(worked, starts, strict=True)]
        hours = _rota_hours(person, rota, horizon, "x")
        whole = per_week[:int(horizon / MINUTES_PER_WEEK)]
        assert hours.week_mean == sum(per_week) / 60.0 / (horizon / MINUTES_PER_WEEK)
        assert hours.week_max == max(whole) / 60.0
        assert hours.worst_week == whole.index(max(whole)) + 1


def random_pieces(rng: random.Random, n: int, horizon: float) -> list[Span]:
    """Unsorted spans that overlap, touch, repeat and are empty, some with integer ends."""
    out: list[Span] = []
    for _ in range(n):
        s = float(rng.randrange(0, int(horizon), 15)) if rng.random() < 0.5 else \
            rng.uniform(0.0, horizon)
        out.append((s, s + rng.choice([0.0, -5.0, 15.0, 60.0, rng.uniform(0.0, 300.0)])))
    out += [out[0], (out[1][1], out[1][1] + 30.0)] if n > 2 else []
    return out


@pytest.mark.parametrize("seed", range(12))
def test_long_lists_in_numpy_give_the_plain_pieces(seed: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    horizon = 30 * MINUTES_PER_DAY
    pieces = random_pieces(rng, rng.randint(65, 400), horizon)
    a = random_spans(rng, rng.randint(0, 200), horizon)
    cut = merge(random_pieces(rng, rng.randint(0, 300), horizon))
    fast = merge(pieces), subtract(a, cut), subtract(a, []), subtract([], cut)
    monkeypatch.setattr(rotaplan, "LONG", 10**9)  # the plain loops only
    assert fast == (merge(pieces), subtract(a, cut), subtract(a, []), subtract([], cut))
