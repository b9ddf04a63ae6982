"""Property-based tests of disputes under three-colour warning over random small
scenarios, above all of the response to red disputes.

Each example draws the dispute rate and grade mix, grid workers, a mediation office,
a lead unit (the police) and one to three units that join a red response, each with
random staff (zero included), shifts, bases and times on site, and switches latent
disputes, daily reports, flare-ups, follow-ups and a stream of ordinary cases on or
off. The checks read the record tables of one replication:

* no staff member is in two places at once: each one's intervals tile [0, horizon],
  and nobody is ever held on standby (no interval is anything but travel, on site,
  idle, off shift or patrol);
* every grade change is one a trigger allows, and per issue the grades chain from
  the grade at report to ``colour_closed``; only disputes are graded (an ordinary
  case, urgent by its time limit, is recorded as ``none``);
* every issue is accounted for and its time stamps are in order;
* the units of a red response act independently: a unit's staff are never free
  while a lead or joining visit of theirs waits, joining visits of a unit are taken
  in the order they were called, and every lead or joining visit of a unit that has
  staff is taken (or stood down) within two days, even when another unit of the same
  response has nobody at all: nobody waits for another unit, so there is no deadlock;
* a dispute settled by its red response is settled only after the lead's visit and,
  unless the lead settled it alone, after every joining visit ended.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin
from twin.engine.triggers import TRIGGERS
from twin.model import MINUTES_PER_DAY
from twin.scenario.schema import COLOURS
from twin.vocab import STATES

EPS = 1e-6
JOINING = ("judicial", "community", "court")
RED_PURPOSES = ("lead", "join")
SLACK_DAYS = 2.0
"""A lead or joining visit of a unit with staff is taken within this many days (the
drawn scenarios keep every unit far from saturation)."""

SETTINGS = settings(
    max_examples=20,
    deadline=None,  # one example simulates a few hundred issues; timing varies with load
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


# --------------------------------------------------------------------------- strategies
@st.composite
def shifts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Daily shifts of 6 to 16 hours (none: round the clock)."""
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, 23))
        end = (start + draw(st.integers(6, 16))) % 24
        out.append({"start": f"{start:02d}:00", "end": f"{end:02d}:00"})
    return out


@st.composite
def grade_mix(draw: st.DrawFn) -> dict[str, float]:
    weights = [draw(st.integers(0, 2)), draw(st.integers(0, 2)), draw(st.integers(1, 3))]
    total = sum(weights)
    return {c: w / total for c, w in zip(COLOURS, weights, strict=True) if w}


def _time(draw: st.DrawFn) -> dict[str, Any]:
    mean = draw(st.sampled_from([20.0, 45.0]))
    return draw(st.sampled_from([{"distribution": "exponential", "mean": mean},
                                 {"distribution": "fixed", "value": mean}]))


