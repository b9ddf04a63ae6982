"""Record column specs and the recorders the model appends to.

The model writes only here; every KPI is computed later from these tables.
Times are minutes since the start of the run (Monday 00:00).

Tables: issues (one row per issue), activity (one row per interval of a staff
member's time), escalations (one row per colour change or whistle), visits
(one row per follow-up visit) and complaints (one row per repeat complaint).
Each table is a tuple of :class:`ColumnSpec` (name, dtype, unit, meaning) in
:data:`TABLES`; the recorders' frames, :func:`parquet_schema` and the column
reference in README.md ("Outputs", renewed by ``python -m twin.metrics.reference
--update README.md``) are all made from them.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# re-exported: the engine's modules import the state codes from here
from twin.vocab import IDLE, OFF_SHIFT, ON_SITE, PATROL, STANDBY, STATES, TRAVEL  # noqa: F401

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a record table: what the frame holds and what it means."""

    name: str
    dtype: str
    """numpy/pandas dtype name: ``int64``, ``float64``, ``bool`` or ``category``."""
    unit: str
    """``min`` for times and durations, ``–`` for everything else."""
    meaning: str
    """One line for the reference in README.md ("Outputs")."""
    categories: str = ""
    """For a ``category`` column: which names label its codes (see :meth:`Labels.names`)."""


I64, F64, BOOL, CAT, MIN, NONE = "int64", "float64", "bool", "category", "min", "–"
_ = ColumnSpec
ISSUE_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "issue number within the replication, in order of occurrence"),
    _("grid", CAT, NONE, "grid of the issue (demand grid)", "grids"),
    _("unit", CAT, NONE, "the grid-worker unit responsible (the grid, or `team/grid` with teams)",
      "units"),
    _("category", CAT, NONE, "issue category", "categories"),
    _("channel", CAT, NONE, "who reported it: `resident`, `patrol` or `sensor`", "channels"),
    _("colour", CAT, NONE, "severity at report: `green`, `yellow`, `red`", "colours"),
    _("colour_closed", CAT, NONE, "colour at the end (after escalations)", "colours"),
    _("node", I64, NONE, "map node index of the issue"),
    _("latent", BOOL, NONE, "a latent hazard that a patrol could find before it was reported"),
    _("t_occurred", F64, MIN, "the issue came to exist (= `t_reported` unless latent)"),
    _("t_reported", F64, MIN, "reported (empty: a latent hazard nobody found)"),
    _("t_dispatched", F64, MIN, "the first handler was assigned"),
    _("t_on_site", F64, MIN, "the first handler arrived (for a joint response: when the last "
      "responder arrived and the response started)"),
    _("t_resolved", F64, MIN, "settled (empty if still open at the horizon)"),
    _("worker", I64, NONE, "id of the last staff member who handled it (−1 if none)"),
    _("handler", CAT, NONE, "kind of that staff member: `grid_worker`, `volunteer`, `mediator`, "
      "`responder`, `none`", "handlers"),
    _("borrowed", BOOL, NONE, "the last handler was a grid worker of another unit"),
    _("travel", F64, MIN, "travel time of the first handler (for a joint response, the last to "
      "arrive)"),
    _("escalations", I64, NONE, "number of colour changes"),
    _("repeat_complaints", I64, NONE, "repeat complaints while it was open"),
)
"""The issue table (``issues.parquet``): one row per issue."""
ACTIVITY_SPECS: tuple[ColumnSpec, ...] = (
    _("worker", I64, NONE, "staff id"),
    _("kind", CAT, NONE, "`grid_worker`, `volunteer`, `mediator` or `responder`", "kinds"),
    _("unit", CAT, NONE, "the staff member's unit: a grid (or `team/grid`), `mediation`, or a "
      "responder pool", "units"),
    _("state", CAT, NONE, "`travel`, `on_site`, `idle`, `off_shift`, `patrol`, `standby` (at a "
      "joint response, waiting for the other responders)", "states"),
    _("t_start", F64, MIN, "start of the interval"),
    _("t_end", F64, MIN, "end of the interval"),
    _("issue_id", I64, NONE, "issue travelled to or handled; −1 for idle, off shift, patrol and "
      "the walk back to base"),
    _("visit", BOOL, NONE, "the interval belongs to a follow-up visit of `issue_id`"),
)
"""The activity table (``activity.parquet``): one row per interval of a staff member's time."""
ESCALATION_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "the case"),
    _("t", F64, MIN, "when"),
    _("from_colour", CAT, NONE, "colour before", "colours"),
    _("to_colour", CAT, NONE, "colour after (equal to `from_colour` for a whistle)", "colours"),
    _("cause", CAT, NONE, "`deadline`, `failed`, `grew` or `whistle`", "causes"),
)
"""The escalation table (``escalations.parquet``): one row per colour change or whistle."""
VISIT_SPECS: tuple[ColumnSpec, ...] = (
    _("visit_id", I64, NONE, "visit number within the replication"),
    _("issue_id", I64, NONE, "the case visited"),
    _("unit", CAT, NONE, "unit whose grid workers make the visit", "units"),
    _("node", I64, NONE, "map node index"),
    _("t_due", F64, MIN, "the visit becomes due"),
    _("t_dispatched", F64, MIN, "a worker was assigned"),
    _("t_on_site", F64, MIN, "the worker arrived"),
    _("t_done", F64, MIN, "the visit ended"),
    _("worker", I64, NONE, "the worker"),
)
"""The visit table (``visits.parquet``): one row per follow-up visit."""
COMPLAINT_SPECS: tuple[ColumnSpec, ...] = (
    _("issue_id", I64, NONE, "the case complained about"),
    _("t", F64, MIN, "when"),
)
"""The complaint table (``complaints.parquet``): one row per repeat complaint."""
TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "issues": ISSUE_SPECS, "activity": ACTIVITY_SPECS, "escalations": ESCALATION_SPECS,
    "visits": VISIT_SPECS, "complaints": COMPLAINT_SPECS,
}
"""Every record table by name, in the order of the result folder."""
REPLICATION = _("replication", I64, NONE, "replication number: the first column of every table "
                "of a run's result (not of one replication's records)")
