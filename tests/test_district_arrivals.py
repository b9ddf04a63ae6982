"""A district's arrivals, drawn for all grids at once, are the numbers that one named
stream per purpose, grid and category gives when drawn from one at a time.

The reference below is the plain way: ``Streams[name]`` for every stream, numpy's
``poisson``, ``choice`` and ``exponential`` on each. ``generate_arrivals`` derives
the streams' seeds in one go, walks many streams' Poisson draws side by side and
keeps only the first repeat-complaint offsets; any difference is a fault.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import twin
import twin.poisson as poisson
from twin.demand import (
    REPEAT_BLOCK,
    REPEAT_DRAWS,
    Arrivals,
    event_factors,
    generate_arrivals,
    rate_table,
    sample_service,
)
from twin.geography import build_community
from twin.rng import Streams, pcg64_seeds
from twin.scenario.schema import CHANNELS, COLOURS, Scenario
from twin.scenario.service import Exponential
from twin.vocab import HOURS_PER_WEEK, UNGRADED

FIELDS = ("t", "t_report", "latent", "grid", "category", "node", "colour", "channel",
          "service")


def _shares(mapping: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    p = np.array([mapping.get(n, 0.0) for n in names], dtype=float)
    return p / p.sum()


def reference(scenario: Scenario, community: Any, streams: Streams, horizon: float
              ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every issue, one stream at a time, in time order; and each issue's
    REPEAT_DRAWS repeat-complaint offsets (an empty matrix when they are off)."""
    rates = rate_table(scenario, community)
    n_hours = int(np.ceil(horizon / 60))
    week_hour = np.arange(n_hours) % HOURS_PER_WEEK
    surge = event_factors(scenario, n_hours)
    repeat_rate = scenario.repeat_complaints.rate_at_deadline / 60
    cols: dict[str, list[np.ndarray]] = {f: [] for f in FIELDS}
    offsets: list[np.ndarray] = []
    for g, grid in enumerate(community.grid_names):
        nodes = community.grid_nodes[g]
        for k, cat in enumerate(scenario.demand.categories):
            key = f"{grid}/{cat.name}"
            rng = streams[f"arrivals/{key}"]
            lam = rates[g, k, week_hour]
            counts = rng.poisson(lam if surge[k] is None else lam * surge[k])
            t = np.repeat(np.arange(n_hours) * 60, counts) + rng.random(counts.sum()) * 60
            t = np.sort(t)
            t = t[t < horizon]
            n = len(t)
            cols["t"].append(t)
            cols["grid"].append(np.full(n, g, np.int32))
            cols["category"].append(np.full(n, k, np.int32))
            cols["node"].append(nodes[streams[f"location/{key}"].integers(0, len(nodes), n)])
            cols["colour"].append(
                streams[f"colour/{key}"].choice(3, size=n, p=_shares(cat.grade_mix(), COLOURS))
                .astype(np.int8) if cat.dispute is not None else np.full(n, UNGRADED, np.int8))
            cols["service"].append(sample_service(cat.service, streams[f"service/{key}"], n)
                                   if cat.service is not None else np.zeros(n))
            if cat.latent is None:
                p = _shares(cat.channels or {"resident": 1.0}, CHANNELS)
                cols["channel"].append(streams[f"channel/{key}"].choice(
                    len(CHANNELS), size=n, p=p).astype(np.int8))
                cols["t_report"].append(t)
                cols["latent"].append(np.zeros(n, bool))
            else:
                sensed = streams[f"sensor/{key}"].random(n) < cat.latent.sensor_share
                delay = streams[f"report-delay/{key}"].exponential(cat.latent.report_delay, n)
                cols["channel"].append(np.where(sensed, CHANNELS.index("sensor"),
                                                CHANNELS.index("resident")).astype(np.int8))
                cols["t_report"].append(np.where(sensed, t, t + delay))
                cols["latent"].append(~sensed)
            if repeat_rate > 0:
                limit = cat.time_limit() if cat.dispute is None else 1.0
                rep = streams[f"repeat/{key}"]
                for lo in range(0, n, REPEAT_BLOCK):
                    e = np.cumsum(rep.exponential(1.0, (min(REPEAT_BLOCK, n - lo),
                                                        REPEAT_DRAWS)), 1)
                    offsets.append(np.sqrt(2.0 * limit * e / repeat_rate))
    merged = {f: np.concatenate(v) for f, v in cols.items()}
    order = np.argsort(merged["t"], kind="stable")
    every = np.concatenate(offsets) if offsets else np.zeros((len(order), 0))
    return {f: v[order] for f, v in merged.items()}, every[order]


def assert_same(arr: Arrivals, ref: dict[str, np.ndarray], offsets: np.ndarray) -> None:
    assert len(arr) == len(ref["t"]) > 0
    for field in FIELDS:
        mine, theirs = getattr(arr, field), ref[field]
        assert mine.dtype == theirs.dtype, field
        np.testing.assert_array_equal(mine, theirs, err_msg=field)
    assert arr.repeat_offsets.shape == offsets.shape
    if offsets.shape[1]:
        np.testing.assert_array_equal(arr.repeat_offsets.first, offsets[:, 0])
        rng = np.random.default_rng(0)
        for issue, j in zip(rng.integers(0, len(arr), 300), rng.integers(0, REPEAT_DRAWS, 300),
                            strict=True):
            assert arr.repeat_offsets[int(issue), int(j)] == offsets[issue, j]


