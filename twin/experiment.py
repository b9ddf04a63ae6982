"""Replications: run a scenario many times, in parallel if asked, reproducibly.

Replication r of a scenario with root seed s always draws from the streams
``Streams(s, r)``, whichever process runs it, so the results are identical for
any number of jobs, and two scenarios with the same seed share their random
numbers (common random numbers).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import pandas as pd

from twin.geography import Community, build_community
from twin.metrics import replication_kpis, summarise
from twin.model import MINUTES_PER_DAY, ReplicationRecords, simulate
from twin.scenario.schema import Scenario
from twin.staffing import build_staffing

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RunResult:
    """Everything a set of replications produced."""

    scenario: Scenario
    """The resolved scenario that was run."""
    seed: int
    """Root seed."""
    replications: tuple[int, ...]
    """Replication numbers that finished."""
    issues: pd.DataFrame
    """Issue records of all replications (column ``replication`` first)."""
    activity: pd.DataFrame
    """Staff activity of all replications."""
    escalations: pd.DataFrame
    """Colour changes and whistles of all replications."""
    visits: pd.DataFrame
    """Follow-up visits of all replications."""
    complaints: pd.DataFrame
    """Repeat complaints of all replications."""
    kpis: pd.DataFrame
    """One row of KPIs per replication."""
    summary: pd.DataFrame
    """Per KPI: mean, ci_low, ci_high, n (95% Student-t)."""
    runtime: float
    """Wall-clock seconds for the whole run."""
    errors: dict[int, str] = field(default_factory=dict)
    """Replication number -> traceback, for replications that failed."""
    notes: list[str] = field(default_factory=list)
    """Warnings, e.g. about the map."""


_CACHE: dict[str, Community] = {}  # per process: the map of the scenario being run


def _community_for(scenario: Scenario) -> Community:
    key = scenario.model_dump_json(include={"map", "grids"})
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = build_community(scenario)
    return _CACHE[key]


def _one(scenario: Scenario, replication: int, seed: int
         ) -> tuple[int, ReplicationRecords | None, str | None]:
    try:
        records = simulate(scenario, replication, _community_for(scenario), seed=seed)
        return replication, records, None
    except Exception:  # noqa: BLE001 - one failing replication must not kill the run
        return replication, None, traceback.format_exc()


def run_replications(
    scenario: Scenario,
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> RunResult:
    """Run replications of a scenario and compute KPIs and their confidence intervals.

    Parameters
    ----------
    scenario
        Validated scenario.
    replications
        How many (numbered 0..n-1) or which replication numbers; default the scenario's.
    seed
        Root seed; default ``scenario.run.seed``.
    jobs
        Worker processes; 1 runs in this process.
    progress
        Called with the replication number as each one finishes.
    """
    started = time.perf_counter()
    reps = _numbers(replications, scenario.run.replications)
    root = scenario.run.seed if seed is None else int(seed)
    done: dict[int, ReplicationRecords] = {}
    errors: dict[int, str] = {}

    def collect(item: tuple[int, ReplicationRecords | None, str | None]) -> None:
        rep, records, error = item
        if records is not None:
            done[rep] = records
        else:
            errors[rep] = error or "unknown error"
        if progress is not None:
            progress(rep)

    if jobs <= 1 or len(reps) <= 1:
        for rep in reps:
            collect(_one(scenario, rep, root))
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(reps))) as pool:
            futures = [pool.submit(_one, scenario, rep, root) for rep in reps]
            for future in as_completed(futures):
                collect(future.result())
    return assemble(scenario, root, done, errors, time.perf_counter() - started)


def _numbers(replications: int | Sequence[int] | None, default: int) -> list[int]:
    if replications is None:
        return list(range(default))
    if isinstance(replications, int):
        return list(range(replications))
    return sorted(int(r) for r in replications)


def assemble(
    scenario: Scenario,
    seed: int,
    done: dict[int, ReplicationRecords],
    errors: dict[int, str],
    runtime: float,
) -> RunResult:
    """Put finished replications together, in replication order, with their KPIs."""
    reps = tuple(sorted(done))
    warmup = scenario.run.warmup_days * MINUTES_PER_DAY
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    deadlines = scenario.deadlines.model_dump()
    rows = []
    for rep in reps:
        rec = done[rep]
        rows.append({"replication": rep,
                     **replication_kpis(rec.issues, rec.activity, warmup, horizon, deadlines,
                                        rec.escalations, rec.visits)})
    kpis = pd.DataFrame(rows)
    tables = {name: _stack([getattr(done[r], name) for r in reps], reps)
              for name in ("issues", "activity", "escalations", "visits", "complaints")}
    summary = summarise(kpis) if rows else pd.DataFrame(
        columns=["mean", "ci_low", "ci_high", "n"])
    notes = list(_community_for(scenario).notes) if reps else []
    return RunResult(scenario, seed, reps, kpis=kpis, summary=summary, runtime=runtime,
                     errors=dict(sorted(errors.items())), notes=notes, **tables)


def _stack(frames: list[pd.DataFrame], reps: tuple[int, ...]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, keys=reps, names=["replication", None]).reset_index(level=0)
    return out.reset_index(drop=True)


def load_checked(path: str, overrides: Sequence[str] = ()) -> Scenario:
    """Load a scenario and build its map once, so map problems are reported like
    file problems (located, all at once) before anything runs.

    Raises
    ------
    ScenarioError
    """
    from twin.geography import MapError
    from twin.scenario import ScenarioError, load_located

    scenario, locator = load_located(path, overrides)
    try:
        build_staffing(scenario, _community_for(scenario))
    except MapError as exc:
        raise ScenarioError([locator.problem(exc.key, str(exc))]) from None
    return scenario
