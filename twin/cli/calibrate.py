"""``twin calibrate``: fit a scenario's demand block to a tickets CSV."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from twin.cli.common import (
    LangChoice,
    check_lang,
    cli_problem,
    fail,
    load,
    out_console,
    resolve_lang,
    warn,
)
from twin.cli.say import say
from twin.outdir import atomic_write
from twin.scenario import Problem, Scenario
from twin.scenario.limits import MAX_WINDOW_YEARS

if TYPE_CHECKING:  # the fitting modules (pandas, scipy.stats) load when the command runs
    from twin.calibrate import Calibration, EventScan
    from twin.calibrate.carry import Carried
    from twin.calibrate.gaps import Gaps

TicketsArg = Annotated[Path, typer.Argument(
    help="Tickets CSV (UTF-8 or GBK) or .xlsx: timestamp, category and grid (or node, or x "
         "and y); optional colour and handling_minutes (or 时间, 类别, 网格, 处理时长 ...).",
    show_default=False)]


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
        help="End of the observation window, ISO 8601 (default: the last ticket). The "
             f"window may span at most {MAX_WINDOW_YEARS} years.")] = None,
    gaps: Annotated[list[str] | None, typer.Option(
        "--gaps", help="Times the log has no records for, not zero demand: "
                       "2024-03-09..2024-03-10 (days included), a date, or weekdays such "
                       "as sat,sun. Repeatable.")] = None,
    sheet: Annotated[str | None, typer.Option(
        help="Sheet of an .xlsx workbook (default: the first).")] = None,
    like: Annotated[list[str] | None, typer.Option(
        "--like", help="TICKETS=SCENARIO: a ticket category is handled like this category "
                       "of the --grids-from scenario (its flow, dispute block, limits), "
                       "e.g. 维修=repair. Repeatable or comma-separated; a category of the "
                       "same name needs none.")] = None,
    lang: LangChoice = None,
) -> None:
    """Fit arrival rates, profiles, colour mix and on-site times to a tickets file."""
    from twin.calibrate import (
        GridMap,
        TicketsError,
        demand_yaml,
        find_events,
        fit_demand,
        read_tickets,
    )
    from twin.calibrate.carry import carry, parse_like
    from twin.calibrate.writer import check_demand

    lang = resolve_lang(lang)
    check_lang(lang)
    window, gaps_ = _check_options(tickets, out, grids_from, min_count, start, end, gaps or [],
                                   lang)
    likeness, mistakes = parse_like(like or [])
    if likeness and grids_from is None:
        mistakes.append("needs --grids-from (the scenario whose categories the tickets' "
                        "categories are like)")
    if mistakes:
        fail([cli_problem("--like", m) for m in mistakes], lang)
    template: Scenario | None = None
    grids: GridMap | None = None
    if grids_from is not None:
        template = load(grids_from, [], lang=lang)
        grids = GridMap.from_scenario(template, str(grids_from))
    try:
        found = read_tickets(tickets, grids, *window, gaps=gaps_, sheet=sheet)
        cal = fit_demand(found, min_count, template, like=likeness)
    except TicketsError as error:
        fail(error.problems, lang)
    carried, problems = carry(template, [c.name for c in cal.categories], likeness,
                              lambda message: cli_problem("--like", message))
    if problems:
        fail(problems, lang)
    scan = find_events(cal)
    text = demand_yaml(cal, scan, carried)
    problems = check_demand(text, str(out), template, [c.name for c in cal.categories])
    if problems:
        fail([_elsewhere(p, grids_from, [c.name for c in cal.categories]) for p in problems],
             lang)
    _write(out, text, lang)  # before printing: a closed pipe on the output loses no file
    _show(cal, scan, carried, lang)
    out_console.print(say("demand_written", lang, path=out,
                          base=grids_from or "scenario.yaml"),
                      markup=False, highlight=False, soft_wrap=True)


def _elsewhere(problem: Problem, scenario: Path | None, names: list[str]) -> Problem:
    """A problem outside the demand block (a team or an event naming a category the
    calibrated demand no longer has) belongs to the scenario, not to the file written."""
    if scenario is None or problem.path.startswith("demand") or not problem.path:
        return problem
    return Problem(str(scenario), None, problem.path,
                   f"{problem.message}; the calibrated demand's categories are "
                   f"{', '.join(names)}: name one of them here, or give the tickets the "
                   "scenario's category names")


def _check_options(tickets: Path, out: Path, grids_from: Path | None, min_count: int,
                   start: str | None, end: str | None, gaps: list[str], lang: str = "en"
                   ) -> tuple[tuple[float | None, float | None], Gaps]:
    """Exit 2 on bad options, all reported together; the window in hours and the gaps."""
    from twin.calibrate import parse_time
    from twin.calibrate.gaps import parse_gaps
    from twin.calibrate.window import TIME_FORMS, span_problem

    declared, problems = parse_gaps(gaps)
    if min_count < 1:
        problems.append(cli_problem("--min-count", f"must be >= 1 (got {min_count})"))
    if out.is_dir():
        problems.append(cli_problem("--out", f"{out} is a folder; give a file name"))
    elif not out.parent.is_dir():
        problems.append(cli_problem("--out", f"folder {out.parent} does not exist"))
    elif _same_file(out, tickets):
        problems.append(cli_problem("--out", f"{out} is the tickets file; choose another file"))
    elif grids_from is not None:
        for scenario, base in _scenario_files(grids_from):
            if _same_file(out, scenario):
                what = ("the --grids-from scenario" if base is None else
                        f"a base of the --grids-from scenario (extended by {base})")
                problems.append(cli_problem("--out", f"{out} is {what}; choose another file"))
                break
    bounds: list[float | None] = []
    for option, text in (("--start", start), ("--end", end)):
        value = None if text is None else parse_time(text)
        if text is not None and value is None:
            problems.append(cli_problem(option, f"not a time; {TIME_FORMS} (got {text!r})"))
        bounds.append(value)
    low, high = bounds
    if low is not None and high is not None:
        too_long = span_problem(low, high)
        if high <= low:
            problems.append(cli_problem("--end", f"must be after --start (got {start} to {end})"))
        elif too_long is not None:
            problems.append(too_long)
    if problems:
        fail(problems, lang)
    return (low, high), declared


def _same_file(a: Path, b: Path) -> bool:
    """The same file, however spelled (relative, ``..``, symbolic or hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def _scenario_files(path: Path, base: Path | None = None,
                    depth: int = 0) -> list[tuple[Path, Path | None]]:
    """A scenario file and the files it extends, each with the file extending it
    (best effort: a file that cannot be read is left to the loader to report)."""
    found: list[tuple[Path, Path | None]] = [(path, base)]
    try:
        data: Any = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):  # the loader reports these
        return found
    names = data.get("extends") if isinstance(data, dict) else None
    names = [names] if isinstance(names, str) else names if isinstance(names, list) else []
    if depth < 8:
        for name in names:
            if isinstance(name, str):
                found += _scenario_files(path.parent / name, path, depth + 1)
    return found