@st.composite
def red_dispute_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))

    def node() -> str:
        return f"{draw(st.integers(0, rows - 1))}-{draw(st.integers(0, cols - 1))}"

    dispute: dict[str, Any] = {
        "name": "dispute",
        "rate_per_hour": draw(st.sampled_from([0.02, 0.04, 0.06])),
        "colours": draw(grade_mix()),
        "dispute": {"mediate": _time(draw), "settles": draw(st.sampled_from([0.0, 0.5, 1.0])),
                    "flare_per_day": draw(st.sampled_from([0.0, 1.0, 5.0]))},
    }
    latent = draw(st.booleans())
    if latent:
        dispute["latent"] = {"report_delay": draw(st.sampled_from([60.0, 1440.0]))}
    categories = [dispute]
    if draw(st.booleans()):
        categories.append({"name": "case", "rate_per_hour": 0.3,
                           "limit": draw(st.sampled_from([60.0, 240.0, 1440.0])),
                           "service": {"distribution": "exponential", "mean": 20.0}})
    join = draw(st.lists(st.sampled_from(JOINING), min_size=1, max_size=3, unique=True))
    units = [{"name": "mediation_office", "staff": draw(st.integers(0, 2)), "node": node(),
              "travel": draw(st.booleans()), "shifts": draw(shifts())},
             {"name": "police", "staff": draw(st.integers(0, 2)), "node": node(),
              "shifts": draw(shifts())}]
    units += [{"name": name, "staff": draw(st.integers(0, 2)), "node": node(),
               "travel": draw(st.booleans()), "shifts": draw(shifts())} for name in JOINING]
    disputes: dict[str, Any] = {
        "mediation": {"gap_days": 0.2, "violence_risk": draw(st.sampled_from([0.0, 0.5])),
                      "in_person": {"service": _time(draw)}},
        "red": {"lead_service": _time(draw), "join": join, "join_service": _time(draw),
                "lead_settles": draw(st.sampled_from([0.0, 0.5, 1.0]))},
    }
    if draw(st.booleans()):
        disputes["follow_up"] = {"delay_days": 0.2, "reopen": draw(st.sampled_from([0.0, 0.5]))}
    if latent and draw(st.booleans()):
        disputes["daily_report"] = {"at": "17:00", "finds": 0.5}
    return {
        "name": "red-disputes",
        "map": {"source": "lattice", "rows": rows, "cols": cols, "block_length": 100.0,
                "speed": draw(st.sampled_from([50.0, 200.0]))},
        "grids": {"assignment": "blocks",
                  "blocks": [1, draw(st.integers(1, 2))]},
        "demand": {"categories": categories},
        "workforce": {"per_grid": draw(st.integers(0, 2)), "shifts": draw(shifts()),
                      "return_to_base": draw(st.booleans())},
        "patrols": {"enabled": draw(st.booleans())},
        "work_orders": {"units": units},
        "disputes": disputes,
        "run": {"horizon_days": draw(st.sampled_from([6.0, 8.0])), "warmup_days": 0.5,
                "seed": draw(st.integers(0, 2**16))},
    }


# ----------------------------------------------------------------------------- helpers
class Run:
    """One replication of a scenario and what the checks need."""

    def __init__(self, scenario: twin.Scenario) -> None:
        self.scenario = scenario
        rec = twin.simulate(scenario, 0)
        self.issues: pd.DataFrame = rec.issues
        self.activity: pd.DataFrame = rec.activity
        self.escalations: pd.DataFrame = rec.escalations
        self.visits: pd.DataFrame = rec.visits
        self.disputes: pd.DataFrame = rec.disputes
        self.horizon = scenario.run.horizon_days * MINUTES_PER_DAY
        units = scenario.work_orders.units if scenario.work_orders else []
        self.staff_of = {u.name: u.staff for u in units}
        self.n_staff = int(self.activity["worker"].nunique())

    def red_visits(self) -> pd.DataFrame:
        """Lead and joining visits, each with ``response`` (its lead's visit id) and
        ``until``: when it stopped waiting (dispatched, stood down, or the horizon)."""
        v = self.visits
        red = v[v["purpose"].astype(str).isin(RED_PURPOSES)].copy()
        leads = red[red["purpose"] == "lead"].set_index(["issue_id", "t_due"])["visit_id"]
        red["response"] = [leads[(i, t)] for i, t in zip(red["issue_id"], red["t_due"],
                                                          strict=True)]
        lead_done = v.set_index("visit_id")["t_done"]
        stood_down = red["response"].map(lead_done)
        withdrawn = (red["outcome"] == "withdrawn").to_numpy()
        red["until"] = np.where(red["t_dispatched"].notna(), red["t_dispatched"],
                                np.where(withdrawn, stood_down, self.horizon))
        return red


def _simulate(write: Callable[..., Path], data: dict[str, Any]) -> Run:
    return Run(twin.load_scenario(write(data)))


def _free(act: pd.DataFrame) -> pd.DataFrame:
    """Intervals in which a staff member could be sent: idle or walking back to base."""
    free = (act["state"] == "idle") | ((act["state"] == "travel") & (act["issue_id"] < 0))
    return act[free]


