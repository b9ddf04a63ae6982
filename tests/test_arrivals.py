"""Demand: counts by hour and weekday follow the configured rates; shares follow the mix."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from twin.demand import HOURS_PER_WEEK, generate_arrivals, rate_table, sample_service
from twin.geography import build_community
from twin.rng import Streams
from twin.scenario.schema import CHANNELS, COLOURS, Exponential, Fixed, Gamma, Lognormal
from twin.vocab import UNGRADED

P_MIN = 1e-3  # loose threshold for goodness-of-fit tests

PEAK_HOUR = 9
HOURS = [1.0] * 24
HOURS[3] = 0.0  # a dead hour: nothing may be reported in it
HOURS[PEAK_HOUR] = 12.0  # a sharp one-hour peak
DAYS = [1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 0.5]


def _draw(scenario, replication: int = 0, seed: int | None = None):
    community = build_community(scenario)
    streams = Streams(scenario.run.seed if seed is None else seed, replication)
    horizon = scenario.run.horizon_days * 1440.0
    return community, generate_arrivals(scenario, community, streams, horizon), horizon


def _expected_weekly_profile(hours: list[float], days: list[float]) -> np.ndarray:
    h = np.asarray(hours, float)
    d = np.asarray(days, float)
    return np.array([d[k // 24] / d.mean() * h[k % 24] / h.mean() for k in range(168)])


@pytest.fixture(scope="module")
def profiled(small_scenario):
    scenario = small_scenario({
        "demand.hour_of_day": HOURS,
        "demand.day_of_week": DAYS,
        "demand.categories.0.rate_per_hour": 3.0,
        "run.horizon_days": 28,
        "run.warmup_days": 1,
    })
    return scenario, *_draw(scenario)


def test_reports_sorted_and_inside_horizon(profiled) -> None:
    _, _, arr, horizon = profiled
    assert len(arr) > 0
    assert np.all(np.diff(arr.t) >= 0)
    assert arr.t.min() >= 0 and arr.t.max() < horizon


def test_counts_per_hour_of_week_match_rates(profiled) -> None:
    _, _, arr, horizon = profiled
    weeks = horizon / (HOURS_PER_WEEK * 60.0)
    assert weeks == 4
    rate = 3.0 * _expected_weekly_profile(HOURS, DAYS)
    observed = np.bincount((arr.t // 60).astype(int) % 168, minlength=168)
    expected = rate * weeks
    assert observed[expected == 0].sum() == 0, "issues reported in a zero-rate hour"
    live = expected > 0
    chi2 = stats.chisquare(observed[live], expected[live] * observed.sum() / expected.sum())
    assert chi2.pvalue > P_MIN
    # the total is Poisson with the configured mean
    total = expected.sum()
    assert abs(observed.sum() - total) < 4 * np.sqrt(total)


def test_counts_per_hour_of_day_and_weekday(profiled) -> None:
    _, _, arr, horizon = profiled
    days_run = horizon / 1440.0
    hour = (arr.t // 60).astype(int) % 24
    weekday = (arr.t // 1440).astype(int) % 7
    h = np.asarray(HOURS) / np.mean(HOURS)
    d = np.asarray(DAYS) / np.mean(DAYS)
    # per hour of day: rate 3/h * h[k], over days_run days (weekday factors average to 1)
    exp_hour = 3.0 * h * days_run
    obs_hour = np.bincount(hour, minlength=24)
    for k in range(24):
        lo, hi = stats.poisson.interval(1 - P_MIN, exp_hour[k]) if exp_hour[k] > 0 else (0, 0)
        assert lo <= obs_hour[k] <= hi, f"hour {k}: {obs_hour[k]} not in [{lo}, {hi}]"
    exp_day = 3.0 * 24 * d * days_run / 7
    obs_day = np.bincount(weekday, minlength=7)
    chi2 = stats.chisquare(obs_day, exp_day * obs_day.sum() / exp_day.sum())
    assert chi2.pvalue > P_MIN


def test_sharp_peak_is_not_skipped(profiled) -> None:
    _, _, arr, horizon = profiled
    # Every single peak hour of the run gets its Poisson count (rate 3 * 12/mean).
    h = np.asarray(HOURS) / np.mean(HOURS)
    d = np.asarray(DAYS) / np.mean(DAYS)
    hour_index = (arr.t // 60).astype(int)
    counts = np.bincount(hour_index, minlength=int(horizon // 60))
    for day in range(int(horizon // 1440)):
        mean = 3.0 * h[PEAK_HOUR] * d[day % 7]
        got = counts[day * 24 + PEAK_HOUR]
        lo, hi = stats.poisson.interval(1 - P_MIN / 28, mean)
        assert lo <= got <= hi, f"day {day}: {got} reports in the peak hour, mean {mean:.1f}"
    # Within the peak hour the reports are spread uniformly over the 60 minutes.
    peak = arr.t[(hour_index % 24) == PEAK_HOUR] % 60.0
    assert stats.kstest(peak / 60.0, "uniform").pvalue > P_MIN


def test_rate_table_normalises_profiles(profiled) -> None:
    scenario, community, _, _ = profiled
    table = rate_table(scenario, community)
    assert table.shape == (1, 1, 168)
    assert table.mean() == pytest.approx(3.0)
    np.testing.assert_allclose(table[0, 0], 3.0 * _expected_weekly_profile(HOURS, DAYS))


def test_category_profile_overrides_the_default(small_scenario) -> None:
    own = [0.0] * 24
    own[12] = 1.0  # this category only at noon
    scenario = small_scenario({
        "demand.categories": [
            {"name": "noon", "rate_per_hour": 1.0, "hour_of_day": own,
             "service": {"distribution": "fixed", "value": 1}},
            {"name": "flat", "rate_per_hour": 1.0,
             "service": {"distribution": "fixed", "value": 1}},
        ],
        "run.horizon_days": 14,
    })
    _, arr, _ = _draw(scenario)
    hours = (arr.t // 60).astype(int) % 24
    assert set(hours[arr.category == 0]) == {12}
    assert len(set(hours[arr.category == 1])) == 24
    # Same average rate for both categories: 24 per day each.
    for k in (0, 1):
        n = (arr.category == k).sum()
        assert abs(n - 14 * 24) < 4 * np.sqrt(14 * 24)


def test_partial_last_hour_keeps_its_share(small_scenario) -> None:
    # Horizon of 90 minutes: the last hour only contributes its first 30 minutes.
    scenario = small_scenario({"demand.categories.0.rate_per_hour": 40.0,
                               "run.horizon_days": 90 / 1440, "run.warmup_days": 0})
    counts = []
    for rep in range(200):
        _, arr, horizon = _draw(scenario, replication=rep)
        assert (arr.t < horizon).all()
        counts.append(len(arr))
    expected = 40.0 * 1.5
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 200)


def test_per_1000_resident_rates_scale_with_residents(small_scenario) -> None:
    residents = [500, 2000, 6000]
    scenario = small_scenario({
        "map.cols": 6,
        "grids.blocks": [1, 3],
        "grids.items": [{"name": f"g{i}", "residents": r} for i, r in enumerate(residents)],
        "demand.categories.0": {"name": "job", "rate_per_hour_per_1000_residents": 0.5,
                                "service": {"distribution": "fixed", "value": 1}},
        "run.horizon_days": 14,
    })
    community, arr, horizon = _draw(scenario)
    table = rate_table(scenario, community)
    np.testing.assert_allclose(table[:, 0, :].mean(axis=1), [0.5 * r / 1000 for r in residents])
    counts = np.bincount(arr.grid, minlength=3)
    for g, r in enumerate(residents):
        mean = 0.5 * r / 1000 * horizon / 60
        lo, hi = stats.poisson.interval(1 - P_MIN, mean)
        assert lo <= counts[g] <= hi, f"grid {g}: {counts[g]} reports, mean {mean}"
    # Doubling everyone's residents doubles the table.
    doubled = small_scenario({
        "map.cols": 6, "grids.blocks": [1, 3],
        "grids.items": [{"name": f"g{i}", "residents": 2 * r} for i, r in enumerate(residents)],
        "demand.categories.0": {"name": "job", "rate_per_hour_per_1000_residents": 0.5,
                                "service": {"distribution": "fixed", "value": 1}},
    })
    np.testing.assert_allclose(rate_table(doubled, build_community(doubled)), 2 * table)


def test_issue_nodes_lie_in_their_grid_uniformly(small_scenario) -> None:
    scenario = small_scenario({"map.rows": 4, "map.cols": 6, "grids.blocks": [2, 3],
                               "run.horizon_days": 14})
    community, arr, _ = _draw(scenario)
    assert (community.grid_of_node[arr.node] == arr.grid).all()
    for g, nodes in enumerate(community.grid_nodes):
        hits = np.array([(arr.node[arr.grid == g] == v).sum() for v in nodes])
        assert stats.chisquare(hits).pvalue > P_MIN


def _disputed(small_scenario, colours: dict[str, float], **more: object):
    """SMALL_BASE's category made a dispute graded by ``colours`` (units: a mediation
    office and the police)."""
    return small_scenario({
        "demand.categories.0.rate_per_hour": 10.0,
        "demand.categories.0.service": None,
        "demand.categories.0.colours": colours,
        "demand.categories.0.dispute": {},
        "work_orders": {"units": [{"name": "mediation_office", "staff": 1},
                                  {"name": "police", "staff": 1}]},
        "disputes": {"mediation": {"unit": "mediation_office"},
                     "red": {"lead": "police", "join": []}},
        **more,
    })


def test_grade_and_channel_shares(small_scenario) -> None:
    colours = {"green": 0.6, "yellow": 0.3, "red": 0.1}
    channels = {"resident": 0.2, "patrol": 0.5, "sensor": 0.3}
    scenario = _disputed(small_scenario, colours, **{
        "demand.categories.0.channels": channels, "run.horizon_days": 14})
    _, arr, _ = _draw(scenario)
    n = len(arr)
    for codes, shares, names in ((arr.colour, colours, COLOURS),
                                 (arr.channel, channels, CHANNELS)):
        observed = np.bincount(codes, minlength=len(names))
        expected = np.array([shares[k] for k in names]) * n
        assert stats.chisquare(observed, expected).pvalue > P_MIN


def test_absent_share_never_drawn(small_scenario) -> None:
    scenario = _disputed(small_scenario, {"green": 0.5, "red": 0.5}, **{"run.horizon_days": 3})
    _, arr, _ = _draw(scenario)
    assert set(np.unique(arr.colour)) == {COLOURS.index("green"), COLOURS.index("red")}
    assert set(np.unique(arr.channel)) == {CHANNELS.index("resident")}


def test_a_category_that_is_no_dispute_is_not_graded(small_scenario) -> None:
    _, arr, _ = _draw(small_scenario({"run.horizon_days": 3}))
    assert len(arr) > 0 and (arr.colour == UNGRADED).all()


@pytest.mark.parametrize("spec", [
    Exponential(distribution="exponential", mean=20.0),
    Lognormal(distribution="lognormal", mean=20.0, sd=12.0),
    Gamma(distribution="gamma", mean=12.0, sd=6.0),
], ids=["exponential", "lognormal", "gamma"])
def test_service_distributions_have_configured_moments(spec) -> None:
    n = 400_000
    x = sample_service(spec, np.random.default_rng(5), n)
    sd = getattr(spec, "sd", spec.mean)
    assert (x >= 0).all()
    assert abs(x.mean() - spec.mean) < 5 * sd / np.sqrt(n)
    assert x.std() == pytest.approx(sd, rel=0.02)


def test_fixed_and_empirical_service() -> None:
    from twin.scenario.schema import Empirical

    rng = np.random.default_rng(1)
    assert (sample_service(Fixed(distribution="fixed", value=7.5), rng, 10) == 7.5).all()
    spec = Empirical(distribution="empirical", values=[1.0, 5.0, 9.0], weights=[1, 0, 3])
    x = sample_service(spec, rng, 40_000)
    assert set(np.unique(x)) == {1.0, 9.0}
    assert stats.binomtest(int((x == 9.0).sum()), len(x), 0.75).pvalue > P_MIN
