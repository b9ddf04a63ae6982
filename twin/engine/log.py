"""The case log: what the engine writes into the issue and visit records as cases move.

Records are output only: the engine never reads a decision back from them,
except whether a time was already stamped (a first dispatch, a first arrival).
The worker loop writes the hottest stamps of a case (its arrival and resolution)
itself through :class:`FastPath`.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.engine.views import FloatColumn, IntColumn, items
from twin.records import IssueRecorder, VisitRecorder
from twin.vocab import GRID_WORKER


@dataclass(frozen=True)
class FastPath:
    """Item views the worker loop uses for issues (tasks below ``n``)."""

    n: int
    t_on_site: FloatColumn
    t_resolved: FloatColumn
    service: FloatColumn
    """On-site time of each issue [min]."""
    node: IntColumn


class CaseLog:
    """Stamps of dispatch, arrival and resolution, and who handled each task."""

    def __init__(self, issues: IssueRecorder, visits: VisitRecorder, kind: list[int],
                 unit: list[int], issue_unit: IntColumn) -> None:
        self.n = len(issues.t_reported)
        self.visits = visits
        self.kind = kind
        self.unit = unit
        self.issue_unit = issue_unit
        self.t_reported = items(issues.t_reported)
        self.t_dispatched = items(issues.t_dispatched)
        self.t_on_site = items(issues.t_on_site)
        self.t_resolved = items(issues.t_resolved)
        self.travel = items(issues.travel)
        self.worker = items(issues.worker)
        self.handler = items(issues.handler)
        self.borrowed = items(issues.borrowed)
        self.escalations = items(issues.escalations)
        self.channel = items(issues.channel)

    def booked(self, worker: int, task: int, travel: float, now: float) -> None:
        """``worker`` is on its way to ``task``."""
        if task >= self.n:
            v = task - self.n
            if self.visits.t_dispatched[v] != self.visits.t_dispatched[v]:
                self.visits.t_dispatched[v] = now
            self.visits.worker[v] = worker
            return
        if self.t_dispatched[task] != self.t_dispatched[task]:  # NaN: first dispatch
            self.t_dispatched[task] = now
            self.travel[task] = travel
        self.worker[task] = worker
        kind = self.kind[worker]
        self.handler[task] = kind
        self.borrowed[task] = self.unit[worker] != self.issue_unit[task] and kind == GRID_WORKER

    def arrived(self, task: int, now: float) -> None:
        """The handler of ``task`` is on site."""
        if task >= self.n:
            v = task - self.n
            if self.visits.t_on_site[v] != self.visits.t_on_site[v]:
                self.visits.t_on_site[v] = now
        elif self.t_on_site[task] != self.t_on_site[task]:
            self.t_on_site[task] = now

    def escalated(self, issue: int) -> None:
        """One more escalation of ``issue``."""
        self.escalations[issue] += 1
