"""Record schemas and the recorders the model appends to.

The model writes only here; every KPI is computed later from these tables.
Times are minutes since the start of the run (Monday 00:00). The columns of
every table are documented field by field in README.md ("Outputs").

Tables: issues (one row per issue), activity (one row per interval of a staff
member's time), escalations (one row per colour change or whistle), visits
(one row per follow-up visit) and complaints (one row per repeat complaint).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ISSUE_COLUMNS: tuple[str, ...] = (
    "issue_id", "grid", "unit", "category", "channel", "colour", "colour_closed", "node",
    "latent", "t_occurred", "t_reported", "t_dispatched", "t_on_site", "t_resolved", "worker",
    "handler", "borrowed", "travel", "escalations", "repeat_complaints",
)
ACTIVITY_COLUMNS: tuple[str, ...] = (
    "worker", "kind", "unit", "state", "t_start", "t_end", "issue_id", "visit",
)
ESCALATION_COLUMNS: tuple[str, ...] = ("issue_id", "t", "from_colour", "to_colour", "cause")
VISIT_COLUMNS: tuple[str, ...] = (
    "visit_id", "issue_id", "unit", "node", "t_due", "t_dispatched", "t_on_site", "t_done",
    "worker",
)
COMPLAINT_COLUMNS: tuple[str, ...] = ("issue_id", "t")
STATES: tuple[str, ...] = ("travel", "on_site", "idle", "off_shift", "patrol", "standby")
TRAVEL, ON_SITE, IDLE, OFF_SHIFT, PATROL, STANDBY = range(6)


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


def _cat(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=names)


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
        return pd.DataFrame({
            "issue_id": np.arange(len(self.t_occurred), dtype=np.int64),
            "grid": _cat(self.grid, labels.grids),
            "unit": _cat(self.unit, labels.units),
            "category": _cat(self.category, labels.categories),
            "channel": _cat(self.channel, labels.channels),
            "colour": _cat(self.colour, labels.colours),
            "colour_closed": _cat(self.colour_closed, labels.colours),
            "node": self.node.astype(np.int64),
            "latent": self.latent.astype(bool),
            "t_occurred": self.t_occurred,
            "t_reported": self.t_reported,
            "t_dispatched": self.t_dispatched,
            "t_on_site": self.t_on_site,
            "t_resolved": self.t_resolved,
            "worker": self.worker,
            "handler": _cat(handler, [*labels.kinds, "none"]),
            "borrowed": self.borrowed,
            "travel": self.travel,
            "escalations": self.escalations,
            "repeat_complaints": self.repeat_complaints,
        })


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
        return pd.DataFrame({
            "worker": workers,
            "kind": _cat(self.worker_kind[workers], labels.kinds),
            "unit": _cat(self.worker_unit[workers], labels.units),
            "state": _cat(states, list(STATES)),
            "t_start": np.asarray(self.t_start, dtype=float),
            "t_end": np.asarray(self.t_end, dtype=float),
            "issue_id": issue,
            "visit": visit,
        })


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
        return pd.DataFrame({
            "issue_id": np.asarray(self.issue, dtype=np.int64),
            "t": np.asarray(self.t, dtype=float),
            "from_colour": _cat(np.asarray(self.frm), labels.colours),
            "to_colour": _cat(np.asarray(self.to), labels.colours),
            "cause": _cat(np.asarray(self.cause), labels.causes),
        })


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
        return pd.DataFrame({
            "visit_id": np.arange(len(self.issue), dtype=np.int64),
            "issue_id": np.asarray(self.issue, dtype=np.int64),
            "unit": _cat(np.asarray(self.unit, dtype=np.int64), labels.units),
            "node": np.asarray(self.node, dtype=np.int64),
            "t_due": np.asarray(self.t_due, dtype=float),
            "t_dispatched": np.asarray(self.t_dispatched, dtype=float),
            "t_on_site": np.asarray(self.t_on_site, dtype=float),
            "t_done": np.asarray(self.t_done, dtype=float),
            "worker": np.asarray(self.worker, dtype=np.int64),
        })


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
    return pd.DataFrame({"issue_id": issue.astype(np.int64), "t": t.astype(float)})