# ------------------------------------------------------------------------------ checks
def check_staff_tiles_time(run: Run) -> None:
    act = run.activity
    assert set(act["state"].astype(str)) <= set(STATES)
    assert "standby" not in STATES  # nobody is held waiting for another unit
    assert (act["t_end"] > act["t_start"]).all()
    assert set(act["worker"]) == set(range(run.n_staff))
    assert (act.groupby("worker")["kind"].nunique() == 1).all()
    for w, rows in act.sort_values(["worker", "t_start"]).groupby("worker"):
        start, end = rows["t_start"].to_numpy(), rows["t_end"].to_numpy()
        assert abs(start[0]) < EPS and abs(end[-1] - run.horizon) < EPS, w
        gaps = start[1:] - end[:-1]
        assert np.abs(gaps).max(initial=0.0) < EPS, (
            f"staff {w}: intervals overlap or leave a gap ({gaps.min():g}, {gaps.max():g})")


def check_grade_changes(run: Run) -> None:
    esc, iss = run.escalations, run.issues
    colour = {c: k for k, c in enumerate(COLOURS)}
    for row in esc.itertuples():
        frm, to = colour[str(row.from_colour)], colour[str(row.to_colour)]
        assert TRIGGERS[str(row.cause)].allows(frm, to), row
        assert 0.0 <= row.t < run.horizon
    # only disputes change grade (a latent one that flares up is reported at once)
    assert esc["issue_id"].isin(run.disputes["issue_id"]).all()
    # only disputes are graded: any other issue is recorded without a grade
    disputed = (iss["category"].astype(str) == "dispute").to_numpy()
    assert iss.loc[disputed, "colour"].astype(str).isin(COLOURS).all()
    assert iss.loc[disputed, "colour_closed"].astype(str).isin(COLOURS).all()
    assert (iss.loc[~disputed, "colour"].astype(str) == "none").all()
    assert (iss.loc[~disputed, "colour_closed"].astype(str) == "none").all()
    by_issue = {int(i): g for i, g in esc.groupby("issue_id", sort=False)}
    for row in iss.itertuples():
        rows = by_issue.get(int(row.issue_id))
        if rows is None:
            assert str(row.colour_closed) == str(row.colour)
            assert row.escalations == 0
            continue
        assert (np.diff(rows["t"].to_numpy()) >= 0).all()
        frm = rows["from_colour"].astype(str).tolist()
        to = rows["to_colour"].astype(str).tolist()
        # a latent dispute that flared up before it was known is reported at its new
        # grade (the issue table's colour); later changes start from there
        latent = int((rows["t"].to_numpy() <= row.t_reported).sum())
        assert (to[latent - 1] if latent else frm[0]) == str(row.colour), row.issue_id
        assert frm[1:] == to[:-1], row.issue_id
        assert to[-1] == str(row.colour_closed), row.issue_id
        # the issue table counts the rises only: a settlement (降级销号) is no escalation
        assert row.escalations == int((rows["cause"].astype(str) != "settled").sum())


def check_accounting(run: Run) -> None:
    iss = run.issues
    occ, rep = iss["t_occurred"].to_numpy(), iss["t_reported"].to_numpy()
    disp, site = iss["t_dispatched"].to_numpy(), iss["t_on_site"].to_numpy()
    done = iss["t_resolved"].to_numpy()
    kpis = twin.replication_kpis(iss, run.activity, 0.0, run.horizon,
                                 run.scenario.deadlines.model_dump(), run.visits,
                                 disputes=run.disputes)
    reported = ~np.isnan(rep)
    assert kpis["arrived"] == reported.sum() == kpis["resolved"] + kpis["open_at_end"]
    assert (iss.loc[~reported, "latent"]).all(), "only a latent issue can stay unreported"
    for earlier, later in ((occ, rep), (rep, disp), (disp, site), (site, done)):
        both = ~np.isnan(earlier) & ~np.isnan(later)
        assert (earlier[both] <= later[both] + EPS).all()
    assert (done[~np.isnan(done)] <= run.horizon + EPS).all()
    d = run.disputes
    known = iss[reported & (iss["category"] == "dispute")]
    assert sorted(d["issue_id"]) == sorted(known["issue_id"])
    closed = d["outcome"].astype(str) != "open"
    assert (d["t_closed"].notna() == closed).all()
    assert (d.loc[closed, "t_closed"] >= d.loc[closed, "t_reported"] - EPS).all()


