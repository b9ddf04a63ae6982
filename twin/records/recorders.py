"""The recorders the model appends to, one per record table of a case's life."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np
import pandas as pd

from twin.records.specs import (
    ACTIVITY_SPECS,
    COMPLAINT_SPECS,
    ESCALATION_SPECS,
    ISSUE_SPECS,
    VISIT_SPECS,
    Labels,
    build_frame,
)
from twin.vocab import DONE, NONCASE, OFF_SHIFT, OPEN


class IssueRecorder:
    """Columns of the issue table for issues known in advance (ids 0..n-1).

    Arrival attributes are given at construction; the model fills in the
    times and the handler as the issue moves on. ``t_dispatched``,
    ``t_on_site`` and ``travel`` keep the first attempt; ``worker`` and
    ``handler`` the last.
    """

    def __init__(self, t_occurred: np.ndarray, grid: np.ndarray, unit: np.ndarray,
                 category: np.ndarray, channel: np.ndarray, colour: np.ndarray,
                 node: np.ndarray, latent: np.ndarray, deadline: np.ndarray | None = None
                 ) -> None:
        n = len(t_occurred)
        self.deadline = np.full(n, np.nan) if deadline is None else deadline
        self.t_occurred = t_occurred
        self.grid = grid
        self.unit = unit
        self.category = category
        self.channel = np.array(channel, dtype=np.int8)
        self.colour = np.array(colour)  # its own copy: a flared latent dispute raises it
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

    def to_frame(self, labels: Labels, copy: bool = True) -> pd.DataFrame:
        """The issue table (``copy=False``: it takes over the recorder's columns)."""
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
            "deadline": self.deadline,
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
        }, labels, copy)


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
        self.noncase: list[memoryview] = []
        """Per staff member, its non-case blocks as flat (start, end, start, end, ...)
        views of the staffing's arrays [min] (read as Python floats, no copy)."""
        self._next_block: list[int] = []
        """Per staff member: its first non-case block that may end after the next
        off-shift interval (the intervals come in time order, so the scan resumes)."""

    def set_noncase(self, spans: list[np.ndarray]) -> None:
        """Per staff member, the sorted disjoint non-case blocks [min] as rows of (start,
        end): the parts of an off-shift interval inside them are recorded as NONCASE."""
        self.noncase = ([np.ascontiguousarray(blocks, dtype=np.float64).reshape(-1).data
                         for blocks in spans] if any(len(blocks) for blocks in spans) else [])
        self._next_block = [0] * len(self.noncase)

    def noncase_ends_at(self, worker: int, t: float) -> bool:
        """Whether a non-case block of ``worker`` ends at ``t``. A worker's flat blocks
        (start, end, start, end, ...) of sorted disjoint blocks are themselves sorted,
        so the ends equal to ``t`` sit at odd places from ``bisect_left``."""
        if not self.noncase:
            return False
        flat = self.noncase[worker]
        i = bisect_left(flat, t)
        while i < len(flat) and flat[i] == t:
            if i % 2:
                return True
            i += 1
        return False

    def add(self, worker: int, state: int, t_start: float, t_end: float, task: int = -1) -> None:
        """Append one interval; empty intervals are dropped."""
        if state == OFF_SHIFT and self.noncase and self.noncase[worker]:
            self._add_off(worker, t_start, t_end)
        elif t_end > t_start:
            self.worker.append(worker)
            self.state.append(state)
            self.t_start.append(t_start)
            self.t_end.append(t_end)
            self.task.append(task)

    def _add_off(self, worker: int, t_start: float, t_end: float) -> None:
        """An off-shift interval, with its parts inside non-case blocks as NONCASE."""
        flat = self.noncase[worker]
        k = self._next_block[worker]
        if k and flat[2 * k - 1] > t_start:  # out of time order: search from the start
            k = bisect_right(flat[1::2], t_start)  # the ends, sorted
        n = len(flat) // 2
        while k < n and flat[2 * k + 1] <= t_start:  # blocks that ended before
            k += 1
        self._next_block[worker] = k
        t = t_start
        while k < n:
            s, e = flat[2 * k], flat[2 * k + 1]
            k += 1
            if e <= t:
                continue
            if s >= t_end:
                break
            if s > t:
                self._append(worker, OFF_SHIFT, t, s)
            self._append(worker, NONCASE, max(s, t), min(e, t_end))
            t = min(e, t_end)
        if t_end > t:
            self._append(worker, OFF_SHIFT, t, t_end)

    def _append(self, worker: int, state: int, t_start: float, t_end: float) -> None:
        if t_end > t_start:
            self.worker.append(worker)
            self.state.append(state)
            self.t_start.append(t_start)
            self.t_end.append(t_end)
            self.task.append(-1)

    def appenders(self) -> tuple[Any, Any, Any, Any, Any]:
        """The five column appenders (worker, state, start, end, task), for a hot loop
        that records non-empty intervals without a method call per interval."""
        return (self.worker.append, self.state.append, self.t_start.append,
                self.t_end.append, self.task.append)

    def to_frame(self, labels: Labels, visit_issue: np.ndarray, copy: bool = True
                 ) -> pd.DataFrame:
        """The activity table; ``visit_issue`` maps visit number to its issue
        (``copy=False``: it takes over the recorder's columns, which stay fixed)."""
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
        }, labels, copy)


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
    """Visit tasks (a dispute's field work, whistle reports, repeat filings), numbered in
    order of creation."""

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
        self.purpose: list[int] = []
        self.attempt: list[int] = []
        self.outcome: list[int] = []
        """How it ended (-1: done if ``t_done`` is stamped, else open)."""

    def create(self, issue: int, unit: int, node: int, t_due: float, service: float,
               purpose: int, attempt: int = 1) -> int:
        """A new visit of ``purpose`` (a code of PURPOSES); returns its number."""
        self.purpose.append(purpose)
        self.attempt.append(attempt)
        self.outcome.append(-1)
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
            "purpose": np.asarray(self.purpose, dtype=np.int64),
            "attempt": np.asarray(self.attempt, dtype=np.int64),
            "outcome": self._outcomes(),
        }, labels)

    def _outcomes(self) -> np.ndarray:
        outcome = np.asarray(self.outcome, dtype=np.int64)
        done = ~np.isnan(np.asarray(self.t_done, dtype=float))
        return np.where(outcome >= 0, outcome, np.where(done, DONE, OPEN))


def complaints_frame(t_reported: np.ndarray, hits: tuple[np.ndarray, np.ndarray],
                     more: dict[int, np.ndarray],
                     repeats: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Repeat complaints: ``hits``, the pre-drawn offsets that fell while each issue was
    open (issue, offset after report [min], sorted by issue and offset), plus ``more``
    offsets for issues open longer than the pre-drawn ones reach, plus ``repeats``
    (issue, time) made during the run (work orders' repeat requests)."""
    issue, offset = hits
    t = t_reported[issue] + offset
    extra_issue = [np.full(len(v), i) for i, v in more.items()]
    extra_t = [t_reported[i] + v for i, v in more.items()]
    if repeats is not None and len(repeats[0]):
        extra_issue.append(repeats[0])
        extra_t.append(repeats[1])
    if extra_issue:
        issue = np.concatenate([issue, *extra_issue])
        t = np.concatenate([t, *extra_t])
        order = np.lexsort((t, issue))
        issue, t = issue[order], t[order]
    return build_frame(COMPLAINT_SPECS, {"issue_id": issue, "t": t})