def _many_grids(path: str, blocks: tuple[int, int], days: float,
                **changes: Any) -> Scenario:
    scenario = twin.load_scenario(f"scenarios/{path}", overrides={
        "grids.blocks": list(blocks), "run.horizon_days": days, "run.warmup_days": 1,
        **changes})
    assert blocks[0] * blocks[1] == 200
    return scenario


@pytest.mark.parametrize(("path", "days", "changes"), [
    ("district.yaml", 20, {"map.rows": 60, "map.cols": 40}),  # disputes, repeats
    ("rainy_season.yaml", 28, {}),  # events: surges and a temporary category
    ("volunteers_15.yaml", 9, {}),  # latent hazards: sensors and report delays
])
def test_two_hundred_grids_draw_what_one_stream_at_a_time_draws(
        path: str, days: float, changes: dict[str, Any]) -> None:
    scenario = _many_grids(path, (10, 20), days, **changes)
    community = build_community(scenario)
    for replication in (0, 3):
        arr = generate_arrivals(scenario, community, Streams(scenario.run.seed, replication),
                                days * 1440.0)
        ref, offsets = reference(scenario, community,
                                 Streams(scenario.run.seed, replication), days * 1440.0)
        assert_same(arr, ref, offsets)


def test_service_times_and_many_walking_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    # small chunks and groups, and few uniforms kept after each candidate: rows go
    # through every path (several groups, rows handed back to numpy's own draws)
    monkeypatch.setattr(poisson, "CHUNK", 5000)
    monkeypatch.setattr(poisson, "WALKERS", 300)
    monkeypatch.setattr(poisson, "AHEAD", 1)
    scenario = _many_grids("district.yaml", (20, 10), 12, **{"map.rows": 50, "map.cols": 40})
    cats = [c.model_copy(update={"service": Exponential(distribution="exponential",
                                                        mean=20.0 + k)})
            for k, c in enumerate(scenario.demand.categories)]
    scenario = scenario.model_copy(update={"demand": scenario.demand.model_copy(
        update={"categories": cats})})
    community = build_community(scenario)
    arr = generate_arrivals(scenario, community, Streams(7, 1), 12 * 1440.0)
    assert (arr.service > 0).all()
    assert_same(arr, *reference(scenario, community, Streams(7, 1), 12 * 1440.0))


@pytest.mark.parametrize(("walkers", "near"), [(1 << 19, 1e-15), (40, 1e-15), (1 << 19, 1e-2)])
def test_hourly_draws_are_numpy_poisson_then_uniforms(monkeypatch: pytest.MonkeyPatch,
                                                      walkers: int, near: float) -> None:
    # near 1e-2: most decisions go through math.exp, which must agree with numpy's exp
    monkeypatch.setattr(poisson, "WALKERS", walkers)
    monkeypatch.setattr(poisson, "NEAR", near)
    rng = np.random.default_rng(11)
    for trial in range(40):
        rows, hours = int(rng.integers(1, 50)), int(rng.integers(0, 500))
        scale = (0.005, 0.05, 0.2, 0.6, 3.0)[trial % 5]  # the last two: numpy's rows
        factor = rng.uniform(0, 2, (3, hours)) if trial % 3 == 0 else None
        if factor is not None:
            factor[:, ::13] = 0  # hours without issues: numpy's rows too
        rates = poisson.HourlyRates(rng.uniform(0.2 * scale, scale, (rows, HOURS_PER_WEEK)),
                                    hours, factor, rng.integers(0, 3, rows))

        def gen(s: int, trial: int = trial) -> np.random.Generator:
            return np.random.Generator(np.random.PCG64([trial, s]))

        row, hour, uniform = poisson.hourly_draws(gen, rates)
        lam = rates.lam(np.arange(rows))
        for s in range(rows):
            g = gen(s)
            counts = g.poisson(lam[s])
            mine = row == s
            np.testing.assert_array_equal(hour[mine], np.repeat(np.arange(hours), counts))
            np.testing.assert_array_equal(uniform[mine], g.random(counts.sum()))


@pytest.mark.parametrize(("seed", "replication"), [
    (0, 0), (1, 3), (20240601, 7), (2**32 - 1, 2**32), (2**70 + 12345, 2**40 + 1)])
def test_stream_starts_are_the_streams_seeded_one_by_one(seed: int, replication: int) -> None:
    names = [f"arrivals/grid-{g}/c{k}" for g in range(40) for k in range(3)] + ["", "网格/维修"]
    starts = Streams(seed, replication).starts(names)
    state, inc = pcg64_seeds(seed, replication, names)
    assert len(starts) == len(state) == len(inc) == len(names)
    for i, name in enumerate(names):
        plain = Streams(seed, replication)[name]
        assert starts.state(i) == plain.bit_generator.state
        np.testing.assert_array_equal(starts.at(i).random(5), plain.random(5))


def test_started_streams_are_listed_as_used() -> None:
    streams = Streams(5, 0)
    streams["b"].random()
    streams.starts(["c", "a"])
    assert streams.names() == ["a", "b", "c"]
