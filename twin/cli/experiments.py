"""``twin compare`` and ``twin sweep``: many runs on common random numbers.

Both keep every finished replication under ``OUT/.replications/``, so a run
that was stopped and started again with the same ``--out`` only computes the
replications that were missing. The work is :mod:`twin.workflows`'s; these
commands check the options, show progress and print.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.common import (
    AllOption,
    ClusterOption,
    ForceOption,
    JobsOption,
    KpiOption,
    LangChoice,
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
    font_checked,
    kpi_names,
    load,
    out_console,
    print_failures,
    progress_bar,
    resolve_lang,
    warn_backlog,
    warn_size,
    writing_of,
)
from twin.cli.say import line, say
from twin.cli.single import run_overrides
from twin.folders import unique_folder_names
from twin.geography import MapCache
from twin.loading import load_checked
from twin.scenario import Problem, Scenario, ScenarioError

if TYPE_CHECKING:  # the runs' modules (experiment, tables, plots) load when a command runs
    import pandas as pd

    from twin.experiment import RunResult
    from twin.sweep import SweepResult


@contextmanager
def _resumable(target: Path, lang: str = "en") -> Iterator[None]:
    """On Ctrl-C, say that finished replications are kept, and exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        from twin.workflows import REPLICATIONS

        err_console.print(say("interrupted", lang, path=target / REPLICATIONS),
                          style="yellow", highlight=False, markup=False)
        raise typer.Exit(code=130) from None


def _warn(message: str, lang: str = "en") -> None:
    """A warning of the resume store (a damaged or foreign entry, ignored)."""
    err_console.print(say("warning", lang, text=line(message, lang)), style="yellow",
                      markup=False, highlight=False)


def _all_failed(runs: dict[str, RunResult], lang: str = "en") -> None:
    """Print every failed replication; exit 1 if some scenario has none left."""
    for name, run in runs.items():
        print_failures(name, run, lang)
    empty = [name for name, run in runs.items() if not run.replications]
    if empty:
        err_console.print(say("all_failed_of", lang, names=", ".join(empty)),
                          style="red", highlight=False, markup=False)
        raise typer.Exit(code=1)


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
    lang: LangChoice = None,
    all_: AllOption = False,
    force: ForceOption = False,
) -> None:
    """Compare scenarios on common random numbers: each against the first, paired."""
    from twin.cli.tables import print_comparison
    from twin.compare import unique_names
    from twin.experiment import Execution
    from twin.precision import PrecisionTarget
    from twin.workflows import compare_workflow

    lang = resolve_lang(lang)
    check_common(jobs, out, precision, max_replications, lang, force)
    overrides, _options = run_overrides(set_, None, None)
    problems = [] if len(files) > 1 else [cli_problem("FILES", say(
        "nothing_to_compare", lang, count=len(files)))]
    scenarios = []
    maps = MapCache(max(2, len(files)))  # one build per map serves checks, runs and report
    for file in files:
        try:
            scenarios.append(load_quiet(file, overrides, maps))
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        fail(problems, lang)
    goal = None
    if precision is not None:
        check_kpi(kpi, kpi_names(scenarios[0], maps), lang)
        goal = PrecisionTarget(kpi, precision, max_replications)
    target = out or Path("out") / "compare"
    check_target(target, force, lang=lang)
    for folder in unique_folder_names(unique_names(scenarios)):
        check_target(target / folder, force, lang=lang)  # each run's folder inside, too
    for scenario in scenarios:
        warn_size(scenario, jobs, replications, maps=maps, lang=lang)
    execution = Execution(jobs=jobs, cluster=connect(cluster, lang), maps=maps)
    n = replications or scenarios[0].run.replications
    label = say("compare", lang)
    total, label = ((n * len(scenarios), label) if goal is None else
                    (max_replications * len(scenarios), say("to_precision", lang, name=label)))
    with _resumable(target, lang), font_checked(lang), progress_bar(
            total, label, lang) as tick:
        done = compare_workflow(scenarios, target, sources=[str(f) for f in files],
                                overrides=overrides, replications=replications, seed=seed,
                                precision=goal, lang=lang, force=force,
                                execution=replace(execution, progress=tick,
                                                  writing=writing_of(tick)),
                                warn=lambda message: _warn(message, lang))
    if done.precision is not None and goal is not None:
        err_console.print(line(done.precision.message(goal.kpi, goal.relative), lang),
                          highlight=False, markup=False, soft_wrap=True)
    _all_failed(done.runs, lang)
    print_comparison(done.table, done.names, all_, lang,
                     [(name, done.runs[name]) for name in done.names])
    for name in done.names:
        warn_backlog(name, done.runs[name], lang)
    out_console.print(say("report", lang, path=done.report), highlight=False, soft_wrap=True,
                      markup=False)
    out_console.print(say("written", lang, path=target), highlight=False, soft_wrap=True,
                      markup=False)
    if any(run.errors for run in done.runs.values()):
        err_console.print(say("some_failed", lang), style="red")
        raise typer.Exit(code=1)


