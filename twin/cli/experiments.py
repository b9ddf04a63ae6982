"""``twin compare`` and ``twin sweep``: many runs on common random numbers.

Both keep every finished replication under ``OUT/.replications/``, so a run
that was stopped and started again with the same ``--out`` only computes the
replications that were missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.common import (
    AllOption,
    ClusterOption,
    ForceOption,
    JobsOption,
    KpiOption,
    LangOption,
    MaxRepsOption,
    PrecisionOption,
    ReplicationsOption,
    SeedOption,
    SetOption,
    check_common,
    check_kpi,
    check_target,
    cli_problem,
    connect,
    err_console,
    fail,
    fmt,
    kpi_names,
    load,
    out_console,
    print_comparison,
    print_failures,
    progress_bar,
    shown,
    warn_backlog,
    warn_size,
)
from twin.cli.single import run_overrides
from twin.compare import compare as compare_runs
from twin.compare import paired_table, unique_names
from twin.experiment import RunResult, load_checked
from twin.folders import unique_folder_names
from twin.outdir import MANIFEST, atomic_write, claim
from twin.output import write_results
from twin.precision import run_to_precision
from twin.report import write_report_folder
from twin.scenario import Scenario, ScenarioError
from twin.store import DiskStore
from twin.sweep import parse_values, sweep_points
from twin.sweep import sweep as sweep_runs
from twin.version import twin_version

CACHE = ".replications"


@contextmanager
def _resumable(target: Path) -> Iterator[None]:
    """On Ctrl-C, say that finished replications are kept, and exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        err_console.print(f"interrupted: finished replications are kept in {target / CACHE}; "
                          "run the same command again to resume", style="yellow",
                          highlight=False)
        raise typer.Exit(code=130) from None


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, frame.to_csv(index=False))


def _store(target: Path) -> DiskStore:
    """The resume store of a result folder; damaged or foreign entries are reported."""
    def warn(message: str) -> None:
        err_console.print(f"warning: {message}", style="yellow", markup=False, highlight=False)

    return DiskStore(target / CACHE, warn=warn)


def _all_failed(runs: dict[str, RunResult]) -> None:
    """Print every failed replication; exit 1 if some scenario has none left."""
    for name, run in runs.items():
        print_failures(name, run)
    empty = [name for name, run in runs.items() if not run.replications]
    if empty:
        err_console.print(f"every replication of {', '.join(empty)} failed; no comparison "
                          "or report was written (finished replications are kept)",
                          style="red", highlight=False)
        raise typer.Exit(code=1)


def _report(out: Path, runs: dict[str, RunResult], comparison: pd.DataFrame | None,
            sweep_summary: pd.DataFrame | None, lang: str, files: list[str],
            overrides: list[str], kind: str, folders: dict[str, str] | None = None) -> None:
    """Plots and report.html, with the provenance of every run, and the folder's manifest."""
    manifest = {
        "twin_version": twin_version(),
        "kind": kind,
        "status": "complete",
        "scenario_files": files,
        "overrides": overrides,
        "runs": {name: {"root_seed": run.seed, "replications": len(run.replications),
                        **({"folder": folders[name]} if folders else {}),
                        "failed_replications": {str(k): v for k, v in run.errors.items()}}
                 for name, run in runs.items()},
    }
    path = write_report_folder(out, runs, comparison=comparison, sweep=sweep_summary, lang=lang,
                               manifest=manifest)
    atomic_write(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    out_console.print(f"report: {path}", highlight=False, soft_wrap=True)


def compare(
    files: Annotated[list[Path], typer.Argument(help="Scenario files; the first is the "
                                                     "reference.", show_default=False)],
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    jobs: JobsOption = 1,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(help="Result folder (default out/compare).")] = None,
    precision: PrecisionOption = None,
    kpi: KpiOption = "response_p90",
    max_replications: MaxRepsOption = 200,
    cluster: ClusterOption = None,
    lang: LangOption = "en",
    all_: AllOption = False,
    force: ForceOption = False,
) -> None:
    """Compare scenarios on common random numbers: each against the first, paired."""
    check_common(jobs, out, precision, max_replications, lang, force)
    overrides, _options = run_overrides(set_, None, None)
    problems = []
    scenarios = []
    for file in files:
        try:
            scenarios.append(load_quiet(file, overrides))
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        fail(problems)
    if precision is not None:
        check_kpi(kpi, kpi_names(scenarios[0]))
    target = out or Path("out") / "compare"
    check_target(target, force)
    names = unique_names(scenarios)
    folders = dict(zip(names, unique_folder_names(names), strict=True))
    for scenario in scenarios:
        warn_size(scenario, jobs, replications)
    cluster = connect(cluster)
    claim(target, "compare")
    store = _store(target)
    n = replications or scenarios[0].run.replications
    with _resumable(target):
        if precision is None:
            with progress_bar(n * len(scenarios), "compare") as tick:
                result = compare_runs(scenarios, replications, seed, jobs, tick, cluster, store)
            runs, table = result.runs, result.table
        else:
            root = scenarios[0].run.seed if seed is None else seed
            with progress_bar(max_replications * len(scenarios),
                              "compare (to precision)") as tick:
                outcome = run_to_precision(list(zip(names, scenarios, strict=True)), kpi,
                                           precision, min(n, max_replications), max_replications,
                                           root, jobs, tick, cluster, store)
            err_console.print(outcome.message(kpi, precision), highlight=False)
            runs, table = outcome.runs, paired_table(outcome.runs, names)
    _all_failed(runs)
    print_comparison(table, names, all_)
    for name in names:
        warn_backlog(name, runs[name])
    _write_csv(table, target / "comparison.csv")
    for name, file in zip(names, files, strict=True):
        write_results(runs[name], target / folders[name], source=str(file), overrides=overrides,
                      force=force)
    _report(target, runs, table, None, lang, [str(f) for f in files], overrides, "compare",
            folders)
    out_console.print(f"results written to {target}/", highlight=False, soft_wrap=True)
    if any(run.errors for run in runs.values()):
        err_console.print("some replications failed; see each manifest.json", style="red")
        raise typer.Exit(code=1)


