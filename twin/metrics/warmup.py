"""Warm-up diagnostic: MSER on the number of open issues over time.

MSER (marginal standard error rule) picks the truncation point d that
minimises the squared standard error of the mean of what is left,
``sum_{j>d} (Y_j - mean(Y_{>d}))^2 / (m - d)^2`` over batch means Y, with d at
most half the batches. MSER-5 uses batches of 5 observations. A community's
open-issue count follows the day (shifts, peaks), so twin averages it per day
before applying MSER when the run has a daily cycle; otherwise it uses MSER-5
on hourly counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.vocab import HOURS_PER_DAY, MINUTES_PER_DAY, MINUTES_PER_HOUR

HOUR = MINUTES_PER_HOUR
DAY = MINUTES_PER_DAY


def open_at(issues: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Issues reported and not yet resolved at each of ``times`` (one replication)."""
    rep = np.sort(issues["t_reported"].dropna().to_numpy(float))
    res = np.sort(issues["t_resolved"].dropna().to_numpy(float))
    return (np.searchsorted(rep, times, side="right")
            - np.searchsorted(res, times, side="right")).astype(float)


def open_counts(issues: pd.DataFrame, horizon: float, step: float = HOUR) -> np.ndarray:
    """Issues reported and not resolved at times 0, step, 2*step, ... < horizon."""
    return open_at(issues, np.arange(0.0, horizon, step))


def open_by_replication(issues: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Open issues at ``times`` for each replication: shape (replications, len(times))."""
    groups = ([g for _, g in issues.groupby("replication", sort=True, observed=True)]
              if "replication" in issues.columns else [issues])
    return np.array([open_at(g, times) for g in groups], dtype=float).reshape(
        len(groups), len(times))


def _mean_hourly(issues: pd.DataFrame, horizon: float) -> np.ndarray:
    """Open issues each hour, averaged over replications."""
    return open_by_replication(issues, np.arange(0.0, horizon, HOUR)).mean(axis=0)


def mser(series: np.ndarray, batch: int = 5) -> int:
    """Truncation point in observations (a multiple of ``batch``) by MSER-``batch``."""
    m = len(series) // batch
    if m < 4:
        return 0
    y = np.asarray(series[: m * batch], dtype=float).reshape(m, batch).mean(axis=1)
    best_d, best = 0, np.inf
    for d in range(m // 2 + 1):
        rest = y[d:]
        value = ((rest - rest.mean()) ** 2).sum() / (m - d) ** 2
        if value < best:
            best_d, best = d, value
    return best_d * batch


@dataclass(frozen=True)
class WarmupCheck:
    """What the diagnostic recommends against what the scenario uses."""

    recommended: float
    """Truncation point [min]."""
    configured: float
    """The scenario's warm-up [min]."""
    method: str
    """How the series was batched."""
    limit: float = math.inf
    """The latest truncation point the method can judge: half the series [min]."""

    @property
    def too_short(self) -> bool:
        """True when the configured warm-up is shorter than recommended."""
        return self.configured < self.recommended

    @property
    def unsettled(self) -> bool:
        """True when the suggestion is the latest the method can judge: the open-issue
        count had not settled within the run, so a longer warm-up alone cannot help."""
        return self.recommended > 0 and self.recommended >= self.limit

    def message(self) -> str:
        """A one-line verdict for the terminal and the manifest."""
        verdict = "looks too short" if self.too_short else "looks long enough"
        text = (f"warm-up {self.configured / DAY:g} d {verdict}: {self.method} on the "
                f"open-issue count suggests {self.recommended / DAY:.2f} d")
        if self.unsettled:
            text += (", the latest it can judge (half the run): the count had not settled; "
                     "run longer")
        return text


def warmup_check(issues: pd.DataFrame, horizon: float, configured: float, daily: bool
                 ) -> WarmupCheck:
    """Run the diagnostic on the issue records of all replications (column ``replication``).

    Parameters
    ----------
    daily
        The run has a daily cycle (shifts or an hour-of-day profile): use daily means.
    """
    mean_series = _mean_hourly(issues, horizon)
    if daily and horizon >= 8 * DAY:
        days = int(horizon // DAY)
        per_day = mean_series[: days * HOURS_PER_DAY].reshape(days, HOURS_PER_DAY).mean(axis=1)
        return WarmupCheck(mser(per_day, 1) * DAY, configured, "MSER on daily means",
                           (days // 2) * DAY)
    hours = len(mean_series) // 5
    return WarmupCheck(mser(mean_series, 5) * HOUR, configured, "MSER-5 on hourly counts",
                       (hours // 2) * 5 * HOUR)


def backlog_growth(issues: pd.DataFrame, horizon: float, warmup: float) -> float | None:
    """Open issues gained per day after the warm-up when they keep rising, else None.

    Fits a line to the daily mean open-issue count (averaged over replications)
    after the warm-up; "rising" means the fitted gain over that period exceeds
    both 5 issues and half the mean open count.
    """
    series = _mean_hourly(issues, horizon)
    first = int(np.ceil(warmup / HOUR))
    days = (len(series) - first) // HOURS_PER_DAY
    if days < 3:
        return None
    daily = series[first: first + days * HOURS_PER_DAY].reshape(days, HOURS_PER_DAY).mean(
        axis=1)
    slope = float(np.polyfit(np.arange(days), daily, 1)[0])
    gain = slope * (days - 1)
    return slope if gain > max(5.0, 0.5 * float(daily.mean())) else None