def _show(cal: Calibration, scan: EventScan, carried: Carried, lang: str = "en") -> None:
    from twin.calibrate import diagnostics as diag

    out_console.print(diag.summary(cal, lang), markup=False, highlight=False, soft_wrap=True)
    out_console.print(diag.rate_table(cal, lang))
    out_console.print(diag.profile_table(cal, lang))
    colours = diag.colour_table(cal, lang)
    if colours is not None:
        out_console.print(colours)
    out_console.print(diag.service_table(cal, lang))
    events = diag.event_table(scan, lang)
    if isinstance(events, str):
        out_console.print(events, markup=False, highlight=False, soft_wrap=True)
    else:
        out_console.print(events)
    for warning in [*diag.warnings_of(cal), *carried.warnings]:
        warn(warning, lang)
    if carried.like:
        pairs = say("comma", lang).join(say("like_pair", lang, mine=mine, theirs=theirs)
                                        for mine, theirs in carried.like.items())
        out_console.print(say("handled_like", lang, pairs=pairs), markup=False,
                          highlight=False, soft_wrap=True)


def _write(out: Path, text: str, lang: str = "en") -> None:
    """Write atomically and flushed to disk, so a failure at any point leaves no half
    file; exit 2 if the folder or the file cannot be written."""
    try:
        atomic_write(out, text, fsync=True, mode=_mode(out))
    except OSError as exc:
        if not os.access(out.parent, os.W_OK):  # no temporary file could be made
            fail([cli_problem("--out", f"cannot write in folder {out.parent} "
                                       f"({exc.strerror or exc})")], lang)
        fail([cli_problem("--out", f"cannot write {out} ({exc.strerror or exc}); "
                                   "it is left as it was")], lang)


def _mode(out: Path) -> int:
    """Permissions for the file written: those of the file it replaces, else the
    usual ones for a new file (mkstemp's own are private to the owner)."""
    try:
        return stat.S_IMODE(out.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
