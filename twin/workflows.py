"""Workflows: what ``twin run``, ``twin compare`` and ``twin sweep`` do, as library calls.

Each takes loaded scenarios, an :class:`~twin.experiment.Execution` and a result
folder; it checks the folder may be written, runs the replications, and writes
the results, the report and the manifest. It prints nothing and exits nothing:
it returns what happened, and the command line (or a notebook) shows it.

``compare`` and ``sweep`` keep every finished replication under
``OUT/.replications/`` (:data:`REPLICATIONS`), so a run that was stopped and
started again with the same folder only computes the missing replications.
When every replication of some scenario fails, nothing but that store is
written and the outcome's ``written`` is False.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pandas as pd

from twin.compare import compare, paired_table, unique_names
from twin.executors import WorkerPool
from twin.experiment import Execution, RunResult, pooled, run_replications
from twin.folders import folder_name, unique_folder_names
from twin.geography import MapCache
from twin.outdir import MANIFEST, atomic_write, check_replaceable, claim
from twin.output import REPORT, manifest, write_comparison, write_results
from twin.precision import PrecisionOutcome, PrecisionTarget, run_to_precision
from twin.report import write_report_folder
from twin.scenario.schema import Scenario
from twin.store import DiskStore
from twin.sweep import (
    SweepResult,
    break_even_table,
    paired_points,
    sweep,
    sweep_points,
)

REPLICATIONS = ".replications"
"""Folder inside a compare or sweep result that keeps finished replications."""

Warn = Callable[[str], None]
P = ParamSpec("P")
R = TypeVar("R")


def one_pool(workflow: Callable[P, R]) -> Callable[P, R]:
    """The workflow with its ``execution`` given one pool of worker processes for the
    whole call (:func:`twin.experiment.pooled`): every batch of replications and the
    report's figures run on the same workers, started once and ended at the end."""
    @functools.wraps(workflow)
    def with_pool(*args: P.args, **kwargs: P.kwargs) -> R:
        with pooled(kwargs.get("execution")) as ex:  # type: ignore[arg-type]
            kwargs["execution"] = ex
            return workflow(*args, **kwargs)
    return with_pool


class _Written:
    """An outcome that wrote its folder unless its report is None."""

    report: Path | None

    @property
    def written(self) -> bool:
        """Whether the result folder (results, report, manifest) was written."""
        return self.report is not None



@dataclass(frozen=True)
class RunOutcome(_Written):
    """What :func:`run_workflow` did."""

    result: RunResult
    target: Path
    """The result folder."""
    report: Path | None
    """The report written; None when every replication failed and nothing was written."""
    precision: PrecisionOutcome | None = None
    """How the precision target went, when there was one."""



@dataclass(frozen=True)
class CompareOutcome(_Written):
    """What :func:`compare_workflow` did."""

    names: list[str]
    """Scenario names (made unique), the reference first."""
    runs: dict[str, RunResult]
    table: pd.DataFrame
    """The paired comparison table of every KPI (written split by grid and unit:
    :func:`twin.output.write_comparison`)."""
    target: Path
    report: Path | None
    """The report written; None when some scenario has no finished replication."""
    precision: PrecisionOutcome | None = None



@dataclass(frozen=True)
class SweepOutcome(_Written):
    """What :func:`sweep_workflow` did."""

    result: SweepResult
    target: Path
    report: Path | None
    """The report written; None when some point has no finished replication."""
    paired: pd.DataFrame | None = None
    """With a scenario to run against: every point against it (``paired.csv``)."""
    break_even: pd.DataFrame | None = None
    """With a scenario to run against: the break-even of each KPI (``breakeven.csv``)."""



def run_target(scenario: Scenario, out: str | Path | None = None) -> Path:
    """The result folder of ``twin run``: ``out``, else ``out/<safe scenario name>``."""
    return Path(out) if out is not None else Path("out") / folder_name(scenario.name)


