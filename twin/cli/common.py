"""Shared pieces of the command line: loading with located errors, progress, tables.

Exit codes: 0 success, 1 a replication failed, 2 a mistake in the input.
"""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin import numbers
from twin.compare import with_verdicts
from twin.experiment import RunResult, load_checked
from twin.geography import MapCache
from twin.metrics.catalogue import headline_kpis, kpi_spec
from twin.outdir import out_problems
from twin.scenario import Problem, Scenario, ScenarioError
from twin.vocab import MINUTES_PER_DAY

# Tables keep their full width when written to a file or pipe (rich assumes 80 columns).
out_console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)

HEADLINE = headline_kpis()
"""KPIs the tables show without --all: the KPI catalogue's headline list."""

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario key: dotted.key=value (repeatable)."),
]
FileArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
ReplicationsOption = Annotated[int | None, typer.Option(help="Number of replications.")]
SeedOption = Annotated[int | None, typer.Option(help="Root random seed.")]
JobsOption = Annotated[int, typer.Option(help="Parallel worker processes.")]
ClusterOption = Annotated[str | None, typer.Option(
    help="Run replications on a Dask scheduler at this address (needs the cluster extra).")]
AllOption = Annotated[bool, typer.Option("--all", help="Show every KPI, not only the headline.")]
PrecisionOption = Annotated[float | None, typer.Option(
    help="Add replications until the KPI's 95% CI half-width is below this share of its mean.")]
KpiOption = Annotated[str, typer.Option(help="KPI that --precision applies to.")]
MaxRepsOption = Annotated[int, typer.Option(help="Most replications --precision may use.")]
LangOption = Annotated[str, typer.Option(help="Language of plots and report: en or zh.")]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Write into an existing --out folder that twin did not write (its other "
                    "files are kept).")]


def fail(problems: Sequence[Problem]) -> NoReturn:
    """Print problems, one per line, and exit 2."""
    count = len(problems)
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    err_console.print(f"{count} problem{'s' if count != 1 else ''} found; nothing was run.",
                      style="red", highlight=False)
    raise typer.Exit(code=2)


def cli_problem(option: str, message: str) -> Problem:
    """A mistake in a command-line option."""
    return Problem("command line", None, option, message)


def load(path: Path, overrides: list[str], options: dict[str, str] | None = None,
         maps: MapCache | None = None) -> Scenario:
    """Load and check a scenario (its map built into ``maps``); ``options`` maps a key
    set by an option (not by ``--set``) to that option's name, so its problems name
    the option."""
    try:
        return load_checked(str(path), overrides, maps)
    except ScenarioError as error:
        named = options or {}
        fail([Problem(named[p.path], None, p.path, p.message)
              if p.source == "--set" and p.path in named else p for p in error.problems])


def check_common(jobs: int, out: Path | None, precision: float | None = None,
                 max_replications: int = 1, lang: str = "en", force: bool = False) -> None:
    """Exit 2 on bad generic options, all reported together."""
    problems = []
    if jobs < 1:
        problems.append(cli_problem("--jobs", f"must be >= 1 (got {jobs})"))
    if out is not None:
        problems.extend(cli_problem("--out", message) for message in out_problems(out, force))
    if precision is not None and not 0 < precision < 1:
        problems.append(cli_problem("--precision", f"must be between 0 and 1 (got {precision})"))
    if max_replications < 2:
        problems.append(cli_problem("--max-replications", f"must be >= 2 (got {max_replications})"))
    if lang not in ("en", "zh"):
        problems.append(cli_problem("--lang", f"must be en or zh (got {lang!r})"))
    if problems:
        fail(problems)


def check_target(target: Path, force: bool, option: str = "--out") -> None:
    """Exit 2 if a default result folder (e.g. ``out/<name>``) may not be written."""
    problems = out_problems(target, force)
    if problems:
        fail([cli_problem(option, message) for message in problems])


def warn_size(scenario: Scenario, jobs: int, replications: int | None = None,
              always: bool = False, maps: MapCache | None = None) -> None:
    """The expected size of a run; a warning when it will probably not fit in memory."""
    from twin.executors import community_for
    from twin.sizing import estimate

    size = estimate(scenario, community_for(scenario, maps), jobs, replications)
    if not size.fits:
        err_console.print(f"warning: {scenario.name}: {size.message()}", style="yellow",
                          markup=False, highlight=False)
    elif always:
        out_console.print(size.message(), markup=False, highlight=False, soft_wrap=True)


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')  # a traceback's frame line