"""The column that run results put in front of every table."""


ISSUE_COLUMNS, ACTIVITY_COLUMNS, ESCALATION_COLUMNS, VISIT_COLUMNS, COMPLAINT_COLUMNS = (
    tuple(spec.name for spec in specs) for specs in TABLES.values())


@dataclass(frozen=True, slots=True)
class Labels:
    """Names behind the integer codes used while simulating."""

    grids: list[str]
    units: list[str]
    categories: list[str]
    channels: list[str]
    colours: list[str]
    kinds: list[str]
    causes: list[str]

    def names(self, categories: str) -> list[str]:
        """The names behind a category column's codes (its spec's ``categories``)."""
        if categories == "states":
            return list(STATES)
        if categories == "handlers":  # the kind of the last handler, or none yet
            return [*self.kinds, "none"]
        names: list[str] = getattr(self, categories)
        return names


def _cat(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=names)


def build_frame(specs: tuple[ColumnSpec, ...], values: dict[str, Any],
                labels: Labels | None = None) -> pd.DataFrame:
    """A record table from its columns' values (codes for a category column), with
    exactly the columns, order and dtypes of ``specs``."""
    if list(values) != [spec.name for spec in specs]:
        raise ValueError(f"columns {list(values)} do not match the specs "
                         f"{[spec.name for spec in specs]}")
    columns: dict[str, Any] = {}
    for spec in specs:
        if spec.dtype == CAT:
            if labels is None:
                raise ValueError(f"column {spec.name!r} needs labels for its categories")
            columns[spec.name] = _cat(values[spec.name], labels.names(spec.categories))
        else:
            columns[spec.name] = np.asarray(values[spec.name], dtype=spec.dtype)
    return pd.DataFrame(columns)


