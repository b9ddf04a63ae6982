"""``twin validate``, ``twin run`` and ``twin schema``."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from twin import numbers
from twin.cli.common import (
    AllOption,
    ClusterOption,
    FileArg,
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
    connect,
    err_console,
    kpi_names,
    load,
    out_console,
    print_failures,
    print_order_times,
    print_summary,
    progress_bar,
    warn_backlog,
    warn_size,
)
from twin.experiment import Execution, RunResult
from twin.geography import MapCache
from twin.headcount import headcount, headcount_lines, hours_warnings
from twin.metrics.assessment import FIGURES
from twin.metrics.catalogue import kpi_spec
from twin.metrics.warmup import warmup_check
from twin.precision import PrecisionTarget
from twin.report_assessment import figure_value, measured_window
from twin.scenario import Scenario
from twin.staffing import KINDS, MINUTES_PER_DAY, build_staffing
from twin.workflows import run_target, run_workflow


def validate(file: FileArg, set_: SetOption = None) -> None:
    """Check a scenario file and report every problem at once."""
    maps = MapCache()
    scenario = load(file, set_ or [], maps=maps)
    out_console.print(f"{file}: ok ({scenario.name}: {len(scenario.demand.categories)} "
                      f"categories, dispatch {scenario.dispatch.policy})", highlight=False,
                      soft_wrap=True)
    community = maps.get(scenario)
    staff = build_staffing(scenario, community, patrols=False)  # no travel times needed
    kinds = ", ".join(f"{int((staff.kind == k).sum())} {name.replace('_', ' ')}s"
                      for k, name in enumerate(KINDS) if (staff.kind == k).any())
    out_console.print(f"map: {len(community.xy):,} nodes in {len(community.grid_names)} grids; "
                      f"staff: {kinds or 'none'}", highlight=False, soft_wrap=True)
    warn_size(scenario, 1, always=True, maps=maps)
    for line in headcount_lines(scenario, community):
        if line.startswith("warning: "):
            err_console.print(line, style="yellow", markup=False, highlight=False)
        else:
            out_console.print(f"people: {line}", markup=False, highlight=False, soft_wrap=True)
    for note in community.notes:
        err_console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if not community.travel.connected():  # a map file keeps its largest part; never here
        err_console.print("warning: the map's streets fall apart into disconnected parts",
                          style="yellow", markup=False, highlight=False)


def run_overrides(set_: list[str] | None, replications: int | None, seed: int | None
                  ) -> tuple[list[str], dict[str, str]]:
    """--set overrides plus the shorthand options, and which key each option set."""
    overrides = list(set_ or [])
    options: dict[str, str] = {}
    if replications is not None:
        overrides.append(f"run.replications={replications}")
        options["run.replications"] = "--replications"
    if seed is not None:
        overrides.append(f"run.seed={seed}")
        options["run.seed"] = "--seed"
    return overrides, options


def run(
    file: FileArg,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    jobs: JobsOption = 1,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(help="Result folder (default out/<name>).")] = None,
    precision: PrecisionOption = None,
    kpi: KpiOption = "response_p90",
    max_replications: MaxRepsOption = 200,
    cluster: ClusterOption = None,
    all_: AllOption = False,
    lang: LangOption = "en",
    force: ForceOption = False,
) -> None:
    """Run replications of a scenario; print KPIs with 95% confidence intervals."""
    overrides, options = run_overrides(set_, replications, seed)
    check_common(jobs, out, precision, max_replications, lang, force)
    maps = MapCache()  # one build of the map serves checks, runs and the report
    scenario = load(file, overrides, options, maps)
    target = run_target(scenario, out)
    check_target(target, force)
    warn_size(scenario, jobs, max_replications if precision is not None else None, maps=maps)
    execution = Execution(jobs=jobs, cluster=connect(cluster), maps=maps)
    for warning in hours_warnings(headcount(scenario, maps.get(scenario))):
        err_console.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
    goal = None
    if precision is not None:
        check_kpi(kpi, kpi_names(scenario, maps))
        goal = PrecisionTarget(kpi, precision, max_replications)
    total, label = ((scenario.run.replications, scenario.name) if goal is None else
                    (max_replications, f"{scenario.name} (to precision)"))
    with progress_bar(total, label) as tick:
        done = run_workflow(scenario, target, source=str(file), overrides=overrides,
                            precision=goal, lang=lang, force=force,
                            execution=replace(execution, progress=tick))
    if done.precision is not None and goal is not None:
        err_console.print(done.precision.message(goal.kpi, goal.relative), highlight=False)
    result = done.result
    print_failures(scenario.name, result)
    if not done.written:
        err_console.print("every replication failed; nothing was written", style="red",
                          highlight=False)
        raise typer.Exit(code=1)
    print_summary(result, all_)
    print_assessment(result)
    print_people(result)
    print_order_times(result, per_grid=all_)
    _warn_warmup(result)
    warn_backlog(scenario.name, result)
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False)
    out_console.print(f"results written to {target}/ (report: {done.report})", highlight=False,
                      soft_wrap=True)
    if result.errors:
        err_console.print(f"{len(result.errors)} of {len(result.errors) + len(result.replications)}"
                          " replications failed and are left out; their errors are in "
                          "manifest.json and the report", style="red", highlight=False)
        raise typer.Exit(code=1)


def print_assessment(result: RunResult) -> None:
    """The assessment figures (考核) in total, with their English and Chinese names, mean
    and 95% CI (nothing when the run has no work orders)."""
    summary = result.summary
    figures = [f for f in FIGURES if f in summary.index]
    if not figures:
        return
    table = Table(title=f"Assessment (考核), total; {measured_window(result.scenario)}; mean "
                        "and 95% CI", title_justify="left")
    for col in ("figure", "考核指标", "KPI", "mean", "95% CI"):
        table.add_column(col, justify="right" if col in ("mean", "95% CI") else "left")
    for figure in figures:
        spec = kpi_spec(figure)
        en, zh = spec.label if spec is not None else (figure, figure)
        row = summary.loc[figure]
        low, high = figure_value(row["ci_low"], figure), figure_value(row["ci_high"], figure)
        table.add_row(escape(en), zh, escape(figure), figure_value(row["mean"], figure),
                      "-" if "–" in (low, high) else f"{low} – {high}")
    out_console.print(table)
    err_console.print(escape("(per unit, category and grid: the report's assessment sheet "
                             "and summary.json, e.g. response_rate[unit:NAME])"), style="dim",
                      highlight=False)


def print_people(result: RunResult) -> None:
    """FTE per staff pool and, with costs, the total cost and the cost per closed order."""
    summary = result.summary
    rows = [k for k in summary.index if k.startswith("fte[")] + [
        k for k in ("cost_total", "cost_per_closed_order") if k in summary.index]
    if not rows:
        return
    table = Table(title="People and cost (FTE: working hours a week ÷ 40)",
                  title_justify="left")
    for col in ("KPI", "名称", "mean", "95% CI"):
        table.add_column(col, justify="right" if col in ("mean", "95% CI") else "left")
    for kpi in rows:
        spec = kpi_spec(kpi)
        zh = spec.label[1] if spec is not None else kpi
        row = summary.loc[kpi]
        low, high = row["ci_low"], row["ci_high"]
        same = abs(high - low) <= 1e-9 * max(1.0, abs(row["mean"]))  # the same every time
        ci = "-" if low != low or same else numbers.interval(low, high, kpi)
        table.add_row(escape(kpi), zh, numbers.value(row["mean"], kpi), ci)
    out_console.print(table)


def _warn_warmup(result: RunResult) -> None:
    spec = result.scenario
    daily = bool(spec.workforce.shifts) or len(set(spec.demand.hour_of_day)) > 1
    check = warmup_check(result.issues, spec.run.horizon_days * MINUTES_PER_DAY,
                         spec.run.warmup_days * MINUTES_PER_DAY, daily)
    style = "yellow" if check.too_short else "dim"
    prefix = "warning: " if check.too_short else ""
    err_console.print(prefix + check.message(), style=style, highlight=False)


def schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    text = json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n", encoding="utf-8")
        out_console.print(f"schema written to {out}", highlight=False, soft_wrap=True)
