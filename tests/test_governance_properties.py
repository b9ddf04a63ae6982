"""Property-based tests of the governance mechanisms over random small three-colour scenarios.

Each example switches tiers, escalation, patrols, volunteers and follow-up visits
on or off, draws staff counts (zero included), failure probabilities and growth
rates, and checks invariants of the record tables of one replication:

* every row of the escalations table is a move the state machine allows, and per
  issue the colours chain from the colour at report to ``colour_closed``;
* no staff member is in two places at once: each one's intervals tile [0, horizon];
* the responders of a joint response are held together: same start, same time on site;
* every issue is accounted for and its time stamps are in order;
* a resolved case was settled by the tier of the colour it closed in;
* no responder pool idles while a red case it could start waits, and no mediator
  idles while a yellow case waits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin
from twin.engine.triggers import CAUSES, TRIGGERS
from twin.geography import build_community
from twin.model import MINUTES_PER_DAY
from twin.rng import Streams
from twin.scenario.schema import COLOURS
from twin.staffing import build_staffing

EPS = 1e-6
POOLS = ("police", "judicial")

SETTINGS = settings(
    max_examples=20,
    deadline=None,  # one example simulates a few hundred issues; timing varies with load
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


# --------------------------------------------------------------------------- strategies
@st.composite
def shifts(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, 23))
        end = (start + draw(st.integers(2, 16))) % 24
        out.append({"start": f"{start:02d}:00", "end": f"{end:02d}:00"})
    return out


@st.composite
def colour_mix(draw: st.DrawFn) -> dict[str, float]:
    weights = [draw(st.integers(0, 3)) for _ in COLOURS]
    if sum(weights) == 0:
        weights[0] = 1
    total = sum(weights)
    return {c: w / total for c, w in zip(COLOURS, weights, strict=True) if w}


@st.composite
def governance_overrides(draw: st.DrawFn) -> dict[str, Any]:
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    tiers = draw(st.booleans())
    volunteers = draw(st.booleans())
    categories = []
    for k in range(draw(st.integers(1, 2))):
        mean = draw(st.floats(5.0, 40.0))
        cat: dict[str, Any] = {
            "name": f"c{k}",
            "rate_per_hour": draw(st.floats(0.3, 2.0)),
            "colours": draw(colour_mix()),
            "service": draw(st.sampled_from([
                {"distribution": "exponential", "mean": mean},
                {"distribution": "fixed", "value": mean},
            ])),
            "failure": {"green": draw(st.sampled_from([0.0, 0.3, 1.0])),
                        "yellow": draw(st.sampled_from([0.0, 0.5]))},
            "growth_per_hour": draw(st.sampled_from([0.0, 0.5, 3.0])),
            "volunteer_eligible": volunteers and draw(st.booleans()),
        }
        if draw(st.booleans()):
            cat["latent"] = {"report_delay": draw(st.sampled_from([30.0, 300.0])),
                             "sensor_share": draw(st.sampled_from([0.0, 0.3]))}
        if tiers and draw(st.booleans()):
            cat["joint_pools"] = [draw(st.sampled_from(POOLS))]
        categories.append(cat)
    green = draw(st.sampled_from([15.0, 45.0, 120.0]))
    out: dict[str, Any] = {
        "map.rows": rows,
        "map.cols": cols,
        "map.speed": draw(st.sampled_from([50.0, 200.0])),
        "grids.blocks": [draw(st.integers(1, 2)), draw(st.integers(1, 2))],
        "demand.categories": categories,
        "workforce.per_grid": draw(st.integers(0, 2)),
        "workforce.shifts": draw(shifts()),
        "workforce.return_to_base": draw(st.booleans()),
        "dispatch.policy": draw(st.sampled_from(
            ["own_grid", "nearest_idle", "own_grid_then_nearest"])),
        "dispatch.borrow_after": draw(st.sampled_from([0.0, 20.0])),
        "deadlines": {"response": 30.0, "green": green, "yellow": 2 * green, "red": 4 * green},
        "escalation.enabled": draw(st.booleans()),
        "escalation.on_deadline": draw(st.booleans()),
        "patrols.enabled": draw(st.booleans()),
        "run.horizon_days": draw(st.sampled_from([1.0, 1.5])),
        "run.warmup_days": 0.25,
        "run.seed": draw(st.integers(0, 2**16)),
        "tiers": None,
    }
    if tiers:
        out["tiers"] = {
            "mediation": {"staff": draw(st.integers(0, 2)), "travel": draw(st.booleans()),
                          "shifts": draw(shifts())},
            "joint": {"pools": [
                {"name": name, "staff": draw(st.integers(0, 2)), "shifts": draw(shifts()),
                 "node": f"{draw(st.integers(0, rows - 1))}-{draw(st.integers(0, cols - 1))}"}
                for name in POOLS
            ]},
        }
    if volunteers:
        out["volunteers"] = {"participation": draw(st.sampled_from([0.0, 0.01, 0.03])),
                             "shifts": draw(shifts()) or [{"start": "08:00", "end": "20:00"}]}
    if draw(st.booleans()):
        out["follow_up"] = {"delay_days": 0.1,
                            "service": {"distribution": "fixed", "value": 10.0}}
    return out


# ----------------------------------------------------------------------------- helpers
class Run:
    """One replication of a scenario and what the checks need."""

    def __init__(self, scenario: twin.Scenario) -> None:
        self.scenario = scenario
        community = build_community(scenario)
        self.staffing = build_staffing(scenario, community, Streams(scenario.run.seed, 0))
        rec = twin.simulate(scenario, 0, community)
        self.issues: pd.DataFrame = rec.issues
        self.activity: pd.DataFrame = rec.activity
        self.escalations: pd.DataFrame = rec.escalations
        self.visits: pd.DataFrame = rec.visits
        self.horizon = scenario.run.horizon_days * MINUTES_PER_DAY
        self.n_staff = len(self.staffing.kind)

    def became(self, colour: str) -> dict[int, float]:
        """Per issue, when it took ``colour`` (at report or by escalation), if it did."""
        iss, esc = self.issues, self.escalations
        out = {int(i): float(t) for i, t in zip(
            iss.loc[iss["colour"] == colour, "issue_id"],
            iss.loc[iss["colour"] == colour, "t_reported"], strict=True) if t == t}
        moved = esc[(esc["to_colour"] == colour) & (esc["from_colour"] != colour)]
        out.update({int(i): float(t) for i, t in zip(moved["issue_id"], moved["t"],
                                                     strict=True)})
        return out

    def left(self, colour: str) -> dict[int, float]:
        """Per issue, when it moved up from ``colour``."""
        esc = self.escalations
        moved = esc[(esc["from_colour"] == colour) & (esc["to_colour"] != colour)]
        return {int(i): float(t) for i, t in zip(moved["issue_id"], moved["t"], strict=True)}


def _simulate(governance_scenario, overrides: dict[str, Any]) -> Run:
    return Run(governance_scenario(overrides))


# ------------------------------------------------------------------------------ checks
def check_escalations(run: Run) -> None:
    esc, iss = run.escalations, run.issues
    if not run.scenario.escalation.enabled:
        assert esc.empty
    colour = {c: k for k, c in enumerate(COLOURS)}
    for row in esc.itertuples():
        frm, to = colour[str(row.from_colour)], colour[str(row.to_colour)]
        assert TRIGGERS[str(row.cause)].allows(frm, to), row
        assert 0.0 <= row.t < run.horizon
    if not run.scenario.escalation.on_deadline:
        assert not esc["cause"].isin(["deadline", "whistle"]).any()
    by_issue = {int(i): g for i, g in esc.groupby("issue_id", sort=False)}
    for row in iss.itertuples():
        rows = by_issue.get(int(row.issue_id))
        changes = 0
        if rows is not None:
            assert not np.isnan(row.t_reported)
            times = rows["t"].to_numpy()
            assert (np.diff(times) >= 0).all() and times[0] >= row.t_reported - EPS
            frm = rows["from_colour"].astype(str).tolist()
            to = rows["to_colour"].astype(str).tolist()
            assert frm[0] == str(row.colour), row.issue_id
            assert frm[1:] == to[:-1], row.issue_id
            assert to[-1] == str(row.colour_closed), row.issue_id
            changes = int((rows["cause"] != "whistle").sum())
            assert (rows["cause"] == "whistle").sum() <= 1
        else:
            assert str(row.colour_closed) == str(row.colour)
        assert row.escalations == changes


def check_staff_tiles_time(run: Run) -> None:
    act = run.activity
    assert (act["t_end"] > act["t_start"]).all()
    assert set(act["worker"]) == set(range(run.n_staff))
    kinds = act.groupby("worker")["kind"].nunique()
    assert (kinds == 1).all()
    for w, rows in act.sort_values(["worker", "t_start"]).groupby("worker"):
        start, end = rows["t_start"].to_numpy(), rows["t_end"].to_numpy()
        assert abs(start[0]) < EPS and abs(end[-1] - run.horizon) < EPS, w
        gaps = start[1:] - end[:-1]
        assert np.abs(gaps).max(initial=0.0) < EPS, (
            f"staff {w}: intervals overlap or leave a gap ({gaps.min():g}, {gaps.max():g})")


def check_joint_responses(run: Run) -> None:
    act = run.activity
    resp = act[(act["kind"] == "responder") & (act["issue_id"] >= 0)]
    if run.scenario.tiers is None:
        assert resp.empty
        return
    need = {c.name: (len(c.joint_pools) or len(POOLS)) for c in run.scenario.demand.categories}
    category = run.issues.set_index("issue_id")["category"].astype(str)
    for issue, rows in resp.groupby("issue_id"):
        first = rows.groupby("worker")["t_start"].min()
        assert first.nunique() == 1, f"issue {issue}: responders set off at different times"
        pools = rows.groupby("worker")["unit"].first().astype(str)
        assert pools.is_unique and len(pools) == need[category[issue]], issue
        on_site = rows[rows["state"] == "on_site"]
        if len(on_site):
            assert set(on_site["worker"]) == set(pools.index), issue
            assert on_site["t_start"].nunique() == 1 and on_site["t_end"].nunique() == 1, (
                f"issue {issue}: responders not on site together")
            standby = rows[rows["state"] == "standby"]
            assert (standby["t_end"] == on_site["t_start"].iat[0]).all()
        assert run.issues.loc[run.issues["issue_id"] == issue, "colour_closed"].eq("red").all()


def check_accounting(run: Run) -> None:
    iss = run.issues
    occ, rep = iss["t_occurred"].to_numpy(), iss["t_reported"].to_numpy()
    disp, site = iss["t_dispatched"].to_numpy(), iss["t_on_site"].to_numpy()
    done = iss["t_resolved"].to_numpy()
    kpis = twin.replication_kpis(iss, run.activity, 0.0, run.horizon,
                                 run.scenario.deadlines.model_dump(), run.escalations,
                                 run.visits)
    reported = ~np.isnan(rep)
    assert kpis["arrived"] == reported.sum() == kpis["resolved"] + kpis["open_at_end"]
    assert (~iss["latent"] | ~reported | (iss["channel"] != "sensor")).all()
    assert ((occ >= 0) & (occ < run.horizon)).all()
    assert (iss.loc[~reported, "latent"]).all(), "only a latent hazard can stay unreported"
    for earlier, later in ((occ, rep), (rep, disp), (disp, site), (site, done)):
        both = ~np.isnan(earlier) & ~np.isnan(later)
        assert (earlier[both] <= later[both] + EPS).all()
        assert (np.isnan(later) | ~np.isnan(earlier)).all()
    assert (done[~np.isnan(done)] <= run.horizon + EPS).all()
    assert ((iss["worker"] >= 0) == ~np.isnan(disp)).all()


def check_handlers(run: Run) -> None:
    iss = run.issues
    settled = iss[iss["t_resolved"].notna()]
    handler = settled["handler"].astype(str)
    closed = settled["colour_closed"].astype(str)
    if run.scenario.tiers is None:
        assert handler.isin(["grid_worker", "volunteer"]).all()
    else:
        assert (handler[closed == "yellow"] == "mediator").all()
        assert (handler[closed == "red"] == "responder").all()
        assert handler[closed == "green"].isin(["grid_worker", "volunteer"]).all()
    eligible = {c.name for c in run.scenario.demand.categories
                if c.volunteer_eligible and run.scenario.volunteers is not None}
    by_volunteer = iss[iss["handler"] == "volunteer"]
    assert by_volunteer["category"].astype(str).isin(eligible).all()
    assert (by_volunteer["colour"] == "green").all()
    if run.scenario.follow_up is not None and len(run.visits):
        visited = iss.set_index("issue_id").loc[run.visits["issue_id"]]
        assert visited["colour_closed"].isin(["yellow", "red"]).all()
        assert run.visits["issue_id"].is_unique


def _available(act: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Intervals in which staff of ``kind`` could be sent: idle or walking back to base."""
    rows = act[act["kind"] == kind]
    free = (rows["state"] == "idle") | ((rows["state"] == "travel") & (rows["issue_id"] < 0))
    return rows[free]


