"""Property-based tests: invariants of the record tables over many small random scenarios."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin
from twin.geography import build_community
from twin.model import MINUTES_PER_DAY
from twin.scenario.schema import WEEKDAYS

try:
    from twin.model import build_workforce
except ImportError:  # staff are built by twin.staffing in newer layouts
    from twin.staffing import build_staffing

    def build_workforce(scenario: twin.Scenario, community: Any) -> Any:
        """Home grid index, base node and duty periods per grid worker."""
        staff = build_staffing(scenario, community)
        names = [staff.unit_names[u] for u in staff.unit]
        grid = np.array([community.grid_names.index(n) for n in names], dtype=np.int64)
        return type("Workforce", (), {"grid": grid, "base": staff.base, "duty": staff.duty})

EPS = 1e-6
TRAVEL_EPS = 1e-3  # travel times are stored as float32
DEFAULT_LIMIT = 1440.0  # a case category without `limit` [min]
LIMITS = [30.0, 240.0, 1440.0, 4320.0]  # time limits a category may have [min]

SETTINGS = settings(
    max_examples=25,
    deadline=None,  # one example simulates up to a few hundred issues; timing varies with load
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


# --------------------------------------------------------------------------- strategies
@st.composite
def shifts(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, 23))
        length = draw(st.integers(2, 20))
        end = (start + length) % 24
        days = draw(st.lists(st.sampled_from(WEEKDAYS[1:]), unique=True, max_size=6))
        out.append({
            "start": f"{start:02d}:00",
            "end": "24:00" if end == 0 and draw(st.booleans()) else f"{end:02d}:00",
            # Monday is always a working day so every worker has some duty in the run
            # (see test_shifts for what happens otherwise).
            "days": ["mon", *days],
        })
    return out


@st.composite
def services(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["exponential", "fixed", "lognormal"]))
    mean = draw(st.floats(3.0, 60.0))
    if kind == "exponential":
        return {"distribution": kind, "mean": mean}
    if kind == "fixed":
        return {"distribution": kind, "value": mean}
    return {"distribution": kind, "mean": mean, "sd": mean / 2}


@st.composite
def case_category(draw: st.DrawFn, k: int) -> dict[str, Any]:
    """A category of cases; its time limit (absent: the default, a day) is its urgency.
    Limits may repeat across categories (one urgency, first come first served)."""
    out = {"name": f"c{k}", "rate_per_hour": draw(st.floats(0.2, 1.8)),
           "service": draw(services())}
    limit = draw(st.sampled_from([None, *LIMITS]))
    if limit is not None:
        out["limit"] = limit
    return out


@st.composite
def scenario_overrides(draw: st.DrawFn, policy: str | None = None,
                       workers: int | None = None, with_shifts: bool = True,
                       return_to_base: bool | None = None) -> dict[str, Any]:
    rows, cols = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    blocks = [draw(st.integers(1, min(2, rows))), draw(st.integers(1, min(2, cols)))]
    n_grids = blocks[0] * blocks[1]
    out: dict[str, Any] = {
        "map.rows": rows,
        "map.cols": cols,
        "map.speed": draw(st.sampled_from([40.0, 100.0, 400.0])),
        "grids.blocks": blocks,
        "demand.categories": [draw(case_category(k)) for k in range(draw(st.integers(1, 3)))],
        "workforce.per_grid": workers if workers is not None else draw(st.integers(1, 3)),
        "workforce.return_to_base": (draw(st.booleans()) if return_to_base is None
                                     else return_to_base),
        "dispatch.policy": policy or draw(st.sampled_from(
            ["own_grid", "nearest_idle", "own_grid_then_nearest"])),
        "dispatch.borrow_after": draw(st.sampled_from([0.0, 10.0, 45.0])),
        "run.horizon_days": draw(st.sampled_from([1.0, 1.5, 2.0])),
        "run.warmup_days": 0.25,
        "run.seed": draw(st.integers(0, 2**16)),
    }
    if with_shifts:
        out["workforce.shifts"] = draw(shifts())
    if workers is None and n_grids > 1 and draw(st.booleans()):
        out["workforce.grids"] = {"grid-01": {"workers": draw(st.integers(0, 3))}}
    return out


# ----------------------------------------------------------------------------- helpers
class Run:
    """One replication with everything the checks need."""

    def __init__(self, scenario: twin.Scenario) -> None:
        self.scenario = scenario
        self.community = build_community(scenario)
        self.workforce = build_workforce(scenario, self.community)
        rec = twin.simulate(scenario, 0, self.community)
        self.issues: pd.DataFrame = rec.issues
        self.activity: pd.DataFrame = rec.activity
        self.horizon = scenario.run.horizon_days * MINUTES_PER_DAY
        self.n_workers = len(self.workforce.grid)
        self.policy_any_grid = scenario.dispatch.policy == "nearest_idle"
        self._rows: dict[int, pd.DataFrame] = {}
        self.issue_grid = self.issues["grid"].cat.codes.to_numpy()
        # urgency: the category's time limit, shortest first; then first come first served
        limit_of = {c.name: DEFAULT_LIMIT if c.limit is None else c.limit
                    for c in scenario.demand.categories}
        self.limit = self.issues["category"].astype(str).map(limit_of).to_numpy(dtype=float)
        _, rank = np.unique(self.limit, return_inverse=True)
        self.key = rank.astype(np.int64) * 10**9 + self.issues["issue_id"].to_numpy()

    def rows_of(self, worker: int) -> pd.DataFrame:
        if worker not in self._rows:
            act = self.activity
            self._rows[worker] = (act[act["worker"] == worker].sort_values("t_start")
                                  .reset_index(drop=True))
        return self._rows[worker]

    def duty(self, worker: int) -> list[tuple[float, float]]:
        spans = self.workforce.duty[worker]
        return ([(s, e) for s, e in spans.tolist()] if spans is not None and len(spans)
                else [(0.0, self.horizon)])

    def on_duty(self, worker: int, t: float) -> bool:
        return any(s - EPS <= t <= e + EPS for s, e in self.duty(worker))

    def available(self, worker: int) -> list[tuple[float, float]]:
        """Intervals in which the worker was dispatchable: idle or walking back to base."""
        rows = self.rows_of(worker)
        free = (rows["state"] == "idle") | ((rows["state"] == "travel") & (rows["issue_id"] < 0))
        return list(zip(rows.loc[free, "t_start"], rows.loc[free, "t_end"], strict=True))

    def eligible_from(self, worker: int, issue: int) -> float:
        """From when ``worker`` may take waiting ``issue`` under the scenario's policy."""
        spec = self.scenario.dispatch
        reported = float(self.issues["t_reported"].iat[issue])
        own = self.workforce.grid[worker] == self.issue_grid[issue]
        if spec.policy == "nearest_idle" or own:
            return reported
        if spec.policy == "own_grid":
            return np.inf
        return reported + spec.borrow_after

    def eligible(self, worker: int, issue: int, t: float) -> bool:
        """May ``worker`` take waiting ``issue`` at time ``t``?"""
        return t >= self.eligible_from(worker, issue) - EPS


