"""The ``twin`` command line: validate, run, schema.

Exit codes: 0 success, 1 a replication failed, 2 a mistake in the input.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin.experiment import RunResult, load_checked, run_replications
from twin.output import write_results
from twin.scenario import Problem, Scenario, ScenarioError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="twin: a digital twin of community grid dispatch.")
out_console = Console()
err_console = Console(stderr=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario key: dotted.key=value (repeatable)."),
]
FileArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]


def _fail(error: ScenarioError) -> None:
    count = len(error.problems)
    for problem in error.problems:
        sys.stderr.write(f"{problem}\n")
    err_console.print(f"{count} problem{'s' if count != 1 else ''} found; nothing was run.",
                      style="red", highlight=False)
    raise typer.Exit(code=2)


def _load(path: Path, overrides: list[str], options: dict[str, str] | None = None) -> Scenario:
    """Load and check a scenario; ``options`` maps a key set by an option (not by
    ``--set``) to that option's name, so its problems name the option."""
    try:
        return load_checked(str(path), overrides)
    except ScenarioError as error:
        named = options or {}
        _fail(ScenarioError([
            Problem(named[p.path], None, p.path, p.message)
            if p.source == "--set" and p.path in named else p
            for p in error.problems
        ]))
        raise  # unreachable: _fail exits


@app.command()
def validate(file: FileArg, set_: SetOption = None) -> None:
    """Check a scenario file and report every problem at once."""
    scenario = _load(file, set_ or [])
    out_console.print(f"{file}: ok ({scenario.name}: {len(scenario.demand.categories)} "
                      f"categories, dispatch {scenario.dispatch.policy})", highlight=False,
                      soft_wrap=True)


@app.command()
def run(
    file: FileArg,
    replications: Annotated[int | None, typer.Option(help="Number of replications.")] = None,
    seed: Annotated[int | None, typer.Option(help="Root random seed.")] = None,
    jobs: Annotated[int, typer.Option(help="Parallel worker processes.")] = 1,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(help="Result folder (default out/<name>).")] = None,
) -> None:
    """Run replications of a scenario; print KPIs with 95% confidence intervals."""
    overrides = list(set_ or [])
    options: dict[str, str] = {}
    if replications is not None:
        overrides.append(f"run.replications={replications}")
        options["run.replications"] = "--replications"
    if seed is not None:
        overrides.append(f"run.seed={seed}")
        options["run.seed"] = "--seed"
    if jobs < 1:
        _fail(ScenarioError([_cli_problem("--jobs", f"must be >= 1 (got {jobs})")]))
    if out is not None and out.exists() and not out.is_dir():
        _fail(ScenarioError([_cli_problem("--out", f"{out} exists and is not a folder")]))
    scenario = _load(file, overrides, options)
    target = out or Path("out") / scenario.name
    n = scenario.run.replications
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(f"{scenario.name}", total=n)
        result = run_replications(scenario, jobs=jobs,
                                  progress=lambda _rep: bar.advance(task))
    _print_summary(result)
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False)
    if not result.replications:
        for rep, text in result.errors.items():
            err_console.print(f"replication {rep} failed:\n{text}", markup=False)
        raise typer.Exit(code=1)
    write_results(result, target, source=str(file), overrides=overrides)
    out_console.print(f"results written to {target}/", highlight=False, soft_wrap=True)
    if result.errors:
        err_console.print(f"{len(result.errors)} replication(s) failed; see manifest.json",
                          style="red")
        raise typer.Exit(code=1)


def _cli_problem(option: str, message: str) -> Problem:
    return Problem("command line", None, option, message)


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.1f}"


def _print_summary(result: RunResult) -> None:
    table = Table(title=f"{result.scenario.name}: {len(result.replications)} replications, "
                        f"seed {result.seed}, 95% CI", title_justify="left")
    for col in ("KPI", "mean", "95% CI low", "95% CI high"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for kpi, row in result.summary.iterrows():
        table.add_row(escape(str(kpi)), _fmt(row["mean"]), _fmt(row["ci_low"]),
                      _fmt(row["ci_high"]))
    out_console.print(table)


@app.command()
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


def main() -> None:
    """Console-script entry point."""
    app()
