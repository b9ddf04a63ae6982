"""Same scenario and seed, same results: in one process, across processes, any job count."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import twin

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
SHORT = {"run.horizon_days": 3, "run.warmup_days": 1}


@pytest.fixture(scope="module")
def baseline(load_scenario) -> twin.Scenario:
    return load_scenario(BASELINE, SHORT)


def test_simulate_is_deterministic(baseline) -> None:
    a = twin.simulate(baseline, 2)
    b = twin.simulate(baseline, 2)
    assert len(a.issues) > 100
    pd.testing.assert_frame_equal(a.issues, b.issues)
    pd.testing.assert_frame_equal(a.activity, b.activity)


def test_reused_community_gives_the_same_run(baseline) -> None:
    from twin.geography import build_community

    community = build_community(baseline)
    first = twin.simulate(baseline, 0, community)
    twin.simulate(baseline, 1, community)  # the shared map carries no state between runs
    again = twin.simulate(baseline, 0, community)
    fresh = twin.simulate(baseline, 0)
    pd.testing.assert_frame_equal(first.issues, again.issues)
    pd.testing.assert_frame_equal(first.issues, fresh.issues)
    pd.testing.assert_frame_equal(first.activity, fresh.activity)


def test_seed_argument_and_scenario_seed_agree(baseline) -> None:
    explicit = twin.simulate(baseline, 0, seed=baseline.run.seed)
    default = twin.simulate(baseline, 0)
    other = twin.simulate(baseline, 0, seed=baseline.run.seed + 1)
    pd.testing.assert_frame_equal(explicit.issues, default.issues)
    assert not explicit.issues["t_reported"].equals(other.issues["t_reported"])


def test_replications_differ(baseline) -> None:
    a = twin.simulate(baseline, 0).issues
    b = twin.simulate(baseline, 1).issues
    assert not (len(a) == len(b) and a["t_reported"].equals(b["t_reported"]))


def test_jobs_do_not_change_results(baseline) -> None:
    serial = twin.run_replications(baseline, replications=4, jobs=1)
    parallel = twin.run_replications(baseline, replications=4, jobs=2)
    assert serial.errors == parallel.errors == {}
    assert serial.replications == parallel.replications == (0, 1, 2, 3)
    pd.testing.assert_frame_equal(serial.issues, parallel.issues)
    pd.testing.assert_frame_equal(serial.activity, parallel.activity)
    pd.testing.assert_frame_equal(serial.kpis, parallel.kpis)
    pd.testing.assert_frame_equal(serial.summary, parallel.summary)


def test_replication_numbers_not_positions_select_streams(baseline) -> None:
    # running replications [1, 3] gives the same replication 3 as running 0..3
    subset = twin.run_replications(baseline, replications=[3, 1])
    full = twin.run_replications(baseline, replications=4)
    assert subset.replications == (1, 3)
    pick = full.issues[full.issues["replication"].isin([1, 3])].reset_index(drop=True)
    pd.testing.assert_frame_equal(subset.issues, pick)
    kp = full.kpis[full.kpis["replication"].isin([1, 3])].reset_index(drop=True)
    pd.testing.assert_frame_equal(subset.kpis, kp)


def test_stacked_tables_match_single_runs(baseline) -> None:
    result = twin.run_replications(baseline, replications=2)
    for rep in (0, 1):
        single = twin.simulate(baseline, rep).issues
        part = result.issues[result.issues["replication"] == rep].drop(columns="replication")
        pd.testing.assert_frame_equal(part.reset_index(drop=True), single)
