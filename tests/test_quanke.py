"""Comprehensive versus specialised grids (全科网格), by mechanism: hand-offs between
specialised teams, one visit settling several matters at one place, and the
break-even of a sweep against another scenario."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import twin
from twin import ScenarioError
from twin.cli import app
from twin.engine.gridwork import HandOffs
from twin.loading import load_checked
from twin.model import simulate
from twin.rng import Streams
from twin.scenario.governance import HandOffSpec
from twin.scenario.service import Fixed
from twin.sweep import BREAK_EVEN_COLUMNS, break_even, break_even_table, crossing
from twin.workflows import sweep_workflow

ROOT = Path(__file__).resolve().parents[1]
BEFORE = ROOT / "scenarios" / "quanke_before.yaml"
AFTER = ROOT / "scenarios" / "quanke_after.yaml"
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
DELAY = 37.0
runner = CliRunner()

# Two specialised teams patrol the same streets of two grids: `owners` handles a latent
# hazard (a work order a crew fixes, so its receipt is stamped), `others` a rare case.
TEAMS: dict[str, Any] = {
    "name": "handoffs",
    "map": {"source": "lattice", "rows": 6, "cols": 6, "block_length": 100, "speed": 100},
    "grids": {"assignment": "blocks", "blocks": [1, 2]},
    "demand": {"categories": [
        {"name": "hazard", "rate_per_hour": 1.5, "latent": {"report_delay": 600},
         "flow": {"steps": [{"step": "handle", "by": "crew",
                             "service": {"distribution": "exponential", "mean": 20}}],
                  "limit": 1440}},
        {"name": "chat", "rate_per_hour": 0.1,
         "service": {"distribution": "exponential", "mean": 10}}]},
    "teams": [{"name": "owners", "categories": ["hazard"], "per_grid": 2},
              {"name": "others", "categories": ["chat"], "per_grid": 2}],
    "patrols": {"enabled": True},
    "work_orders": {"units": [{"name": "crew", "staff": 3}]},
    "grid_work": {"handoff": {"delay": {"distribution": "fixed", "value": DELAY},
                              "astray": 0.0}},
    "run": {"horizon_days": 3, "warmup_days": 0.5, "replications": 1, "seed": 11},
}
# One worker on a 2 x 2 lattice, busy (load about 0.9), cases of three time limits (so
# three urgencies: shortest limit first).
ONE_PLACE: dict[str, Any] = {
    "name": "same_place",
    "map": {"source": "lattice", "rows": 2, "cols": 2, "block_length": 100, "speed": 20},
    "grids": {"assignment": "blocks", "blocks": [1, 1]},
    "demand": {"categories": [
        {"name": name, "rate_per_hour": rate, "limit": limit,
         "service": {"distribution": "exponential", "mean": 20}}
        for name, rate, limit in (("job", 1.89, 1440), ("soon", 0.54, 480),
                                  ("urgent", 0.27, 120))]},
    "workforce": {"per_grid": 1},
    "run": {"horizon_days": 4, "warmup_days": 0.5, "replications": 1, "seed": 5},
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quanke")
    out = {}
    for name, data in (("teams", TEAMS), ("one_place", ONE_PLACE)):
        out[name] = folder / f"{name}.yaml"
        out[name].write_text(json.dumps(data), encoding="utf-8")
    return out


def _receipt_lag(path: Path, overrides: dict[str, Any]) -> pd.DataFrame:
    """Per hazard: its channel and the time from report to receipt by the order desk."""
    records = simulate(twin.load_scenario(path, overrides=overrides), 0)
    orders = records.orders[records.orders["repeat_of"] < 0]
    both = orders[["issue_id", "t_received"]].merge(
        records.issues[["issue_id", "t_reported", "channel"]], on="issue_id")
    both = both.dropna(subset=["t_received"])
    return both.assign(lag=both["t_received"] - both["t_reported"])


# ------------------------------------------------------------------- hand-offs
def test_hand_offs_happen_only_across_teams_and_take_the_delay(files) -> None:
    # only the other team patrols: every patrol find is handed over, after exactly DELAY
    lag = _receipt_lag(files["teams"], {"teams.0.per_grid": 0})
    patrol = lag[lag["channel"] == "patrol"]
    assert len(patrol) > 50
    assert np.allclose(patrol["lag"], DELAY, rtol=0, atol=1e-9)
    assert (lag.loc[lag["channel"] != "patrol", "lag"] == 0).all()  # residents: no hand-off
    # only the owning team patrols: no hand-off at all
    lag = _receipt_lag(files["teams"], {"teams.1.per_grid": 0})
    assert (lag["channel"] == "patrol").sum() > 50
    assert (lag["lag"] == 0).all()
    # both patrol: some finds are the team's own, the others handed over
    lag = _receipt_lag(files["teams"], {})
    found = lag[lag["channel"] == "patrol"]
    assert (found["lag"] == 0).sum() > 10 and np.isclose(found["lag"], DELAY).sum() > 10
    assert set(np.round(found["lag"], 6)) == {0.0, DELAY}


def test_without_handoff_a_find_reaches_its_team_at_once(files) -> None:
    lag = _receipt_lag(files["teams"], {"teams.0.per_grid": 0, "grid_work.handoff": None})
    assert (lag["channel"] == "patrol").sum() > 50
    assert (lag["lag"] == 0).all()


def test_a_hand_off_gone_astray_leaves_the_issue_for_its_resident(files) -> None:
    lag = _receipt_lag(files["teams"], {"teams.0.per_grid": 0, "grid_work.handoff.astray": 1.0})
    assert len(lag) > 50
    assert set(lag["channel"]) == {"resident"} and (lag["lag"] == 0).all()


def test_astray_share_matches_its_probability() -> None:
    p, n = 0.3, 4000
    spec = HandOffSpec(delay=Fixed(distribution="fixed", value=5.0), astray=p)
    handoffs = HandOffs(spec, [1], [0], [0] * n, Streams(3, 0))
    assert handoffs.crosses(0, 7)
    fates = np.array([handoffs.fate(i) for i in range(n)])
    share = float((fates < 0).mean())
    half = 3.29 * math.sqrt(p * (1 - p) / n)  # 99.9% binomial interval
    assert abs(share - p) < half
    assert set(fates[fates >= 0]) == {5.0}
    assert (handoffs.astray, handoffs.handed) == ((fates < 0).sum(), (fates >= 0).sum())


def test_hand_off_draws_are_per_issue(files) -> None:
    """An issue's draws come from its own stream: the same whatever is drawn before."""
    spec = HandOffSpec(delay={"distribution": "exponential", "mean": 60.0}, astray=0.2)
    one = HandOffs(spec, [1], [0], [0] * 10, Streams(3, 0))
    two = HandOffs(spec, [1], [0], [0] * 10, Streams(3, 0))
    first = [one.fate(i) for i in (4, 5, 6)]
    second = [two.fate(i) for i in (6, 5, 4)][::-1]
    assert first == second


