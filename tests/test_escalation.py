"""The governance mechanisms, one at a time: escalation (deadline, failed, grew,
whistle), the state machine, follow-up visits, repeat complaints, latent hazards
with sensors and patrols, volunteers, and specialised teams.

Most checks are exact statements about the record tables of small scenarios
built from ``GOVERNANCE_BASE`` (tests/conftest.py). Statistical checks use 99%
Student-t intervals across replications (see test_validation_queueing.py for why
99%) or a Kolmogorov-Smirnov test at level 0.001.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import twin
from twin.engine.triggers import CAUSES, TRIGGERS
from twin.engine.watch import escalation_rules
from twin.model import MINUTES_PER_DAY, ReplicationRecords
from twin.vocab import GREEN, RED, YELLOW

LEVEL = 0.99
KS_ALPHA = 0.001
EPS = 1e-6
COLOURS = ("green", "yellow", "red")

NOBODY: dict[str, Any] = {  # no staff anywhere: every case waits until the horizon
    "workforce.per_grid": 0,
    "tiers.mediation.staff": 0,
    "tiers.joint.pools": [{"name": "police", "staff": 0}, {"name": "judicial", "staff": 0}],
}
STAFFED: dict[str, Any] = {
    "workforce.per_grid": 2,
    "tiers.mediation.staff": 3,
    "tiers.joint.pools": [{"name": "police", "staff": 2}, {"name": "judicial", "staff": 2}],
}


def simulate(scenario: twin.Scenario, replication: int = 0) -> ReplicationRecords:
    return twin.simulate(scenario, replication)


def horizon_of(scenario: twin.Scenario) -> float:
    return scenario.run.horizon_days * MINUTES_PER_DAY


def rows_by_issue(escalations: pd.DataFrame) -> dict[int, list[tuple[float, str, str, str]]]:
    """Escalation rows per issue, in recorded order: (t, from, to, cause)."""
    out: dict[int, list[tuple[float, str, str, str]]] = {}
    for row in escalations.itertuples():
        out.setdefault(int(row.issue_id), []).append(
            (float(row.t), str(row.from_colour), str(row.to_colour), str(row.cause)))
    return out


def staff_kind(activity: pd.DataFrame) -> dict[int, str]:
    pairs = activity[["worker", "kind"]].drop_duplicates()
    return dict(zip(pairs["worker"], pairs["kind"].astype(str), strict=True))


def staff_unit(activity: pd.DataFrame) -> dict[int, str]:
    pairs = activity[["worker", "unit"]].drop_duplicates()
    return dict(zip(pairs["worker"], pairs["unit"].astype(str), strict=True))


# ------------------------------------------------------------- (a) deadline escalation
def test_deadline_escalation_fires_exactly_at_each_deadline(governance_scenario) -> None:
    scenario = governance_scenario({**NOBODY, "run.horizon_days": 1.0, "run.warmup_days": 0.1})
    rec = simulate(scenario)
    horizon = horizon_of(scenario)
    deadline = dict(zip(COLOURS, (60.0, 120.0, 240.0), strict=True))
    got = rows_by_issue(rec.escalations)
    iss = rec.issues
    assert len(iss) > 20 and set(iss["colour"].astype(str)) == set(COLOURS)
    complete = 0
    for row in iss.itertuples():
        expected: list[tuple[float, str, str, str]] = []
        t, colour = float(row.t_reported), COLOURS.index(str(row.colour))
        while True:
            t += deadline[COLOURS[colour]]
            if t >= horizon:
                break
            if colour == RED:
                expected.append((t, "red", "red", "whistle"))
                complete += 1
                break
            expected.append((t, COLOURS[colour], COLOURS[colour + 1], "deadline"))
            colour += 1
        actual = got.get(int(row.issue_id), [])
        assert [r[1:] for r in actual] == [e[1:] for e in expected], row.issue_id
        assert [r[0] for r in actual] == pytest.approx([e[0] for e in expected], abs=1e-9)
        changes = [e for e in expected if e[3] != "whistle"]
        assert row.escalations == len(changes)
        assert str(row.colour_closed) == (changes[-1][2] if changes else str(row.colour))
        assert np.isnan(row.t_dispatched) and row.handler == "none"
    assert complete > 10  # many green cases went all the way to a whistle
    # The escalations table is in time order.
    assert (np.diff(rec.escalations["t"].to_numpy()) >= 0).all()


def test_whistle_is_recorded_once_and_the_case_stays_red(governance_scenario) -> None:
    scenario = governance_scenario({**NOBODY, "demand.categories.0.colours": {"red": 1.0},
                                    "run.horizon_days": 1.0, "run.warmup_days": 0.1})
    rec = simulate(scenario)
    esc = rec.escalations
    assert len(esc) > 10
    assert (esc["cause"] == "whistle").all()
    assert ((esc["from_colour"] == "red") & (esc["to_colour"] == "red")).all()
    assert esc["issue_id"].is_unique
    assert (rec.issues["escalations"] == 0).all()
    assert (rec.issues["colour_closed"] == "red").all()


# --------------------------------------------------------- (b) switched-off escalation
def test_no_escalation_when_deadlines_are_off(governance_scenario) -> None:
    rec = simulate(governance_scenario({**NOBODY, "escalation.on_deadline": False}))
    assert rec.escalations.empty
    iss = rec.issues
    assert len(iss) > 20
    assert (iss["colour_closed"] == iss["colour"]).all()
    assert (iss["escalations"] == 0).all()


def test_no_escalation_at_all_when_disabled(governance_scenario) -> None:
    scenario = governance_scenario({
        **STAFFED, "escalation.enabled": False,
        "demand.categories.0.failure": {"green": 1.0, "yellow": 1.0},
        "demand.categories.0.growth_per_hour": 5.0,
        "deadlines": {"green": 5.0, "yellow": 10.0, "red": 20.0},
    })
    rec = simulate(scenario)
    assert rec.escalations.empty
    iss = rec.issues
    assert (iss["colour_closed"] == iss["colour"]).all()
    # attempts were made (and would all have failed) at green and yellow
    done = iss[iss["t_resolved"].notna()]
    assert set(done["colour"].astype(str)) == set(COLOURS)
    assert set(done["handler"].astype(str)) == {"grid_worker", "mediator", "responder"}


# ------------------------------------------------------------------- (c) failed attempts
def test_every_failed_green_attempt_goes_to_the_mediation_office(governance_scenario) -> None:
    scenario = governance_scenario({
        **STAFFED, "escalation.on_deadline": False,
        "demand.categories.0.failure": {"green": 1.0},
    })
    rec = simulate(scenario)
    iss, act, esc = rec.issues, rec.activity, rec.escalations
    kind = staff_kind(act)
    attempts = act[(act["state"] == "on_site") & (act["kind"] == "grid_worker")
                   & (act["issue_id"] >= 0) & (act["t_end"] < horizon_of(scenario))]
    assert len(attempts) > 20
    assert attempts["issue_id"].is_unique  # a failed case never returns to a grid worker
    assert (esc["cause"] == "failed").all()
    assert ((esc["from_colour"] == "green") & (esc["to_colour"] == "yellow")).all()
    assert esc["issue_id"].is_unique
    failed_at = dict(zip(esc["issue_id"], esc["t"], strict=True))
    ended_at = dict(zip(attempts["issue_id"], attempts["t_end"], strict=True))
    assert set(failed_at) == set(ended_at)
    assert all(failed_at[i] == pytest.approx(ended_at[i], abs=1e-9) for i in failed_at)
    green = iss[iss["colour"] == "green"]
    assert set(green.loc[green["issue_id"].isin(ended_at), "issue_id"]) == set(ended_at)
    settled = green[green["t_resolved"].notna()]
    assert len(settled) > 10
    assert (settled["handler"] == "mediator").all()
    assert (settled["colour_closed"] == "yellow").all()
    # the mediator started only after the failed attempt
    med = act[(act["issue_id"].isin(settled["issue_id"])) & (act["kind"] == "mediator")]
    assert (med["t_start"].to_numpy() >= med["issue_id"].map(failed_at).to_numpy() - EPS).all()
    assert {kind[w] for w in settled["worker"]} == {"mediator"}


def test_no_failure_no_failed_escalation(governance_scenario) -> None:
    rec = simulate(governance_scenario({**STAFFED, "escalation.on_deadline": False}))
    assert rec.escalations.empty
    green = rec.issues[(rec.issues["colour"] == "green") & rec.issues["t_resolved"].notna()]
    assert len(green) > 10
    assert (green["handler"] == "grid_worker").all()


# ---------------------------------------------------------------------------- (d) growth
def test_time_to_grow_is_exponential_with_the_configured_rate(governance_scenario) -> None:
    rate_per_hour = 1.0
    scenario = governance_scenario({
        **NOBODY, "escalation.on_deadline": False,
        "demand.categories.0.growth_per_hour": rate_per_hour,
        "demand.categories.0.rate_per_hour": 2.0,
        "run.horizon_days": 3.0,
    })
    horizon = horizon_of(scenario)
    cutoff = horizon - 20 * 60.0 / rate_per_hour  # P(growth later than this) = e^-20
    gaps_per_rep = []
    for rep in range(8):
        rec = simulate(scenario, rep)
        esc = rec.escalations
        assert (esc["cause"] == "grew").all()
        assert (esc["from_colour"] != "red").all()
        iss = rec.issues.set_index("issue_id")
        gaps = []
        for issue, rows in rows_by_issue(esc).items():
            start = float(iss.at[issue, "t_reported"])
            for t, _frm, _to, _cause in rows:
                if start < cutoff:
                    gaps.append(t - start)
                start = t
        # every green or yellow case reported before the cutoff grew
        early = iss[(iss["t_reported"] < cutoff) & (iss["colour"] != "red")]
        assert (early["escalations"] >= 1).all()
        gaps_per_rep.append(np.array(gaps))
    pooled = np.concatenate(gaps_per_rep)
    assert len(pooled) > 1000
    mean = 60.0 / rate_per_hour
    _m, low, high, _n = twin.confidence_interval(np.array([g.mean() for g in gaps_per_rep]),
                                                 LEVEL)
    assert low <= mean <= high, (low, high)
    assert stats.kstest(pooled, "expon", args=(0.0, mean)).pvalue > KS_ALPHA


# -------------------------------------------------------------------- (e) state machine
def test_triggers_allow_only_upward_moves_red_whistles_and_settling_down() -> None:
    up = ("deadline", "failed", "grew", "reopened")
    allowed = {(GREEN, YELLOW, c) for c in up}
    allowed |= {(YELLOW, RED, c) for c in up}
    allowed.add((RED, RED, "whistle"))
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
        if cause == "whistle":
            assert to == (RED if colour == RED else None)
        elif cause == "settled":
            assert to == (None if colour == GREEN else GREEN)
        elif colour == RED:
            assert to is None
        else:
            assert to == colour + 1
        if to is not None:  # what the model records is a move the trigger allows
            assert TRIGGERS[cause].allows(colour, to)


def test_the_registry_orders_causes_as_the_records_code_them() -> None:
    assert CAUSES == ("deadline", "failed", "grew", "whistle", "settled", "reopened")
    assert [t.cause for t in TRIGGERS.values()] == list(CAUSES)
    assert all(t.label[0] and t.label[1] for t in TRIGGERS.values())


def test_rules_of_a_scenario(governance_scenario) -> None:
    scenario = governance_scenario({
        "demand.categories.0.failure": {"green": 0.25, "yellow": 0.1},
        "demand.categories.0.growth_per_hour": 0.6,
    })
    rules = escalation_rules(scenario)
    assert rules.enabled and rules.on_deadline
    assert rules.deadlines.tolist() == [60.0, 120.0, 240.0]
    assert rules.failure.tolist() == [[0.25, 0.1, 0.0]]
    assert rules.growth.tolist() == pytest.approx([0.01])  # per minute


# ------------------------------------------------------------------ (f) follow-up visits
def test_one_follow_up_visit_per_yellow_or_red_closing_case(governance_scenario) -> None:
    scenario = governance_scenario({
        **STAFFED, "follow_up": {"delay_days": 0.25,
                                 "service": {"distribution": "fixed", "value": 10.0}},
        "demand.categories.0.failure": {"green": 0.3},
        "run.horizon_days": 3.0,
    })
    rec = simulate(scenario)
    iss, vis, act = rec.issues, rec.visits, rec.activity
    resolved = iss[iss["t_resolved"].notna()]
    closing = resolved[resolved["colour_closed"].isin(["yellow", "red"])]
    assert len(closing) > 10 and (closing["colour"] == "green").any()  # some escalated
    assert vis["issue_id"].is_unique
    assert set(vis["issue_id"]) == set(closing["issue_id"])
    merged = vis.merge(iss, on="issue_id", suffixes=("", "_issue"))
    assert np.allclose(merged["t_due"], merged["t_resolved"] + 0.25 * MINUTES_PER_DAY,
                       atol=1e-9, rtol=0)
    assert (merged["unit"].astype(str) == merged["unit_issue"].astype(str)).all()
    assert (merged["node"] == merged["node_issue"]).all()
    # visits are made by grid workers of the case's unit, after they fall due
    done = vis[vis["t_done"].notna()]
    assert len(done) > 5
    assert (done["t_on_site"] >= done["t_due"] - EPS).all()
    assert np.allclose(done["t_done"] - done["t_on_site"], 10.0)
    kind, unit = staff_kind(act), staff_unit(act)
    assert all(kind[w] == "grid_worker" for w in done["worker"])
    assert [unit[w] for w in done["worker"]] == done["unit"].astype(str).tolist()
    visit_rows = act[act["visit"]]
    assert set(visit_rows["kind"].astype(str)) == {"grid_worker"}
    assert set(visit_rows["issue_id"]) <= set(vis["issue_id"])


def test_no_follow_up_without_the_section(governance_scenario) -> None:
    rec = simulate(governance_scenario(STAFFED))
    assert rec.visits.empty
    assert not rec.activity["visit"].any()


# ---------------------------------------------------------------- (g) repeat complaints
COMPLAINT_BASE: dict[str, Any] = {
    **NOBODY, "escalation.enabled": False,
    "deadlines": {"green": 720.0, "yellow": 1440.0, "red": 2880.0},
    "run.horizon_days": 1.0, "run.warmup_days": 0.1,
}


def expected_complaints(iss: pd.DataFrame, rate_per_hour: float, horizon: float
                        ) -> np.ndarray:
    """r/60 * T^2 / (2 D) for a case open for T minutes with deadline D."""
    deadline = iss["colour"].astype(str).map({"green": 720.0, "yellow": 1440.0, "red": 2880.0})
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
    scenario = governance_scenario({**COMPLAINT_BASE, "repeat_complaints.rate_at_deadline": rate,
                                    "demand.categories.0.colours": {"green": 1.0}})
    rec = simulate(scenario)
    iss = rec.issues
    expected = expected_complaints(iss, rate, horizon_of(scenario))
    many = expected > 40
    assert many.sum() > 10
    got = iss["repeat_complaints"].to_numpy()[many]
    assert got.mean() == pytest.approx(expected[many].mean(), rel=0.1)


# ------------------------------------------------------------------ (h) latent hazards
LATENT: dict[str, Any] = {
    "demand.categories.0.latent": {"report_delay": 60.0},
    "demand.categories.0.rate_per_hour": 0.5,
    "escalation.enabled": False,
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


# ---------------------------------------------------------------------- (i) volunteers
VOLUNTEERS: dict[str, Any] = {
    "tiers": None,
    "workforce.per_grid": 1,
    "demand.categories": [
        {"name": "care", "rate_per_hour": 0.8, "colours": {"green": 0.7, "yellow": 0.3},
         "service": {"distribution": "exponential", "mean": 20.0}, "volunteer_eligible": True},
        {"name": "dispute", "rate_per_hour": 0.8, "colours": {"green": 0.7, "yellow": 0.3},
         "service": {"distribution": "exponential", "mean": 20.0}},
    ],
    # 3,000 residents x 30 per 1,000 x 0.1 = 9 volunteers per grid, round the clock
    "volunteers": {"registered_per_1000_residents": 30.0, "participation": 0.1,
                   "shifts": [{"start": "00:00", "end": "24:00"}]},
}


def test_eligible_green_cases_go_to_idle_volunteers(governance_scenario) -> None:
    rec = simulate(governance_scenario({**VOLUNTEERS, "escalation.enabled": False}))
    iss, act = rec.issues, rec.activity
    kind = staff_kind(act)
    assert sum(k == "volunteer" for k in kind.values()) == 18
    mine = iss[(iss["category"] == "care") & (iss["colour"] == "green")
               & iss["t_dispatched"].notna()]
    assert len(mine) > 10
    assert (mine["handler"] == "volunteer").all()
    assert (mine["t_dispatched"] == mine["t_reported"]).all()  # someone was always free
    others = iss[(iss["category"] != "care") | (iss["colour"] != "green")]
    assert not (others["handler"] == "volunteer").any()


def test_volunteers_take_only_eligible_green_cases(governance_scenario) -> None:
    # Few volunteers, busy grid workers and escalation on: cases move between queues.
    rec = simulate(governance_scenario({
        **VOLUNTEERS, "volunteers.participation": 0.02,  # 2 volunteers per grid
        "demand.categories.0.failure": {"green": 0.3},
        "demand.categories.0.rate_per_hour": 2.0,
        "run.horizon_days": 3.0,
    }))
    iss, act, esc = rec.issues, rec.activity, rec.escalations
    jobs = act[(act["kind"] == "volunteer") & (act["issue_id"] >= 0)]
    assert len(jobs) > 20 and not jobs["visit"].any()
    cases = iss.set_index("issue_id").loc[jobs["issue_id"]]
    assert (cases["category"] == "care").all()
    assert (cases["colour"] == "green").all()
    first_escalation = esc.groupby("issue_id")["t"].min()
    before = jobs["issue_id"].map(first_escalation).fillna(np.inf).to_numpy()
    assert (before >= jobs["t_start"].to_numpy() - EPS).all(), "a volunteer took a yellow case"
    assert len(esc) > 0 and (iss["handler"] == "grid_worker").any()


def test_no_volunteers_at_zero_participation(governance_scenario) -> None:
    rec = simulate(governance_scenario({**VOLUNTEERS, "volunteers.participation": 0.0}))
    assert not (rec.activity["kind"] == "volunteer").any()
    assert not (rec.issues["handler"] == "volunteer").any()
    assert (rec.issues["handler"] == "grid_worker").any()


# --------------------------------------------------------------------------- (j) teams
TEAM_CATEGORIES = [
    {"name": "repair", "rate_per_hour": 1.0, "colours": {"green": 0.8, "yellow": 0.2},
     "service": {"distribution": "exponential", "mean": 20.0}},
    {"name": "sanitation", "rate_per_hour": 1.0,
     "service": {"distribution": "exponential", "mean": 15.0}},
    {"name": "dispute", "rate_per_hour": 0.5, "colours": {"green": 0.6, "yellow": 0.4},
     "service": {"distribution": "exponential", "mean": 30.0}},
]
TEAMS = [
    {"name": "city", "categories": ["repair", "sanitation"], "blocks": [1, 1], "per_grid": 4},
    {"name": "social", "categories": ["dispute"], "blocks": [2, 2], "per_grid": 1},
]


def test_each_category_is_handled_by_its_own_team(governance_scenario) -> None:
    rec = simulate(governance_scenario({"tiers": None, "demand.categories": TEAM_CATEGORIES,
                                        "teams": TEAMS}))
    iss, act = rec.issues, rec.activity
    team_of = {"repair": "city", "sanitation": "city", "dispute": "social"}
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
    common = {"tiers": None, "demand.categories": TEAM_CATEGORIES, "run.replications": 2}
    specialised = governance_scenario({**common, "teams": [
        {"name": "city", "categories": ["repair", "sanitation"], "per_grid": 2},
        {"name": "social", "categories": ["dispute"], "per_grid": 2},
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


# ------------------------------------------------- escalation and borrowing neighbours
BORROW: dict[str, Any] = {
    "tiers": None,
    "workforce.per_grid": 1,
    "workforce.grids": {"grid-01": {"workers": 0}},  # grid-01 relies on its neighbour
    "dispatch.policy": "own_grid_then_nearest",
    "dispatch.borrow_after": 30.0,
    "demand.categories.0.colours": {"green": 1.0},
    "demand.categories.0.rate_per_hour": 1.5,
    "deadlines": {"green": 45.0, "yellow": 400.0, "red": 800.0},
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


def test_borrowing_without_escalation_is_work_conserving(governance_scenario) -> None:
    for seed in range(4):
        scenario = governance_scenario({**BORROW, "escalation.enabled": False, "run.seed": seed})
        rec = simulate(scenario)
        assert rec.issues["borrowed"].any()
        assert borrow_violations(rec, 30.0) == []


def test_escalated_case_stays_open_to_neighbours(governance_scenario) -> None:
    problems = []
    for seed in range(4):
        scenario = governance_scenario({**BORROW, "run.seed": seed})
        rec = simulate(scenario)
        assert (rec.escalations["cause"] == "deadline").any()
        problems += borrow_violations(rec, 30.0)
    assert problems == []
