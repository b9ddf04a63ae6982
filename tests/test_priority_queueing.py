"""Validation of the queue by time limit against Cobham's formula.

Only disputes are graded; any other category's urgency is its time limit.
Degenerate scenario: the M/M/c validation file (one grid of one node, so no
travel; c workers on duty round the clock), three categories of cases (no flow,
no dispute) with time limits of 4 hours, 1 day and 3 days, exponential service
with the same mean for every category. Grid workers take the waiting issue of
the shortest limit first and never interrupt a job: an M/M/c queue with three
non-preemptive priority classes and equal service rates. Cobham's formula gives
the mean wait of class k (classes numbered from the most urgent):

    W_k = [C(c, a) / (c mu)] / ((1 - sigma_{k-1}) (1 - sigma_k)),
    sigma_k = sum of rho_i = lambda_i / (c mu) over classes as urgent as k or more,

with C the Erlang C probability of waiting and sigma_0 = 0. With equal service
rates the order of service does not change the work in the system, so the mean
wait over all classes equals the FCFS (Erlang C) mean: Kleinrock's conservation law.

Confidence level: 99% Student-t intervals across replications, as in
test_validation_queueing.py. This file makes eight interval checks; at 95% one of
them would miss its (correct) analytic value now and then whenever the model's use
of random numbers changes. The runs are long enough that the intervals stay narrow
(relative half-width under 10%, asserted), so a wrong priority rule is still
caught: in the M/M/1 case the 4-hour class waits 5.7 min and the 3-day class 40 min
on average, against 24 min for every class under FCFS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import twin
from twin.model import MINUTES_PER_DAY
from twin.theory import mmc_wait, priority_waits

LEVEL = 0.99
MAX_RELATIVE_HALF_WIDTH = 0.10
SHARES = {"urgent": 0.2, "normal": 0.3, "slow": 0.5}  # most urgent first
LIMITS = {"urgent": 240.0, "normal": 1440.0, "slow": 4320.0}  # [min]


def test_cobham_reference_values() -> None:
    # One class is FCFS.
    assert priority_waits(0.8, 1.0, 1, {"all": 1.0})["all"] == pytest.approx(mmc_wait(0.8, 1, 1))
    assert priority_waits(1.6, 1.0, 2, {"all": 1.0})["all"] == pytest.approx(mmc_wait(1.6, 1, 2))
    # M/M/1, two classes of load 0.4 each: W0 = rho/mu = 0.8; 0.8/0.6 and 0.8/(0.6*0.2).
    waits = priority_waits(0.8, 1.0, 1, {"high": 0.5, "low": 0.5})
    assert waits["high"] == pytest.approx(0.8 / 0.6)
    assert waits["low"] == pytest.approx(0.8 / (0.6 * 0.2))
    # Conservation: the share-weighted mean is the FCFS mean.
    for servers, lam in ((1, 0.8), (2, 1.6), (3, 2.1)):
        waits = priority_waits(lam, 1.0, servers, SHARES)
        total = sum(SHARES[k] * w for k, w in waits.items())
        assert total == pytest.approx(mmc_wait(lam, 1.0, servers))


@dataclass(frozen=True)
class Case:
    label: str
    servers: int
    rate_per_hour: float
    service_min: float
    horizon_days: float
    warmup_days: float
    replications: int

    @property
    def lam(self) -> float:
        """Arrival rate [1/min]."""
        return self.rate_per_hour / 60.0

    @property
    def mu(self) -> float:
        """Service rate [1/min]."""
        return 1.0 / self.service_min


# rho = 0.8 in both: green waits seven times as long as red, so the order matters.
# Each case takes a few seconds on two cores.
CASES = [
    Case("M/M/1 rho=0.8", 1, 8.0, 6.0, 150, 10, 16),
    Case("M/M/2 rho=0.8", 2, 16.0, 6.0, 100, 10, 16),
]

_WAITS: dict[str, pd.DataFrame] = {}


@pytest.fixture(scope="module")
def waits(mmc_scenario):
    """Per replication (rows) the mean wait of each class and of all issues (columns)."""

    def get(case: Case) -> pd.DataFrame:
        if case.label not in _WAITS:
            service = {"distribution": "exponential", "mean": case.service_min}
            scenario = mmc_scenario(
                case.rate_per_hour, case.servers, service_mean=case.service_min,
                horizon_days=case.horizon_days, warmup_days=case.warmup_days,
                demand__categories=[
                    {"name": name, "rate_per_hour": case.rate_per_hour * share,
                     "limit": LIMITS[name], "service": service}
                    for name, share in SHARES.items()],
            )
            assert all(c.flow is None and c.dispute is None
                       for c in scenario.demand.categories)
            result = twin.run_replications(scenario, replications=case.replications, jobs=2)
            assert not result.errors
            iss = result.issues
            iss = iss[(iss["t_reported"] >= case.warmup_days * MINUTES_PER_DAY)
                      & iss["t_on_site"].notna()]
            iss = iss.assign(wait=iss["t_on_site"] - iss["t_reported"],
                             category=iss["category"].astype(str))
            table = iss.pivot_table(index="replication", columns="category", values="wait",
                                    aggfunc="mean", observed=True)
            table["all"] = iss.groupby("replication")["wait"].mean()
            _WAITS[case.label] = table
        return _WAITS[case.label]

    return get


def _interval(values: pd.Series, n: int) -> tuple[float, float, float]:
    mean, low, high, count = twin.confidence_interval(values.to_numpy(), LEVEL)
    assert count == n
    assert (high - low) / 2 < MAX_RELATIVE_HALF_WIDTH * mean, "interval too wide to be useful"
    return mean, low, high


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
@pytest.mark.parametrize("name", list(SHARES))
def test_mean_wait_per_limit_class_matches_cobham(case: Case, name: str, waits) -> None:
    expected = priority_waits(case.lam, 1 / case.mu, case.servers, SHARES)[name]
    mean, low, high = _interval(waits(case)[name], case.replications)
    assert low <= expected <= high, (
        f"{case.label} {name}: Cobham W={expected:.3f} min outside {LEVEL:.0%} CI "
        f"[{low:.3f}, {high:.3f}] (mean {mean:.3f})")


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_overall_mean_wait_is_the_fcfs_mean(case: Case, waits) -> None:
    expected = mmc_wait(case.lam, 1 / case.mu, case.servers)
    mean, low, high = _interval(waits(case)["all"], case.replications)
    assert low <= expected <= high, (
        f"{case.label}: Erlang C Wq={expected:.3f} min outside {LEVEL:.0%} CI "
        f"[{low:.3f}, {high:.3f}] (mean {mean:.3f})")


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_classes_are_ordered_in_every_replication(case: Case, waits) -> None:
    table = waits(case)
    assert (table["urgent"] < table["normal"]).all()
    assert (table["normal"] < table["slow"]).all()
    assert np.isfinite(table.to_numpy()).all()
