"""Disputes under three-colour warning: the red response, grades both ways, every
dispute accounted for, scenario errors, and what daily reports and online
mediation change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import twin
from twin.model import MINUTES_PER_DAY, simulate
from twin.scenario.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
OFFICE = {"start": "08:30", "end": "17:30"}


def _scenario(path: Path, colours: dict[str, float], *, rate: float = 0.05,
              disputes: dict[str, Any] | None = None, dispute: dict[str, Any] | None = None,
              hours: list[float] | None = None, latent: dict[str, Any] | None = None,
              days: float = 60.0) -> twin.Scenario:
    category: dict[str, Any] = {"name": "dispute", "rate_per_hour": rate, "colours": colours,
                                "dispute": dispute or {}}
    if hours is not None:
        category["hour_of_day"] = hours
    if latent is not None:
        category["latent"] = latent
    data = {
        "name": "disputes-test",
        "map": {"source": "lattice", "rows": 6, "cols": 6},
        "grids": {"assignment": "blocks", "blocks": [1, 2]},
        "demand": {"categories": [category]},
        "workforce": {"per_grid": 1, "shifts": [{"start": "08:00", "end": "17:00"}]},
        "work_orders": {"units": [
            {"name": "mediation_office", "staff": 2, "travel": False, "shifts": [OFFICE]},
            {"name": "police", "staff": 2, "node": "0-0"},
            {"name": "judicial", "staff": 1, "node": "5-5", "shifts": [OFFICE]},
        ]},
        "disputes": disputes or {"red": {"lead": "police", "join": ["judicial"],
                                         "lead_settles": 0.0}},
        "run": {"horizon_days": days, "warmup_days": 0.0, "replications": 2, "seed": 5},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return twin.load_scenario(path)


def test_a_red_dispute_at_night_gets_police_in_minutes_and_the_judicial_office_in_the_morning(
        tmp_path: Path) -> None:
    night = [1.0 if h == 2 else 0.0 for h in range(24)]  # every dispute between 02:00 and 03:00
    s = _scenario(tmp_path / "red.json", {"red": 1.0}, rate=0.02, hours=night)
    d = simulate(s, 0).disputes
    assert len(d) >= 20
    hour = (d["t_reported"] % MINUTES_PER_DAY) / 60.0
    assert ((hour >= 2) & (hour < 3)).all()
    lead = d["t_lead_on_site"] - d["t_red"]
    assert (d["t_red"] == d["t_reported"]).all()
    assert lead.median() < 15 and lead.max() < 60  # the police do not wait for anyone
    # The judicial office joins when its day starts (08:30), never before; its arrival
    # is recorded, and the dispute is settled only after everyone came.
    day_start = np.floor(d["t_reported"] / MINUTES_PER_DAY) * MINUTES_PER_DAY
    arrived = d["t_all_arrived"] - day_start
    assert (arrived >= 8.5 * 60).all()
    weekday = (d["t_reported"] // MINUTES_PER_DAY) % 7 < 5
    assert (arrived[weekday & ~d["t_all_arrived"].isna()] < 12 * 60).mean() > 0.8
    assert (d["t_closed"] > d["t_all_arrived"]).all()
    assert (d["outcome"] == "settled").all() and (d["grade_closed"] == "green").all()
    assert (d["settled_by"] == "police").all()


def test_the_lead_settling_alone_stands_the_others_down(tmp_path: Path) -> None:
    s = _scenario(tmp_path / "alone.json", {"red": 1.0}, rate=0.02,
                  disputes={"red": {"lead": "police", "join": ["judicial"],
                                    "lead_settles": 1.0}})
    rec = simulate(s, 0)
    d, v = rec.disputes, rec.visits
    assert (d["t_closed"] - d["t_lead_on_site"] < 400).all()  # closed by the lead's visit
    joins = v[v["purpose"] == "join"]
    # a join that nobody had set off for is withdrawn; one under way still arrives
    assert set(joins["outcome"]) <= {"withdrawn", "done", "open"}
    assert (joins.loc[joins["outcome"] == "withdrawn", "t_dispatched"].isna()).all()
    assert (joins["outcome"] == "withdrawn").any()


def _accounted(rec: Any) -> None:
    """Every dispute accounted for, and its counters agree with its grade changes."""
    d, e, v = rec.disputes, rec.escalations, rec.visits
    assert d["issue_id"].is_unique
    assert set(d["outcome"]) <= {"open", "settled", "referred"}
    settled = d["outcome"] == "settled"
    assert (d.loc[settled, "grade_closed"] == "green").all()
    assert d.loc[settled, "t_closed"].notna().all() and d.loc[~settled & (
        d["outcome"] == "open"), "t_closed"].isna().all()
    assert (d.loc[d["outcome"] == "referred", "grade_closed"] == "yellow").all()
    mine = e[e["issue_id"].isin(d["issue_id"])]
    down = mine["cause"] == "settled"
    per = mine.groupby("issue_id", observed=True).size().reindex(d["issue_id"], fill_value=0)
    ups = mine[~down].groupby("issue_id").size().reindex(d["issue_id"], fill_value=0)
    assert (ups.to_numpy() == d["regrades_up"].to_numpy()).all()
    assert (per.to_numpy() == (d["regrades_up"] + d["regrades_down"]).to_numpy()).all()
    assert (mine.loc[down, "to_colour"] == "green").all()
    held = v[v["purpose"].isin(["session", "online_session"]) & v["t_done"].notna()]
    sessions = held.groupby("issue_id").size()
    assert (sessions.reindex(d["issue_id"], fill_value=0).to_numpy() == d["sessions"]).all()
    unsettled = d["outcome"] != "settled"
    assert (d.loc[unsettled, "settled_grade"] == "none").all()
    assert (d.loc[unsettled, "settled_by"] == "none").all()
    # the issue table agrees: resolved when closed, its colour the grade at intake,
    # its escalations the rises only, and no deadline
    issues = rec.issues.set_index("issue_id").loc[d["issue_id"]]
    closed = d["t_closed"].to_numpy()
    assert np.array_equal(np.isnan(closed), issues["t_resolved"].isna().to_numpy())
    assert (issues["colour"].to_numpy() == d["grade_intake"].to_numpy()).all()
    assert (issues["escalations"].to_numpy() == d["regrades_up"].to_numpy()).all()
    assert issues["deadline"].isna().all()


def test_every_dispute_is_accounted_for_on_the_shipped_scenarios() -> None:
    for name in ("disputes_baseline", "disputes_online_mediation", "disputes_strict_grading"):
        s = twin.load_scenario(ROOT / "scenarios" / f"{name}.yaml",
                               overrides={"run.horizon_days": 60})
        rec = simulate(s, 0)
        assert len(rec.disputes) > 20, name
        _accounted(rec)


def test_every_dispute_is_accounted_for_when_everything_happens_at_once(tmp_path: Path) -> None:
    """Failed mediations sent to the police, reopenings, flare-ups, the lead settling
    alone or not: many disputes go round several times."""
    disputes = {"mediation": {"in_person": {"succeed": [0.3], "fail": [0.4]},
                              "online": {"share": 0.5, "succeed": [0.5], "fail": [0.3]},
                              "violence_risk": 0.7, "sessions": 2, "gap_days": 1},
                "red": {"lead": "police", "join": ["judicial"], "lead_settles": 0.5},
                "follow_up": {"delay_days": 1, "reopen": 0.6},
                "daily_report": {"finds": 0.3}}
    s = _scenario(tmp_path / "all.json", {"green": 0.4, "yellow": 0.4, "red": 0.2}, rate=0.1,
                  disputes=disputes, dispute={"flare_per_day": 2.0, "settles": 0.5},
                  latent={"report_delay": 2880}, days=40)
    rec = simulate(s, 0)
    assert (rec.disputes["reopened"] > 1).any() and rec.disputes["violence"].any()
    _accounted(rec)


def test_checks_have_teeth(tmp_path: Path) -> None:
    s = twin.load_scenario(ROOT / "scenarios" / "disputes_baseline.yaml",
                           overrides={"run.horizon_days": 60})
    rec = simulate(s, 0)
    broken = rec.disputes.copy()
    broken.loc[broken.index[0], "regrades_up"] += 1
    with pytest.raises(AssertionError):
        _accounted(type("R", (), {**rec.__dict__, "disputes": broken})())


def test_daily_reports_find_disputes_early_and_fewer_flare_up(tmp_path: Path) -> None:
    latent = {"report_delay": 4320}
    flare = {"flare_per_day": 0.2}
    base = {"red": {"lead": "police", "join": ["judicial"]}}
    off = _scenario(tmp_path / "off.json", {"green": 1.0}, latent=latent, dispute=flare,
                    disputes=base, days=90)
    on = _scenario(tmp_path / "on.json", {"green": 1.0}, latent=latent, dispute=flare,
                   disputes={**base, "daily_report": {"at": "17:00", "finds": 0.5}}, days=90)
    d_off, d_on = simulate(off, 0).disputes, simulate(on, 0).disputes
    assert not d_off["found_early"].any()
    assert d_on["found_early"].mean() > 0.3
    # found before they flare: fewer arrive graded above green (same disputes: common numbers)
    assert (d_on["grade_intake"] != "green").mean() < (d_off["grade_intake"] != "green").mean()


def test_online_mediation_with_better_odds_settles_more(tmp_path: Path) -> None:
    def office(online: dict[str, Any]) -> dict[str, Any]:
        return {"mediation": {"in_person": {"succeed": [0.45], "fail": [0.3]},
                              "online": online, "violence_risk": 0.0},
                "red": {"lead": "police", "join": []}}
    before = _scenario(tmp_path / "b.json", {"yellow": 1.0}, disputes=office({"share": 0.0}))
    after = _scenario(tmp_path / "a.json", {"yellow": 1.0},
                      disputes=office({"share": 1.0, "succeed": [0.85], "fail": [0.1]}))
    k_before, k_after = twin.run(before).kpis, twin.run(after).kpis
    assert k_after["mediation_settled[online]"].mean() > k_before[
        "mediation_settled[in_person]"].mean() + 0.1
    assert k_after["referral_rate"].mean() < k_before["referral_rate"].mean()
    # online sessions need no travel
    rec = simulate(after, 0)
    online = rec.visits[rec.visits["purpose"] == "online_session"]
    assert len(online) and (rec.activity[(rec.activity["state"] == "travel")
                                         & rec.activity["issue_id"].isin(online["issue_id"])
                                         & (rec.activity["kind"] == "handler")].empty)


def test_time_to_flare_up_is_exponential_with_the_configured_rate(tmp_path: Path) -> None:
    # Nobody is on duty: every green dispute waits for a grid worker, flares up to yellow
    # after an exponential time with mean 1 / flare_per_day, then waits for a session
    # and flares up to red after another such time (where it stays).
    per_day = 2.0
    s = _scenario(tmp_path / "flare.json", {"green": 1.0}, rate=0.2,
                  dispute={"flare_per_day": per_day}, days=20.0)
    # A scenario file may not leave the units of its disputes without staff (they
    # would wait for ever); the model itself runs it, so build it past validation.
    assert s.work_orders is not None
    s = s.model_copy(update={
        "workforce": s.workforce.model_copy(update={"per_grid": 0}),
        "work_orders": s.work_orders.model_copy(update={
            "units": [u.model_copy(update={"staff": 0}) for u in s.work_orders.units]})})
    mean = MINUTES_PER_DAY / per_day
    cutoff = s.run.horizon_days * MINUTES_PER_DAY - 20 * mean  # P(later than this) = e^-20
    means, pooled = [], []
    for rep in range(8):
        rec = simulate(s, rep)
        esc = rec.escalations
        assert (esc["cause"] == "grew").all() and len(esc) > 100
        reported = rec.disputes.set_index("issue_id")["t_reported"]
        gaps = []
        for issue, rows in esc.groupby("issue_id"):
            start = float(reported[issue])
            assert rows["from_colour"].astype(str).tolist() == ["green", "yellow"][:len(rows)]
            for t in rows["t"]:
                if start < cutoff:
                    gaps.append(float(t) - start)
                start = float(t)
        early = rec.disputes[rec.disputes["t_reported"] < cutoff]
        assert (early["grade_closed"] == "red").all() and (early["regrades_up"] == 2).all()
        means.append(np.mean(gaps))
        pooled += gaps
    _m, low, high, _n = twin.confidence_interval(np.array(means), 0.99)
    assert low <= mean <= high, (low, high)
    assert stats.kstest(pooled, "expon", args=(0.0, mean)).pvalue > 0.001


@pytest.mark.parametrize(("change", "where", "says"), [
    ({"disputes": None}, "demand.categories.0.dispute",
     "a dispute category needs the `disputes` section"),
    ({"disputes": {"mediation": {"unit": "office"}, "red": {"lead": "police", "join": []}}},
     "disputes.mediation.unit", "no handling unit 'office'; units: mediation_office, police, "
     "judicial"),
    ({"disputes": {"mediation": {"in_person": {"succeed": [0.7], "fail": [0.5]}},
                   "red": {"lead": "police", "join": []}}},
     "disputes.mediation.in_person.fail.0", "succeed + fail of session 1 is 1.2; at most 1"),
    ({"disputes": {"red": {"lead": "police", "join": ["police"]}}},
     "disputes.red.join.0", "'police' is the lead; a unit joins once"),
    ({"disputes": {"red": {"lead": "police", "join": []}, "daily_report": {}}},
     "disputes.daily_report", "finds latent disputes, but no dispute category is `latent`"),
])
def test_scenario_mistakes_are_located(tmp_path: Path, change: dict[str, Any], where: str,
                                       says: str) -> None:
    _scenario(tmp_path / "ok.json", {"green": 1.0})
    data = json.loads((tmp_path / "ok.json").read_text(encoding="utf-8"))
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        twin.load_scenario(tmp_path / "bad.json")
    text = str(err.value)
    assert where in text and says in text, text


def test_a_dispute_takes_no_service_or_flow(tmp_path: Path) -> None:
    _scenario(tmp_path / "ok.json", {"green": 1.0})
    data = json.loads((tmp_path / "ok.json").read_text(encoding="utf-8"))
    data["demand"]["categories"][0]["service"] = {"distribution": "fixed", "value": 5}
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match="does not apply to a dispute"):
        twin.load_scenario(tmp_path / "bad.json")


def test_the_dispute_table_is_empty_without_disputes() -> None:
    s = twin.load_scenario(ROOT / "scenarios" / "work_orders.yaml",
                           overrides={"run.horizon_days": 1, "run.warmup_days": 0.1})
    rec = simulate(s, 0)
    assert isinstance(rec.disputes, pd.DataFrame) and rec.disputes.empty


def test_disputes_make_no_repeat_complaints() -> None:
    s = twin.load_scenario(ROOT / "scenarios" / "disputes_baseline.yaml",
                           overrides={"run.horizon_days": 40})
    rec = simulate(s, 0)
    assert len(rec.complaints)  # the work orders' repeat requests are on
    assert not rec.complaints["issue_id"].isin(rec.disputes["issue_id"]).any()
