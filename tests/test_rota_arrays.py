"""A person's time as numpy rows: the array functions give the same spans, bit for bit, as
the plain list functions on random spans and random rotas, and people who share a rota
or a shift share one read-only array."""

from __future__ import annotations

import random

import numpy as np
import pytest

from twin.geography import build_community
from twin.scenario import load_scenario, rotaplan
from twin.scenario.people import RotaSpec
from twin.scenario.rotaplan import Span, intersect, merge, rota_people, subtract, union
from twin.scenario.spanarrays import (
    as_array,
    intersect_rows,
    merge_rows,
    subtract_rows,
    union_rows,
)
from twin.staffing import build_staffing
from twin.vocab import MINUTES_PER_DAY, WEEKDAYS


def spans_of(rows: np.ndarray) -> list[Span]:
    assert rows.dtype == np.float64 and rows.ndim == 2 and rows.shape[1] == 2
    return [(s, e) for s, e in rows.tolist()]


def pieces(rng: random.Random, n: int, horizon: float) -> list[Span]:
    """Unsorted spans that overlap, touch, repeat and are empty, some on whole minutes."""
    out: list[Span] = []
    for _ in range(n):
        s = rng.choice([round(rng.uniform(0.0, horizon)), rng.uniform(0.0, horizon)])
        e = s + rng.choice([0.0, -1.0, 15.0, 60.0, rng.uniform(0.0, 300.0)])
        out.append((s, e))
    out += rng.sample(out, min(3, len(out)))  # repeats
    out += [(e, e + 30.0) for _s, e in out[:2]]  # touching
    return out


@pytest.fixture(autouse=True)
def plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The list functions in plain Python, whatever the length."""
    monkeypatch.setattr(rotaplan, "LONG", 10**9)


@pytest.mark.parametrize("seed", range(40))
def test_array_functions_equal_the_list_functions(seed: int) -> None:
    rng = random.Random(seed)
    horizon = rng.choice([1.0, 7.0, 40.0]) * MINUTES_PER_DAY
    a, b = (merge(pieces(rng, rng.randint(0, 80), horizon)) for _ in range(2))
    raw = pieces(rng, rng.randint(0, 80), horizon)
    assert spans_of(merge_rows(as_array(raw))) == merge(raw)
    assert spans_of(union_rows(as_array(a), as_array(b))) == union(a, b)
    assert spans_of(intersect_rows(as_array(a), as_array(b))) == intersect(a, b)
    assert spans_of(subtract_rows(as_array(a), as_array(b))) == subtract(a, b)


def random_rota(rng: random.Random) -> RotaSpec:
    start = rng.choice(["08:30", "20:00", "00:00", "07:00"])
    end = rng.choice(["17:30", "08:00", "24:00", "06:59", "12:00"])
    days = rng.choice([["workdays"], rng.sample(list(WEEKDAYS), rng.randint(1, 7))])
    spec: dict = {"day": {"start": start, "end": end}, "days": days,
                  "week": rng.randint(1, 6), "leave": rng.choice([0.0, 0.05, 0.2]),
                  "unpaid_break": 0}
    duty: dict = {}
    if rng.random() < 0.7:
        duty["night"] = {"start": "17:30", "end": rng.choice(["08:30", "23:00"]),
                         "staff": rng.randint(1, 3)}
    if rng.random() < 0.7:
        duty["restday"] = {"start": "09:00", "end": "17:00", "staff": rng.randint(1, 3)}
        duty["time_off"] = rng.random() < 0.5
    if duty:
        spec["duty"] = duty
    return RotaSpec.model_validate(spec)


def list_turns(rota: RotaSpec, k: int, n: int, horizon: float) -> list[Span]:
    """Person k's duty turns by the rules, as a list: each turn's staff taken in turn round
    the pool (night t from day -1, rest-day turn t on the t-th rest day), merged."""
    spec = rota.duty
    if spec is None:
        return []
    n_days = int(-(-horizon // MINUTES_PER_DAY))
    if rota.days == ["workdays"]:
        rest = [d for d in range(n_days) if d % 7 >= 5]
    else:
        rest = [d for d in range(n_days) if WEEKDAYS[d % 7] not in rota.days]
    turns: list[Span] = []
    for turn, when in ((spec.night, list(range(-1, n_days))), (spec.restday, rest)):
        if turn is None:
            continue
        staff = min(turn.staff, n)
        s, e = rotaplan._clock_span(turn.start, turn.end)
        for t, d in enumerate(when):
            if any((t * staff + j) % n == k for j in range(staff)):
                turns.append((max(d * MINUTES_PER_DAY + s, 0.0),
                              min(d * MINUTES_PER_DAY + e, horizon)))
    return merge(turns)


@pytest.mark.parametrize("seed", range(25))
def test_random_rotas_give_the_list_plan(seed: int) -> None:
    rng = random.Random(seed)
    rota = random_rota(rng)
    n = rng.randint(1, 9)
    horizon = rng.randint(3, 60) * MINUTES_PER_DAY - rng.choice([0.0, 90.0])
    people = rota_people(rota, n, horizon)
    for k, person in enumerate(people):
        work, duty = spans_of(person.work), list_turns(rota, k, n, horizon)
        assert spans_of(person.duty) == duty
        assert work == merge(work)  # sorted, disjoint, none empty
        assert spans_of(person.on_duty()) == union(work, duty) == merge([*work, *duty])
        for rows in (person.work, person.duty, person.on_duty()):
            assert not rows.flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                rows[:1] = 0.0


@pytest.mark.parametrize("name", ["baseline.yaml", "rainy_season.yaml"])
def test_staff_on_one_rota_or_shift_share_one_array(name: str) -> None:
    """Also staff a dated event adds or takes away (the rainy season's)."""
    scenario = load_scenario(f"scenarios/{name}", overrides={
        "run.horizon_days": 28, "run.warmup_days": 1})
    staffing = build_staffing(scenario, build_community(scenario), patrols=False)
    arrays = [d for d in staffing.duty if d is not None]
    assert arrays and all(not d.flags.writeable for d in arrays)
    assert all(not b.flags.writeable for b in staffing.noncase)
    by_value: dict[bytes, set[int]] = {}
    for d in arrays:
        by_value.setdefault(d.tobytes(), set()).add(id(d))
    shared = [ids for ids in by_value.values() if len(ids) > 1]
    assert not shared, "staff with the same time hold copies of one array"
    assert len(by_value) < len(arrays)  # some staff do share a time