def test_handoff_needs_teams_and_same_place_first_needs_one_team(
        files, tmp_path: Path) -> None:
    flat = tmp_path / "flat.yaml"
    flat.write_text(json.dumps({**TEAMS, "teams": []}), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_checked(str(flat))
    assert [str(p) for p in caught.value.problems] == [
        f"{flat}:1: grid_work.handoff: applies to specialised teams (teams); a comprehensive "
        "grid has no hand-offs: remove grid_work.handoff or add teams"]
    with pytest.raises(ScenarioError) as caught:
        load_checked(str(files["teams"]), ["grid_work.same_place_first=true"])
    assert [str(p) for p in caught.value.problems] == [
        "--set: grid_work.same_place_first: applies to a comprehensive grid (no teams); in "
        "specialised grids a visit settles one team's matter: set it to false or remove teams"]


def test_new_keys_have_located_messages(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {BEFORE}\nname: bad\ngrid_work:\n  handof: 1\n"
                    "  same_place_first: 3\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4: grid_work.handof: unknown key; did you mean 'handoff'? allowed: handoff, "
        "same_place_first",
        f"{path}:5: grid_work.same_place_first: must be true or false (got 3)"]
    data = {**TEAMS, "grid_work": {"handoff": {"astray": 1.5}}}
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        twin.load_scenario(path)
    text = [str(p) for p in caught.value.problems]
    assert any(t.endswith("grid_work.handoff.delay: required key is missing") for t in text)
    assert any(t.endswith("grid_work.handoff.astray: must be <= 1 (got 1.5)") for t in text)


# ------------------------------------------------------------ same place first
def _same_place_choices(issues: pd.DataFrame) -> tuple[int, int]:
    """For every task the worker took on finishing at node X while some task waited at
    X: (how many, how many of them were elsewhere). Each taken at X had no travel."""
    taken = issues.dropna(subset=["t_dispatched"]).sort_values("t_dispatched")
    reported = issues["t_reported"].to_numpy()
    dispatched = issues["t_dispatched"].fillna(np.inf).to_numpy()
    node = issues["node"].to_numpy()
    chances = elsewhere = 0
    previous = None
    for row in taken.itertuples():
        if previous is not None and row.t_dispatched == previous.t_resolved:
            t, here = row.t_dispatched, previous.node
            if ((node == here) & (reported < t) & (dispatched >= t)).any():
                chances += 1
                elsewhere += row.node != here
                assert row.node != here or row.travel == 0
        previous = row
    return chances, elsewhere


def test_same_place_first_takes_what_waits_where_the_worker_is(files) -> None:
    on = simulate(twin.load_scenario(files["one_place"],
                                     overrides={"grid_work.same_place_first": True}), 0)
    chances, elsewhere = _same_place_choices(on.issues)
    assert chances > 50 and elsewhere == 0
    off = simulate(twin.load_scenario(files["one_place"]), 0)  # the default: most urgent
    chances, elsewhere = _same_place_choices(off.issues)
    assert chances > 50 and elsewhere > 20
    assert on.issues["travel"].mean() < off.issues["travel"].mean()


def test_same_place_first_is_off_by_default(files) -> None:
    scenario = twin.load_scenario(files["one_place"])
    assert scenario.grid_work.same_place_first is False and scenario.grid_work.handoff is None
    explicit = twin.load_scenario(files["one_place"],
                                  overrides={"grid_work.same_place_first": False})
    assert simulate(scenario, 0).issues.equals(simulate(explicit, 0).issues)


# ------------------------------------------------------------- shipped files
def test_shipped_pair_differs_by_the_mechanisms() -> None:
    short = {"run.horizon_days": 2, "run.warmup_days": 0.5}
    before = twin.load_scenario(BEFORE, overrides=short)
    after = twin.load_scenario(AFTER, overrides=short)
    assert [t.per_grid * 2 for t in before.teams] == [20, 20, 20] and not after.teams
    assert after.workforce.per_grid * 10 == 30
    assert before.grid_work.handoff is not None and after.grid_work.handoff is None
    assert after.grid_work.same_place_first and not before.grid_work.same_place_first
    assert before.patrols.enabled and after.patrols.enabled
    assert [c.name for c in before.demand.categories if c.latent] == [
        "repair", "sanitation", "safety_hazard"]
    assert before.demand == after.demand
    records = simulate(before, 0)
    activity = records.activity
    patrolling = activity[activity["state"] == "patrol"]["unit"].astype(str)
    assert {u.split("/")[0] for u in patrolling} == {"sanitation", "facilities",
                                                    "social_affairs"}  # three patrols


# ----------------------------------------------------------------- break-even
def test_crossing_of_a_curve() -> None:
    x = np.array([0.0, 10.0, 20.0])
    assert crossing(x, np.array([-1.0, 1.0, 3.0])) == 5.0
    assert crossing(x, np.array([-1.0, 0.0, 3.0])) == 10.0
    assert crossing(x, np.array([0.0, 2.0, 3.0])) == 0.0
    assert crossing(x, np.array([-3.0, -2.0, -1.0])) == math.inf  # approaching zero
    assert crossing(x, np.array([1.0, 2.0, 3.0])) == -math.inf  # moving away from it
    assert math.isnan(crossing(x, np.array([1.0, np.nan, 3.0])))


def test_break_even_of_a_known_crossing() -> None:
    x = [0.0, 60.0, 120.0, 240.0, 480.0]
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 5.0, size=(30, 1))  # shared by every point: common random numbers
    diffs = 0.5 * (np.array(x) - 150.0) + noise + rng.normal(0.0, 1.0, size=(30, 5))
    found = break_even(x, diffs, "delay", "resolution_mean", rng=np.random.default_rng(2))
    assert found.n == 30 and found.samples == 2000
    assert found.ci_low < 150.0 < found.ci_high and found.ci_high - found.ci_low < 30
    assert abs(found.estimate - 150.0) < 10 and found.crossed == 1.0
    assert found.better_below == "sweep"  # lower resolution is better, negative below 150
    exact = break_even(x, np.tile(0.5 * (np.array(x) - 150.0), (5, 1)), "delay", "kpi")
    assert exact.estimate == exact.ci_low == exact.ci_high == 150.0
    beyond = break_even(x, np.tile(-np.array([5.0, 4, 3, 2, 1]), (5, 1)), "d", "kpi")
    assert beyond.estimate == beyond.ci_high == math.inf and beyond.crossed == 0.0


