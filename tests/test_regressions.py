"""Behaviour at the edges of the event loop: shift handovers, borrowing after a
failed attempt, zero-length patrols, follow-up visits under nearest_idle,
precision independent of jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

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


def test_no_responder_is_sent_out_as_its_shift_ends(tmp_path: Path) -> None:
    # The two pools are never on duty together: no red case can ever be served.
    s = scenario(tmp_path, demand={"categories": [{
        "name": "fight", "rate_per_hour": 0.2, "colours": {"red": 1.0},
        "service": {"distribution": "exponential", "mean": 30.0}}]},
        tiers={"mediation": {"staff": 1}, "joint": {"pools": [
            {"name": "police", "staff": 1, "shifts": [{"start": "19:00", "end": "07:00"}]},
            {"name": "judicial", "staff": 1, "shifts": [{"start": "07:00", "end": "19:00"}]}]}})
    issues = twin.simulate(s, 0).issues
    assert len(issues) > 5
    assert issues["t_dispatched"].isna().all()


def test_a_failed_borrowed_case_keeps_its_priority(tmp_path: Path) -> None:
    s = scenario(tmp_path, grids={"assignment": "blocks", "blocks": [1, 2]},
                 demand={"categories": [{
                     "name": "dispute", "rate_per_hour": 1.5, "colours": {"green": 1.0},
                     "service": {"distribution": "exponential", "mean": 20.0},
                     "failure": {"green": 0.5}}]},
                 workforce={"per_grid": 1, "grids": {"grid-02": {"workers": 0}}},
                 dispatch={"policy": "own_grid_then_nearest", "borrow_after": 0},
                 escalation={"enabled": True, "on_deadline": False})
    rec = twin.simulate(s, 0)
    act, esc = rec.activity, rec.escalations
    colour_at = rec.issues.set_index("issue_id")["colour"].astype(str)
    rank = {"red": 0, "yellow": 1, "green": 2}
    failures = esc[esc.cause == "failed"]
    assert len(failures) > 5
    for e in failures.itertuples():
        done = act[(act.issue_id == e.issue_id) & (act.state == "on_site")
                   & np.isclose(act.t_end, e.t)]
        worker = done.worker.iloc[0]
        nxt = act[(act.worker == worker) & np.isclose(act.t_start, e.t) & (act.issue_id >= 0)]
        if not len(nxt) or int(nxt.issue_id.iloc[0]) == e.issue_id:
            continue  # took the escalated case itself: the most urgent one
        other = int(nxt.issue_id.iloc[0])
        before = esc[(esc.issue_id == other) & (esc.t <= e.t)]
        colour = str(before.to_colour.iloc[-1]) if len(before) else colour_at[other]
        assert rank[str(e.to_colour)] >= rank[colour], (e.issue_id, other)


def test_patrols_on_a_map_without_length_do_not_stall(tmp_path: Path) -> None:
    s = scenario(tmp_path, map={"source": "lattice", "rows": 2, "cols": 2, "block_length": 0.0},
                 demand={"categories": [{"name": "job", "rate_per_hour": 0.5,
                                         "service": {"distribution": "fixed", "value": 10}}]},
                 patrols={"enabled": True})
    issues = twin.simulate(s, 0).issues  # would never return if patrol legs took no time
    assert issues["t_resolved"].notna().any()


def test_follow_up_visits_stay_with_their_unit_under_nearest_idle(tmp_path: Path) -> None:
    s = scenario(tmp_path, grids={"assignment": "blocks", "blocks": [1, 2]},
                 demand={"categories": [{"name": "job", "rate_per_hour": 2.0,
                                         "colours": {"green": 0.5, "yellow": 0.5},
                                         "service": {"distribution": "exponential",
                                                     "mean": 20.0}}]},
                 workforce={"per_grid": 2}, dispatch={"policy": "nearest_idle"},
                 follow_up={"delay_days": 0.05})
    rec = twin.simulate(s, 0)
    units = rec.activity.drop_duplicates("worker").set_index("worker")["unit"].astype(str)
    done = rec.visits.dropna(subset=["t_done"])
    assert len(done) > 10
    assert (done["worker"].map(units) == done["unit"].astype(str)).all()


def test_precision_does_not_depend_on_jobs() -> None:
    mmc = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc.yaml"
    s = twin.load_scenario(mmc, overrides={"run.horizon_days": 1, "run.warmup_days": 0.2})
    one = run_to_precision([("mmc", s)], "utilisation", 0.4, start=3, max_replications=30, jobs=1)
    two = run_to_precision([("mmc", s)], "utilisation", 0.4, start=3, max_replications=30, jobs=2)
    assert one.replications == two.replications
    assert one.runs["mmc"].kpis.equals(two.runs["mmc"].kpis)
