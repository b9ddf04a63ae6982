"""Shared pieces of the command line: loading with located errors, progress, tables.

Exit codes: 0 success, 1 a replication failed, 2 a mistake in the input.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from twin.cli.say import LANGS, line, problem_line, problems_found, say
from twin.geography import MapCache, community_for
from twin.loading import load_checked
from twin.outdir import out_problems
from twin.scenario import Problem, Scenario, ScenarioError
from twin.vocab import MINUTES_PER_DAY

if TYPE_CHECKING:  # the run's modules load only for the commands that run
    from twin.experiment import RunResult

# Tables keep their full width when written to a file or pipe (rich assumes 80 columns).
out_console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)

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
LangChoice = Annotated[str | None, typer.Option("--lang",
    help="Language of the terminal, plots and report: en or zh (default: the TWIN_LANG "
         "environment variable, else en).", show_default=False)]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Write into an existing --out folder that twin did not write (its other "
                    "files are kept).")]


def fail(problems: Sequence[Problem], lang: str = "en") -> NoReturn:
    """Print problems, one per line, and exit 2."""
    for problem in problems:
        sys.stderr.write(f"{problem_line(problem, lang)}\n")
    err_console.print(problems_found(len(problems), lang), style="red", highlight=False,
                      markup=False)
    raise typer.Exit(code=2)


def resolve_lang(lang: str | None) -> str:
    """The language of a command: ``--lang``, else the TWIN_LANG environment variable,
    else English; exit 2 on a TWIN_LANG that is not en or zh (a bad ``--lang`` is
    reported with the other options, by :func:`check_common`)."""
    if lang is not None:
        return lang
    env = os.environ.get("TWIN_LANG", "").strip()
    if not env:
        return "en"
    if env not in LANGS:
        fail([Problem("environment", None, "TWIN_LANG", say("bad_env_lang", got=env))])
    return env


def check_lang(lang: str) -> None:
    """Exit 2 on a ``--lang`` that is not en or zh (for commands without other checks)."""
    if lang not in LANGS:
        fail([cli_problem("--lang", f"must be en or zh (got {lang!r})")])


@contextmanager
def font_checked(lang: str = "en") -> Iterator[None]:
    """Plots drawn inside give at most one warning on stderr, in ``lang``, naming every
    character that no plot font has; other warnings pass on."""
    import matplotlib

    from twin.plots.fonts import FontWarning, plot_fonts

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FontWarning)
        yield
    chars: dict[str, None] = {}
    for item in caught:
        if isinstance(item.message, FontWarning):
            chars.update(dict.fromkeys(item.message.chars))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno,
                                   source=item.source)
    if chars:
        warn(say("font_missing", lang, chars=" ".join(sorted(chars)), fonts=plot_fonts(),
                 cache=matplotlib.get_cachedir()), lang)


def shown_lang(lang: str) -> str:
    """The language to write messages in: ``lang`` if it is one, else English."""
    return lang if lang in LANGS else "en"


def warn(text: str, lang: str = "en") -> None:
    """A warning on stderr, in yellow."""
    err_console.print(say("warning", lang, text=line(text, lang)), style="yellow", markup=False,
                      highlight=False, soft_wrap=True)


def cli_problem(option: str, message: str) -> Problem:
    """A mistake in a command-line option."""
    return Problem("command line", None, option, message)


def load(path: Path, overrides: list[str], options: dict[str, str] | None = None,
         maps: MapCache | None = None, lang: str = "en") -> Scenario:
    """Load and check a scenario (its map built into ``maps``); ``options`` maps a key
    set by an option (not by ``--set``) to that option's name, so its problems name
    the option."""
    try:
        return load_checked(str(path), overrides, maps)
    except ScenarioError as error:
        named = options or {}
        fail([Problem(named[p.path], None, p.path, p.message)
              if p.source == "--set" and p.path in named else p for p in error.problems],
             lang)


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
        fail(problems, shown_lang(lang))


def check_target(target: Path, force: bool, option: str = "--out", lang: str = "en") -> None:
    """Exit 2 if a default result folder (e.g. ``out/<name>``) may not be written."""
    problems = out_problems(target, force)
    if problems:
        fail([cli_problem(option, message) for message in problems], lang)


def warn_size(scenario: Scenario, jobs: int, replications: int | None = None,
              always: bool = False, maps: MapCache | None = None, lang: str = "en") -> None:
    """The expected size of a run; a warning when it will probably not fit in memory."""
    from twin.sizing import estimate

    size = estimate(scenario, community_for(scenario, maps), jobs, replications)
    if not size.fits:
        err_console.print(say("named_warning", lang, name=scenario.name,
                              text=line(size.message(), lang)),
                          style="yellow", markup=False, highlight=False)
    elif always:
        out_console.print(line(size.message(), lang), markup=False, highlight=False,
                          soft_wrap=True)


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')  # a traceback's frame line


def print_failures(name: str, result: RunResult, lang: str = "en") -> None:
    """Each failed replication's own error: its last line and where it was raised (the
    whole traceback is kept in the result's manifest.json)."""
    for rep, text in sorted(result.errors.items()):
        lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
        frames = _FRAME.findall(str(text))
        where = say("failed_at", lang, file=Path(frames[-1][0]).name, line=frames[-1][1],
                    func=frames[-1][2]) if frames else ""
        err_console.print(say("rep_failed", lang, name=name, rep=rep, where=where,
                              error=lines[-1] if lines else say("unknown_error", lang)),
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


def connect(cluster: str | None, lang: str = "en") -> Any:
    """A Dask client for ``--cluster`` (None without it); exit 2 if it cannot be had."""
    if cluster is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        fail([cli_problem("--cluster", "needs dask.distributed: pip install -e '.[cluster]' "
                                       "(or 'twin[cluster]')")], lang)
    why = _reachable(cluster)
    if why is not None:
        fail([cli_problem("--cluster", f"cannot reach a Dask scheduler at {cluster!r} ({why})")],
             lang)
    try:
        return Client(cluster, timeout="15s")
    except (OSError, ValueError, TimeoutError) as exc:
        fail([cli_problem("--cluster", f"cannot reach a Dask scheduler at {cluster!r} ({exc})")],
             lang)


def kpi_names(scenario: Scenario, maps: MapCache | None = None) -> list[str]:
    """The KPI names a scenario produces, from a very short run."""
    from twin.experiment import run_replications
    from twin.scenario import apply_overrides

    probe = apply_overrides(scenario, {"run.horizon_days": 0.25, "run.warmup_days": 0},
                            source="--kpi check")
    cache = maps if maps is not None else MapCache(1)
    return list(run_replications(probe, replications=1, maps=cache).kpis.columns)


def check_kpi(kpi: str, available: Sequence[str], lang: str = "en") -> None:
    """Exit 2 if ``kpi`` is not a KPI name."""
    if kpi not in available:
        import difflib

        hint = difflib.get_close_matches(kpi, list(available), n=1)
        did = f"did you mean '{hint[0]}'? " if hint else ""
        fail([cli_problem("--kpi", f"unknown KPI {kpi!r}; {did}see summary.json for names")],
             lang)


class PlainProgress:
    """Progress as plain lines, for a stderr that is not a terminal (a log file,
    ``nohup``, a pipe), where no bar is drawn: one line per finished replication and
    one when the workflow starts writing the results (:meth:`writing`), each flushed at
    once so the log shows the run as it goes."""

    def __init__(self, total: int, label: str, lang: str = "en",
                 stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.label, self.lang = total, label, lang
        self.done = 0
        self._stream = stream
        self._clock = clock
        self._started = clock()

    def __call__(self, _item: object) -> None:
        self.done += 1
        elapsed = _elapsed(self._clock() - self._started)
        self._write(say("progress_line", self.lang, label=self.label, done=self.done,
                        total=self.total, elapsed=elapsed))

    def writing(self, path: Path) -> None:
        """The results are being written to ``path`` (an :class:`Execution`'s ``writing``)."""
        elapsed = _elapsed(self._clock() - self._started)
        self._write(say("writing", self.lang, label=self.label, path=path, elapsed=elapsed))

    def _write(self, text: str) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(text + "\n")
        stream.flush()


def _elapsed(seconds: float) -> str:
    """``h:mm:ss``, as the bar's elapsed time shows it."""
    whole = max(0, int(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def writing_of(tick: Callable[[Any], None]) -> Callable[[Path], None] | None:
    """What an :class:`Execution` calls when the results are being written: a line of
    :class:`PlainProgress`; nothing under a bar (it is gone by then)."""
    return tick.writing if isinstance(tick, PlainProgress) else None


@contextmanager
def progress_bar(total: int, label: str, lang: str = "en"
                 ) -> Iterator[Callable[[Any], None]]:
    """A progress bar on stderr; yields the callback that advances it. When stderr is
    not a terminal (no bar can be drawn there), plain lines instead
    (:class:`PlainProgress`, with :func:`writing_of` for the line when the results are
    being written)."""
    if not err_console.is_terminal or err_console.is_dumb_terminal:
        yield PlainProgress(total, label, lang)
        return
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(escape(label), total=total)
        yield lambda _item: bar.advance(task)


def warn_backlog(name: str, result: RunResult, lang: str = "en") -> None:
    """Warn when open issues keep rising: the KPIs then describe a growing backlog."""
    from twin.metrics.warmup import backlog_growth

    spec = result.scenario
    slope = backlog_growth(result.issues, spec.run.horizon_days * MINUTES_PER_DAY,
                           spec.run.warmup_days * MINUTES_PER_DAY)
    if slope is not None:
        err_console.print(say("named_warning", lang, name=name,
                              text=say("backlog", lang, slope=slope)),
                          style="yellow", highlight=False, markup=False)
