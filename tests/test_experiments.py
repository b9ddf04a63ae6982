"""Sweeps, replications to a precision, warm-up diagnostic, resumption and Dask runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import twin
import twin.executors
from twin.metrics.warmup import mser, open_counts, warmup_check
from twin.precision import relative_half_width, run_to_precision
from twin.store import DiskStore
from twin.sweep import parse_values

MMC_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc.yaml"


def mmc(**extra: object) -> twin.Scenario:
    overrides = {"run.horizon_days": 6, "run.warmup_days": 1, **extra}
    return twin.load_scenario(MMC_PATH, overrides=overrides)


# ------------------------------------------------------------------ sweeps
def test_parse_values() -> None:
    assert parse_values("1..4") == [1, 2, 3, 4]
    assert parse_values("60,120") == [60, 120]
    assert parse_values("[0.5, 1.5]") == [0.5, 1.5]
    assert parse_values("own_grid,nearest_idle") == ["own_grid", "nearest_idle"]
    with pytest.raises(ValueError):
        parse_values("[]")


def test_sweep_runs_the_full_grid_on_common_random_numbers() -> None:
    result = twin.sweep(mmc(), {"workforce.per_grid": [2, 3], "deadlines.response": [60, 120]},
                        replications=2)
    assert list(result.points["workforce.per_grid"]) == [2, 2, 3, 3]
    assert list(result.points["deadlines.response"]) == [60, 120, 60, 120]
    n_kpis = result.results["kpi"].nunique()
    assert len(result.results) == 4 * 2 * n_kpis
    arrived = result.results[result.results.kpi == "arrived"].groupby("replication")["value"]
    assert (arrived.nunique() == 1).all()  # every point sees the same issues
    waits = result.summary[result.summary.kpi == "response_mean"].set_index("point")["mean"]
    assert waits["workforce.per_grid=3,deadlines.response=60"] < waits[
        "workforce.per_grid=2,deadlines.response=60"]


def test_sweep_reports_invalid_points_located_at_vary() -> None:
    with pytest.raises(twin.ScenarioError) as err:
        twin.sweep(mmc(), {"workforce.per_grid": [-1]}, replications=1)
    assert str(err.value).startswith("--vary: workforce.per_grid: must be >= 0 (got -1)")


# --------------------------------------------------------------- precision
def test_replications_are_added_until_the_ci_is_tight_enough() -> None:
    scenario = mmc()
    outcome = run_to_precision([("mmc", scenario)], "utilisation", 0.02, start=3,
                               max_replications=60)
    run = outcome.runs["mmc"]
    assert outcome.reached
    assert relative_half_width(run, "utilisation") <= 0.02
    assert outcome.replications == len(run.replications) > 3
    # the starting three were not enough: replications had to be added
    start = twin.run_replications(scenario, replications=3)
    assert relative_half_width(start, "utilisation") > 0.02


def test_precision_stops_at_the_maximum() -> None:
    outcome = run_to_precision([("mmc", mmc())], "response_p95", 1e-6, start=3,
                               max_replications=5)
    assert not outcome.reached
    assert outcome.replications == 5
    assert "NOT reached" in outcome.message("response_p95", 1e-6)


# ----------------------------------------------------------------- warm-up
def test_mser_finds_the_end_of_a_transient() -> None:
    rng = np.random.default_rng(3)
    series = np.concatenate([np.linspace(50, 10, 100), 10 + rng.normal(0, 1, 900)])
    cut = mser(series, 5)
    assert 60 <= cut <= 150


def test_mser_keeps_a_stationary_series() -> None:
    rng = np.random.default_rng(4)
    assert mser(10 + rng.normal(0, 1, 1000), 5) < 100


def test_open_counts_follow_the_records() -> None:
    issues = pd.DataFrame({"t_reported": [0.0, 30.0, 90.0, np.nan],
                           "t_resolved": [70.0, np.nan, 100.0, np.nan]})
    assert list(open_counts(issues, 180.0, 60.0)) == [1.0, 2.0, 1.0]
    assert list(open_counts(issues, 180.0, 30.0)) == [1.0, 2.0, 2.0, 2.0, 1.0, 1.0]


def test_warmup_check_warns_on_a_queue_that_starts_empty() -> None:
    # rho = 0.95 from an empty system: the open count climbs for many hours.
    scenario = mmc(**{"demand.categories.0.rate_per_hour": 5.7, "run.horizon_days": 20,
                      "run.warmup_days": 0.01})
    result = twin.run_replications(scenario, replications=4)
    check = warmup_check(result.issues, 20 * 1440.0, 0.01 * 1440.0, daily=False)
    assert check.recommended > 0
    assert check.too_short
    assert "looks too short" in check.message()


def test_a_count_that_never_settles_is_called_unsettled() -> None:
    hours = np.arange(14 * 24, dtype=float)
    climbing = pd.DataFrame({  # one more open issue every hour: no steady state at all
        "t_reported": hours * 60.0, "t_resolved": np.full(len(hours), np.nan),
        "replication": 0})
    check = warmup_check(climbing, 14 * 1440.0, 3 * 1440.0, daily=True)
    assert check.recommended == 7 * 1440.0 == check.limit  # the latest it can judge
    assert check.unsettled and check.message().endswith(
        "suggests 7.00 d, the latest it can judge (half the run): the count had not "
        "settled; run longer")
    flat = climbing.assign(t_resolved=climbing["t_reported"] + 30.0)
    settled = warmup_check(flat, 14 * 1440.0, 3 * 1440.0, daily=True)
    assert not settled.unsettled and "latest" not in settled.message()


# -------------------------------------------------------------- resumption
def test_an_interrupted_compare_resumes_without_recomputing(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    a, b = mmc(name="a"), mmc(name="b", **{"workforce.per_grid": 3})
    store = DiskStore(tmp_path / "cache")
    finished = []

    def stop_after_three(name: str) -> None:
        finished.append(name)
        if len(finished) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        twin.compare([a, b], replications=3, progress=stop_after_three, store=store)
    assert len(list((tmp_path / "cache").glob("*/rep-*/meta.json"))) == 3

    calls = []
    real = twin.executors.simulate

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args[1])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(twin.executors, "simulate", counting)
    resumed = twin.compare([a, b], replications=3, store=store)
    assert len(calls) == 3  # only the three missing replications ran
    fresh = twin.compare([a, b], replications=3)
    pd.testing.assert_frame_equal(resumed.table, fresh.table)
    for name in ("a", "b"):
        pd.testing.assert_frame_equal(resumed.runs[name].issues, fresh.runs[name].issues)


def test_a_changed_scenario_does_not_reuse_old_replications(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    twin.run_replications(mmc(), replications=2, store=store)
    twin.run_replications(mmc(**{"workforce.per_grid": 3}), replications=2, store=store)
    assert len(list(tmp_path.iterdir())) == 2


def test_a_damaged_stored_replication_is_recomputed(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    first = twin.run_replications(mmc(), replications=2, store=store)
    victim = sorted(tmp_path.glob("*/rep-00001/issues.parquet"))[0]
    victim.write_bytes(b"not parquet")
    with pytest.warns(UserWarning, match="sha256 mismatch in issues.parquet"):
        again = twin.run_replications(mmc(), replications=2, store=DiskStore(tmp_path))
    pd.testing.assert_frame_equal(first.kpis, again.kpis)


# -------------------------------------------------------------------- dask
def test_a_local_dask_cluster_gives_identical_results() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = mmc()
    local = twin.run_replications(scenario, replications=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = twin.run_replications(scenario, replications=4, cluster=client)
    pd.testing.assert_frame_equal(local.issues, remote.issues)
    pd.testing.assert_frame_equal(local.activity, remote.activity)
    pd.testing.assert_frame_equal(local.kpis, remote.kpis)


def test_a_growing_backlog_is_recognised() -> None:
    from twin.metrics.warmup import backlog_growth

    over = twin.run_replications(mmc(**{"demand.categories.0.rate_per_hour": 7.0,
                                        "run.horizon_days": 10}), replications=2)
    slope = backlog_growth(over.issues, 10 * 1440.0, 1440.0)
    # lambda - c*mu = 7 - 6 = 1 issue an hour: about 24 more open issues a day
    assert slope is not None and 12 < slope < 36
    steady = twin.run_replications(mmc(**{"run.horizon_days": 10}), replications=2)
    assert backlog_growth(steady.issues, 10 * 1440.0, 1440.0) is None