def _midpoints(times: list[float]) -> np.ndarray:
    t = np.unique(np.asarray(times, dtype=float))
    keep = np.diff(t) > 1e-7
    return ((t[:-1] + t[1:]) / 2)[keep]


def check_no_pool_idles_while_red_waits(run: Run) -> int:
    """Red cases wait in one queue in report order; a case can start when every pool it
    needs has someone free, unless an earlier waiting case needs one of those pools.
    At no moment (between events) may a waiting case be startable. Returns the number
    of moments at which some red case waited."""
    if run.scenario.tiers is None:
        return 0
    act, iss = run.activity, run.issues
    free = _available(act, "responder")
    started = act[(act["kind"] == "responder") & (act["issue_id"] >= 0)].groupby(
        "issue_id")["t_start"].min()
    red_from = run.became("red")
    waits = [(i, t, float(started.get(i, run.horizon))) for i, t in red_from.items()]
    waits = [w for w in waits if w[2] - w[1] > EPS]
    if not waits:
        return 0
    cats = run.scenario.demand.categories
    need = {c.name: frozenset(c.joint_pools or POOLS) for c in cats}
    cat_of = iss["category"].astype(str).to_numpy()
    reported = iss["t_reported"].to_numpy()
    order = {i: (reported[i], i) for i, _s, _e in waits}
    times = [run.horizon, *[t for w in waits for t in w[1:]],
             *free["t_start"], *free["t_end"]]
    f_start, f_end = free["t_start"].to_numpy(), free["t_end"].to_numpy()
    f_pool = free["unit"].astype(str).to_numpy()
    moments = 0
    for m in _midpoints(times):
        waiting = sorted((i for i, s, e in waits if s < m < e), key=order.__getitem__)
        if not waiting:
            continue
        moments += 1
        idle = set(f_pool[(f_start < m) & (m < f_end)])
        claimed: set[str] = set()
        for i in waiting:
            pools = need[cat_of[i]]
            assert not (pools <= idle and claimed.isdisjoint(pools)), (
                f"at {m:.3f} red case {i} waited although pools {sorted(pools)} were free")
            claimed |= pools
    return moments