def _simulate(small_scenario, overrides: dict[str, Any]) -> Run:
    return Run(small_scenario(overrides))


# ------------------------------------------------------------------------------ checks
def check_issue_table(run: Run) -> None:
    iss = run.issues
    rep, disp = iss["t_reported"].to_numpy(), iss["t_dispatched"].to_numpy()
    site, done = iss["t_on_site"].to_numpy(), iss["t_resolved"].to_numpy()
    assert (iss["issue_id"].to_numpy() == np.arange(len(iss))).all()
    assert (np.diff(rep) >= 0).all(), "issue ids must follow report order"
    assert ((rep >= 0) & (rep < run.horizon)).all()
    # every issue is in exactly one state and later stamps imply earlier ones
    assert (np.isnan(disp) | ~np.isnan(rep)).all()
    assert (np.isnan(site) | ~np.isnan(disp)).all()
    assert (np.isnan(done) | ~np.isnan(site)).all()
    waiting = np.isnan(disp)
    travelling = ~np.isnan(disp) & np.isnan(site)
    serving = ~np.isnan(site) & np.isnan(done)
    resolved = ~np.isnan(done)
    assert (waiting.astype(int) + travelling + serving + resolved == 1).all()
    kpis = twin.replication_kpis(iss, run.activity, 0.0, run.horizon,
                                 run.scenario.deadlines.model_dump())
    assert kpis["arrived"] == len(iss) == kpis["resolved"] + kpis["open_at_end"]
    assert kpis["resolved"] == resolved.sum()
    # order of stamps
    d = ~waiting
    assert (rep[d] <= disp[d] + EPS).all()
    s = ~np.isnan(site)
    assert (disp[s] <= site[s] + EPS).all()
    assert (site[resolved] <= done[resolved] + EPS).all()
    assert (done[resolved] <= run.horizon + EPS).all()
    # travel is on site minus dispatched; worker known iff dispatched
    travel = iss["travel"].to_numpy()
    assert (np.isnan(travel) == waiting).all()
    assert np.allclose(travel[s], site[s] - disp[s], atol=1e-6)
    assert (travel[d] >= 0).all()
    worker = iss["worker"].to_numpy()
    assert ((worker >= 0) == d).all()
    assert (worker < run.n_workers).all()
    borrowed = iss["borrowed"].to_numpy()
    assert (borrowed[d] == (run.workforce.grid[worker[d]] != run.issue_grid[d])).all()
    assert not borrowed[waiting].any()
    # only disputes are graded: a case has no colour and its category's time limit
    assert (iss["colour"].astype(str) == "none").all()
    assert (iss["colour_closed"].astype(str) == "none").all()
    assert np.array_equal(iss["deadline"].to_numpy(dtype=float), run.limit)