def check_red_units_are_work_conserving(run: Run) -> int:
    """No lead or joining visit waits while a staff member of its unit is free. Returns
    how many such visits waited at all."""
    act = run.activity
    free = _free(act[act["kind"] == "handler"])
    waited = 0
    for row in run.red_visits().itertuples():
        if row.until - row.t_due <= EPS:
            continue
        waited += 1
        mine = free[free["unit"].astype(str) == str(row.unit)]
        overlap = (np.minimum(mine["t_end"].to_numpy(), row.until)
                   - np.maximum(mine["t_start"].to_numpy(), row.t_due))
        assert not (overlap > EPS).any(), (
            f"{row.purpose} visit {row.visit_id} of {row.unit} waited "
            f"[{row.t_due:.3f}, {row.until:.3f}] while someone of {row.unit} was free")
    return waited


def check_joining_visits_in_call_order(run: Run) -> None:
    """Within a joining unit, a visit called earlier is not overtaken by a later one."""
    red = run.red_visits()
    joins = red[red["purpose"] == "join"]
    for unit, rows in joins.groupby(joins["unit"].astype(str)):
        due, until = rows["t_due"].to_numpy(), rows["until"].to_numpy()
        sent = rows["t_dispatched"].notna().to_numpy()
        for i in np.flatnonzero(sent):
            earlier = due < due[i] - EPS
            assert (until[earlier] <= until[i] + EPS).all(), (unit, rows["visit_id"].iat[i])


def check_red_responses_come(run: Run) -> None:
    """Every lead or joining visit of a unit with staff, called at least SLACK_DAYS before
    the horizon, was taken or stood down: whether another unit has anyone or not."""
    red = run.red_visits()
    due = red["t_due"] <= run.horizon - SLACK_DAYS * MINUTES_PER_DAY
    staffed = red["unit"].astype(str).map(run.staff_of) > 0
    late = red[due & staffed & red["t_dispatched"].isna() & (red["outcome"] != "withdrawn")]
    assert late.empty, late[["visit_id", "issue_id", "purpose", "unit", "t_due"]]
    idle_units = red[due & ~staffed]
    assert idle_units["t_dispatched"].isna().all()


def check_settled_after_the_response(run: Run) -> None:
    """A dispute its red response settled closed when the lead's visit ended (it settled
    alone: the units not yet sent are stood down) or when the last visit ended."""
    red = run.red_visits()
    d = run.disputes
    once = d[(d["outcome"] == "settled") & (d["settled_grade"] == "red") & (d["reopened"] == 0)]
    for row in once.itertuples():
        mine = red[red["issue_id"] == row.issue_id]
        if mine["response"].nunique() != 1:
            continue
        lead = mine[mine["purpose"] == "lead"].iloc[0]
        joins = mine[mine["purpose"] == "join"]
        closed = float(row.t_closed)
        assert lead["t_done"] == lead["t_done"], row.issue_id  # the lead came and left
        assert closed >= float(lead["t_done"]) - EPS, row.issue_id
        last = max([float(lead["t_done"]), *joins["t_done"].tolist()])
        if abs(closed - float(lead["t_done"])) <= EPS:
            sent = joins["t_dispatched"] <= closed + EPS
            assert (sent | (joins["outcome"] == "withdrawn")).all(), row.issue_id
        else:
            assert joins["t_done"].notna().all() and abs(closed - last) <= EPS, row.issue_id


# ------------------------------------------------------------------------------- tests
@SETTINGS
@given(data=red_dispute_scenarios())
def test_staff_are_in_one_place_at_a_time_and_never_on_standby(write_scenario, data) -> None:
    check_staff_tiles_time(_simulate(write_scenario, data))