def check_no_mediator_idles_while_yellow_waits(run: Run) -> None:
    if run.scenario.tiers is None:
        return
    act = run.activity
    free = _available(act, "mediator")
    med = act[(act["kind"] == "mediator") & (act["issue_id"] >= 0)]
    yellow_from, yellow_to = run.became("yellow"), run.left("yellow")
    f_start, f_end = free["t_start"].to_numpy(), free["t_end"].to_numpy()
    for issue, t in yellow_from.items():
        later = med.loc[(med["issue_id"] == issue) & (med["t_start"] >= t - EPS), "t_start"]
        end = min(later.min() if len(later) else run.horizon, yellow_to.get(issue, run.horizon))
        overlap = np.minimum(f_end, end) - np.maximum(f_start, t)
        assert not (overlap > EPS).any(), (
            f"yellow case {issue} waited [{t:.3f}, {end:.3f}] while a mediator was free")


# ------------------------------------------------------------------------------- tests
@SETTINGS
@given(overrides=governance_overrides())
def test_escalations_follow_the_state_machine(governance_scenario, overrides) -> None:
    check_escalations(_simulate(governance_scenario, overrides))


@SETTINGS
@given(overrides=governance_overrides())
def test_staff_are_in_one_place_at_a_time(governance_scenario, overrides) -> None:
    run = _simulate(governance_scenario, overrides)
    check_staff_tiles_time(run)
    check_joint_responses(run)