def load_quiet(file: Path, overrides: list[str], maps: MapCache | None = None) -> Scenario:
    """Load a scenario, raising ScenarioError (so several files report together)."""
    return load_checked(str(file), overrides, maps)


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
    lang: LangChoice = None,
    all_: AllOption = False,
    force: ForceOption = False,
    against: Annotated[Path | None, typer.Option(
        help="Compare every point with this scenario (same replications and seed) and "
             "find where --kpi breaks even along the one varied key.")] = None,
    kpi: Annotated[list[str] | None, typer.Option(
        help="KPI whose break-even --against finds (repeatable; default "
             "response_mean).")] = None,
) -> None:
    """Run a grid of variants of one scenario (e.g. workers per grid x deadline); with
    --against, compare every point with another scenario and find the break-even."""
    from twin.experiment import Execution
    from twin.sweep import parse_values, sweep_points
    from twin.workflows import sweep_workflow

    lang = resolve_lang(lang)
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
    problems += against_problems(grid, against, kpi)
    if problems:
        fail(problems, lang)
    maps = MapCache(2 if against is not None else 1)
    scenario = load(file, overrides, options, maps, lang)
    try:
        sweep_points(scenario, grid)  # every point checked before anything is written
    except ScenarioError as error:
        fail(error.problems, lang)
    other, kpis = None, list(kpi or ["response_mean"])
    if against is not None:
        other = load(against, overrides, options, maps, lang)
        names = set(kpi_names(scenario, maps)) & set(kpi_names(other, maps))
        for name in kpis:
            check_kpi(name, sorted(names), lang)
    target = out or Path("out") / "sweep"
    check_target(target, force, lang=lang)
    warn_size(scenario, jobs, replications, maps=maps, lang=lang)
    execution = Execution(jobs=jobs, cluster=connect(cluster, lang), maps=maps)
    points = 0 if against is None else 1  # the scenario run against counts as a point
    size = 1
    for choices in grid.values():
        size *= len(choices)
    points += size
    extra = [] if against is None else [f"--against {against}", *[f"--kpi {k}" for k in kpis]]
    with _resumable(target, lang), font_checked(lang), progress_bar(
            points * scenario.run.replications, say("sweep", lang), lang) as tick:
        done = sweep_workflow(scenario, grid, target, source=str(file),
                              overrides=[*overrides, *[f"--vary {v}" for v in vary], *extra],
                              lang=lang, force=force,
                              execution=replace(execution, progress=tick,
                                                writing=writing_of(tick)),
                              warn=lambda message: _warn(message, lang),
                              against=other, against_source=None if against is None else
                              str(against), kpis=kpis)
    _all_failed(done.result.runs, lang)
    _print_sweep(done.result, all_, lang)
    if done.break_even is not None:
        _print_break_even(done.break_even, lang)
    out_console.print(say("report", lang, path=done.report), highlight=False, soft_wrap=True,
                      markup=False)
    out_console.print(say("written", lang, path=target), highlight=False, soft_wrap=True,
                      markup=False)


