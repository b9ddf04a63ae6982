"""The per-day table: issues reported per day and category, and their on-time share."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from twin.metrics.daily import DAILY_COLUMNS, daily_table

DAY = 1440.0


def issues() -> pd.DataFrame:
    nan = np.nan
    rows = [  # replication, category, reported, resolved, deadline
        (0, "repair", 0.5 * DAY, 0.6 * DAY, 0.2 * DAY),   # day 0, on time
        (0, "repair", 0.7 * DAY, 1.5 * DAY, 0.2 * DAY),   # day 0, late
        (1, "repair", 0.1 * DAY, nan, 0.2 * DAY),         # day 0, open past due: late
        (1, "repair", 2.9 * DAY, nan, 0.5 * DAY),         # day 2, open, not due by 3 days
        (0, "noise", 1.2 * DAY, 1.3 * DAY, nan),          # day 1, a dispute: no limit
        (1, "noise", 3.5 * DAY, nan, nan),                # reported after the horizon
    ]
    frame = pd.DataFrame(rows, columns=["replication", "category", "t_reported",
                                        "t_resolved", "deadline"])
    frame["category"] = frame["category"].astype("category")
    return frame


def test_counts_and_shares_per_day_are_as_defined() -> None:
    table = daily_table(issues(), 3 * DAY, scenario="a", start=dt.date(2025, 3, 3))
    assert list(table.columns) == list(DAILY_COLUMNS)
    repair = table[table["category"] == "repair"].set_index("day")
    assert repair["reported"].tolist() == [1.5, 0.0, 0.5]  # 3, 0, 1 over 2 replications
    assert repair.loc[0, "within_deadline"] == pytest.approx(1 / 3)
    assert np.isnan(repair.loc[1, "within_deadline"]) and np.isnan(repair.loc[2,
                                                                               "within_deadline"])
    noise = table[table["category"] == "noise"].set_index("day")
    assert noise["reported"].tolist() == [0.0, 0.5, 0.0]
    assert noise["within_deadline"].isna().all()
    assert repair.loc[2, "date"] == dt.date(2025, 3, 5)
    assert (table["scenario"] == "a").all()


def test_every_reported_issue_is_counted_once() -> None:
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({
        "replication": rng.integers(0, 4, n),
        "category": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        "t_reported": rng.uniform(0, 10 * DAY, n),
        "t_resolved": np.nan, "deadline": 60.0})
    table = daily_table(frame, 10 * DAY)
    assert table["reported"].sum() * 4 == pytest.approx(n)
    assert table["date"].isna().all()