@one_pool
def run_workflow(scenario: Scenario, out: str | Path | None = None, *, source: str | None = None,
                 overrides: Sequence[str] = (), precision: PrecisionTarget | None = None,
                 lang: str = "en", force: bool = False,
                 execution: Execution | None = None) -> RunOutcome:
    """Run replications of one scenario and write its result folder and report.

    Parameters
    ----------
    scenario
        The loaded scenario (with its overrides applied).
    out
        Result folder (default :func:`run_target`).
    source, overrides
        The scenario file and the overrides applied to it, for the manifest.
    precision
        Add replications, from the scenario's own count, until this is met.
    lang
        Language of the report: ``"en"`` or ``"zh"``.
    force
        Write into a folder twin did not write (deleting nothing).
    execution
        Jobs, cluster, progress and map cache.

    Raises
    ------
    twin.outdir.OutputRefused
        Before anything runs, if ``out`` may not be written.
    """
    target = run_target(scenario, out)
    check_replaceable(target, force)
    ex = execution if execution is not None else Execution()
    outcome = None
    if precision is None:
        result = run_replications(scenario, execution=ex)
    else:
        start = min(scenario.run.replications, precision.max_replications)
        outcome = run_to_precision([(scenario.name, scenario)], precision.kpi,
                                   precision.relative, start, precision.max_replications,
                                   execution=ex)
        result = outcome.runs[scenario.name]
    if not result.replications:
        return RunOutcome(result, target, None, outcome)
    _writing(ex, target)
    write_results(result, target, source=source, overrides=list(overrides), force=force,
                  lang=lang, report=True, maps=ex.maps, pool=ex.pool)
    return RunOutcome(result, target, target / REPORT, outcome)


