"""Validation against queueing theory: M/M/c (Erlang C) and M/D/1 (Pollaczek-Khinchine).

The validation scenario is one grid of one node (no travel), c workers on duty
round the clock, Poisson arrivals and FCFS service, so the response time
(reported -> on site) is the queueing delay Wq.

Confidence level: every check uses a 99% Student-t interval across
replications. There are about twenty interval checks in this file; at 95% one
of them would be expected to miss its (correct) analytic value now and then
whenever the random-number consumption of the model changes, which says
nothing about the model. At 99% the chance of any false alarm in the file is
small, and the run lengths below keep the intervals tight (relative half-width
under 15%, asserted), so a wrong model is still caught.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import twin
from twin.theory import erlang_c, md1_wait, mmc_wait

LEVEL = 0.99
MAX_RELATIVE_HALF_WIDTH = 0.15


def test_erlang_c_reference_values() -> None:
    # Closed forms: M/M/1 waits with probability rho; M/M/2 with 2 rho^2 / (1 + rho).
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    rho = 0.8
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))
    # M/M/1: Wq = rho / (mu - lam)
    assert mmc_wait(6.0, 1 / 12.0, 1) == pytest.approx(0.5 / 6.0)
    # M/D/1 waits half as long as M/M/1 at the same load.
    assert md1_wait(0.8, 1.0) == pytest.approx(mmc_wait(0.8, 1.0, 1) / 2)


@dataclass(frozen=True)
class Case:
    label: str
    rate_per_hour: float
    servers: int
    service_min: float
    fixed: bool
    horizon_days: float
    warmup_days: float
    replications: int

    @property
    def rho(self) -> float:
        return self.rate_per_hour * self.service_min / 60.0 / self.servers

    @property
    def wq(self) -> float:
        """Analytic mean wait [min]."""
        lam = self.rate_per_hour / 60.0
        if self.fixed:
            return md1_wait(lam, self.service_min)
        return mmc_wait(lam, self.service_min, self.servers)


# Run lengths: heavier traffic relaxes more slowly, so it gets a longer warm-up
# and horizon. Each case takes a few seconds on two cores.
CASES = [
    Case("M/M/1 rho=0.5", 6.0, 1, 5.0, False, 60, 5, 10),
    Case("M/M/2 rho=0.83", 10.0, 2, 10.0, False, 100, 10, 10),
    Case("M/M/5 rho=0.9", 27.0, 5, 10.0, False, 80, 10, 10),
    Case("M/M/3 rho=0.95", 28.5, 3, 6.0, False, 200, 20, 10),
    Case("M/D/1 rho=0.8", 8.0, 1, 6.0, True, 60, 5, 10),
    Case("M/D/1 rho=0.9", 9.0, 1, 6.0, True, 100, 10, 10),
]

_RESULTS: dict[str, twin.RunResult] = {}


@pytest.fixture(scope="module")
def results(mmc_scenario):
    def get(case: Case) -> twin.RunResult:
        if case.label not in _RESULTS:
            kwargs = {"fixed_service" if case.fixed else "service_mean": case.service_min}
            scenario = mmc_scenario(case.rate_per_hour, case.servers,
                                    horizon_days=case.horizon_days,
                                    warmup_days=case.warmup_days, **kwargs)
            _RESULTS[case.label] = twin.run_replications(
                scenario, replications=case.replications, jobs=2)
        return _RESULTS[case.label]

    return get


def _interval(result: twin.RunResult, kpi: str) -> tuple[float, float, float]:
    assert not result.errors
    mean, low, high, n = twin.confidence_interval(result.kpis[kpi].to_numpy(), LEVEL)
    assert n == len(result.replications)
    return mean, low, high


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_mean_wait_matches_theory(case: Case, results) -> None:
    result = results(case)
    mean, low, high = _interval(result, "response_mean")
    assert (high - low) / 2 < MAX_RELATIVE_HALF_WIDTH * mean, "interval too wide to be useful"
    assert low <= case.wq <= high, (
        f"{case.label}: analytic Wq={case.wq:.3f} min outside {LEVEL:.0%} CI "
        f"[{low:.3f}, {high:.3f}] (mean {mean:.3f})")


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_summary_table_agrees_with_kpis(case: Case, results) -> None:
    # The 95% summary of run_replications is the Student-t interval of the KPI column.
    result = results(case)
    row = result.summary.loc["response_mean"]
    mean, low, high, n = twin.confidence_interval(result.kpis["response_mean"].to_numpy())
    assert row["n"] == n == case.replications
    assert row["mean"] == pytest.approx(mean)
    assert row["ci_low"] == pytest.approx(low)
    assert row["ci_high"] == pytest.approx(high)
    assert row["ci_low"] < row["mean"] < row["ci_high"]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_utilisation_is_offered_load_per_server(case: Case, results) -> None:
    mean, low, high = _interval(results(case), "utilisation")
    assert (high - low) / 2 < 0.02
    assert low <= case.rho <= high, f"rho={case.rho:.4f} outside [{low:.4f}, {high:.4f}]"


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_littles_law_for_the_queue(case: Case, results) -> None:
    # Time-average number waiting L_q = lambda * W_q (lambda per minute).
    result = results(case)
    mean, low, high = _interval(result, "mean_waiting")
    lq = case.rate_per_hour / 60.0 * case.wq
    assert low <= lq <= high, f"Lq={lq:.4f} outside [{low:.4f}, {high:.4f}]"
    # And within each replication the two estimates agree closely (same sample path).
    k = result.kpis
    lam_hat = k["arrived"] / (60.0 * 24.0 * (case.horizon_days - case.warmup_days))
    assert (k["mean_waiting"] - lam_hat * k["response_mean"]).abs().max() < 0.05 * lq + 0.01


@pytest.mark.parametrize("case", CASES[:2], ids=[c.label for c in CASES[:2]])
def test_zero_travel_and_nothing_lost(case: Case, results) -> None:
    result = results(case)
    issues = result.issues
    assert (issues["travel"].dropna() == 0).all()
    assert result.kpis["travel_share"].eq(0).all()
    k = result.kpis
    assert (k["arrived"] == k["resolved"] + k["open_at_end"]).all()
    # A stable queue leaves only a handful of issues open at the horizon.
    assert (k["open_at_end"] < 0.01 * k["arrived"]).all()