def load_quiet(file: Path, overrides: list[str]) -> Scenario:
    """Load a scenario, raising ScenarioError (so several files report together)."""
    return load_checked(str(file), overrides)


def sweep(
    file: Annotated[Path, typer.Argument(help="Base scenario file.", show_default=False)],
    vary: Annotated[list[str], typer.Option(
        help="key.path=VALUES with VALUES like 1..4, 60,120 or [60, 120] (repeatable).")],
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    jobs: JobsOption = 1,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(help="Result folder (default out/sweep).")] = None,
    cluster: ClusterOption = None,
    lang: LangOption = "en",
    all_: AllOption = False,
    force: ForceOption = False,
) -> None:
    """Run a grid of variants of one scenario (e.g. workers per grid x deadline)."""
    check_common(jobs, out, None, 2, lang, force)
    overrides, options = run_overrides(set_, replications, seed)
    grid: dict[str, list[object]] = {}
    problems = []
    for item in vary:
        key, sep, values = item.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError("expected key.path=VALUES, e.g. workforce.per_grid=1..4")
            grid[key.strip()] = parse_values(values)
        except ValueError as exc:
            problems.append(cli_problem("--vary", f"{item}: {exc}"))
    if problems:
        fail(problems)
    scenario = load(file, overrides, options)
    try:
        sweep_points(scenario, grid)  # every point checked before anything is written
    except ScenarioError as error:
        fail(error.problems)
    target = out or Path("out") / "sweep"
    check_target(target, force)
    warn_size(scenario, jobs, replications)
    cluster = connect(cluster)
    claim(target, "sweep")
    points = 1
    for choices in grid.values():
        points *= len(choices)
    with _resumable(target), progress_bar(points * scenario.run.replications, "sweep") as tick:
        result = sweep_runs(scenario, grid, None, None, jobs, tick, cluster,
                            _store(target))
    _all_failed(result.runs)
    _write_csv(result.results, target / "results.csv")
    _write_csv(result.summary, target / "summary.csv")
    _write_csv(result.points, target / "points.csv")
    _print_sweep(result.summary, list(grid), all_)
    _report(target, result.runs, None, result.summary, lang, [str(file)],
            [*overrides, *[f"--vary {v}" for v in vary]], "sweep")
    out_console.print(f"results written to {target}/", highlight=False, soft_wrap=True)


SWEEP_KPIS = ("response_mean", "response_p90", "within_deadline", "utilisation")


def _print_sweep(summary: pd.DataFrame, keys: list[str], everything: bool) -> None:
    available = list(dict.fromkeys(summary["kpi"]))
    kpis = shown(available, True) if everything else [k for k in SWEEP_KPIS if k in available]
    table = Table(title="sweep: mean per point (95% CIs in summary.csv)", title_justify="left")
    for key in keys:
        table.add_column(escape(key), justify="right", no_wrap=True)
    for kpi in kpis:
        table.add_column(escape(kpi), justify="right", no_wrap=True)
    for _point, rows in summary.groupby("point", sort=False):
        first = rows.iloc[0]
        means = rows.set_index("kpi")["mean"]
        table.add_row(*[escape(str(first[k])) for k in keys], *[fmt(means.get(k)) for k in kpis])
    out_console.print(table)