@one_pool
def compare_workflow(scenarios: Sequence[Scenario], out: str | Path | None = None, *,
                     sources: Sequence[str] = (), overrides: Sequence[str] = (),
                     replications: int | None = None, seed: int | None = None,
                     precision: PrecisionTarget | None = None, lang: str = "en",
                     force: bool = False, execution: Execution | None = None,
                     warn: Warn | None = None) -> CompareOutcome:
    """Compare scenarios on common random numbers, each against the first, and write
    the comparison's tables (:func:`twin.output.write_comparison`), one result folder
    per scenario, the report and the manifest.

    ``out`` (default ``out/compare``) is claimed before anything runs; finished
    replications are kept in its :data:`REPLICATIONS` store (unless ``execution``
    has a store), whose warnings go to ``warn``. ``replications`` and ``seed``
    default to the first scenario's. Other parameters are those of
    :func:`run_workflow`.
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    target = Path(out) if out is not None else Path("out") / "compare"
    check_replaceable(target, force)
    names = unique_names(scenarios)
    folders = dict(zip(names, unique_folder_names(names), strict=True))
    for folder in folders.values():  # a run's folder inside must be replaceable too
        check_replaceable(target / folder, force)
    claim(target, "compare")
    ex = _with_store(execution, target, warn)
    outcome = None
    if precision is None:
        comparison = compare(scenarios, replications, seed, ex)
        runs, table = comparison.runs, comparison.table
    else:
        root = scenarios[0].run.seed if seed is None else seed
        n = replications or scenarios[0].run.replications
        outcome = run_to_precision(list(zip(names, scenarios, strict=True)), precision.kpi,
                                   precision.relative, min(n, precision.max_replications),
                                   precision.max_replications, root, ex)
        runs, table = outcome.runs, paired_table(outcome.runs, names)
    if not all(run.replications for run in runs.values()):
        return CompareOutcome(names, runs, table, target, None, outcome)
    _writing(ex, target)
    write_comparison(target, table, runs, lang)
    files: list[str | None] = list(sources) or [None] * len(names)
    for name, file in zip(names, files, strict=True):
        write_results(runs[name], target / folders[name], source=file,
                      overrides=list(overrides), force=force, lang=lang)
    report = _finish(target, runs, "compare", files, overrides, lang, folders,
                     comparison=table, maps=ex.maps, pool=ex.pool)
    return CompareOutcome(names, runs, table, target, report, outcome)


@one_pool
def sweep_workflow(scenario: Scenario, vary: Mapping[str, Sequence[Any]],
                   out: str | Path | None = None, *, source: str | None = None,
                   overrides: Sequence[str] = (), lang: str = "en", force: bool = False,
                   execution: Execution | None = None, warn: Warn | None = None,
                   against: Scenario | None = None, against_source: str | None = None,
                   kpis: Sequence[str] = ("response_mean",)) -> SweepOutcome:
    """Run a grid of variants of one scenario and write ``results.csv``, ``summary.csv``,
    ``points.csv``, the report and the manifest into ``out`` (default ``out/sweep``).

    Every point is checked before anything is written. ``overrides`` are recorded in
    the manifest as given (e.g. with the ``--vary`` options). With ``against`` (read
    from ``against_source``), that scenario runs on the same replications and seed,
    and ``paired.csv`` (every point against it) and ``breakeven.csv`` (where each of
    ``kpis`` breaks even along the one varied key) are written and reported too.
    Other parameters are those of :func:`compare_workflow`.

    Raises
    ------
    twin.scenario.ScenarioError
        Listing the problems of every invalid point.
    twin.outdir.OutputRefused
        If ``out`` may not be written.
    """
    sweep_points(scenario, vary)
    target = Path(out) if out is not None else Path("out") / "sweep"
    check_replaceable(target, force)
    claim(target, "sweep")
    ex = _with_store(execution, target, warn)
    result = sweep(scenario, vary, None, None, ex, against=against)
    if not all(run.replications for run in result.runs.values()):
        return SweepOutcome(result, target, None)
    _writing(ex, target)
    paired = even = None
    if against is not None:
        paired = paired_points(result)
        even = break_even_table(result, kpis, seed=scenario.run.seed)
        atomic_write(target / "paired.csv", paired.to_csv(index=False))
        atomic_write(target / "breakeven.csv", even.to_csv(index=False))
    atomic_write(target / "results.csv", result.results.to_csv(index=False))
    atomic_write(target / "summary.csv", result.summary.to_csv(index=False))
    atomic_write(target / "points.csv", result.points.to_csv(index=False))
    sources = [source] if against is None else [source, against_source]
    report = _finish(target, result.runs, "sweep", sources, overrides, lang,
                     sweep=result.summary, maps=ex.maps, paired=paired, break_even=even,
                     pool=ex.pool)
    return SweepOutcome(result, target, report, paired, even)


def _with_store(execution: Execution | None, target: Path, warn: Warn | None) -> Execution:
    """The execution, with the result folder's resume store unless it has a store."""
    ex = execution if execution is not None else Execution()
    if ex.store is not None:
        return ex
    return replace(ex, store=DiskStore(target / REPLICATIONS, warn=warn))


def _writing(execution: Execution, target: Path) -> None:
    """Tell the caller the results are about to be written to ``target``."""
    if execution.writing is not None:
        execution.writing(target)


def _finish(target: Path, runs: dict[str, RunResult], kind: str,
            sources: Sequence[str | None], overrides: Sequence[str], lang: str,
            folders: dict[str, str] | None = None, *,
            comparison: pd.DataFrame | None = None,
            sweep: pd.DataFrame | None = None, maps: MapCache | None = None,
            paired: pd.DataFrame | None = None,
            break_even: pd.DataFrame | None = None, pool: WorkerPool | None = None) -> Path:
    """Plots and report.html with the provenance of every run, then the folder's
    manifest, marked complete; returns the report's path."""
    body = manifest(runs, kind, sources, overrides, folders)
    path = write_report_folder(target, runs, comparison=comparison, sweep=sweep, lang=lang,
                               manifest=body, maps=maps, paired=paired,
                               break_even=break_even, pool=pool)
    atomic_write(target / MANIFEST, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    return path
