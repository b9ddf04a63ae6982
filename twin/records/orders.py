"""Recorders of work orders (one row per request) and of their steps (one row per
step each time it is done).

First requests are the issues of categories with a flow (order id = issue id);
repeat requests are appended with ids after the last issue. The order desk
stamps times into the columns as an order moves; the step recorder appends a
row when a step ends (and, at the end of the run, for steps still open).
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import pandas as pd

from twin.records.specs import ORDER_SPECS, STEP_SPECS, Labels, build_frame

_NAN = float("nan")
_TIMES = ("t_received", "t_filed", "t_assigned", "t_signed", "t_responded", "respond_limit",
          "handle_limit", "t_handled", "t_verified", "t_closed", "t_chased", "t_supervised",
          "t_whistled", "t_callback")
_COUNTS = ("returns", "summoned", "reworks")
_FLAGS = ("filed", "called_back", "solved", "satisfied")


class OrderRecorder:
    """Columns of the order table; row i is order i (an issue id, or a repeat)."""

    def __init__(self, n_issues: int, flowed: np.ndarray, grid: np.ndarray,
                 category: np.ndarray, channel: np.ndarray, limit: np.ndarray) -> None:
        self.n = n_issues
        self.flowed = flowed
        """Per issue: its category has a flow (only those are orders)."""
        self.grid = grid
        self.category = category
        self.channel = channel
        self.limit = limit
        """Time allowed per issue [min]."""
        self.arrays: dict[str, np.ndarray] = {}
        """The columns of first requests; the attributes of the same names give item
        access to them (Python numbers in, Python numbers out) for the event loop.
        Without a flow they are empty: no memory for a mechanism that is off."""
        size = n_issues if flowed.any() else 0

        def column(name: str, fill: float, dtype: type) -> Any:
            self.arrays[name] = np.full(size, fill, dtype=dtype)
            return self.arrays[name].data

        self.unit: Any = column("unit", -1, np.int64)

        self.t_received: Any = column("t_received", np.nan, float)
        self.t_filed: Any = column("t_filed", np.nan, float)
        self.t_assigned: Any = column("t_assigned", np.nan, float)
        self.t_signed: Any = column("t_signed", np.nan, float)
        self.t_responded: Any = column("t_responded", np.nan, float)
        self.respond_limit: Any = column("respond_limit", np.nan, float)
        self.handle_limit: Any = column("handle_limit", np.nan, float)
        self.t_handled: Any = column("t_handled", np.nan, float)
        self.t_verified: Any = column("t_verified", np.nan, float)
        self.t_closed: Any = column("t_closed", np.nan, float)
        self.t_chased: Any = column("t_chased", np.nan, float)
        self.t_supervised: Any = column("t_supervised", np.nan, float)
        self.t_whistled: Any = column("t_whistled", np.nan, float)
        self.t_callback: Any = column("t_callback", np.nan, float)
        self.returns: Any = column("returns", 0, np.int64)
        self.summoned: Any = column("summoned", 0, np.int64)
        self.reworks: Any = column("reworks", 0, np.int64)
        self.filed: Any = column("filed", False, bool)
        self.called_back: Any = column("called_back", False, bool)
        self.solved: Any = column("solved", False, bool)
        self.satisfied: Any = column("satisfied", False, bool)
        self.repeat_issue: list[int] = []
        self.repeat_of: list[int] = []
        self.repeat_received: list[float] = []
        self.repeat_filed: list[float] = []
        self.repeat_closed: list[float] = []

    def add_repeat(self, issue: int, t: float) -> int:
        """A repeat request about ``issue`` received at ``t``; returns its index among
        repeats (its order id is ``n + index``)."""
        self.repeat_issue.append(issue)
        self.repeat_of.append(issue)
        self.repeat_received.append(t)
        self.repeat_filed.append(_NAN)
        self.repeat_closed.append(_NAN)
        return len(self.repeat_issue) - 1

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The order table: first requests in issue order, then repeats."""
        ids = np.flatnonzero(self.flowed)
        rep = np.asarray(self.repeat_issue, dtype=np.int64)
        k = len(rep)
        values: dict[str, object] = {
            "order_id": np.concatenate([ids, self.n + np.arange(k)]),
            "issue_id": np.concatenate([ids, rep]),
            "repeat_of": np.concatenate([np.full(len(ids), -1), rep]),
            "grid": np.concatenate([self.grid[ids], self.grid[rep]]),
            "category": np.concatenate([self.category[ids], self.category[rep]]),
            "channel": np.concatenate([self.channel[ids], self.channel[rep]]),
        }
        first = {name: self.arrays[name][ids] for name in (*_TIMES, *_COUNTS, *_FLAGS)}
        repeat_times = {"t_received": self.repeat_received, "t_filed": self.repeat_filed,
                        "t_closed": self.repeat_closed}
        for spec in ORDER_SPECS[6:]:
            name = spec.name
            if name == "unit":
                column = np.concatenate([self.arrays["unit"][ids], self.arrays["unit"][rep]])
            elif name == "limit":
                column = np.concatenate([self.limit[ids], self.limit[rep]])
            elif name == "filed":
                column = np.concatenate([first[name], np.ones(k, dtype=bool)])
            elif name in repeat_times:
                column = np.concatenate([first[name], np.asarray(repeat_times[name], float)])
            elif name in _TIMES:
                column = np.concatenate([first[name], np.full(k, np.nan)])
            else:
                column = np.concatenate([first[name], np.zeros(k, dtype=first[name].dtype)])
            values[name] = column
        unit = np.asarray(values["unit"])
        values["unit"] = np.where(unit < 0, len(labels.units), unit)  # -1: "none"
        return build_frame(ORDER_SPECS, values, labels)


