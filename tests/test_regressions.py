"""Behaviour at the edges of the event loop: zero-length patrols, a dispute's visits
under nearest_idle, precision independent of jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import twin
from twin.precision import run_to_precision

SMALL: dict[str, Any] = {
    "map": {"source": "lattice", "rows": 4, "cols": 4, "block_length": 100.0, "speed": 100.0},
    "grids": {"assignment": "blocks", "blocks": [1, 1]},
    "run": {"horizon_days": 3.0, "warmup_days": 0.5, "replications": 1, "seed": 1},
}


def scenario(tmp_path: Path, **parts: Any) -> twin.Scenario:
    path = tmp_path / "s.json.yaml"
    path.write_text(json.dumps({"name": "edge", **SMALL, **parts}))
    return twin.load_scenario(path)


def test_patrols_on_a_map_without_length_do_not_stall(tmp_path: Path) -> None:
    s = scenario(tmp_path, map={"source": "lattice", "rows": 2, "cols": 2, "block_length": 0.0},
                 demand={"categories": [{"name": "job", "rate_per_hour": 0.5,
                                         "service": {"distribution": "fixed", "value": 10}}]},
                 patrols={"enabled": True})
    issues = twin.simulate(s, 0).issues  # would never return if patrol legs took no time
    assert issues["t_resolved"].notna().any()


def test_dispute_visits_stay_with_their_unit_under_nearest_idle(tmp_path: Path) -> None:
    # A grid worker's mediation of a green dispute is its own grid's, whatever the policy.
    s = scenario(tmp_path, grids={"assignment": "blocks", "blocks": [1, 2]},
                 demand={"categories": [
                     {"name": "job", "rate_per_hour": 1.0,
                      "service": {"distribution": "exponential", "mean": 20.0}},
                     {"name": "dispute", "rate_per_hour": 0.5, "colours": {"green": 1.0},
                      "dispute": {"settles": 1.0}}]},
                 workforce={"per_grid": 2}, dispatch={"policy": "nearest_idle"},
                 work_orders={"units": [{"name": "mediation_office"}, {"name": "police"},
                                        {"name": "judicial"}]},
                 disputes={})
    rec = twin.simulate(s, 0)
    units = rec.activity.drop_duplicates("worker").set_index("worker")["unit"].astype(str)
    done = rec.visits.dropna(subset=["t_done"])
    assert len(done) > 10 and (done["purpose"] == "mediate").all()
    assert (done["worker"].map(units) == done["unit"].astype(str)).all()
    assert rec.issues["borrowed"].any()  # the ordinary jobs do go to the nearest worker


def test_precision_does_not_depend_on_jobs() -> None:
    mmc = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc.yaml"
    s = twin.load_scenario(mmc, overrides={"run.horizon_days": 1, "run.warmup_days": 0.2})
    one = run_to_precision([("mmc", s)], "utilisation", 0.4, start=3, max_replications=30, jobs=1)
    two = run_to_precision([("mmc", s)], "utilisation", 0.4, start=3, max_replications=30, jobs=2)
    assert one.replications == two.replications
    assert one.runs["mmc"].kpis.equals(two.runs["mmc"].kpis)
