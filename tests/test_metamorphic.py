"""Metamorphic relations: how results must move when the scenario changes in a known way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import twin
from twin.metrics import issue_kpis

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
ARRIVAL_COLUMNS = ["issue_id", "grid", "category", "channel", "colour", "node", "t_reported"]
REPS = 8


def _waits(issues: pd.DataFrame, horizon: float) -> np.ndarray:
    """Reported -> on site per issue, counting issues still waiting as waiting to the horizon."""
    return (issues["t_on_site"].fillna(horizon) - issues["t_reported"]).to_numpy()


@pytest.fixture(scope="module")
def staffing(mmc_scenario):
    """The M/M/c scenario at c = 2 and c = 3 on the same seed (common random numbers)."""
    runs = {}
    for c in (2, 3):
        scenario = mmc_scenario(10.0, c, service_mean=10.0, horizon_days=20, warmup_days=2)
        runs[c] = twin.run_replications(scenario, replications=REPS)
    return runs


def test_same_arrivals_whatever_the_staffing(staffing) -> None:
    two, three = staffing[2].issues, staffing[3].issues
    pd.testing.assert_frame_equal(two[["replication", *ARRIVAL_COLUMNS]],
                                  three[["replication", *ARRIVAL_COLUMNS]])


def test_same_service_times_whatever_the_staffing(staffing) -> None:
    def service(issues: pd.DataFrame) -> pd.Series:
        done = issues.dropna(subset=["t_resolved"])
        return (done["t_resolved"] - done["t_on_site"]).set_axis(
            pd.MultiIndex.from_frame(done[["replication", "issue_id"]]))

    a, b = service(staffing[2].issues), service(staffing[3].issues)
    common = a.index.intersection(b.index)
    assert len(common) > 0.99 * len(a)
    np.testing.assert_allclose(a[common], b[common], rtol=1e-9, atol=1e-9)


def test_adding_a_worker_never_lengthens_any_wait(staffing) -> None:
    # FCFS with identical servers: by the Kiefer-Wolfowitz recursion every customer's
    # wait is non-increasing in the number of servers on the same sample path.
    horizon = 20 * 1440.0
    w2 = _waits(staffing[2].issues, horizon)
    w3 = _waits(staffing[3].issues, horizon)
    assert (w3 <= w2 + 1e-9).all()
    assert w3.mean() < w2.mean()


def test_adding_a_worker_never_lengthens_mean_wait_per_replication(staffing) -> None:
    k2 = staffing[2].kpis.set_index("replication")
    k3 = staffing[3].kpis.set_index("replication")
    assert (k3["response_mean"] <= k2["response_mean"]).all()
    assert (k3["mean_waiting"] <= k2["mean_waiting"]).all()
    assert (k3["utilisation"] < k2["utilisation"]).all()


def test_common_random_numbers_reduce_variance_of_differences(mmc_scenario, staffing) -> None:
    two, three = staffing[2].kpis, staffing[3].kpis
    # Independent comparison: c = 3 on another seed, same replication numbers.
    other_seed = mmc_scenario(10.0, 3, service_mean=10.0, horizon_days=20, warmup_days=2,
                              run__seed=12345)
    independent = twin.run_replications(other_seed, replications=REPS).kpis
    # Utilisation is total work over capacity: with common random numbers the work is the
    # same, so the paired difference hardly varies; with independent seeds it does.
    paired = (two["utilisation"] - three["utilisation"]).to_numpy()
    unpaired = (two["utilisation"] - independent["utilisation"]).to_numpy()
    assert paired.var(ddof=1) < 0.1 * unpaired.var(ddof=1)
    # Mean waits of the two staffings rise and fall together (busy and quiet replications
    # are shared), so the paired difference varies less than under independence:
    # var(a - b) = var(a) + var(b) - 2 cov(a, b).
    a, b = two["response_mean"].to_numpy(), three["response_mean"].to_numpy()
    assert np.corrcoef(a, b)[0, 1] > 0.5
    assert (a - b).var(ddof=1) < a.var(ddof=1) + b.var(ddof=1)


def test_staffing_and_rules_leave_baseline_arrivals_alone(load_scenario) -> None:
    short = {"run.horizon_days": 2, "run.warmup_days": 0.5}
    variants = [
        {},
        {"workforce.per_grid": 3},
        {"workforce.rota": None, "workforce.shifts": [{"start": "06:00", "end": "22:00"}]},
        {"workforce.non_case": None, "workforce.cost_per_fte": None},
        {"dispatch.policy": "nearest_idle"},
        {"dispatch.policy": "own_grid_then_nearest", "dispatch.borrow_after": 5},
        {"workforce.return_to_base": False, "map.speed": 250},
        {"deadlines.response": 10},
        # a shorter limit for safety hazards: their place in the queues, not their arrivals
        {"demand.categories.2.flow.limit": 60},
    ]
    tables = [twin.simulate(load_scenario(BASELINE, {**short, **v}), 1).issues
              for v in variants]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table[ARRIVAL_COLUMNS], tables[0][ARRIVAL_COLUMNS])


def test_single_grid_policies_coincide(mmc_scenario) -> None:
    # With one grid every policy may use every worker: identical runs.
    tables = []
    for policy in ("own_grid", "nearest_idle", "own_grid_then_nearest"):
        scenario = mmc_scenario(12.0, 3, service_mean=12.0, horizon_days=5, warmup_days=1,
                                dispatch__policy=policy, dispatch__borrow_after=0)
        tables.append(twin.simulate(scenario, 0).issues)
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])


def test_a_shorter_limit_makes_its_issues_wait_less(mmc_scenario) -> None:
    # Priority: under load, issues of the category with the shorter time limit wait less
    # than those with the longer one on the same run.
    service = {"distribution": "exponential", "mean": 10.0}
    scenario = mmc_scenario(10.0, 2, service_mean=10.0, horizon_days=20, warmup_days=2,
                            demand__categories=[
                                {"name": "slow", "rate_per_hour": 7.0, "limit": 4320.0,
                                 "service": service},
                                {"name": "urgent", "rate_per_hour": 3.0, "limit": 240.0,
                                 "service": service}])
    issues = twin.simulate(scenario, 0).issues
    w = _waits(issues, 20 * 1440.0)
    category = issues["category"].astype(str).to_numpy()
    assert w[category == "urgent"].mean() < 0.5 * w[category == "slow"].mean()


def test_scaling_distance_and_speed_together_changes_nothing(small_scenario) -> None:
    # Travel time is distance / speed: doubling both leaves every record the same.
    base = {"map.rows": 5, "map.cols": 6, "grids.blocks": [1, 2], "workforce.per_grid": 2,
            "dispatch.policy": "nearest_idle", "run.horizon_days": 2}
    one = twin.simulate(small_scenario({**base, "map.block_length": 100.0,
                                        "map.speed": 50.0}), 0)
    two = twin.simulate(small_scenario({**base, "map.block_length": 200.0,
                                        "map.speed": 100.0}), 0)
    assert (one.issues["travel"] > 0).any()
    pd.testing.assert_frame_equal(one.issues, two.issues)
    pd.testing.assert_frame_equal(one.activity, two.activity)


def test_faster_walking_single_worker(small_scenario) -> None:
    # One worker who stays where the last job ended, FCFS: the worker serves the issues in
    # report order whatever the speed, each trip is between the same two nodes, so
    # doubling the speed halves every trip and no issue is reached later.
    base = {"map.rows": 5, "map.cols": 5, "workforce.per_grid": 1,
            "workforce.return_to_base": False, "run.horizon_days": 3}
    slow = twin.simulate(small_scenario({**base, "map.speed": 50.0}), 0)
    fast = twin.simulate(small_scenario({**base, "map.speed": 100.0}), 0)
    pd.testing.assert_frame_equal(slow.issues[ARRIVAL_COLUMNS], fast.issues[ARRIVAL_COLUMNS])
    both = slow.issues["t_on_site"].notna() & fast.issues["t_on_site"].notna()
    assert both.sum() > 50 and (slow.issues.loc[both, "travel"] > 0).any()
    np.testing.assert_allclose(2 * fast.issues.loc[both, "travel"],
                               slow.issues.loc[both, "travel"], rtol=1e-6)
    horizon = 3 * 1440.0
    assert (_waits(fast.issues, horizon) <= _waits(slow.issues, horizon) + 1e-6).all()
    k_slow = issue_kpis(slow.issues, 0.0, horizon)
    k_fast = issue_kpis(fast.issues, 0.0, horizon)
    assert k_fast["response_mean"] < k_slow["response_mean"]