@SETTINGS
@given(data=red_dispute_scenarios())
def test_grades_change_as_the_triggers_allow_and_issues_are_accounted_for(
        write_scenario, data) -> None:
    run = _simulate(write_scenario, data)
    check_grade_changes(run)
    check_accounting(run)


@SETTINGS
@given(data=red_dispute_scenarios())
def test_red_units_act_independently_with_no_deadlock(write_scenario, data) -> None:
    run = _simulate(write_scenario, data)
    check_red_units_are_work_conserving(run)
    check_joining_visits_in_call_order(run)
    check_red_responses_come(run)


@SETTINGS
@given(data=red_dispute_scenarios())
def test_a_red_dispute_is_settled_only_after_its_response(write_scenario, data) -> None:
    check_settled_after_the_response(_simulate(write_scenario, data))


TEETH: dict[str, Any] = {
    "name": "busy-red",
    "map": {"source": "lattice", "rows": 4, "cols": 4, "block_length": 100.0, "speed": 80.0},
    "grids": {"assignment": "blocks", "blocks": [1, 2]},
    "demand": {"categories": [
        {"name": "dispute", "rate_per_hour": 0.15,
         "colours": {"green": 0.3, "yellow": 0.2, "red": 0.5},
         "dispute": {"settles": 0.5, "flare_per_day": 2.0}},
        {"name": "case", "rate_per_hour": 0.5,
         "service": {"distribution": "exponential", "mean": 20.0}}]},
    "workforce": {"per_grid": 1},
    "work_orders": {"units": [
        {"name": "mediation_office", "staff": 1, "travel": False,
         "shifts": [{"start": "09:00", "end": "17:00"}]},
        {"name": "police", "staff": 1},
        {"name": "judicial", "staff": 1, "node": "3-3", "shifts": [{"start": "09:00",
                                                                      "end": "17:00"}]},
        {"name": "community", "staff": 1, "shifts": [{"start": "14:00", "end": "22:00"}]},
        {"name": "court", "staff": 0}]},
    "disputes": {"mediation": {"gap_days": 0.2, "violence_risk": 0.5},
                 "red": {"join": ["judicial", "community"], "lead_settles": 0.3},
                 "follow_up": {"delay_days": 0.2, "reopen": 0.3}},
    "run": {"horizon_days": 8.0, "warmup_days": 0.5, "seed": 3},
}


def test_checks_have_teeth(write_scenario) -> None:
    # A busy scenario, so the checks above see real red responses: joining units on
    # office hours that keep visits waiting, responses the lead settles alone.
    run = _simulate(write_scenario, TEETH)
    check_staff_tiles_time(run)
    check_grade_changes(run)
    check_accounting(run)
    assert check_red_units_are_work_conserving(run) > 20
    check_joining_visits_in_call_order(run)
    check_red_responses_come(run)
    check_settled_after_the_response(run)
    red = run.red_visits()
    assert (red["outcome"] == "withdrawn").any()  # stood down after the lead settled alone
    joins = red[red["purpose"] == "join"]
    lead_done = red.set_index("visit_id")["t_done"]
    # joining units came after the lead had left: nobody waited for anybody
    assert (joins["t_on_site"] > joins["response"].map(lead_done)).any()
    assert set(run.escalations["cause"].astype(str)) == set(TRIGGERS)
    # A unit's staff member made free while one of its visits waits is caught.
    waiting = joins[joins["until"] - joins["t_due"] > 60.0].iloc[0]
    fake = run.activity.iloc[[0]].assign(
        unit=str(waiting["unit"]), kind="handler", state="idle",
        t_start=float(waiting["t_due"]), t_end=float(waiting["t_due"]) + 30.0)
    broken = copy.copy(run)
    broken.activity = pd.concat([run.activity, fake])
    try:
        check_red_units_are_work_conserving(broken)
    except AssertionError:
        pass
    else:
        raise AssertionError("a free staff member beside a waiting visit was not caught")
