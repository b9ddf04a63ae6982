"""Read a tickets file (one row per reported issue) and locate every mistake in it.

The file is a CSV or ``.xlsx`` workbook read by :mod:`twin.calibrate.source`,
which also maps Chinese column names onto these. Required columns:
``timestamp`` (local time, see :func:`twin.calibrate.window.parse_time`), ``category``, and where
the issue was: ``grid``, or ``node`` (a map node id), or ``x`` and ``y`` (map
coordinates [m]); ``node`` and ``x``/``y`` need the map of a scenario to find
the grid. Optional: ``colour`` (green, yellow, red) and ``handling_minutes``
(on-site time [min]). Other columns are ignored. Problems are reported
together as ``tickets.csv:LINE: column: message``.

Category and grid names are used exactly as written (see
:mod:`twin.calibrate.checks` for what a name and a number may be), and the
observation window is checked by :mod:`twin.calibrate.window`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from twin.calibrate.checks import coordinate_problem, grouped, handling_problem, name_problem
from twin.calibrate.gaps import Gaps
from twin.calibrate.source import REQUIRED, Source, SourceError, read_source
from twin.calibrate.window import (
    TIME_FORMS,
    Stamps,
    coverage_warning,
    format_time,
    parse_time,
    window,
)
from twin.geography import Community, build_community
from twin.scenario import Problem, Scenario
from twin.scenario.schema import COLOURS

__all__ = ["GridMap", "Tickets", "TicketsError", "format_time", "parse_time", "read_tickets"]

COLOUR_WORDS = {"绿": "green", "绿色": "green", "黄": "yellow", "黄色": "yellow", "红": "red",
                "红色": "red", "无": "none"}
"""Colours as Chinese case systems write them."""


class TicketsError(ValueError):
    """Every problem found in a tickets file, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class GridMap:
    """The grids of a scenario, to check and place tickets."""

    source: str
    """The scenario file the grids come from."""
    names: list[str]
    """Grid names, in the scenario's order."""
    residents: np.ndarray
    """Residents per grid."""
    node_grid: dict[str, int]
    """Grid index of every map node, keyed by the node id as text."""
    xy: np.ndarray
    """Node coordinates [m], shape (n, 2)."""
    grid_of_node: np.ndarray
    """Grid index of every node, by node index."""

    @classmethod
    def from_scenario(cls, scenario: Scenario, source: str) -> GridMap:
        """The grids and map of a scenario (builds its map)."""
        return cls.from_community(build_community(scenario), source)

    @classmethod
    def from_community(cls, community: Community, source: str) -> GridMap:
        """The grids and map of a built scenario."""
        labels = {label: int(community.grid_of_node[i])
                  for i, label in enumerate(community.node_labels)}
        return cls(source, list(community.grid_names), np.asarray(community.residents, float),
                   labels, community.xy, community.grid_of_node)


@dataclass(frozen=True)
class Tickets:
    """The tickets inside the observation window (structure of arrays)."""

    source: str
    """The CSV file."""
    hours: np.ndarray
    """Report time in hours since 1970-01-01 00:00 local time [h]."""
    grid: np.ndarray
    """Grid index into ``grids``."""
    category: np.ndarray
    """Category index into ``categories``."""
    colour: np.ndarray
    """Colour index into COLOURS, -1 where not given."""
    handling: np.ndarray
    """On-site time [min], NaN where not given."""
    grids: list[str]
    """Grid names."""
    categories: list[str]
    """Category names, in order of first appearance."""
    start: float
    """Window start [h since 1970-01-01]."""
    end: float
    """Window end [h since 1970-01-01]."""
    rows: int
    """Ticket rows in the file."""
    outside: int
    """Rows left out because they fall outside the window."""
    has_colour: bool
    """The file has a colour column."""
    residents: np.ndarray | None
    """Residents per grid, when the grids come from a scenario."""
    grids_source: str | None
    """The scenario the grids come from, if any."""
    warnings: list[str] = field(default_factory=list)
    """What looks wrong in the file without stopping the fit (e.g. outlying times)."""
    gaps: Gaps = field(default_factory=Gaps)
    """Declared times without records: not exposure, not tested."""
    encoding: str = "UTF-8"
    """How the file was read (``UTF-8``, ``GB18030 (GBK)``, ``xlsx, sheet ...``)."""

    def __len__(self) -> int:
        return len(self.hours)


