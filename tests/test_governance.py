"""The governance mechanisms, one at a time: the registry of dispute grade changes,
repeat complaints, latent hazards with sensors and patrols, volunteers, specialised
teams and borrowing.

Most checks are exact statements about the record tables of small scenarios
built from ``GOVERNANCE_BASE`` (tests/conftest.py). Statistical checks use 99%
Student-t intervals across replications (see test_validation_queueing.py for why
99%).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

import twin
from twin.engine.triggers import CAUSES, TRIGGERS
from twin.model import MINUTES_PER_DAY, ReplicationRecords
from twin.vocab import GREEN, RED, YELLOW

LEVEL = 0.99
EPS = 1e-6

NOBODY: dict[str, Any] = {"workforce.per_grid": 0}  # every case waits until the horizon
STAFFED: dict[str, Any] = {"workforce.per_grid": 2}


def simulate(scenario: twin.Scenario, replication: int = 0) -> ReplicationRecords:
    return twin.simulate(scenario, replication)


def horizon_of(scenario: twin.Scenario) -> float:
    return scenario.run.horizon_days * MINUTES_PER_DAY


def staff_kind(activity: pd.DataFrame) -> dict[int, str]:
    pairs = activity[["worker", "kind"]].drop_duplicates()
    return dict(zip(pairs["worker"], pairs["kind"].astype(str), strict=True))


# ------------------------------------------------ (a) the grade changes of disputes
def test_triggers_allow_only_one_grade_up_and_settling_down() -> None:
    up = ("failed", "grew", "reopened")
    allowed = {(GREEN, YELLOW, c) for c in up}
    allowed |= {(YELLOW, RED, c) for c in up}
    # a settled dispute (降级销号) goes from yellow or red straight down to green, nothing else
    allowed |= {(YELLOW, GREEN, "settled"), (RED, GREEN, "settled")}
    for frm, to, cause in itertools.product(range(3), range(3), CAUSES):
        assert TRIGGERS[cause].allows(frm, to) == ((frm, to, cause) in allowed), (
            frm, to, cause)


def test_triggers_reject_moves_from_outside_the_colours() -> None:
    assert not any(t.allows(-1, GREEN) or t.allows(RED, RED + 1) for t in TRIGGERS.values())


def test_next_colour_of_each_trigger() -> None:
    for colour, cause in itertools.product(range(3), CAUSES):
        to = TRIGGERS[cause].next_colour(colour)
        if cause == "settled":
            assert to == (None if colour == GREEN else GREEN)
        elif colour == RED:
            assert to is None
        else:
            assert to == colour + 1
        if to is not None:  # what the model records is a move the trigger allows
            assert TRIGGERS[cause].allows(colour, to)


def test_the_registry_orders_causes_as_the_records_code_them() -> None:
    assert CAUSES == ("failed", "grew", "settled", "reopened")
    assert [t.cause for t in TRIGGERS.values()] == list(CAUSES)
    assert all(t.label[0] and t.label[1] for t in TRIGGERS.values())


# ---------------------------------------------------------------- (b) repeat complaints
COMPLAINT_BASE: dict[str, Any] = {
    **NOBODY,
    "demand.categories": [  # two limits: the rate reaches R at each case's own limit
        {"name": "case", "rate_per_hour": 1.0, "limit": 720.0,
         "service": {"distribution": "exponential", "mean": 20.0}},
        {"name": "slow", "rate_per_hour": 1.0, "limit": 2880.0,
         "service": {"distribution": "exponential", "mean": 20.0}}],
    "run.horizon_days": 1.0, "run.warmup_days": 0.1,
}


def expected_complaints(iss: pd.DataFrame, rate_per_hour: float, horizon: float
                        ) -> np.ndarray:
    """r/60 * T^2 / (2 D) for a case open for T minutes with time limit D."""
    deadline = iss["category"].astype(str).map({"case": 720.0, "slow": 2880.0})
    open_for = horizon - iss["t_reported"].to_numpy()
    return rate_per_hour / 60.0 * open_for**2 / (2.0 * deadline.to_numpy(dtype=float))


def test_repeat_complaints_grow_with_the_time_open(governance_scenario) -> None:
    rate = 0.1  # per hour at the deadline: at most about 2.4 complaints per case here
    scenario = governance_scenario({**COMPLAINT_BASE, "repeat_complaints.rate_at_deadline": rate,
                                    "demand.categories.0.rate_per_hour": 10.0})
    horizon = horizon_of(scenario)
    ratios = []
    for rep in range(16):
        rec = simulate(scenario, rep)
        iss, comp = rec.issues, rec.complaints
        assert iss["t_resolved"].isna().all()
        counts = np.bincount(comp["issue_id"].to_numpy(), minlength=len(iss))
        assert (iss["repeat_complaints"].to_numpy() == counts).all()
        start = iss["t_reported"].to_numpy()[comp["issue_id"].to_numpy()]
        assert ((comp["t"].to_numpy() > start) & (comp["t"].to_numpy() < horizon)).all()
        ratios.append(counts.sum() / expected_complaints(iss, rate, horizon).sum())
    _m, low, high, _n = twin.confidence_interval(np.array(ratios), LEVEL)
    assert low <= 1.0 <= high, (low, high)
    assert high - low < 0.2


def test_no_repeat_complaints_at_rate_zero(governance_scenario) -> None:
    rec = simulate(governance_scenario(COMPLAINT_BASE))
    assert rec.complaints.empty
    assert (rec.issues["repeat_complaints"] == 0).all()


def test_repeat_complaints_are_not_capped(governance_scenario) -> None:
    rate = 10.0
    scenario = governance_scenario({**COMPLAINT_BASE, "repeat_complaints.rate_at_deadline": rate})
    rec = simulate(scenario)
    iss = rec.issues
    expected = expected_complaints(iss, rate, horizon_of(scenario))
    many = expected > 40
    assert many.sum() > 10
    got = iss["repeat_complaints"].to_numpy()[many]
    assert got.mean() == pytest.approx(expected[many].mean(), rel=0.1)


# ------------------------------------------------------------------ (c) latent hazards
LATENT: dict[str, Any] = {
    "demand.categories.0.latent": {"report_delay": 60.0},
    "demand.categories.0.rate_per_hour": 0.5,
}


def test_sensors_report_at_occurrence(governance_scenario) -> None:
    scenario = governance_scenario({
        **LATENT, "demand.categories.0.latent": {"report_delay": 60.0, "sensor_share": 1.0},
    })
    iss = simulate(scenario).issues
    assert len(iss) > 20
    assert (iss["channel"] == "sensor").all()
    assert (iss["t_reported"] == iss["t_occurred"]).all()
    assert not iss["latent"].any()


def test_without_patrols_the_report_delay_has_the_configured_mean(governance_scenario
                                                                  ) -> None:
    scenario = governance_scenario({**LATENT, "run.horizon_days": 3.0, "patrols.enabled": False,
                                    "demand.categories.0.rate_per_hour": 2.0})
    cutoff = horizon_of(scenario) - 20 * 60.0  # P(report later than this) = e^-20
    means = []
    for rep in range(8):
        iss = simulate(scenario, rep).issues
        assert iss["latent"].all() and (iss["channel"] == "resident").all()
        early = iss[iss["t_occurred"] < cutoff]
        assert early["t_reported"].notna().all()
        means.append((early["t_reported"] - early["t_occurred"]).mean())
    _m, low, high, _n = twin.confidence_interval(np.array(means), LEVEL)
    assert low <= 60.0 <= high, (low, high)


def test_patrols_find_hazards_earlier(governance_scenario) -> None:
    base = {**LATENT, **STAFFED, "demand.categories.0.latent": {"report_delay": 720.0},
            "demand.categories.0.rate_per_hour": 0.3, "run.horizon_days": 3.0}
    off = simulate(governance_scenario({**base, "patrols.enabled": False}))
    on = simulate(governance_scenario({**base, "patrols.enabled": True}))
    a, b = off.issues, on.issues
    # common random numbers: the same hazards at the same times and places
    assert (a["t_occurred"].to_numpy() == b["t_occurred"].to_numpy()).all()
    assert (a["node"].to_numpy() == b["node"].to_numpy()).all()
    assert (a["channel"] == "resident").all()
    late_off = a["t_reported"].fillna(np.inf).to_numpy()
    late_on = b["t_reported"].fillna(np.inf).to_numpy()
    assert (late_on <= late_off).all()  # a patrol can only come before the resident
    patrol = (b["channel"] == "patrol").to_numpy()
    assert patrol.sum() > 10
    assert (late_on[~patrol] == late_off[~patrol]).all()
    assert (late_on[patrol] < late_off[patrol]).all()
    delay_off = np.nanmean(a["t_reported"] - a["t_occurred"])
    delay_on = np.nanmean(b["t_reported"] - b["t_occurred"])
    assert delay_on < delay_off
    # each find happened while a grid worker of the case's grid was patrolling
    act = on.activity
    walks = act[(act["state"] == "patrol")]
    assert (walks["kind"] == "grid_worker").all()
    for row in b[patrol].itertuples():
        mine = walks[walks["unit"].astype(str) == str(row.unit)]
        assert ((mine["t_start"] <= row.t_reported + EPS)
                & (mine["t_end"] >= row.t_reported - EPS)).any(), row.issue_id
    assert not off.activity["state"].eq("patrol").any()


# ---------------------------------------------------------------------- (d) volunteers
VOLUNTEERS: dict[str, Any] = {
    "workforce.per_grid": 1,
    "demand.categories": [
        {"name": "care", "rate_per_hour": 0.8, "limit": 1440.0,
         "service": {"distribution": "exponential", "mean": 20.0}, "volunteer_eligible": True},
        {"name": "other", "rate_per_hour": 0.8, "limit": 240.0,
         "service": {"distribution": "exponential", "mean": 20.0}},
    ],
    # 3,000 residents x 30 per 1,000 x 0.1 = 9 volunteers per grid, round the clock
    "volunteers": {"registered_per_1000_residents": 30.0, "participation": 0.1,
                   "shifts": [{"start": "00:00", "end": "24:00"}]},
}


def test_eligible_cases_go_to_idle_volunteers(governance_scenario) -> None:
    rec = simulate(governance_scenario(VOLUNTEERS))
    iss, act = rec.issues, rec.activity
    kind = staff_kind(act)
    assert sum(k == "volunteer" for k in kind.values()) == 18
    mine = iss[(iss["category"] == "care") & iss["t_dispatched"].notna()]
    assert len(mine) > 10
    assert (mine["handler"] == "volunteer").all()
    assert (mine["t_dispatched"] == mine["t_reported"]).all()  # someone was always free
    others = iss[iss["category"] != "care"]
    assert not (others["handler"] == "volunteer").any()


def test_volunteers_take_only_eligible_cases(governance_scenario) -> None:
    # Few volunteers and busy grid workers: eligible cases wait in a queue both read.
    rec = simulate(governance_scenario({
        **VOLUNTEERS, "volunteers.participation": 0.02,  # 2 volunteers per grid
        "demand.categories.0.rate_per_hour": 2.0,
        "run.horizon_days": 3.0,
    }))
    iss, act = rec.issues, rec.activity
    jobs = act[(act["kind"] == "volunteer") & (act["issue_id"] >= 0)]
    assert len(jobs) > 20 and not jobs["visit"].any()
    cases = iss.set_index("issue_id").loc[jobs["issue_id"]]
    assert (cases["category"] == "care").all()
    assert rec.escalations.empty
    care = iss[iss["category"] == "care"]
    assert (care["handler"] == "grid_worker").any()  # some waited for a grid worker


def test_no_volunteers_at_zero_participation(governance_scenario) -> None:
    rec = simulate(governance_scenario({**VOLUNTEERS, "volunteers.participation": 0.0}))
    assert not (rec.activity["kind"] == "volunteer").any()
    assert not (rec.issues["handler"] == "volunteer").any()
    assert (rec.issues["handler"] == "grid_worker").any()


# --------------------------------------------------------------------------- (e) teams
TEAM_CATEGORIES = [
    {"name": "repair", "rate_per_hour": 1.0, "limit": 720.0,
     "service": {"distribution": "exponential", "mean": 20.0}},
    {"name": "sanitation", "rate_per_hour": 1.0,
     "service": {"distribution": "exponential", "mean": 15.0}},
    {"name": "care", "rate_per_hour": 0.5, "limit": 240.0,
     "service": {"distribution": "exponential", "mean": 30.0}},
]
TEAMS = [
    {"name": "city", "categories": ["repair", "sanitation"], "blocks": [1, 1], "per_grid": 4},
    {"name": "social", "categories": ["care"], "blocks": [2, 2], "per_grid": 1},
]


def test_each_category_is_handled_by_its_own_team(governance_scenario) -> None:
    rec = simulate(governance_scenario({"demand.categories": TEAM_CATEGORIES, "teams": TEAMS}))
    iss, act = rec.issues, rec.activity
    team_of = {"repair": "city", "sanitation": "city", "care": "social"}
    team = iss["category"].astype(str).map(team_of)
    assert (iss["unit"].astype(str).str.split("/").str[0] == team).all()
    assert set(iss.loc[team == "city", "unit"].astype(str)) == {"city/grid-01"}
    assert set(iss.loc[team == "social", "unit"].astype(str)) <= {
        f"social/grid-0{k}" for k in range(1, 5)}
    units = act.groupby("worker")["unit"].first().astype(str)
    assert units.value_counts().to_dict() == {"city/grid-01": 4, **{
        f"social/grid-0{k}": 1 for k in range(1, 5)}}
    jobs = act[(act["issue_id"] >= 0) & (act["kind"] == "grid_worker")]
    assert len(jobs) > 20
    job_team = jobs["unit"].astype(str).str.split("/").str[0].to_numpy()
    case_team = iss.set_index("issue_id").loc[jobs["issue_id"], "category"].astype(str).map(
        team_of).to_numpy()
    assert (job_team == case_team).all()
    handled = iss[iss["worker"] >= 0]
    assert (handled["worker"].map(units) == handled["unit"].astype(str)).all()
    assert not iss["borrowed"].any()


def test_specialised_and_comprehensive_on_the_same_staff(governance_scenario) -> None:
    common = {"demand.categories": TEAM_CATEGORIES, "run.replications": 2}
    specialised = governance_scenario({**common, "teams": [
        {"name": "city", "categories": ["repair", "sanitation"], "per_grid": 2},
        {"name": "social", "categories": ["care"], "per_grid": 2},
    ]})
    comprehensive = governance_scenario({**common, "workforce.per_grid": 4})
    a = twin.run_replications(specialised, jobs=1)
    b = twin.run_replications(comprehensive, jobs=1)
    assert not a.errors and not b.errors
    # the same issues (common random numbers), handled by 8 workers in both
    assert (a.issues["t_reported"].to_numpy() == b.issues["t_reported"].to_numpy()).all()
    for result in (a, b):
        grid = result.activity[result.activity["kind"] == "grid_worker"]
        assert grid.groupby("replication")["worker"].nunique().eq(8).all()
    units_a = {f"{t}/grid-0{g}" for t in ("city", "social") for g in (1, 2)}
    assert set(a.issues["unit"].astype(str)) == units_a
    assert set(b.issues["unit"].astype(str)) == {"grid-01", "grid-02"}
    for result, units in ((a, units_a), (b, {"grid-01", "grid-02"})):
        for unit in units:
            assert result.kpis[f"utilisation[{unit}]"].between(0, 1).all()
        assert result.kpis["arrived"].gt(0).all()


# ------------------------------------------------------------------- (f) borrowing
BORROW: dict[str, Any] = {
    "workforce.per_grid": 1,
    "workforce.grids": {"grid-01": {"workers": 0}},  # grid-01 relies on its neighbour
    "dispatch.policy": "own_grid_then_nearest",
    "dispatch.borrow_after": 30.0,
    "demand.categories.0.rate_per_hour": 1.5,
    "demand.categories.0.limit": 45.0,
}


def borrow_violations(rec: Any, borrow_after: float) -> list[str]:
    """grid-01 cases that waited longer than ``borrow_after`` while grid-02's worker was free."""
    act, iss = rec.activity, rec.issues
    free = act[(act["state"] == "idle") | ((act["state"] == "travel") & (act["issue_id"] < 0))]
    mine = iss[iss["grid"] == "grid-01"]
    out = []
    for row in mine.itertuples():
        lo = row.t_reported + borrow_after
        hi = row.t_dispatched if row.t_dispatched == row.t_dispatched else np.inf
        overlap = np.minimum(free["t_end"], hi) - np.maximum(free["t_start"], lo)
        if (overlap > EPS).any():
            out.append(f"issue {row.issue_id} waited [{row.t_reported:.3f}, {hi:.3f}]")
    return out


def test_borrowing_is_work_conserving(governance_scenario) -> None:
    for seed in range(4):
        scenario = governance_scenario({**BORROW, "run.seed": seed})
        rec = simulate(scenario)
        assert rec.issues["borrowed"].any()
        assert borrow_violations(rec, 30.0) == []

