"""Record schemas and the recorders the model appends to.

The model writes only here; every KPI is computed later from these tables.
Times are minutes since the start of the run (Monday 00:00).

Issue table (one row per reported issue)
----------------------------------------
=============  ========  ==========================================================
column         unit      meaning
=============  ========  ==========================================================
replication    -         replication number (added by the experiment layer)
issue_id       -         issue number within the replication, in order of report
grid           -         grid where the issue is located
category       -         issue category
channel        -         how it entered: resident, patrol or sensor
colour         -         severity colour at report: green, yellow or red
node           -         map node (index) of the issue
t_reported     min       time reported
t_dispatched   min       time a worker was assigned (NaN if never)
t_on_site      min       time the worker arrived (NaN if never)
t_resolved     min       time on-site handling ended (NaN if still open)
worker         -         worker id who handled it (-1 if none)
borrowed       -         handled by a worker of another grid
travel         min       travel time of the worker to the issue (NaN if none)
=============  ========  ==========================================================

Activity table (one row per interval of a worker's time)
--------------------------------------------------------
=========  ====  ==================================================================
column     unit  meaning
=========  ====  ==================================================================
worker     -     worker id
grid       -     the worker's home grid
state      -     travel, on_site, idle or off_shift
t_start    min   start of the interval
t_end      min   end of the interval
issue_id   -     issue travelled to or handled; -1 for idle, off shift and the
                 walk back to base
=========  ====  ==================================================================
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import pandas as pd

ISSUE_COLUMNS: tuple[str, ...] = (
    "issue_id", "grid", "category", "channel", "colour", "node", "t_reported",
    "t_dispatched", "t_on_site", "t_resolved", "worker", "borrowed", "travel",
)
ACTIVITY_COLUMNS: tuple[str, ...] = ("worker", "grid", "state", "t_start", "t_end", "issue_id")
STATES: tuple[str, ...] = ("travel", "on_site", "idle", "off_shift")
TRAVEL, ON_SITE, IDLE, OFF_SHIFT = range(4)


@dataclass(frozen=True, slots=True)
class Labels:
    """Names behind the integer codes used while simulating."""

    grids: list[str]
    categories: list[str]
    channels: list[str]
    colours: list[str]


class IssueRecorder:
    """Columns of the issue table for issues known in advance (ids 0..n-1).

    Arrival attributes are given at construction; the model fills in the
    times and the worker as the issue moves on.
    """

    def __init__(
        self,
        t_reported: np.ndarray,
        grid: np.ndarray,
        category: np.ndarray,
        channel: np.ndarray,
        colour: np.ndarray,
        node: np.ndarray,
    ) -> None:
        n = len(t_reported)
        self.t_reported = t_reported
        self.grid = grid
        self.category = category
        self.channel = channel
        self.colour = colour
        self.node = node
        self.t_dispatched = np.full(n, np.nan)
        self.t_on_site = np.full(n, np.nan)
        self.t_resolved = np.full(n, np.nan)
        self.travel = np.full(n, np.nan)
        self.worker = np.full(n, -1, dtype=np.int32)
        self.borrowed = np.zeros(n, dtype=bool)

    def to_frame(self, labels: Labels, upto: int | None = None) -> pd.DataFrame:
        """The issue table, for issues reported so far (the first ``upto``)."""
        k = len(self.t_reported) if upto is None else upto

        def cat(codes: np.ndarray, names: list[str]) -> pd.Categorical:
            return pd.Categorical.from_codes(codes[:k].astype(np.int32), categories=names)

        return pd.DataFrame(
            {
                "issue_id": np.arange(k, dtype=np.int64),
                "grid": cat(self.grid, labels.grids),
                "category": cat(self.category, labels.categories),
                "channel": cat(self.channel, labels.channels),
                "colour": cat(self.colour, labels.colours),
                "node": self.node[:k].astype(np.int64),
                "t_reported": self.t_reported[:k],
                "t_dispatched": self.t_dispatched[:k],
                "t_on_site": self.t_on_site[:k],
                "t_resolved": self.t_resolved[:k],
                "worker": self.worker[:k],
                "borrowed": self.borrowed[:k],
                "travel": self.travel[:k],
            }
        )


class ActivityRecorder:
    """Append-only worker intervals in compact typed arrays."""

    def __init__(self, worker_grid: np.ndarray) -> None:
        self.worker_grid = worker_grid
        self.worker = array("i")
        self.state = array("b")
        self.t_start = array("d")
        self.t_end = array("d")
        self.issue_id = array("q")

    def add(self, worker: int, state: int, t_start: float, t_end: float, issue: int = -1) -> None:
        """Append one interval; empty intervals are dropped."""
        if t_end > t_start:
            self.worker.append(worker)
            self.state.append(state)
            self.t_start.append(t_start)
            self.t_end.append(t_end)
            self.issue_id.append(issue)

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The activity table."""
        workers = np.frombuffer(self.worker, dtype=np.int32) if len(self.worker) else np.zeros(
            0, np.int32
        )
        grid_codes = self.worker_grid[workers].astype(np.int32)
        states = np.frombuffer(self.state, dtype=np.int8) if len(self.state) else np.zeros(
            0, np.int8
        )
        return pd.DataFrame(
            {
                "worker": workers.copy(),
                "grid": pd.Categorical.from_codes(grid_codes, categories=labels.grids),
                "state": pd.Categorical.from_codes(states.astype(np.int32),
                                               categories=list(STATES)),
                "t_start": np.asarray(self.t_start, dtype=float),
                "t_end": np.asarray(self.t_end, dtype=float),
                "issue_id": np.asarray(self.issue_id, dtype=np.int64),
            }
        )