SWEEP_KPIS = ("response_mean", "response_p90", "within_deadline", "utilisation")


def _print_sweep(result: SweepResult, everything: bool, lang: str = "en") -> None:
    """The points' means, one row per point named by its label; a warning per collapsed
    point; a note per varied key that changes nothing (or only a few KPIs)."""
    from twin.cli.tables import fmt, shown
    from twin.plots.labels import kpi_label
    from twin.report_sweep import effect_notes

    summary = result.summary
    available = list(dict.fromkeys(summary["kpi"]))
    kpis = shown(available, True) if everything else [k for k in SWEEP_KPIS if k in available]
    table = Table(title=say("sweep_title", lang), title_justify="left")
    table.add_column(say("point", lang), no_wrap=True)
    for kpi in kpis:
        table.add_column(escape(kpi if lang == "en" else kpi_label(kpi, lang)), justify="right",
                         no_wrap=True)
    table.add_column(say("collapsed", lang), no_wrap=True)
    means = summary.set_index(["point", "kpi"])["mean"]
    for point in result.points.to_dict("records"):
        table.add_row(escape(str(point["label"])),
                      *[fmt(means.get((point["point"], k)), k, lang) for k in kpis],
                      f"[red]{say('yes', lang)}[/red]" if point["collapsed"] else "")
    out_console.print(table)
    for point in result.points.to_dict("records"):
        if point["collapsed"]:
            err_console.print(say("warning", lang, text=say(
                "collapsed_point", lang, label=point["label"],
                reason=line(str(point["collapsed"]), lang))),
                style="yellow", markup=False, highlight=False, soft_wrap=True)
    for note in effect_notes(summary, lang):
        err_console.print(say("note", lang, text=line(note, lang)), markup=False, highlight=False,
                          soft_wrap=True)


def against_problems(grid: dict[str, list[object]], against: Path | None,
                     kpi: list[str] | None) -> list[Problem]:
    """Mistakes in --against and --kpi: a break-even needs one varied key with at least
    two numbers."""
    if against is None:
        return [cli_problem("--kpi", "needs --against (the scenario to break even with)")
                ] if kpi else []
    if len(grid) != 1:
        return [cli_problem("--against", f"finds the break-even along one key: give exactly "
                                         f"one --vary (got {len(grid)})")]
    (key, values), = grid.items()
    if len(values) < 2 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                  for v in values):
        return [cli_problem("--vary", f"{key}: a break-even needs at least two numbers "
                                      f"(got {values})")]
    return []


def _print_break_even(table: pd.DataFrame, lang: str = "en") -> None:
    from twin.plots.labels import kpi_label

    for row in table.to_dict("records"):
        lo, hi, value = float(row["x_min"]), float(row["x_max"]), float(row["break_even"])

        def shown(v: float, lo: float = lo, hi: float = hi) -> str:
            return "?" if v != v else f"< {lo:g}" if v < lo else f"> {hi:g}" if v > hi else (
                f"{v:.4g}")

        pair = f"{row['scenario']} - {row['against']}"
        below = row["better_below"]
        above = row["against"] if below == row["scenario"] else row["scenario"]
        ci = say("even_ci", lang, low=shown(float(row["ci_low"])),
                 high=shown(float(row["ci_high"])), n=row["n"],
                 crossed=f"{float(row['crossed']):.0%}")
        if value != value:
            said = say("even_none", lang)
        elif math.isinf(value):
            better = below if value > 0 else above
            said = (say("even_outside", lang, varied=row["key"], lo=f"{lo:g}", hi=f"{hi:g}", ci=ci)
                    + (say("even_whole", lang, better=better) if isinstance(below, str) else ""))
        else:
            said = (say("even_at", lang, varied=row["key"], value=shown(value), ci=ci)
                    + (say("even_sides", lang, below=below, above=above)
                       if isinstance(below, str) else ""))
        kpi = row["kpi"] if lang == "en" else kpi_label(str(row["kpi"]), lang)
        out_console.print(f"{kpi} ({pair}): {said}", highlight=False, soft_wrap=True,
                          markup=False)
