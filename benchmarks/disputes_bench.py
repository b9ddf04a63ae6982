"""Case (e) of the benchmarks: a mediation office as an M/M/c queue with feedback.

twin: one grid with no grid workers, yellow disputes only, an office of c
mediators with no travel, sessions of exponential length that settle with a
fixed probability p, otherwise the next session follows a fixed gap later (the
model of `tests/test_validation_disputes.py`). The minimal model: one SimPy
process per dispute requesting a `simpy.Resource` for each session and waiting
the gap between sessions. Both report disputes per wall-clock second and
sessions per dispute, next to 1/p.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import twin
from twin.geography import build_community

RATE, SETTLE, SERVICE, STAFF, GAP_DAYS = 0.6, 0.5, 60.0, 2, 0.5  # per hour, -, min, -, days


def office(path: Path, days: float) -> twin.Scenario:
    """The scenario of case (e)."""
    data = {
        "name": "mediation-office",
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
                                   "violence_risk": 0.0},
                     "red": {"lead": "police", "join": []}},
        "run": {"horizon_days": days, "warmup_days": min(1.0, days / 4), "replications": 1},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return twin.load_scenario(path)


def minimal_office(lam: float, horizon: float, seed: int) -> tuple[int, float]:
    """One process per dispute, one Resource. Returns (disputes, sessions per settled)."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(lam * horizon))
    t = np.sort(rng.random(n) * horizon).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=STAFF)
    sessions: list[int] = []

    def dispute() -> Generator[simpy.Event, Any, None]:
        k = 0
        while True:
            k += 1
            with desk.request() as req:
                yield req
                yield env.timeout(rng.exponential(SERVICE))
            if rng.random() < SETTLE:
                sessions.append(k)
                return
            yield env.timeout(GAP_DAYS * 1440.0)

    def source() -> Generator[simpy.Event, Any, None]:
        for ti in t:
            yield env.timeout(ti - env.now)
            env.process(dispute())

    env.process(source())
    env.run(until=horizon)
    return n, float(np.mean(sessions))


def case_disputes(quick: bool, repeat: int, best_of: Any, tmp: Path) -> list[dict[str, Any]]:
    """Time twin and the minimal office model."""
    days = 40.0 if quick else 400.0
    scenario = office(tmp / "office.json", days)
    community = build_community(scenario)
    t_twin, rec = best_of(repeat, lambda: twin.simulate(scenario, 0, community=community))
    t_min, (n_min, s_min) = best_of(repeat, lambda: minimal_office(RATE / 60.0,
                                                                   days * 1440.0, 1))
    d = rec.disputes
    s_twin = float(d.loc[d["outcome"] == "settled", "sessions"].mean())
    return [{
        "case": f"(e) disputes, M/M/{STAFF} office + feedback, {days:g} d",
        "issues": rec.n_events, "twin_s": t_twin, "twin_rate": rec.n_events / t_twin,
        "min_issues": n_min, "min_s": t_min, "min_rate": n_min / t_min,
        "note": (f"sessions per settled dispute twin {s_twin:.3f}, minimal {s_min:.3f}, "
                 f"theory {1 / SETTLE:.3f}"),
    }]