class IssueRecorder:
    """Columns of the issue table for issues known in advance (ids 0..n-1).

    Arrival attributes are given at construction; the model fills in the
    times and the handler as the issue moves on. ``t_dispatched``,
    ``t_on_site`` and ``travel`` keep the first attempt; ``worker`` and
    ``handler`` the last.
    """

    def __init__(self, t_occurred: np.ndarray, grid: np.ndarray, unit: np.ndarray,
                 category: np.ndarray, channel: np.ndarray, colour: np.ndarray,
                 node: np.ndarray, latent: np.ndarray) -> None:
        n = len(t_occurred)
        self.t_occurred = t_occurred
        self.grid = grid
        self.unit = unit
        self.category = category
        self.channel = np.array(channel, dtype=np.int8)
        self.colour = colour
        self.colour_closed = np.array(colour, dtype=np.int64)
        self.node = node
        self.latent = latent
        self.t_reported = np.full(n, np.nan)
        self.t_dispatched = np.full(n, np.nan)
        self.t_on_site = np.full(n, np.nan)
        self.t_resolved = np.full(n, np.nan)
        self.travel = np.full(n, np.nan)
        self.worker = np.full(n, -1, dtype=np.int64)
        self.handler = np.full(n, -1, dtype=np.int64)
        self.borrowed = np.zeros(n, dtype=bool)
        self.escalations = np.zeros(n, dtype=np.int64)
        self.repeat_complaints = np.zeros(n, dtype=np.int64)

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The issue table."""
        handler = np.where(self.handler < 0, len(labels.kinds), self.handler)
        return build_frame(ISSUE_SPECS, {
            "issue_id": np.arange(len(self.t_occurred), dtype=np.int64),
            "grid": self.grid,
            "unit": self.unit,
            "category": self.category,
            "channel": self.channel,
            "colour": self.colour,
            "colour_closed": self.colour_closed,
            "node": self.node,
            "latent": self.latent,
            "t_occurred": self.t_occurred,
            "t_reported": self.t_reported,
            "t_dispatched": self.t_dispatched,
            "t_on_site": self.t_on_site,
            "t_resolved": self.t_resolved,
            "worker": self.worker,
            "handler": handler,
            "borrowed": self.borrowed,
            "travel": self.travel,
            "escalations": self.escalations,
            "repeat_complaints": self.repeat_complaints,
        }, labels)


class ActivityRecorder:
    """Append-only staff intervals in compact typed arrays."""

    def __init__(self, worker_unit: np.ndarray, worker_kind: np.ndarray, n_issues: int) -> None:
        self.worker_unit = worker_unit
        self.worker_kind = worker_kind
        self.n_issues = n_issues
        self.worker = array("i")
        self.state = array("b")
        self.t_start = array("d")
        self.t_end = array("d")
        self.task = array("q")

    def add(self, worker: int, state: int, t_start: float, t_end: float, task: int = -1) -> None:
        """Append one interval; empty intervals are dropped."""
        if t_end > t_start:
            self.worker.append(worker)
            self.state.append(state)
            self.t_start.append(t_start)
            self.t_end.append(t_end)
            self.task.append(task)

    def appenders(self) -> tuple[Any, Any, Any, Any, Any]:
        """The five column appenders (worker, state, start, end, task), for a hot loop
        that records non-empty intervals without a method call per interval."""
        return (self.worker.append, self.state.append, self.t_start.append,
                self.t_end.append, self.task.append)

    def to_frame(self, labels: Labels, visit_issue: np.ndarray) -> pd.DataFrame:
        """The activity table; ``visit_issue`` maps visit number to its issue."""
        workers = np.frombuffer(self.worker, dtype=np.int32).astype(np.int64) if len(
            self.worker) else np.zeros(0, np.int64)
        states = np.frombuffer(self.state, dtype=np.int8) if len(self.state) else np.zeros(
            0, np.int8)
        task = np.asarray(self.task, dtype=np.int64)
        visit = task >= self.n_issues
        issue = task.copy()
        if visit.any():
            issue[visit] = visit_issue[task[visit] - self.n_issues]
        return build_frame(ACTIVITY_SPECS, {
            "worker": workers,
            "kind": self.worker_kind[workers],
            "unit": self.worker_unit[workers],
            "state": states,
            "t_start": self.t_start,
            "t_end": self.t_end,
            "issue_id": issue,
            "visit": visit,
        }, labels)


class EventRecorder:
    """Append-only rows of escalations (issue, time, from, to, cause)."""

    def __init__(self) -> None:
        self.issue = array("q")
        self.t = array("d")
        self.frm = array("b")
        self.to = array("b")
        self.cause = array("b")

    def add(self, issue: int, t: float, frm: int, to: int, cause: int) -> None:
        """Append one transition."""
        self.issue.append(issue)
        self.t.append(t)
        self.frm.append(frm)
        self.to.append(to)
        self.cause.append(cause)

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The escalations table."""
        return build_frame(ESCALATION_SPECS, {
            "issue_id": self.issue,
            "t": self.t,
            "from_colour": np.asarray(self.frm),
            "to_colour": np.asarray(self.to),
            "cause": np.asarray(self.cause),
        }, labels)