def test_break_even_of_a_real_sweep_against_its_own_point() -> None:
    """Workers per grid 1..3 against the file at 2: the difference is 0 at 2 exactly."""
    base = twin.load_scenario(MMC, overrides={"run.horizon_days": 3, "run.warmup_days": 1})
    result = twin.sweep(base, {"workforce.per_grid": [1, 2, 3]}, replications=3,
                        against=twin.apply_overrides(base, {"name": "two",
                                                            "workforce.per_grid": 2}))
    assert result.against == "two" and set(result.runs) == {
        "workforce.per_grid=1", "workforce.per_grid=2", "workforce.per_grid=3", "two"}
    table = break_even_table(result, ["response_mean", "utilisation"])
    assert list(table.columns) == list(BREAK_EVEN_COLUMNS)
    row = table.set_index("kpi").loc["response_mean"]
    assert row["break_even"] == row["ci_low"] == row["ci_high"] == 2.0
    assert row["better_below"] == "two" and row["n"] == 3  # fewer workers respond later
    assert pd.isna(table.set_index("kpi").loc["utilisation", "better_below"])


def test_sweep_against_writes_the_break_even(tmp_path: Path) -> None:
    short = {"run.horizon_days": 3, "run.warmup_days": 1, "run.replications": 2}
    before = twin.load_scenario(BEFORE, overrides=short)
    after = twin.load_scenario(AFTER, overrides=short)
    done = sweep_workflow(before, {"grid_work.handoff.delay.value": [0, 240]},
                          tmp_path / "sw", against=after, kpis=["resolution_mean"])
    assert done.written and done.break_even is not None and done.paired is not None
    table = pd.read_csv(tmp_path / "sw" / "breakeven.csv")
    assert table[["key", "kpi", "scenario", "against"]].values.tolist() == [
        ["grid_work.handoff.delay.value", "resolution_mean", "quanke_before", "quanke_after"]]
    paired = pd.read_csv(tmp_path / "sw" / "paired.csv")
    assert set(paired["grid_work.handoff.delay.value"]) == {0, 240}
    assert (paired.loc[paired["kpi"] == "resolution_mean", "n"] == 2).all()
    page = (tmp_path / "sw" / "report.html").read_text(encoding="utf-8")
    assert "Break-even against another scenario" in page and 'id="plot-break_even"' in page
    assert (tmp_path / "sw" / "plots" / "break_even.svg").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "workforce.per_grid=1,2", "--kpi", "response_mean"],
     "command line: --kpi: needs --against (the scenario to break even with)"),
    (["--vary", "workforce.per_grid=1,2", "--vary", "deadlines.response=60,120", "--against",
      str(MMC)], "command line: --against: finds the break-even along one key: give exactly "
                 "one --vary (got 2)"),
    (["--vary", "workforce.per_grid=2", "--against", str(MMC)],
     "command line: --vary: workforce.per_grid: a break-even needs at least two numbers "
     "(got [2])"),
    (["--vary", "workforce.per_grid=1,2", "--against", str(MMC), "--kpi", "response_maen"],
     "command line: --kpi: unknown KPI 'response_maen'; did you mean 'response_mean'?"),
])
def test_sweep_against_rejects_bad_options_with_exit_2(tmp_path: Path, args: list[str],
                                                       message: str) -> None:
    out = tmp_path / "o"
    res = runner.invoke(app, ["sweep", str(MMC), *args, "--replications", "2", "--out",
                              str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert not out.exists()
