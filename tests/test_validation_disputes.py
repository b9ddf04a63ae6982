"""Validation of the mediation office against queueing theory.

With one session of exponential length, a fixed probability ``p`` that a
session settles the dispute, no failure, no travel, staff round the clock and a
fixed gap between sessions, the office is an M/M/c station with Bernoulli
feedback through a delay (:func:`twin.theory.mmc_feedback`): the sessions per
settled dispute are geometric with mean 1/p, the office's utilisation is
lam E[S] / (p c), and each session waits as in an M/M/c with rate lam / p.
Each check uses a 99% Student-t interval over independent replications, whose
width is asserted, so a wrong model is caught.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import twin
from twin.model import MINUTES_PER_DAY
from twin.theory import mmc_feedback

LEVEL = 0.99
RATE, SETTLE, SERVICE, STAFF, GAP_DAYS = 0.6, 0.5, 60.0, 2, 0.5
HORIZON, WARMUP, COOL_DOWN = 150.0, 10.0, 10.0


def mediation_office(path: Path, seed: int, **mediation: Any) -> twin.Scenario:
    """One grid, no grid workers, yellow disputes only, a round-the-clock office."""
    data = {
        "name": "mediation-validation",
        "map": {"source": "lattice", "rows": 2, "cols": 2},
        "grids": {"assignment": "blocks", "blocks": [1, 1]},
        "demand": {"categories": [{"name": "dispute", "rate_per_hour": RATE,
                                   "colours": {"yellow": 1.0}, "dispute": {}}]},
        "workforce": {"per_grid": 0},
        "work_orders": {"units": [{"name": "office", "staff": STAFF, "travel": False},
                                  {"name": "police", "staff": 1}]},
        "disputes": {"mediation": {"unit": "office", "sessions": 1000, "gap_days": GAP_DAYS,
                                   "in_person": {"service": {"distribution": "exponential",
                                                             "mean": SERVICE},
                                                 "succeed": [SETTLE], "fail": [0.0]},
                                   "violence_risk": 0.0, **mediation},
                     "red": {"lead": "police", "join": []}},
        "run": {"horizon_days": HORIZON, "warmup_days": WARMUP, "replications": 10,
                "seed": seed},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return twin.load_scenario(path)


def _interval(values: list[float]) -> tuple[float, float, float]:
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + LEVEL / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


@pytest.fixture(scope="module")
def office_run(tmp_path_factory: pytest.TempPathFactory) -> twin.RunResult:
    path = tmp_path_factory.mktemp("mediation") / "office.json"
    return twin.run(mediation_office(path, seed=11))


def test_sessions_per_dispute_utilisation_and_wait_match_mmc_with_feedback(
        office_run: twin.RunResult) -> None:
    sessions_truth, rho_truth, wait_truth = mmc_feedback(RATE / 60.0, SETTLE, SERVICE, STAFF)
    warm, cool = WARMUP * MINUTES_PER_DAY, (HORIZON - COOL_DOWN) * MINUTES_PER_DAY
    sessions, rho, wait = [], [], []
    for rep, d in office_run.disputes.groupby("replication"):
        counted = d[(d["t_reported"] >= warm) & (d["t_reported"] < cool)]
        assert len(counted) > 1000
        assert (counted["outcome"] == "settled").all()  # nothing referred, nothing open
        sessions.append(float(counted["sessions"].mean()))
        v = office_run.visits[office_run.visits["replication"] == rep]
        v = v[(v["purpose"] == "session") & (v["t_due"] >= warm) & (v["t_due"] < cool)]
        wait.append(float((v["t_dispatched"] - v["t_due"]).mean()))
    rho = office_run.kpis["pool_utilisation[office]"].tolist()
    for name, values, truth, width in (("sessions", sessions, sessions_truth, 0.2),
                                       ("utilisation", rho, rho_truth, 0.05),
                                       ("wait per session", wait, wait_truth, 10.0)):
        mean, low, high = _interval(values)
        assert high - low < width, f"{name}: interval too wide to test ({low:.3f}, {high:.3f})"
        assert low <= truth <= high, f"{name}: {truth:.3f} outside ({low:.3f}, {high:.3f})"


def test_sessions_per_settled_kpi_is_the_geometric_mean(office_run: twin.RunResult) -> None:
    mean, _low, _high = _interval(office_run.kpis["sessions_per_settled"].tolist())
    assert abs(mean - 1.0 / SETTLE) < 0.15  # the KPI also counts disputes settled late
    assert office_run.kpis["mediation_settled[in_person]"].eq(1.0).all()  # none ever fails


def test_a_wrong_settle_probability_is_caught(tmp_path: Path) -> None:
    """The check has teeth: an office settling at 0.6 is not the 0.5 one."""
    run = twin.run(mediation_office(tmp_path / "o.json", seed=12,
                                    in_person={"service": {"distribution": "exponential",
                                                           "mean": SERVICE},
                                               "succeed": [0.6], "fail": [0.0]}))
    _mean, low, high = _interval(run.kpis["pool_utilisation[office]"].tolist())
    assert not low <= mmc_feedback(RATE / 60.0, SETTLE, SERVICE, STAFF)[1] <= high
