"""Paired comparisons: a known difference is detected, identical scenarios give a
difference whose CI contains zero, and common random numbers pay off."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import twin
from twin.compare import compare, paired_table, unique_names
from twin.theory import mmc_wait

MMC_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc.yaml"


def mmc(workers: int, name: str, **extra: object) -> twin.Scenario:
    overrides = {"name": name, "workforce.per_grid": workers, "run.horizon_days": 12,
                 "run.warmup_days": 2, "demand.categories.0.rate_per_hour": 5.0,
                 "demand.categories.0.service.mean": 20.0, **extra}
    return twin.load_scenario(MMC_PATH, overrides=overrides)


def test_a_known_difference_is_detected() -> None:
    # 2 vs 3 workers at lambda = 5/h, 1/mu = 20 min: Wq 45.5 vs 4.4 min (Erlang C).
    result = compare([mmc(2, "two"), mmc(3, "three")], replications=6)
    row = result.table[(result.table.kpi == "response_mean")
                       & (result.table.scenario == "three")].iloc[0]
    truth = mmc_wait(5 / 60, 20.0, 3) - mmc_wait(5 / 60, 20.0, 2)
    assert row["significant"]
    assert row["diff_ci_high"] < 0
    assert row["diff_ci_low"] <= truth <= row["diff_ci_high"]


def test_identical_scenarios_differ_by_zero_exactly() -> None:
    result = compare([mmc(2, "a"), mmc(2, "b")], replications=4)
    diffs = result.table[result.table.scenario == "b"].dropna(subset=["diff"])
    assert len(diffs) > 20  # KPIs with no value in any replication (no red case) drop out
    assert (diffs["diff"].abs() < 1e-12).all()
    assert not diffs["significant"].any()


def test_different_seeds_difference_ci_contains_zero() -> None:
    # The same system with independent random numbers: the paired CI must cover 0.
    a, b = mmc(2, "a"), mmc(2, "b", **{"run.seed": 999})
    runs = twin.run_many([("a", a), ("b", b)], replications=8)
    table = paired_table(runs, ["a", "b"])
    for kpi in ("response_mean", "utilisation", "arrived"):
        row = table[(table.kpi == kpi) & (table.scenario == "b")].iloc[0]
        assert row["diff_ci_low"] <= 0.0 <= row["diff_ci_high"], kpi


def test_common_random_numbers_narrow_the_difference() -> None:
    two, three = mmc(2, "two"), mmc(3, "three")
    crn = paired_table(twin.run_many([("two", two), ("three", three)], replications=8),
                       ["two", "three"])
    three_other = mmc(3, "three", **{"run.seed": 4242})
    indep = paired_table(twin.run_many([("two", two), ("three", three_other)], replications=8),
                         ["two", "three"])

    def width(table: object, kpi: str) -> float:
        row = table[(table.kpi == kpi) & (table.scenario == "three")].iloc[0]  # type: ignore[index]
        return float(row["diff_ci_high"] - row["diff_ci_low"])

    assert width(crn, "utilisation") < width(indep, "utilisation")
    assert width(crn, "response_mean") < width(indep, "response_mean")


def test_names_are_made_unique() -> None:
    a = mmc(2, "same")
    assert unique_names([a, a, a]) == ["same", "same-2", "same-3"]


def test_compare_needs_a_scenario() -> None:
    with pytest.raises(ValueError, match="at least one scenario"):
        compare([])


def test_a_kpi_only_another_scenario_has_is_kept_without_a_difference() -> None:
    # An M/M/c run gets a pool KPI of a handling unit only when it has one.
    one = mmc(2, "one")
    runs = twin.run_many([("one", one), ("two", one)], replications=2)
    extra = runs["two"].kpis.assign(**{"pool_utilisation[office]": 0.5})
    runs["two"] = dataclasses.replace(runs["two"], kpis=extra)
    table = paired_table(runs, ["one", "two"])
    row = table[table.kpi == "pool_utilisation[office]"]
    assert list(row["scenario"]) == ["two"] and row["mean"].iloc[0] == 0.5
    assert row["diff"].isna().all() and not row["significant"].any()