def print_failures(name: str, result: RunResult) -> None:
    """Each failed replication's own error: its last line and where it was raised (the
    whole traceback is kept in the result's manifest.json)."""
    for rep, text in sorted(result.errors.items()):
        lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
        frames = _FRAME.findall(str(text))
        where = f" (at {Path(frames[-1][0]).name}:{frames[-1][1]} in {frames[-1][2]})" \
            if frames else ""
        err_console.print(f"{name}: replication {rep} failed: "
                          f"{lines[-1] if lines else 'unknown error'}{where}",
                          style="red", markup=False, highlight=False, soft_wrap=True)


def _reachable(address: str, timeout: float = 3.0) -> str | None:
    """Why a scheduler address cannot be reached at once (None: try it)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        return str(exc)
    if not host or port is None:
        return "expected an address like tcp://127.0.0.1:8786"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def connect(cluster: str | None) -> Any:
    """A Dask client for ``--cluster`` (None without it); exit 2 if it cannot be had."""
    if cluster is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        fail([cli_problem("--cluster", "needs dask.distributed: pip install -e '.[cluster]' "
                                       "(or 'twin[cluster]')")])
    why = _reachable(cluster)
    if why is not None:
        fail([cli_problem("--cluster", f"cannot reach a Dask scheduler at {cluster!r} ({why})")])
    try:
        return Client(cluster, timeout="15s")
    except (OSError, ValueError, TimeoutError) as exc:
        fail([cli_problem("--cluster", f"cannot reach a Dask scheduler at {cluster!r} ({exc})")])


def kpi_names(scenario: Scenario, maps: MapCache | None = None) -> list[str]:
    """The KPI names a scenario produces, from a very short run."""
    from twin.experiment import run_replications
    from twin.scenario import apply_overrides

    probe = apply_overrides(scenario, {"run.horizon_days": 0.25, "run.warmup_days": 0},
                            source="--kpi check")
    cache = maps if maps is not None else MapCache(1)
    return list(run_replications(probe, replications=1, maps=cache).kpis.columns)


def check_kpi(kpi: str, available: Sequence[str]) -> None:
    """Exit 2 if ``kpi`` is not a KPI name."""
    if kpi not in available:
        import difflib

        hint = difflib.get_close_matches(kpi, list(available), n=1)
        did = f"did you mean '{hint[0]}'? " if hint else ""
        fail([cli_problem("--kpi", f"unknown KPI {kpi!r}; {did}see summary.json for names")])


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[Any], None]]:
    """A progress bar on stderr; yields the callback that advances it."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(escape(label), total=total)
        yield lambda _item: bar.advance(task)


def warn_backlog(name: str, result: RunResult) -> None:
    """Warn when open issues keep rising: the KPIs then describe a growing backlog."""
    from twin.metrics.warmup import backlog_growth

    spec = result.scenario
    slope = backlog_growth(result.issues, spec.run.horizon_days * MINUTES_PER_DAY,
                           spec.run.warmup_days * MINUTES_PER_DAY)
    if slope is not None:
        err_console.print(
            f"warning: {name}: open issues keep rising (+{slope:.1f} a day after the warm-up): "
            "the community cannot keep up, and its KPIs describe a growing backlog, not a "
            "steady state", style="yellow", highlight=False)


def fmt(x: Any, kpi: str = "") -> str:
    """A number for a table cell, by :mod:`twin.numbers`'s rule (a KPI's share as a
    percentage, its count as an integer)."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    return numbers.value(x, kpi)


def shown(kpis: Sequence[str], everything: bool) -> list[str]:
    """The KPIs a table shows: every one, or the catalogue's headline KPIs in its order."""
    return list(kpis) if everything else [k for k in HEADLINE if k in kpis]


def unit(kpi: str) -> str:
    """The KPI's unit from the catalogue (a share is written as a percentage)."""
    spec = kpi_spec(kpi)
    return ("%" if spec.share else spec.unit) if spec is not None else ""


def print_summary(result: RunResult, everything: bool = False) -> None:
    """KPI table of one run."""
    table = Table(title=f"{result.scenario.name}: {len(result.replications)} replications, "
                        f"seed {result.seed}, 95% CI", title_justify="left")
    for col in ("KPI", "unit", "mean", "95% CI low", "95% CI high"):
        table.add_column(col, justify="left" if col in ("KPI", "unit") else "right")
    for kpi in shown(list(result.summary.index), everything):
        row = result.summary.loc[kpi]
        table.add_row(escape(str(kpi)), escape(unit(str(kpi))), fmt(row["mean"], kpi),
                      fmt(row["ci_low"], kpi), fmt(row["ci_high"], kpi))
    out_console.print(table)
    if not everything:
        err_console.print("(headline KPIs; --all shows every one; all are in summary.json)",
                          style="dim", highlight=False)


