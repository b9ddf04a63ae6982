"""Confidence intervals across independent replications."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_LEVEL = 0.95


def confidence_interval(values: np.ndarray, level: float = DEFAULT_LEVEL
                        ) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of independent replications.

    Returns ``(mean, low, high, n)``; NaN values are dropped; fewer than two
    values give a NaN interval.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(v.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def summarise(kpis: pd.DataFrame, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Per KPI column of a per-replication table: mean, ci_low, ci_high, n."""
    rows = []
    for column in kpis.columns:
        if column == "replication":
            continue
        mean, low, high, n = confidence_interval(kpis[column].to_numpy(dtype=float), level)
        rows.append({"kpi": column, "mean": mean, "ci_low": low, "ci_high": high, "n": n})
    return pd.DataFrame(rows, columns=["kpi", "mean", "ci_low", "ci_high", "n"]).set_index("kpi")