def read_tickets(path: str | Path, grids: GridMap | None = None,
                 start: float | None = None, end: float | None = None,
                 gaps: Gaps | None = None, sheet: str | None = None) -> Tickets:
    """Read and check a tickets file.

    Parameters
    ----------
    path
        The CSV file (UTF-8 or GBK/GB18030, header line first) or ``.xlsx`` workbook;
        column names as in :data:`twin.calibrate.source.COLUMN_NAMES`.
    grids
        Grids of a scenario: ticket grids must be among them, and ``node`` or
        ``x``/``y`` columns are placed on its map.
    start, end
        Observation window [h since 1970-01-01]; default from the first to the
        last ticket. Tickets outside it are left out.
    gaps
        Declared times without records; a ticket inside one is a mistake.
    sheet
        The sheet of a workbook (default: the first).

    Raises
    ------
    TicketsError
        Listing every problem, each with file, line, column and message.
    """
    source = str(path)
    gaps = gaps if gaps is not None else Gaps()
    try:
        found = read_source(Path(path), source, sheet)
    except SourceError as error:
        raise TicketsError(error.problems) from None
    rows, header = found.rows, found.header
    place, problems = _placement(found, grids, source)
    reader = _RowReader(source, grids, gaps)
    if not problems:  # with columns missing, every row would repeat it
        for line, row in rows:
            reader.read(line, row, place)
    problems += reader.problems
    if not problems and not reader.hours and not rows:
        problems.append(Problem(source, 2, "", "no tickets after the header line"))
    if problems:
        labelled = [_labelled(p, found.labels) for p in problems]
        raise TicketsError(grouped(sorted(labelled, key=lambda p: p.line or 0)))
    hours = np.asarray(reader.hours)
    stamps = Stamps(source, hours, np.asarray(reader.lines), reader.texts)
    lo, hi, problems = window(stamps, start, end)
    if problems:
        raise TicketsError(grouped(problems))
    inside = (hours >= lo) & (hours <= hi)
    if grids is not None:
        names = list(grids.names)
        grid = np.asarray(reader.grid_index, dtype=np.int64)
    else:
        names = sorted(set(reader.grid_name))
        lookup = {n: i for i, n in enumerate(names)}
        grid = np.array([lookup[n] for n in reader.grid_name], dtype=np.int64)
    categories = list(dict.fromkeys(np.asarray(reader.category, dtype=object)[inside].tolist()))
    cat_index = {c: i for i, c in enumerate(categories)}
    warnings = [w for w in (coverage_warning(stamps, lo, hi),
                            _spaced(categories, "categories"),
                            None if grids is not None else _spaced(names, "grids"))
                if w is not None]
    return Tickets(
        source=source, hours=hours[inside], grid=grid[inside],
        category=np.array([cat_index[c] for c in np.asarray(reader.category,
                                                             dtype=object)[inside]],
                          dtype=np.int64),
        colour=np.asarray(reader.colour, dtype=np.int64)[inside],
        handling=np.asarray(reader.handling, dtype=float)[inside],
        grids=names, categories=categories, start=lo, end=hi, rows=len(hours),
        outside=int((~inside).sum()), has_colour="colour" in header,
        residents=None if grids is None else grids.residents,
        grids_source=None if grids is None else grids.source, warnings=warnings,
        gaps=gaps, encoding=found.encoding,
    )


def _labelled(problem: Problem, labels: dict[str, str]) -> Problem:
    """A problem naming the column as the file does: ``时间 (timestamp)``."""
    if problem.path not in labels:
        return problem
    return Problem(problem.source, problem.line, f"{labels[problem.path]} ({problem.path})",
                   problem.message)


def _spaced(names: list[str], what: str) -> str | None:
    """A warning when names differ only in the spaces around them (kept apart)."""
    by_core: dict[str, list[str]] = {}
    for name in names:
        by_core.setdefault(name.strip(), []).append(name)
    alike = [group for group in by_core.values() if len(group) > 1]
    if not alike:
        return None
    shown = "; ".join(" and ".join(repr(n) for n in group) for group in alike[:3])
    return (f"{what} {shown} differ only in spaces around them and are kept apart "
            "(names are used exactly as written)")


def _placement(found_: Source, grids: GridMap | None, source: str
               ) -> tuple[str | None, list[Problem]]:
    """Which column places a ticket (grid, node or xy), and problems with the header."""
    header = found_.header
    found = ", ".join(found_.labels.get(h, h) for h in header if h) or "none"
    required = f"required: {REQUIRED} (found: {found})"
    problems = [Problem(source, 1, col, f"required column is missing; {required}")
                for col in ("timestamp", "category") if col not in header]
    place: str | None = None
    if "grid" in header:
        place = "grid"
    elif "node" in header:
        place = "node"
    elif "x" in header or "y" in header:
        for col in ("x", "y"):
            if col not in header:
                problems.append(Problem(source, 1, col, (
                    f"required column is missing; x and y go together (found: {found})")))
        place = "xy"
    else:
        problems.append(Problem(source, 1, "grid", f"required column is missing; {required}"))
    if place in ("node", "xy") and grids is None:
        column = "node" if place == "node" else "x"
        problems.append(Problem(source, 1, column, (
            "placing tickets by map node or coordinates needs --grids-from "
            "(a scenario whose map gives each node's grid)")))
    return (None if problems else place), problems