class StepRecorder:
    """Append-only rows of the step table: per row, seven integers and six floats in
    two typed arrays (one ``extend`` each: a row costs two calls)."""

    INTS = ("order", "step", "step_no", "unit", "worker", "attempt", "outcome")
    FLOATS = ("t_ready", "t_dispatched", "t_on_site", "t_done", "travel", "limit")

    def __init__(self) -> None:
        self.ints = array("q")
        self.floats = array("d")

    def add(self, order: int, step: int, step_no: int, unit: int, worker: int, attempt: int,
            t_ready: float, t_dispatched: float, t_on_site: float, t_done: float,
            travel: float, outcome: int, limit: float = _NAN) -> None:
        """Append one row."""
        self.ints.extend((order, step, step_no, unit, worker, attempt, outcome))
        self.floats.extend((t_ready, t_dispatched, t_on_site, t_done, travel, limit))

    def __len__(self) -> int:
        return len(self.ints) // len(self.INTS)

    def release(self) -> None:
        """Free the rows (after :meth:`to_frame`); the recorder is empty again."""
        del self.ints[:]
        del self.floats[:]

    def to_frame(self, labels: Labels) -> pd.DataFrame:
        """The step table, rows sorted by order, then by when they became ready."""
        n = len(self)
        ints = np.frombuffer(self.ints, dtype=np.int64).reshape(n, len(self.INTS)) if n else (
            np.zeros((0, len(self.INTS)), dtype=np.int64))
        floats = np.frombuffer(self.floats, dtype=float).reshape(n, len(self.FLOATS)) if n else (
            np.zeros((0, len(self.FLOATS))))
        i = {name: ints[:, k] for k, name in enumerate(self.INTS)}
        f = {name: floats[:, k] for k, name in enumerate(self.FLOATS)}
        sort = np.lexsort((f["t_ready"], i["order"]))
        started = np.where(np.isnan(f["t_dispatched"]), f["t_done"], f["t_dispatched"])
        return build_frame(STEP_SPECS, {
            "order_id": i["order"][sort],
            "step": i["step"][sort],
            "step_no": i["step_no"][sort],
            "unit": i["unit"][sort],
            "worker": i["worker"][sort],
            "attempt": i["attempt"][sort],
            "t_ready": f["t_ready"][sort],
            "t_dispatched": f["t_dispatched"][sort],
            "t_on_site": f["t_on_site"][sort],
            "t_done": f["t_done"][sort],
            "wait": (started - f["t_ready"])[sort],
            "travel": f["travel"][sort],
            "handling": (f["t_done"] - f["t_on_site"])[sort],
            "outcome": i["outcome"][sort],
            "limit": f["limit"][sort],
        }, labels, copy=False)  # every column is a new array
