"""KPIs on hand-built record tables with answers worked out by hand, and the CI helper."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import twin
from twin.metrics import issue_kpis, summarise, worker_kpis
from twin.records import STATES
from twin.scenario.schema import CHANNELS, COLOURS

NAN = float("nan")
WARMUP, HORIZON = 100.0, 1000.0
DEADLINES = {"response": 60.0}
LIMITS = {"litter": 240.0, "repair": 1440.0, "permit": 4320.0, "dispute": NAN}
"""Time limit of each category [min]: the issue table's ``deadline`` column (a dispute
has none)."""


def issue_table(rows: list[tuple]) -> pd.DataFrame:
    """rows: (reported, dispatched, on_site, resolved, category) with NaN for 'not yet'."""
    rep, disp, site, done, category = (list(c) for c in zip(*rows, strict=True))
    n = len(rows)
    return pd.DataFrame({
        "issue_id": np.arange(n),
        "grid": pd.Categorical(["A"] * n, categories=["A", "B"]),
        "category": pd.Categorical(category, categories=list(LIMITS)),
        "channel": pd.Categorical(["resident"] * n, categories=list(CHANNELS)),
        "colour": pd.Categorical(["none"] * n, categories=[*COLOURS, "none"]),
        "node": np.zeros(n, dtype=np.int64),
        "deadline": np.array([LIMITS[c] for c in category]),
        "t_reported": np.array(rep, float),
        "t_dispatched": np.array(disp, float),
        "t_on_site": np.array(site, float),
        "t_resolved": np.array(done, float),
        "worker": np.where(np.isnan(np.array(disp, float)), -1, 0).astype(np.int32),
        "borrowed": np.zeros(n, dtype=bool),
        "travel": np.array(site, float) - np.array(disp, float),
    })


def activity_table(rows: list[tuple]) -> pd.DataFrame:
    """rows: (worker, grid, state, start, end, issue)."""
    worker, grid, state, start, end, issue = (list(c) for c in zip(*rows, strict=True))
    return pd.DataFrame({
        "worker": np.array(worker, dtype=np.int32),
        "kind": pd.Categorical(["grid_worker"] * len(rows)),
        "grid": pd.Categorical(grid, categories=["A", "B", "C"]),
        "unit": pd.Categorical(grid, categories=["A", "B", "C"]),
        "state": pd.Categorical(state, categories=list(STATES)),
        "t_start": np.array(start, float),
        "t_end": np.array(end, float),
        "issue_id": np.array(issue, dtype=np.int64),
    })


@pytest.fixture()
def issues() -> pd.DataFrame:
    return issue_table([
        (50, 120, 130, 150, "litter"),   # before warm-up: only counts while it waits after 100
        (200, 200, 210, 240, "litter"),  # response 10, resolution 40, limit 240 met
        (300, 400, 420, 600, "litter"),  # response 120, resolution 300: limit 240 missed
        (500, NAN, NAN, NAN, "litter"),  # never served; deadline 740 passed: missed
        (900, 950, 960, 980, "repair"),  # limit 1440: deadline 2340 after the horizon: censored
        (700, 710, 800, NAN, "permit"),  # on site, not resolved; censored
    ])


def test_warmup_cut_and_counts(issues) -> None:
    k = issue_kpis(issues, WARMUP, HORIZON)
    assert k["arrived"] == 5
    assert k["resolved"] == 3
    assert k["open_at_end"] == 2


def test_response_and_resolution_times(issues) -> None:
    k = issue_kpis(issues, WARMUP, HORIZON)
    assert k["response_mean"] == pytest.approx((10 + 120 + 60 + 100) / 4)
    assert k["response_p50"] == pytest.approx((60 + 100) / 2)
    assert k["response_p90"] == pytest.approx(100 + 0.7 * 20)
    assert k["resolution_mean"] == pytest.approx((40 + 300 + 80) / 3)
    assert k["resolution_p50"] == pytest.approx(80)


def test_deadline_compliance_censors_late_deadlines(issues) -> None:
    k = issue_kpis(issues, WARMUP, HORIZON)
    # due by the horizon: issues 1 (met), 2 (late), 3 (never resolved)
    assert k["within_deadline"] == pytest.approx(1 / 3)
    # a longer horizon brings the repair (met) into the count
    longer = issue_kpis(issues, WARMUP, 2400.0)
    assert longer["within_deadline"] == pytest.approx(2 / 4)
    # a dispute has no time limit: never due, however long it takes or stays open
    disputes = issue_table([(150, 160, 170, 990, "dispute"), (250, NAN, NAN, NAN, "dispute")])
    both = pd.concat([issues, disputes], ignore_index=True)
    assert issue_kpis(both, WARMUP, HORIZON)["within_deadline"] == pytest.approx(1 / 3)
    assert math.isnan(issue_kpis(disputes, WARMUP, HORIZON)["within_deadline"])


def test_time_average_number_waiting(issues) -> None:
    k = issue_kpis(issues, WARMUP, HORIZON)
    # waiting [reported, dispatched) clipped to [100, 1000]:
    # 20 (issue 0 after warm-up) + 0 + 100 + 500 (to the horizon) + 50 + 10
    assert k["mean_waiting"] == pytest.approx(680 / 900)


def test_no_issues_after_warmup_gives_nan_not_error(issues) -> None:
    k = issue_kpis(issues.iloc[:1], WARMUP, HORIZON)
    assert k["arrived"] == 0
    assert math.isnan(k["response_mean"]) and math.isnan(k["response_p90"])
    assert math.isnan(k["within_deadline"])
    assert k["mean_waiting"] == pytest.approx(20 / 900)


@pytest.fixture()
def activity() -> pd.DataFrame:
    return activity_table([
        (0, "A", "off_shift", 0, 200, -1),
        (0, "A", "idle", 200, 300, -1),
        (0, "A", "travel", 300, 350, 2),
        (0, "A", "on_site", 350, 500, 2),
        (0, "A", "travel", 500, 600, -1),  # walk back to base: on duty, not busy
        (0, "A", "idle", 600, 1000, -1),
        (1, "B", "on_site", 0, 400, 7),    # started before the warm-up ends
        (1, "B", "off_shift", 400, 900, -1),
        (1, "B", "idle", 900, 1000, -1),
    ])


def test_utilisation_excludes_off_shift_and_clips_to_window(activity) -> None:
    k = worker_kpis(activity, WARMUP, HORIZON)
    # worker 0 in [100, 1000]: off 100, on duty 800 of which busy 50 + 150
    # worker 1: on site 300 (from 100), off 500, idle 100 -> on duty 400, busy 300
    assert k["utilisation[A]"] == pytest.approx(200 / 800)
    assert k["utilisation[B]"] == pytest.approx(300 / 400)
    assert k["utilisation"] == pytest.approx(500 / 1200)
    assert math.isnan(k.get("utilisation[C]", NAN))  # a grid without workers
    assert k["travel_share"] == pytest.approx(150 / 1200)


def test_utilisation_ignores_time_after_horizon(activity) -> None:
    k = worker_kpis(activity, WARMUP, 500.0)
    # window [100, 500]: worker 0 off 100, idle 100, travel 50, on site 150 -> 200/300;
    # worker 1 on site 300 then off 100 -> 300/300
    assert k["utilisation[A]"] == pytest.approx(200 / 300)
    assert k["utilisation[B]"] == pytest.approx(1.0)


def test_replication_kpis_merges_both(issues, activity) -> None:
    k = twin.replication_kpis(issues, activity, WARMUP, HORIZON, DEADLINES)
    assert k["arrived"] == 5 and k["utilisation"] == pytest.approx(500 / 1200)


def test_confidence_interval_matches_student_t() -> None:
    sample = np.array([4.1, 5.3, 3.8, 6.0, 5.1, 4.7, 5.9, 4.4])
    for level in (0.9, 0.95, 0.99):
        mean, low, high, n = twin.confidence_interval(sample, level)
        ref = stats.t.interval(level, len(sample) - 1, loc=sample.mean(),
                               scale=stats.sem(sample))
        assert n == len(sample)
        assert mean == pytest.approx(sample.mean())
        assert (low, high) == pytest.approx(ref)
    # 95% is the default
    assert twin.confidence_interval(sample)[1:3] == pytest.approx(
        stats.t.interval(0.95, 7, loc=sample.mean(), scale=stats.sem(sample)))


def test_confidence_interval_drops_nan_and_needs_two_values() -> None:
    with_nan = np.array([1.0, NAN, 3.0, 2.0])
    assert twin.confidence_interval(with_nan) == pytest.approx(
        twin.confidence_interval(np.array([1.0, 3.0, 2.0])))
    mean, low, high, n = twin.confidence_interval(np.array([2.5]))
    assert (mean, n) == (2.5, 1) and math.isnan(low) and math.isnan(high)
    mean, low, high, n = twin.confidence_interval(np.array([NAN]))
    assert n == 0 and math.isnan(mean)


def test_confidence_interval_coverage() -> None:
    # 95% intervals from samples of 5 normal values cover the true mean about 95% of the time.
    rng = np.random.default_rng(11)
    trials = 4000
    hits = 0
    for _ in range(trials):
        _, low, high, _ = twin.confidence_interval(rng.normal(3.0, 2.0, 5))
        hits += low <= 3.0 <= high
    assert stats.binomtest(hits, trials, 0.95).pvalue > 1e-3


def test_summarise_one_row_per_kpi() -> None:
    kpis = pd.DataFrame({"replication": [0, 1, 2], "a": [1.0, 2.0, 3.0], "b": [5.0, 5.0, 5.0]})
    table = summarise(kpis)
    assert list(table.index) == ["a", "b"]
    assert list(table.columns) == ["mean", "ci_low", "ci_high", "n"]
    assert table.loc["a", "mean"] == 2.0
    assert table.loc["b", "ci_low"] == table.loc["b", "ci_high"] == 5.0
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert table.loc["a", "ci_high"] == pytest.approx(2.0 + half)
