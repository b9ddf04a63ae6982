"""``twin validate``, ``twin run`` and ``twin schema``."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.common import (
    AllOption,
    ClusterOption,
    FileArg,
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
    check_lang,
    check_target,
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
    warn,
    warn_backlog,
    warn_size,
    writing_of,
)
from twin.cli.say import line, say
from twin.geography import Community, MapCache
from twin.headcount import headcount, headcount_lines, hours_warnings
from twin.loading import load_staffed
from twin.scenario import Scenario, ScenarioError
from twin.staffing import KINDS, MINUTES_PER_DAY

if TYPE_CHECKING:  # `run`'s modules (tables, metrics, plots) load when it runs
    from twin.experiment import RunResult


def validate(file: FileArg, set_: SetOption = None, lang: LangChoice = None) -> None:
    """Check a scenario file and report every problem at once."""
    lang = resolve_lang(lang)
    check_lang(lang)
    maps = MapCache()
    try:
        scenario, staff = load_staffed(str(file), set_ or [], maps)
    except ScenarioError as error:
        fail(error.problems, lang)
    out_console.print(say("valid", lang, file=file, name=scenario.name,
                          categories=len(scenario.demand.categories),
                          policy=scenario.dispatch.policy),
                      highlight=False, soft_wrap=True, markup=False)
    community = maps.get(scenario)
    sep = "，" if lang == "zh" else ", "
    kinds = sep.join(
        say("staff_kind", lang, count=int((staff.kind == k).sum()),
            kind=_kind_name(name, lang))
        for k, name in enumerate(KINDS) if (staff.kind == k).any())
    out_console.print(say("map_staff", lang, nodes=len(community.xy),
                          grids=len(community.grid_names),
                          staff=kinds or say("staff_none", lang)),
                      highlight=False, soft_wrap=True, markup=False)
    out_console.print(_grids_line(community, lang), highlight=False, soft_wrap=True,
                      markup=False)
    units = scenario.work_orders.units if scenario.work_orders is not None else []
    stations = [say("station_count", lang, name=u.name, count=u.stations)
                for u in units if u.stations > 1]
    if stations:
        out_console.print(say("stations", lang, text=sep.join(stations)), highlight=False,
                          soft_wrap=True, markup=False)
    warn_size(scenario, 1, always=True, maps=maps, lang=lang)
    for text in headcount_lines(scenario, community):
        if text.startswith("warning: "):
            warn(text.removeprefix("warning: "), lang)
        else:
            out_console.print(say("people", lang, text=line(text, lang)), markup=False,
                              highlight=False, soft_wrap=True)
    for note in community.notes:
        err_console.print(say("note", lang, text=line(note, lang)), highlight=False, soft_wrap=True,
                          markup=False)


def _kind_name(name: str, lang: str) -> str:
    """A staff kind's name in ``lang`` (the plots' labels load only when not English)."""
    if lang == "en":
        return name.replace("_", " ")
    from twin.plots.labels import unit_label

    return unit_label(name, lang)


GRIDS_LISTED = 12
"""Up to this many grids, validate names each with its nodes and residents."""


def _grids_line(community: Community, lang: str) -> str:
    """Each grid's nodes and residents (a range when there are many grids), so that
    residents read from a file can be checked."""
    nodes = [len(n) for n in community.grid_nodes]
    people = [int(round(float(r))) for r in community.residents]
    if len(nodes) <= GRIDS_LISTED:
        sep = "，" if lang == "zh" else ", "
        return say("grids_each", lang, grids=sep.join(
            say("grid_each", lang, name=name, nodes=n, residents=r)
            for name, n, r in zip(community.grid_names, nodes, people, strict=True)))
    order = sorted(people)
    return say("grids_range", lang, low=order[0], high=order[-1], mid=order[len(order) // 2],
               total=sum(people), nlow=min(nodes), nhigh=max(nodes))


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
    lang: LangChoice = None,
    force: ForceOption = False,
) -> None:
    """Run replications of a scenario; print KPIs with 95% confidence intervals."""
    from twin.cli.tables import print_order_times, print_summary
    from twin.experiment import Execution
    from twin.precision import PrecisionTarget
    from twin.workflows import run_target, run_workflow

    lang = resolve_lang(lang)
    overrides, options = run_overrides(set_, replications, seed)
    check_common(jobs, out, precision, max_replications, lang, force)
    maps = MapCache()  # one build of the map serves checks, runs and the report
    scenario = load(file, overrides, options, maps, lang)
    target = run_target(scenario, out)
    check_target(target, force, lang=lang)
    warn_size(scenario, jobs, max_replications if precision is not None else None, maps=maps,
              lang=lang)
    execution = Execution(jobs=jobs, cluster=connect(cluster, lang), maps=maps)
    for warning in hours_warnings(headcount(scenario, maps.get(scenario))):
        warn(warning, lang)
    goal = None
    if precision is not None:
        check_kpi(kpi, kpi_names(scenario, maps), lang)
        goal = PrecisionTarget(kpi, precision, max_replications)
    total, label = ((scenario.run.replications, scenario.name) if goal is None else
                    (max_replications, say("to_precision", lang, name=scenario.name)))
    with font_checked(lang), progress_bar(total, label, lang) as tick:
        done = run_workflow(scenario, target, source=str(file), overrides=overrides,
                            precision=goal, lang=lang, force=force,
                            execution=replace(execution, progress=tick,
                                              writing=writing_of(tick)))
    if done.precision is not None and goal is not None:
        err_console.print(line(done.precision.message(goal.kpi, goal.relative), lang),
                          highlight=False, markup=False, soft_wrap=True)
    result = done.result
    print_failures(scenario.name, result, lang)
    if not done.written:
        err_console.print(say("all_failed", lang), style="red", highlight=False)
        raise typer.Exit(code=1)
    print_summary(result, all_, lang)
    print_assessment(result, lang)
    print_people(result, lang)
    print_order_times(result, per_grid=all_, lang=lang)
    _warn_warmup(result, lang)
    warn_backlog(scenario.name, result, lang)
    for note in result.notes:
        err_console.print(say("note", lang, text=line(note, lang)), highlight=False, markup=False)
    out_console.print(say("written_report", lang, path=target, report=done.report),
                      highlight=False, soft_wrap=True, markup=False)
    if result.errors:
        err_console.print(say("some_failed_run", lang, failed=len(result.errors),
                              total=len(result.errors) + len(result.replications)),
                          style="red", highlight=False)
        raise typer.Exit(code=1)


def print_assessment(result: RunResult, lang: str = "en") -> None:
    """The assessment figures (考核) in total, with their English and Chinese names, mean
    and 95% CI (nothing when the run has no work orders)."""
    from twin.metrics.assessment import FIGURES
    from twin.metrics.catalogue import kpi_spec
    from twin.report_assessment import figure_value, measured_window

    summary = result.summary
    figures = [f for f in FIGURES if f in summary.index]
    if not figures:
        return
    table = Table(title=escape(say("assessment_title", lang,
                                   window=measured_window(result.scenario, lang))),
                  title_justify="left")
    for key in ("figure", "figure_zh", "code", "mean", "ci"):
        table.add_column(say(key, lang), justify="right" if key in ("mean", "ci") else "left")
    for figure in figures:
        spec = kpi_spec(figure)
        en, zh = spec.label if spec is not None else (figure, figure)
        first, second = (en, zh) if lang == "en" else (zh, en)
        row = summary.loc[figure]
        low, high = figure_value(row["ci_low"], figure), figure_value(row["ci_high"], figure)
        table.add_row(escape(first), escape(second), escape(figure),
                      figure_value(row["mean"], figure),
                      "-" if "–" in (low, high) else f"{low} – {high}")
    out_console.print(table)
    err_console.print(say("assessment_note", lang), style="dim", highlight=False, markup=False)


def print_people(result: RunResult, lang: str = "en") -> None:
    """FTE per staff pool and, with costs, the total cost and the cost per closed order."""
    from twin import numbers
    from twin.cli.tables import kpi_cells, kpi_columns
    from twin.plots.labels import kpi_label

    summary = result.summary
    rows = [k for k in summary.index if k.startswith("fte[")] + [
        k for k in ("cost_total", "cost_per_closed_order") if k in summary.index]
    if not rows:
        return
    table = Table(title=say("people_title", lang), title_justify="left")
    kpi_columns(table, lang)
    if lang == "en":
        table.add_column(say("name_zh", lang))
    for key in ("mean", "ci"):
        table.add_column(say(key, lang), justify="right")
    for kpi in rows:
        row = summary.loc[kpi]
        low, high = row["ci_low"], row["ci_high"]
        same = abs(high - low) <= 1e-9 * max(1.0, abs(row["mean"]))  # the same every time
        ci = "-" if low != low or same else numbers.interval(low, high, kpi)
        names = kpi_cells(kpi, lang) if lang == "zh" else [escape(kpi), kpi_label(kpi, "zh")]
        table.add_row(*names, numbers.value(row["mean"], kpi), ci)
    out_console.print(table)


def _warn_warmup(result: RunResult, lang: str = "en") -> None:
    from twin.metrics.warmup import warmup_check

    spec = result.scenario
    daily = bool(spec.workforce.shifts) or len(set(spec.demand.hour_of_day)) > 1
    check = warmup_check(result.issues, spec.run.horizon_days * MINUTES_PER_DAY,
                         spec.run.warmup_days * MINUTES_PER_DAY, daily)
    style = "yellow" if check.too_short else "dim"
    text = line(check.message(), lang)
    said = say("warning", lang, text=text) if check.too_short else text
    err_console.print(said, style=style, highlight=False, markup=False)


def schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    lang: LangChoice = None,
) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    lang = resolve_lang(lang)
    check_lang(lang)
    text = json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n", encoding="utf-8")
        out_console.print(say("schema_written", lang, path=out), highlight=False,
                          soft_wrap=True, markup=False)