class VisitRecorder:
    """Follow-up visits (回访), numbered in order of creation."""

    def __init__(self) -> None:
        self.issue: list[int] = []
        self.unit: list[int] = []
        self.node: list[int] = []
        self.t_due: list[float] = []
        self.t_dispatched: list[float] = []
        self.t_on_site: list[float] = []
        self.t_done: list[float] = []
        self.worker: list[int] = []
        self.service: list[float] = []

    def create(self, issue: int, unit: int, node: int, t_due: float, service: float) -> int:
        """A new visit; returns its number."""
        self.issue.append(issue)
        self.unit.append(unit)
        self.node.append(node)
        self.t_due.append(t_due)
        self.service.append(service)
        for column in (self.t_dispatched, self.t_on_site, self.t_done):
            column.append(float("nan"))
        self.worker.append(-1)
        return len(self.issue) - 1

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The visits table."""
        return build_frame(VISIT_SPECS, {
            "visit_id": np.arange(len(self.issue), dtype=np.int64),
            "issue_id": self.issue,
            "unit": np.asarray(self.unit, dtype=np.int64),
            "node": self.node,
            "t_due": self.t_due,
            "t_dispatched": self.t_dispatched,
            "t_on_site": self.t_on_site,
            "t_done": self.t_done,
            "worker": self.worker,
        }, labels)


def complaints_frame(t_reported: np.ndarray, offsets: np.ndarray, open_for: np.ndarray,
                     more: dict[int, np.ndarray]) -> pd.DataFrame:
    """Repeat complaints: the pre-drawn offsets that fall while each issue was open,
    plus ``more`` offsets for issues open longer than the pre-drawn ones reach."""
    hit = offsets < np.nan_to_num(open_for, nan=-1.0)[:, None]
    issue, k = np.nonzero(hit)
    t = t_reported[issue] + offsets[issue, k]
    if more:
        extra_issue = np.concatenate([np.full(len(v), i) for i, v in more.items()])
        extra_t = np.concatenate([t_reported[i] + v for i, v in more.items()])
        issue = np.concatenate([issue, extra_issue])
        t = np.concatenate([t, extra_t])
        order = np.lexsort((t, issue))
        issue, t = issue[order], t[order]
    return build_frame(COMPLAINT_SPECS, {"issue_id": issue, "t": t})


# ------------------------------------------------------------- derived from the specs
def parquet_schema(table: str, labels: Labels | None = None, replication: bool = True
                   ) -> pa.Schema:
    """The Arrow schema of a record table as a run's result folder writes it.

    Parameters
    ----------
    table
        A key of :data:`TABLES`, e.g. ``"issues"``.
    labels
        The names behind the codes; with them a category column's dictionary
        index has the width pandas gives it (int8 below 128 names), without them
        int32.
    replication
        Put the ``replication`` column first, as in a run's result.
    """
    import pyarrow as pa

    def arrow_type(spec: ColumnSpec) -> pa.DataType:
        if spec.dtype != CAT:
            return pa.from_numpy_dtype(np.dtype(spec.dtype))
        index = np.dtype(np.int32) if labels is None else pd.Categorical(
            [], categories=labels.names(spec.categories)).codes.dtype
        return pa.dictionary(pa.from_numpy_dtype(index), pa.string())

    specs = (REPLICATION, *TABLES[table]) if replication else TABLES[table]
    return pa.schema([pa.field(spec.name, arrow_type(spec)) for spec in specs])
