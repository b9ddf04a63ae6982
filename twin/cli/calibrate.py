"""``twin calibrate``: fit a scenario's demand block to a tickets CSV."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from twin.calibrate import (
    Calibration,
    GridMap,
    TicketsError,
    demand_yaml,
    fit_demand,
    parse_time,
    read_tickets,
)
from twin.calibrate import diagnostics as diag
from twin.calibrate.writer import check_demand
from twin.cli.common import cli_problem, err_console, fail, load, out_console
from twin.scenario import Problem, Scenario

TicketsArg = Annotated[Path, typer.Argument(
    help="Tickets CSV: timestamp, category and grid (or node, or x and y); optional "
         "colour and handling_minutes.", show_default=False)]


def calibrate(
    tickets: TicketsArg,
    out: Annotated[Path, typer.Option(help="YAML file to write, with a top-level demand: "
                                           "block.", show_default=False)],
    grids_from: Annotated[Path | None, typer.Option(
        help="Scenario whose grids (and map and residents) the tickets belong to.")] = None,
    min_count: Annotated[int, typer.Option(
        help="Tickets a category needs for its own hour and weekday profile; fewer: "
             "the profile of all categories pooled.")] = 200,
    start: Annotated[str | None, typer.Option(
        help="Start of the observation window, ISO 8601 (default: the first ticket).")] = None,
    end: Annotated[str | None, typer.Option(
        help="End of the observation window, ISO 8601 (default: the last ticket).")] = None,
) -> None:
    """Fit arrival rates, profiles, colour mix and on-site times to a tickets CSV."""
    window = _check_options(out, min_count, start, end)
    template: Scenario | None = None
    grids: GridMap | None = None
    if grids_from is not None:
        template = load(grids_from, [])
        grids = GridMap.from_scenario(template, str(grids_from))
    try:
        found = read_tickets(tickets, grids, *window)
        cal = fit_demand(found, min_count, template)
    except TicketsError as error:
        fail(error.problems)
    text = demand_yaml(cal)
    problems = check_demand(text, str(out), template)
    if problems:
        fail(problems)
    _show(cal)
    _write(out, text)
    out_console.print(f"demand written to {out}; use it with  extends: "
                      f"[{grids_from or 'scenario.yaml'}, {out}]", markup=False,
                      highlight=False, soft_wrap=True)


def _check_options(out: Path, min_count: int, start: str | None, end: str | None
                   ) -> tuple[float | None, float | None]:
    """Exit 2 on bad options, all reported together; the window in hours."""
    problems: list[Problem] = []
    if min_count < 1:
        problems.append(cli_problem("--min-count", f"must be >= 1 (got {min_count})"))
    if out.is_dir():
        problems.append(cli_problem("--out", f"{out} is a folder; give a file name"))
    elif not out.parent.is_dir():
        problems.append(cli_problem("--out", f"folder {out.parent} does not exist"))
    bounds: list[float | None] = []
    for option, text in (("--start", start), ("--end", end)):
        value = None if text is None else parse_time(text)
        if text is not None and value is None:
            problems.append(cli_problem(option, (
                f"not an ISO 8601 time, e.g. 2024-03-01T08:15 (got {text!r})")))
        bounds.append(value)
    low, high = bounds
    if low is not None and high is not None and high <= low:
        problems.append(cli_problem("--end", f"must be after --start (got {start} to {end})"))
    if problems:
        fail(problems)
    return low, high


def _show(cal: Calibration) -> None:
    out_console.print(diag.summary(cal), markup=False, highlight=False, soft_wrap=True)
    out_console.print(diag.rate_table(cal))
    out_console.print(diag.profile_table(cal))
    colours = diag.colour_table(cal)
    if colours is not None:
        out_console.print(colours)
    out_console.print(diag.service_table(cal))
    for line in diag.warnings_of(cal):
        err_console.print(line, highlight=False, soft_wrap=True)


def _write(out: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a crash leaves no half file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