def print_order_times(result: RunResult, per_grid: bool = False) -> None:
    """Work orders: mean wait, travel and handling per step and unit, over the orders
    received after the warm-up (nothing when the run has no work orders)."""
    from twin.metrics.orders import step_times

    steps = getattr(result, "steps", None)
    if steps is None or not len(steps):
        return
    warmup = result.scenario.run.warmup_days * MINUTES_PER_DAY
    rows = step_times(steps, result.orders, warmup, per_grid=per_grid)
    if not len(rows):
        return
    table = Table(title="Work orders: time per step and unit (means over the orders received "
                        "after the warm-up)", title_justify="left")
    for col in ("step", "unit", "wait [min]", "travel [min]", "handling [min]",
                "count per replication"):
        table.add_column(escape(col), justify="left" if col in ("step", "unit") else "right")
    for step, unit_name, *times in rows.itertuples(index=False, name=None):
        table.add_row(escape(str(step)), escape(str(unit_name)), *[fmt(t) for t in times])
    out_console.print(table)


def print_verdict(table_df: pd.DataFrame, names: list[str]) -> None:
    """The verdict: each headline KPI of each scenario against the reference, its
    change and % change with their 95% CIs, coloured by the catalogue's direction
    (Holm-adjusted over every headline KPI and scenario)."""
    table_df = with_verdicts(table_df, names[0])
    tested = int(table_df["p_holm"].notna().sum())
    table = Table(title=f"Verdict against {names[0]} (reference): change [95% CI] and % change; "
                        f"Holm-adjusted over {tested} tests (headline KPIs × scenarios), 5% level",
                  title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("better", no_wrap=True)
    table.add_column(f"{names[0]}", justify="right", no_wrap=True)
    for name in names[1:]:
        table.add_column(escape(name), justify="right")
    cells = table_df.set_index(["kpi", "scenario"])
    for kpi in [k for k in HEADLINE if k in set(table_df["kpi"])]:
        spec = kpi_spec(kpi)
        ref = cells.loc[(kpi, names[0]), "mean"] if (kpi, names[0]) in cells.index else None
        row = [escape(kpi), spec.direction if spec and spec.direction else "-",
               numbers.value(ref, kpi)]
        for name in names[1:]:
            if (kpi, name) not in cells.index:
                row.append("-")
                continue
            r = cells.loc[(kpi, name)]
            verdict = str(r["verdict"] or "")
            ci = numbers.interval(r["diff_ci_low"], r["diff_ci_high"], kpi, of_diff=True)
            text = (f"{numbers.diff(r['diff'], kpi)} {ci} {numbers.pct(r['pct'])}"
                    + (f" {verdict}" if verdict else ""))
            row.append(f"[{_STYLE.get(verdict, 'default')}]{escape(text)}[/]")
        table.add_row(*row)
    out_console.print(table)


_STYLE = {"better": "green", "worse": "red", "differs": "blue", "no clear difference": "dim"}
"""Terminal colour of a verdict."""


def _pm(mean: Any, low: Any, high: Any, kpi: str = "", of_diff: bool = False) -> str:
    """``mean ± half-width`` of a CI, compactly."""
    return numbers.half_width(mean, low, high, kpi, of_diff=of_diff)


def print_comparison(table_df: pd.DataFrame, names: list[str], everything: bool) -> None:
    """The verdict, then the paired comparison: each scenario's mean ± 95% CI half-width
    and its difference to the first (* where the CI of the difference excludes zero,
    unadjusted)."""
    print_verdict(table_df, names)
    letters = [chr(ord("A") + i) for i in range(len(names))]
    for letter, name in zip(letters, names, strict=True):
        out_console.print(f"{letter} = {name}" + ("  (reference)" if letter == "A" else ""),
                          highlight=False, soft_wrap=True)
    table = Table(title="mean ± 95% CI half-width; differences paired on common random "
                        "numbers, * = CI excludes 0 (unadjusted)", title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    for letter in letters:
        table.add_column(letter, justify="right", no_wrap=True)
    for letter in letters[1:]:
        table.add_column(f"{letter} − A", justify="right", no_wrap=True)
    for kpi in shown(list(dict.fromkeys(table_df["kpi"])), everything):
        rows = table_df[table_df["kpi"] == kpi].set_index("scenario")
        cells = [_pm(rows.loc[n, "mean"], rows.loc[n, "ci_low"], rows.loc[n, "ci_high"], kpi)
                 if n in rows.index else "-" for n in names]
        diffs = []
        for n in names[1:]:
            if n not in rows.index:
                diffs.append("-")
                continue
            r = rows.loc[n]
            star = " *" if r["significant"] else "  "
            diffs.append(_pm(r["diff"], r["diff_ci_low"], r["diff_ci_high"], kpi, True) + star)
        table.add_row(escape(kpi), escape(unit(kpi)), *cells, *diffs)
    out_console.print(table)