class _RowReader:
    """Checks rows one by one, keeping the good values and every problem."""

    def __init__(self, source: str, grids: GridMap | None, gaps: Gaps) -> None:
        self.source = source
        self.grids = grids
        self.gaps = gaps
        self.known = {n: i for i, n in enumerate(grids.names)} if grids is not None else {}
        self.tree = cKDTree(grids.xy) if grids is not None and len(grids.xy) else None
        self.problems: list[Problem] = []
        self.hours: list[float] = []
        self.lines: list[int] = []
        self.texts: list[str] = []
        self.grid_index: list[int] = []
        self.grid_name: list[str] = []
        self.category: list[str] = []
        self.colour: list[int] = []
        self.handling: list[float] = []

    def _bad(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.source, line, column, message))

    def _value(self, row: dict[str, str], column: str) -> str:
        value = row.get(column)
        return "" if value is None else value.strip()

    def _name(self, line: int, row: dict[str, str], column: str) -> str | None:
        """A name exactly as written (spaces around it kept), or None if unusable."""
        name = row.get(column) or ""
        if not name.strip():
            self._bad(line, column, "missing value")
            return None
        why = name_problem(name)
        if why is not None:
            self._bad(line, column, why)
            return None
        return name

    def read(self, line: int, row: dict[str, str], place: str | None) -> None:
        before = len(self.problems)
        stamp_text = self._value(row, "timestamp")
        stamp = parse_time(stamp_text) if stamp_text else None
        if not stamp_text:
            self._bad(line, "timestamp", "missing value")
        elif stamp is None:
            self._bad(line, "timestamp", f"not a time; {TIME_FORMS} (got {stamp_text!r})")
        elif self.gaps and self.gaps.covers(np.array([stamp]))[0]:
            self._bad(line, "timestamp", (
                f"inside the declared gaps ({self.gaps.describe()}): a gap is a time the log "
                f"has no records for; correct the row or --gaps (got {stamp_text!r})"))
        category = self._name(line, row, "category")
        grid = self._grid(line, row, place)
        colour = self._colour(line, row)
        handling = self._handling(line, row)
        if (len(self.problems) == before and stamp is not None and grid is not None
                and category is not None):
            self.hours.append(stamp)
            self.lines.append(line)
            self.texts.append(stamp_text)
            self.category.append(category)
            self.colour.append(colour)
            self.handling.append(handling)
            if isinstance(grid, int):
                self.grid_index.append(grid)
            else:
                self.grid_name.append(grid)

    def _grid(self, line: int, row: dict[str, str], place: str | None) -> int | str | None:
        if place == "grid":
            if (row.get("grid") or "") in self.known:  # a scenario's own name is fine as is
                return self.known[row.get("grid") or ""]
            name = self._name(line, row, "grid")
            if name is None or self.grids is None:
                return name
            if name not in self.known:
                hint = (f" ({name.strip()!r} is one: spaces around a name count)"
                        if name.strip() in self.known else "")
                self._bad(line, "grid", (
                    f"unknown grid {name!r}; known grids ({self.grids.source}): "
                    + ", ".join(self.grids.names) + hint))
                return None
            return self.known[name]
        if place == "node" and self.grids is not None:
            node = self._value(row, "node")
            if not node:
                self._bad(line, "node", "missing value")
                return None
            if node not in self.grids.node_grid:
                self._bad(line, "node", (
                    f"unknown node {node!r}: not a node of the map of {self.grids.source}"))
                return None
            return self.grids.node_grid[node]
        if place == "xy" and self.tree is not None and self.grids is not None:
            xy = [self._number(line, row, col, coordinate_problem) for col in ("x", "y")]
            if xy[0] is None or xy[1] is None:
                return None
            _, nearest = self.tree.query(xy)
            return int(self.grids.grid_of_node[int(nearest)])
        return None

    def _number(self, line: int, row: dict[str, str], column: str,
                check: Callable[[str], tuple[float | None, str | None]]) -> float | None:
        text = self._value(row, column)
        if not text:
            self._bad(line, column, "missing value")
            return None
        value, why = check(text)
        if why is not None:
            self._bad(line, column, why)
        return value

    def _colour(self, line: int, row: dict[str, str]) -> int:
        text = self._value(row, "colour").lower()
        text = COLOUR_WORDS.get(text, text)
        if not text or text == "none":  # not known, or not graded (not a dispute)
            return -1
        if text not in COLOURS:
            self._bad(line, "colour", (
                f"unknown colour {self._value(row, 'colour')!r}; allowed: "
                + ", ".join(COLOURS) + " (or 绿, 黄, 红), none or empty (not graded)"))
            return -1
        return COLOURS.index(text)

    def _handling(self, line: int, row: dict[str, str]) -> float:
        if not self._value(row, "handling_minutes"):
            return math.nan
        value = self._number(line, row, "handling_minutes", handling_problem)
        return math.nan if value is None else value