def check_activity_tiles_time(run: Run) -> None:
    act = run.activity
    assert set(act["worker"].unique()) <= set(range(run.n_workers))
    assert (act["t_end"] > act["t_start"]).all()
    for w in range(run.n_workers):
        rows = run.rows_of(w)
        assert len(rows), f"worker {w} has no activity"
        start, end = rows["t_start"].to_numpy(), rows["t_end"].to_numpy()
        assert abs(start[0]) < EPS and abs(end[-1] - run.horizon) < EPS
        gaps = start[1:] - end[:-1]
        assert np.abs(gaps).max(initial=0) < EPS, (
            f"worker {w}: intervals overlap or leave a gap (worst {gaps.min(initial=0):g}, "
            f"{gaps.max(initial=0):g})")
        home = rows["grid" if "grid" in rows.columns else "unit"].astype(str)
        assert (home == run.community.grid_names[run.workforce.grid[w]]).all()


def check_activity_matches_issues(run: Run) -> None:
    iss, act = run.issues, run.activity
    on_site = act[act["state"] == "on_site"]
    assert (on_site["issue_id"] >= 0).all()
    assert on_site["issue_id"].is_unique
    served = iss[iss["t_on_site"].notna()]
    assert set(on_site["issue_id"]) == set(served["issue_id"])
    merged = served.merge(on_site, on="issue_id", suffixes=("", "_act"))
    assert (merged["worker"] == merged["worker_act"]).all()
    assert np.allclose(merged["t_start"], merged["t_on_site"], atol=EPS)
    assert np.allclose(merged["t_end"], merged["t_resolved"].fillna(run.horizon), atol=EPS)
    trips = act[(act["state"] == "travel") & (act["issue_id"] >= 0)]
    assert trips["issue_id"].is_unique
    moved = iss[iss["travel"] > 0]
    assert set(trips["issue_id"]) == set(moved["issue_id"])
    merged = moved.merge(trips, on="issue_id", suffixes=("", "_act"))
    assert (merged["worker"] == merged["worker_act"]).all()
    assert np.allclose(merged["t_start"], merged["t_dispatched"], atol=EPS)
    assert np.allclose(merged["t_end"], merged["t_on_site"].fillna(run.horizon), atol=EPS)
    # idle and off-shift intervals carry no issue
    assert (act.loc[act["state"].isin(["idle", "off_shift"]), "issue_id"] == -1).all()


