"""Validation of work orders (工单) against queueing theory and renewal-reward arguments.

* **Tandem Jackson network.** One category whose flow is two handle steps, by
  unit A then unit B, with Poisson arrivals, exponential staff times, no travel,
  no signing or response delay, no centre, no callback and no wrong assignment,
  is an open tandem of an M/M/c_A and an M/M/c_B queue. By Burke's theorem the
  departures of a stable M/M/c are Poisson, so each station is an M/M/c in its
  own right (product form): the mean time in step k (``wait + handling`` of its
  step rows) is W_k = Wq(M/M/c_k) + 1/mu_k, and the mean time in the system
  (``t_closed - t_received``) is W_A + W_B.
* **Returns (退单).** With one handle step, a wrong assignment of probability p,
  a return delay d and ``max_returns`` out of reach, the number of returns N of
  an order is geometric, P(N = n) = p^n (1 - p): E[N] = p / (1 - p), the time
  from the first assignment to signing is d N (no signing delay), so its mean is
  d p / (1 - p), and the share of assign rows that are returns is
  E[N] / (E[N] + 1) = p (a renewal-reward ratio).
* ``max_returns`` caps the returns exactly.

Every statistical check uses a 99% Student-t interval over independent
replications, as the other validation tests do (the intervals' widths are
asserted, so a wrong model is caught).
Only orders received after the warm-up, and early enough to have closed before
the horizon, are counted; the tests assert that all of those did close.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import twin
from twin.model import MINUTES_PER_DAY
from twin.theory import mmc_sojourn

LEVEL = 0.99
COOL_DOWN_DAYS = 1.0
"""Orders received in the last day of the run are not counted (they may still be open)."""


# ----------------------------------------------------------------------------- theory
def test_reference_values() -> None:
    # M/M/1: W = 1 / (mu - lam); M/M/2: Wq = rho^2 / (mu (1 - rho^2)).
    assert mmc_sojourn(0.1, 7.5, 1) == pytest.approx(1.0 / (1 / 7.5 - 0.1))
    rho, mu = 0.75, 1 / 15
    assert mmc_sojourn(0.1, 15.0, 2) == pytest.approx(rho**2 / (mu * (1 - rho**2)) + 15.0)


# ---------------------------------------------------------------------------- helpers
def _fixed(value: float) -> dict[str, Any]:
    return {"distribution": "fixed", "value": value}


def _unit(name: str, staff: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "staff": staff, "travel": False, "sign": _fixed(0.0),
            "respond": _fixed(0.0), **extra}


def _scenario(path: Path, rate_per_hour: float, flow: dict[str, Any],
              units: list[dict[str, Any]], horizon_days: float, warmup_days: float,
              seed: int, **work_orders: Any) -> twin.Scenario:
    data = {
        "name": "orders-validation",
        "map": {"source": "lattice", "rows": 2, "cols": 2},
        "grids": {"assignment": "blocks", "blocks": [1, 1]},
        "demand": {"categories": [{"name": "job", "rate_per_hour": rate_per_hour,
                                   "flow": flow}]},
        "workforce": {"per_grid": 0},
        "work_orders": {"units": units, "callback": {"enabled": False},
                        # no reordering of the queues by overdue chasing (FCFS stays FCFS)
                        "overdue": {"raise_priority": False}, **work_orders},
        "run": {"horizon_days": horizon_days, "warmup_days": warmup_days, "seed": seed},
    }
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return twin.load_scenario(path)


def _run(scenario: twin.Scenario, replications: int) -> twin.RunResult:
    result = twin.run_replications(scenario, replications=replications, jobs=2)
    assert not result.errors, result.errors
    return result


def _counted(result: twin.RunResult) -> pd.DataFrame:
    """First requests received after the warm-up and at least a day before the horizon;
    every one of them closed."""
    run = result.scenario.run
    o = result.orders
    t = o["t_received"]
    keep = o[(o["repeat_of"] < 0) & (t >= run.warmup_days * MINUTES_PER_DAY)
             & (t < (run.horizon_days - COOL_DOWN_DAYS) * MINUTES_PER_DAY)]
    assert len(keep) > 0
    assert keep["t_closed"].notna().all(), "an order counted did not close before the horizon"
    return keep


def _steps_of(result: twin.RunResult, orders: pd.DataFrame, step: str) -> pd.DataFrame:
    s = result.steps
    s = s[s["step"] == step]
    return s.merge(orders[["replication", "order_id"]], on=["replication", "order_id"])


def _interval(per_replication: pd.Series) -> tuple[float, float, float]:
    mean, low, high, n = twin.confidence_interval(per_replication.to_numpy(dtype=float), LEVEL)
    assert n >= 5
    return mean, low, high


def _assert_inside(label: str, truth: float, per_replication: pd.Series,
                   max_relative_half_width: float = 0.15) -> None:
    mean, low, high = _interval(per_replication)
    assert (high - low) / 2 < max_relative_half_width * abs(truth), (
        f"{label}: interval [{low:.4g}, {high:.4g}] too wide to be useful")
    assert low <= truth <= high, (
        f"{label}: theory {truth:.4g} outside the {LEVEL:.0%} CI [{low:.4g}, {high:.4g}] "
        f"(mean {mean:.4g})")


# ------------------------------------------------------------------ tandem network
@dataclass(frozen=True)
class Tandem:
    label: str
    rate_per_hour: float
    staff_a: int
    mean_a: float
    staff_b: int
    mean_b: float
    horizon_days: float
    warmup_days: float
    replications: int
    seed: int

    @property
    def lam(self) -> float:
        return self.rate_per_hour / 60.0

    @property
    def rho(self) -> tuple[float, float]:
        return (self.lam * self.mean_a / self.staff_a, self.lam * self.mean_b / self.staff_b)

    @property
    def sojourn(self) -> tuple[float, float]:
        """Mean time at A and at B [min]."""
        return (mmc_sojourn(self.lam, self.mean_a, self.staff_a),
                mmc_sojourn(self.lam, self.mean_b, self.staff_b))


TANDEMS = [
    # M/M/2 (rho 0.75) -> M/M/1 (rho 0.75): W_A = 34.29, W_B = 30.00 min
    Tandem("M/M/2 -> M/M/1", 6.0, 2, 15.0, 1, 7.5, 36.0, 4.0, 10, 101),
    # M/M/1 (rho 0.67) -> M/M/3 (rho 0.8): W_A = 30.00, W_B = 74.83 min
    Tandem("M/M/1 -> M/M/3", 4.0, 1, 10.0, 3, 36.0, 36.0, 4.0, 10, 202),
]


@pytest.fixture(scope="module")
def tandem_results(tmp_path_factory: pytest.TempPathFactory
                   ) -> Callable[[Tandem], twin.RunResult]:
    cache: dict[str, twin.RunResult] = {}

    def get(case: Tandem) -> twin.RunResult:
        if case.label not in cache:
            flow = {"steps": [
                {"step": "handle", "by": "A",
                 "service": {"distribution": "exponential", "mean": case.mean_a}},
                {"step": "handle", "by": "B",
                 "service": {"distribution": "exponential", "mean": case.mean_b}},
            ], "wrong_assignment": 0.0, "fixed": 1.0}
            scenario = _scenario(
                tmp_path_factory.mktemp("tandem") / "tandem.yaml", case.rate_per_hour, flow,
                [_unit("A", case.staff_a), _unit("B", case.staff_b)], case.horizon_days,
                case.warmup_days, case.seed)
            cache[case.label] = _run(scenario, case.replications)
        return cache[case.label]

    return get


@pytest.mark.parametrize("case", TANDEMS, ids=[c.label for c in TANDEMS])
def test_tandem_time_in_each_step_is_mmc(case: Tandem, tandem_results) -> None:
    assert all(0.6 <= r <= 0.8 for r in case.rho)
    result = tandem_results(case)
    orders = _counted(result)
    handle = _steps_of(result, orders, "handle")
    # exactly one handle row per step per order: nothing returned, nothing reworked
    assert (handle.groupby(["replication", "order_id"]).size() == 2).all()
    assert (handle["outcome"] == "done").all()
    assert (handle["travel"] == 0).all() and (handle["t_on_site"] == handle["t_dispatched"]).all()
    for k, (unit, truth) in enumerate(zip("AB", case.sojourn, strict=True)):
        rows = handle[handle["step_no"] == k]
        assert (rows["unit"] == unit).all()
        per_rep = (rows["wait"] + rows["handling"]).groupby(rows["replication"]).mean()
        _assert_inside(f"{case.label}: time at {unit}", truth, per_rep)


@pytest.mark.parametrize("case", TANDEMS, ids=[c.label for c in TANDEMS])
def test_tandem_time_in_system_is_the_sum(case: Tandem, tandem_results) -> None:
    result = tandem_results(case)
    orders = _counted(result)
    # no centre, no signing delay: filed, assigned and signed when received
    assert (orders["t_filed"] == orders["t_received"]).all()
    assert (orders["t_signed"] == orders["t_assigned"]).all()
    time_in_system = orders["t_closed"] - orders["t_received"]
    per_rep = time_in_system.groupby(orders["replication"]).mean()
    _assert_inside(f"{case.label}: time in system", sum(case.sojourn), per_rep)


@pytest.mark.parametrize("case", TANDEMS, ids=[c.label for c in TANDEMS])
def test_tandem_staff_busy_share_is_the_load(case: Tandem, tandem_results) -> None:
    # Utilisation of each station = lambda E[S] / c (time on site over staff time).
    result = tandem_results(case)
    act = result.activity
    horizon = case.horizon_days * MINUTES_PER_DAY
    warmup = case.warmup_days * MINUTES_PER_DAY
    for unit, staff, rho in zip("AB", (case.staff_a, case.staff_b), case.rho, strict=True):
        rows = act[(act["unit"] == unit) & (act["state"] == "on_site")]
        busy = (rows["t_end"].clip(lower=warmup) - rows["t_start"].clip(lower=warmup))
        per_rep = busy.groupby(rows["replication"]).sum() / (staff * (horizon - warmup))
        _assert_inside(f"{case.label}: utilisation of {unit}", rho, per_rep, 0.05)


# ------------------------------------------------------------------------- returns
RETURN_P = 0.3
RETURN_DELAY = 60.0
SERVICE = 20.0


@pytest.fixture(scope="module")
def returns_result(tmp_path_factory: pytest.TempPathFactory) -> twin.RunResult:
    flow = {"steps": [{"step": "handle", "by": "A", "service": _fixed(SERVICE)}],
            "wrong_assignment": RETURN_P, "fixed": 1.0}
    units = [_unit(name, 50, return_delay=_fixed(RETURN_DELAY)) for name in ("A", "B")]
    scenario = _scenario(tmp_path_factory.mktemp("returns") / "returns.yaml", 10.0, flow,
                         units, 6.0, 1.0, 303, max_returns=100)
    return _run(scenario, 10)


def test_mean_returns_per_order_is_geometric(returns_result: twin.RunResult) -> None:
    p = RETURN_P
    orders = _counted(returns_result)
    per_rep = orders["returns"].groupby(orders["replication"]).mean()
    _assert_inside("returns per order", p / (1 - p), per_rep)
    # the returns are geometric: P(N >= 2) = p^2
    at_least_two = (orders["returns"] >= 2).groupby(orders["replication"]).mean()
    _assert_inside("share with two returns or more", p**2, at_least_two, 0.3)


def test_time_to_signing_is_the_return_delays(returns_result: twin.RunResult) -> None:
    p, d = RETURN_P, RETURN_DELAY
    orders = _counted(returns_result)
    delay = orders["t_signed"] - orders["t_assigned"]
    # exactly d per return (no signing delay), and no queueing: closed S after signing
    assert np.allclose(delay, d * orders["returns"])
    assert np.allclose(orders["t_closed"] - orders["t_signed"], SERVICE)
    per_rep = delay.groupby(orders["replication"]).mean()
    _assert_inside("time from assignment to signing", d * p / (1 - p), per_rep)


def test_share_of_assignments_returned_is_p(returns_result: twin.RunResult) -> None:
    orders = _counted(returns_result)
    assign = _steps_of(returns_result, orders, "assign")
    returned = assign["outcome"] == "returned"
    assert set(assign["outcome"]) <= {"returned", "signed"}
    assert (assign.loc[returned, "unit"] == "B").all()
    assert (assign.loc[~returned, "unit"] == "A").all()
    assert np.allclose(assign.loc[returned, "t_done"] - assign.loc[returned, "t_ready"],
                       RETURN_DELAY)
    per_rep = returned.groupby(assign["replication"]).mean()
    _assert_inside("share of assignments returned", RETURN_P, per_rep)


# ------------------------------------------------------------------ max_returns cap
@pytest.mark.parametrize("cap", [0, 1, 3])
@pytest.mark.parametrize("p", [0.5, 1.0])
def test_max_returns_caps_the_returns(tmp_path: Path, cap: int, p: float) -> None:
    flow = {"steps": [{"step": "handle", "by": "A", "service": _fixed(SERVICE)}],
            "wrong_assignment": p, "fixed": 1.0}
    units = [_unit(name, 20, return_delay=_fixed(RETURN_DELAY)) for name in ("A", "B", "C")]
    scenario = _scenario(tmp_path / "cap.yaml", 6.0, flow, units, 2.0, 0.0, 404,
                         max_returns=cap)
    rec = twin.simulate(scenario, 0)
    orders = rec.orders[rec.orders["t_signed"].notna()]
    assert len(orders) > 100
    assign = rec.steps[rec.steps["step"] == "assign"]
    returned = assign[assign["outcome"] == "returned"]
    assert (orders["returns"] <= cap).all()
    counts = returned.groupby("order_id").size().reindex(rec.orders["order_id"], fill_value=0)
    assert (counts.to_numpy() == rec.orders["returns"].to_numpy()).all()
    if cap == 0:
        assert returned.empty and (rec.orders["returns"] == 0).all()
    if p == 1.0:
        # every assignment before the cap is wrong: exactly `cap` returns, then the district
        # decides (兜底) and the next one is right
        assert (orders["returns"] == cap).all()
        assert np.allclose(orders["t_signed"] - orders["t_assigned"], cap * RETURN_DELAY)
    else:
        assert orders["returns"].max() == cap  # P(N >= cap) = p^cap: some order reaches it
    assert (returned["unit"] != "A").all()
    assert (assign.loc[assign["outcome"] == "signed", "unit"] == "A").all()
