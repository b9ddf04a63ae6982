"""Issues per day and per category: how a dated event (a surge) shows day by day.

A table read by the report's per-day figure: per scenario, category and day of the
run, the mean over replications of the issues reported that day, and of those, the
share resolved within their time limit (over those due by the horizon). With a
calendar the day carries its date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.vocab import MINUTES_PER_DAY

DAILY_COLUMNS = ("scenario", "category", "day", "date", "reported", "within_deadline")
"""Columns of :func:`daily_table`."""


def daily_table(issues: pd.DataFrame, horizon: float, *, scenario: str = "",
                start: dt.date | None = None) -> pd.DataFrame:
    """Per category and day: mean issues reported that day over the replications, and
    the share of them resolved within their limit (NaN when none was due by ``horizon``;
    a dispute has no limit and counts in ``reported`` only).

    Parameters
    ----------
    issues
        Issue records with ``replication``, ``category``, ``t_reported``,
        ``t_resolved`` and ``deadline``.
    horizon
        End of the run [min].
    scenario
        Name written in the ``scenario`` column.
    start
        The run's first date (a ``calendar``), or None (``date`` is then empty).
    """
    days = int(np.ceil(horizon / MINUTES_PER_DAY))
    reps = max(1, issues["replication"].nunique()) if len(issues) else 1
    reported = issues["t_reported"].to_numpy(float)
    seen = ~np.isnan(reported) & (reported < horizon)
    day = np.floor(np.where(seen, reported, 0.0) / MINUTES_PER_DAY).astype(int)
    due = reported + issues["deadline"].to_numpy(float)
    resolved = issues["t_resolved"].to_numpy(float)
    known = seen & ~np.isnan(due) & ((due <= horizon) | (resolved <= due))
    on_time = known & (resolved <= due)
    category = issues["category"].astype(str).to_numpy()
    rows = []
    names = (list(issues["category"].cat.categories)
             if isinstance(issues["category"].dtype, pd.CategoricalDtype)
             else sorted(set(category)))
    for name in names:
        mine = seen & (category == name)
        count = np.bincount(day[mine], minlength=days)[:days]
        due_count = np.bincount(day[mine & known], minlength=days)[:days]
        hit = np.bincount(day[mine & on_time], minlength=days)[:days]
        share = np.divide(hit, due_count, out=np.full(days, np.nan), where=due_count > 0)
        for d in range(days):
            rows.append((scenario, name, d, start + dt.timedelta(days=d) if start else None,
                         count[d] / reps, share[d]))
    return pd.DataFrame(rows, columns=list(DAILY_COLUMNS))