def check_shifts(run: Run) -> None:
    iss = run.issues
    for row in iss[iss["worker"] >= 0].itertuples():
        assert run.on_duty(int(row.worker), row.t_dispatched), (
            f"issue {row.issue_id} dispatched at {row.t_dispatched:.2f} to off-duty worker "
            f"{row.worker} (duty {run.duty(int(row.worker))})")
    for w in range(run.n_workers):
        rows = run.rows_of(w)
        duty = run.duty(w)
        for r in rows.itertuples():
            inside = any(s - EPS <= r.t_start and r.t_end <= e + EPS for s, e in duty)
            overlap = sum(max(0.0, min(e, r.t_end) - max(s, r.t_start)) for s, e in duty)
            if r.state == "off_shift":
                assert overlap < EPS, f"worker {w} off shift during duty: {r}"
            elif r.state == "idle" or (r.state == "travel" and r.issue_id < 0):
                assert inside, f"worker {w} idle or walking off duty: {r}"


def check_work_conserving(run: Run) -> None:
    """No issue waits while a worker allowed to take it is idle."""
    iss = run.issues
    rep = iss["t_reported"].to_numpy()
    disp = iss["t_dispatched"].fillna(run.horizon).to_numpy()
    free = {w: run.available(w) for w in range(run.n_workers)}
    for i in np.flatnonzero(disp > rep + EPS):
        for w, spans in free.items():
            for s, e in spans:
                lo = max(s, run.eligible_from(w, i))
                hi = min(e, disp[i])
                if hi - lo > EPS:
                    raise AssertionError(
                        f"issue {i} waited [{rep[i]:.3f}, {disp[i]:.3f}] while worker {w} "
                        f"was free [{s:.3f}, {e:.3f}]")


def check_priority(run: Run) -> None:
    """Each dispatch from the backlog takes the most urgent (shortest time limit), then
    oldest, issue it may take."""
    iss = run.issues
    rep = iss["t_reported"].to_numpy()
    disp = iss["t_dispatched"].fillna(np.inf).to_numpy()
    workers = iss["worker"].to_numpy()
    for i in np.flatnonzero(np.isfinite(disp) & (disp > rep + EPS)):
        t, w = disp[i], workers[i]
        waiting = np.flatnonzero((rep < t - EPS) & (disp > t + EPS))
        for j in waiting:
            if run.eligible(w, j, t) and run.key[j] < run.key[i]:
                raise AssertionError(
                    f"at {t:.3f} worker {w} took issue {i} (limit {run.limit[i]:g}, reported "
                    f"{rep[i]:.2f}) before waiting issue {j} (limit {run.limit[j]:g}, "
                    f"reported {rep[j]:.2f})")


def idle_travel_time(run: Run, worker: int, t: float, target: int) -> float | None:
    """Travel time of ``worker`` to node ``target`` at ``t`` if it was free then, else None.

    A free worker stands at the node of its last job (or base), or walks from there to
    its base and can turn back or go on: min(elapsed + T[a, x], remaining + T[b, x]).
    """
    rows = run.rows_of(worker)
    free = (rows["state"] == "idle") | ((rows["state"] == "travel") & (rows["issue_id"] < 0))
    hit = np.flatnonzero(free & (rows["t_start"] <= t + EPS) & (rows["t_end"] >= t - EPS))
    if len(hit) == 0:
        return None
    k = int(hit[0])
    start, end = rows["t_start"].to_numpy(), rows["t_end"].to_numpy()
    while k > 0 and free.iat[k - 1] and abs(end[k - 1] - start[k]) < EPS:
        k -= 1
    s = start[k]
    base = int(run.workforce.base[worker])
    prev = rows.iloc[k - 1] if k > 0 else None
    if prev is not None and prev["state"] == "on_site":
        a = int(run.issues["node"].iat[int(prev["issue_id"])])
    else:
        a = base  # start of the run or of a shift
    b = base if run.scenario.workforce.return_to_base else a
    tt = run.community.travel
    e = s + tt.between(a, b)
    elapsed = min(max(t - s, 0.0), e - s)
    return min(elapsed + tt.between(a, target), (e - s - elapsed) + tt.between(b, target))


