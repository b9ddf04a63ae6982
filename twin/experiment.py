"""Replications: run a scenario many times, in parallel if asked, reproducibly.

Replication r of a scenario with root seed s always draws from the streams
``Streams(s, r)``, whichever process runs it, so the results are identical for
any number of jobs, and two scenarios with the same seed share their random
numbers (common random numbers).

*What* runs (scenarios, replication numbers, seed) is given to each function;
*how* it runs is one :class:`Execution` value: local jobs or a Dask cluster, a
store of finished replications, a progress callback and the map cache, passed
explicitly so that a map is built once per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pandas as pd

from twin.executors import Job, WorkerPool, executor_for
from twin.finished import Finished, KpiContext, finish, kpi_context, stack_tables
from twin.geography import MapCache, community_for
from twin.metrics import summarise
from twin.metrics.catalogue import fill_counts
from twin.model import ReplicationRecords
from twin.records import TABLES
from twin.scenario.schema import Scenario
from twin.store import DiskStore, MemoryStore, run_key

Progress = Callable[[Any], None]


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
    orders: pd.DataFrame
    """Work-order requests of all replications (categories with a flow)."""
    steps: pd.DataFrame
    """Steps of the work orders of all replications."""
    disputes: pd.DataFrame
    """Disputes of all replications (categories with a dispute block)."""
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


Store = MemoryStore | DiskStore


@dataclass(frozen=True)
class Execution:
    """How and where replications run, as opposed to what runs (scenarios,
    replication numbers, seed): one value handed to :func:`run_many`,
    :func:`run_replications`, ``compare``, ``sweep``, ``run_to_precision`` and the
    workflows. No field changes a number of the results.

    Examples
    --------
    >>> ex = Execution(jobs=2)
    >>> ex.jobs, ex.cluster, ex.store is None
    (2, None, True)
    >>> with_options(ex, jobs=1).maps is ex.maps  # the map cache is shared
    True
    """

    jobs: int = 1
    """Local worker processes (ignored with ``cluster``)."""
    cluster: str | Any | None = None
    """Address (or ``distributed.Client``) of a Dask scheduler."""
    store: Store | None = None
    """Where finished replications are kept (default: in memory, for one call)."""
    progress: Progress | None = None
    """Called each time a replication ends (with what, see the function called)."""
    writing: Callable[[Path], None] | None = None
    """Called with the result folder when the runs are done and their results are about
    to be written (the workflows; not called when a run failed and nothing is written)."""
    maps: MapCache = field(default_factory=MapCache, compare=False, repr=False)
    """Built maps, shared by loading, the replications run in this process and the
    notes of the results; pool workers keep their own."""
    pool: WorkerPool | None = field(default=None, compare=False, repr=False)
    """Local worker processes kept across calls (see :func:`pooled`); without one,
    each call with ``jobs > 1`` starts and ends its own."""


class ExecutionOptions(TypedDict, total=False):
    """Fields of :class:`Execution` given as keywords, e.g. ``twin.run(s, jobs=2)``."""

    jobs: int
    cluster: str | Any | None
    store: Store | None
    progress: Progress | None
    writing: Callable[[Path], None] | None
    maps: MapCache
    pool: WorkerPool | None


def with_options(execution: Execution | None, /, **options: Unpack[ExecutionOptions]
                 ) -> Execution:
    """``execution`` (default: a new :class:`Execution`) with some fields replaced."""
    base = execution if execution is not None else Execution()
    return replace(base, **options) if options else base


@contextmanager
def pooled(execution: Execution | None = None, /, **options: Unpack[ExecutionOptions]
           ) -> Iterator[Execution]:
    """The execution with a :class:`~twin.executors.WorkerPool` kept until the block
    ends, so that every batch of replications in it (and the report's figures) runs on
    the same worker processes; unchanged without local jobs to share (``jobs=1``, a
    cluster, or a pool already there).

    Examples
    --------
    >>> with pooled(Execution(jobs=2)) as ex:
    ...     ex.pool is not None and ex.pool.jobs
    2
    """
    ex = with_options(execution, **options)
    if ex.jobs <= 1 or ex.cluster is not None or ex.pool is not None:
        yield ex
        return
    with WorkerPool(ex.jobs, ex.maps) as pool:
        yield replace(ex, pool=pool)


def run_many(
    requests: Sequence[tuple[str, Scenario]],
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    **options: Unpack[ExecutionOptions],
) -> dict[str, RunResult]:
    """Run several named scenarios on the same replication numbers and root seed.

    With one seed for all, replication r of every scenario draws from the same
    streams: common random numbers. Replications already in the execution's
    store are loaded, not rerun; new ones are saved as they finish.

    Parameters
    ----------
    requests
        (name, scenario) pairs; names must be unique.
    replications
        How many (numbered 0..n-1) or which; default each scenario's own.
    seed
        Root seed for all; default each scenario's own.
    execution
        Jobs, cluster, store, map cache; its ``progress`` is called with the name
        of a scenario each time one of its replications ends.
    **options
        Fields of ``execution`` to replace (``jobs=2``, ``store=...``).
    """
    started = time.perf_counter()
    ex = with_options(execution, **options)
    store = ex.store if ex.store is not None else MemoryStore()
    progress = ex.progress
    plan = []
    for name, scenario in requests:
        root = scenario.run.seed if seed is None else int(seed)
        plan.append((name, scenario, root, _numbers(replications, scenario.run.replications)))
    done: dict[str, dict[int, Finished | ReplicationRecords]] = {name: {} for name, *_ in plan}
    errors: dict[str, dict[int, str]] = {name: {} for name, *_ in plan}
    keys = {name: run_key(scenario, root) for name, scenario, root, _ in plan}
    todo: list[Job] = []
    for name, scenario, root, reps in plan:
        missing = []
        for rep in reps:
            found = store.load(keys[name], rep)
            if found is None:
                missing.append(rep)
            else:
                done[name][rep] = found  # records only get their KPIs in assemble
                if progress is not None:
                    progress(name)
        if missing:
            todo.append((name, scenario, root, tuple(missing)))
    if todo:
        for name, rep, finished, error in executor_for(ex.jobs, ex.cluster, maps=ex.maps,
                                                       pool=ex.pool).run(todo):
            if finished is not None:
                store.save(keys[name], rep, finished)
                done[name][rep] = finished
            else:
                errors[name][rep] = error or "unknown error"
            if progress is not None:
                progress(name)
    runtime = time.perf_counter() - started
    return {name: assemble(scenario, root, done[name], errors[name], runtime, ex.maps)
            for name, scenario, root, _ in plan}


def run_replications(
    scenario: Scenario,
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    **options: Unpack[ExecutionOptions],
) -> RunResult:
    """Run replications of one scenario; KPIs per replication and their confidence intervals.

    Parameters are those of :func:`run_many`; ``progress`` gets the replication count done.

    Examples
    --------
    >>> import twin
    >>> s = twin.load_scenario("scenarios/validation/mmc.yaml",
    ...                        overrides={"run.horizon_days": 2, "run.warmup_days": 0.5})
    >>> result = twin.run(s, replications=3, execution=twin.Execution(jobs=1))
    >>> result.replications
    (0, 1, 2)
    >>> list(result.summary.columns)
    ['mean', 'ci_low', 'ci_high', 'n']
    >>> bool(result.summary.loc["utilisation", "ci_low"] < 0.83 < 1.0)
    True
    """
    ex = with_options(execution, **options)
    count = [0]
    progress = ex.progress

    def tick(_name: str) -> None:
        count[0] += 1
        if progress is not None:
            progress(count[0])

    return run_many([(scenario.name, scenario)], replications, seed,
                    replace(ex, progress=tick))[scenario.name]


def _numbers(replications: int | Sequence[int] | None, default: int) -> list[int]:
    if replications is None:
        return list(range(default))
    if isinstance(replications, int):
        return list(range(replications))
    return sorted(int(r) for r in replications)


def assemble(
    scenario: Scenario,
    seed: int,
    done: Mapping[int, Finished | ReplicationRecords],
    errors: dict[int, str],
    runtime: float,
    maps: MapCache | None = None,
) -> RunResult:
    """Put finished replications together, in replication order: their KPI rows and
    their record tables, each stacked once (and the notes of the map, from ``maps``).
    Replications given as records (a store that keeps records only) get their KPIs
    computed here."""
    maps = maps if maps is not None else MapCache(1)  # one map for the KPIs and the notes
    reps = tuple(sorted(done))
    context: KpiContext | None = None
    finished: list[Finished] = []
    for found in (done[r] for r in reps):
        if not isinstance(found, Finished):
            context = context or kpi_context(scenario, community_for(scenario, maps))
            found = finish(found, context)
        finished.append(found)
    rows = [{"replication": rep, **f.kpis} for rep, f in zip(reps, finished, strict=True)]
    kpis = fill_counts(pd.DataFrame(rows))
    tables = {name: stack_tables([f.tables[name] for f in finished], reps) for name in TABLES}
    summary = summarise(kpis) if rows else pd.DataFrame(
        columns=["mean", "ci_low", "ci_high", "n"])
    notes = list(community_for(scenario, maps).notes) if reps else []
    return RunResult(scenario, seed, reps, kpis=kpis, summary=summary, runtime=runtime,
                     errors=dict(sorted(errors.items())), notes=notes, **tables)