@SETTINGS
@given(overrides=governance_overrides())
def test_every_issue_is_accounted_for(governance_scenario, overrides) -> None:
    run = _simulate(governance_scenario, overrides)
    check_accounting(run)
    check_handlers(run)


@SETTINGS
@given(overrides=governance_overrides())
def test_tiers_are_work_conserving(governance_scenario, overrides) -> None:
    run = _simulate(governance_scenario, overrides)
    check_no_pool_idles_while_red_waits(run)
    check_no_mediator_idles_while_yellow_waits(run)


def test_checks_have_teeth(governance_scenario) -> None:
    # A busy scenario with every mechanism on, so the checks above see real cases:
    # escalations of every case cause, joint responses, red cases waiting for busy pools.
    run = _simulate(governance_scenario, {
        "demand.categories": [
            {"name": "dispute", "rate_per_hour": 2.0,
             "colours": {"green": 0.5, "yellow": 0.3, "red": 0.2},
             "service": {"distribution": "exponential", "mean": 30.0},
             "failure": {"green": 0.3, "yellow": 0.3}, "growth_per_hour": 0.5},
            {"name": "fight", "rate_per_hour": 0.5, "colours": {"red": 1.0},
             "service": {"distribution": "exponential", "mean": 30.0},
             "joint_pools": ["police"]},
        ],
        "patrols.enabled": True,
        "follow_up": {"delay_days": 0.1},
        "run.horizon_days": 2.0,
    })
    for check in (check_escalations, check_staff_tiles_time, check_joint_responses,
                  check_accounting, check_handlers, check_no_mediator_idles_while_yellow_waits):
        check(run)
    assert check_no_pool_idles_while_red_waits(run) > 50
    # Every cause a colour-graded case can have; `settled` and `reopened` belong to the
    # dispute desk (categories with a dispute block), which this scenario does not use.
    assert set(run.escalations["cause"].astype(str)) == set(CAUSES) - {"settled", "reopened"}
    joint = run.activity[(run.activity["kind"] == "responder") & (run.activity["issue_id"] >= 0)]
    assert joint.groupby("issue_id")["worker"].nunique().value_counts().index.tolist() in (
        [1, 2], [2, 1])
    assert (joint["state"] == "standby").any()
    assert len(run.visits) > 5