def check_nearest(run: Run) -> int:
    """Issues dispatched on report go to the nearest free worker allowed to take them."""
    iss = run.issues
    checked = 0
    for row in iss[(iss["t_dispatched"] - iss["t_reported"]).abs() < EPS].itertuples():
        i, t, node = int(row.issue_id), row.t_reported, int(row.node)
        own = int(run.workforce.grid[row.worker]) == run.issue_grid[i]
        candidates = [w for w in range(run.n_workers)
                      if run.policy_any_grid or run.workforce.grid[w] == run.issue_grid[i]]
        assert own or run.policy_any_grid
        times = {w: idle_travel_time(run, w, t, node) for w in candidates}
        times = {w: v for w, v in times.items() if v is not None}
        chosen = int(row.worker)
        assert chosen in times, f"issue {i} sent to worker {chosen} who was not free"
        assert abs(times[chosen] - row.travel) < TRAVEL_EPS, (times[chosen], row.travel)
        best = min(times.values())
        assert row.travel <= best + TRAVEL_EPS, (
            f"issue {i}: sent worker {chosen} ({row.travel:.3f} min) although a free worker "
            f"was {best:.3f} min away: {times}")
        checked += 1
    return checked


# ------------------------------------------------------------------------------- tests
@SETTINGS
@given(overrides=scenario_overrides())
def test_records_are_consistent(small_scenario, overrides) -> None:
    run = _simulate(small_scenario, overrides)
    check_issue_table(run)
    check_activity_tiles_time(run)
    check_activity_matches_issues(run)
    check_shifts(run)


@SETTINGS
@given(overrides=scenario_overrides())
def test_no_issue_waits_while_an_eligible_worker_is_free(small_scenario, overrides) -> None:
    run = _simulate(small_scenario, overrides)
    check_work_conserving(run)


@SETTINGS
@given(overrides=scenario_overrides(policy="own_grid", workers=1))
def test_backlog_served_shortest_limit_first_then_fcfs_one_worker_per_grid(
        small_scenario, overrides) -> None:
    run = _simulate(small_scenario, overrides)
    check_priority(run)
    # one worker per grid and own grid only: dispatch order within a grid is the order
    # the worker took them, and the worker never serves two issues at once
    iss = run.issues.dropna(subset=["t_dispatched"])
    for _, group in iss.groupby("grid", observed=True):
        order = group.sort_values("t_dispatched")
        assert order["worker"].nunique() == 1
        nxt = order["t_dispatched"].to_numpy()[1:]
        prev_done = order["t_resolved"].to_numpy()[:-1]
        assert (nxt >= prev_done - EPS).all()


@SETTINGS
@given(overrides=scenario_overrides())
def test_backlog_priority_any_policy(small_scenario, overrides) -> None:
    check_priority(_simulate(small_scenario, overrides))


@SETTINGS
@given(overrides=scenario_overrides(policy="own_grid"))
def test_own_grid_never_borrows(small_scenario, overrides) -> None:
    run = _simulate(small_scenario, overrides)
    iss = run.issues
    assert not iss["borrowed"].any()
    d = iss[iss["worker"] >= 0]
    assert (run.workforce.grid[d["worker"].to_numpy()] == run.issue_grid[d.index]).all()


@SETTINGS
@given(overrides=scenario_overrides(policy="nearest_idle"))
def test_nearest_idle_sends_nearest_free_worker(small_scenario, overrides) -> None:
    check_nearest(_simulate(small_scenario, overrides))


@SETTINGS
@given(overrides=scenario_overrides(policy="own_grid"))
def test_own_grid_sends_nearest_free_worker_of_the_grid(small_scenario, overrides) -> None:
    check_nearest(_simulate(small_scenario, overrides))


def test_nearest_check_has_teeth(small_scenario) -> None:
    # A busy multi-grid scenario where many issues are dispatched on report to one of
    # several free workers, so check_nearest compares real alternatives.
    run = _simulate(small_scenario, {
        "map.rows": 5, "map.cols": 5, "grids.blocks": [1, 2], "workforce.per_grid": 3,
        "dispatch.policy": "nearest_idle", "demand.categories.0.rate_per_hour": 3.0,
    })
    assert check_nearest(run) > 50
    assert run.issues["borrowed"].any()
    assert (run.issues["travel"] > 0).any()
