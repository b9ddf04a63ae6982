"""KPIs as pure functions of record tables, and confidence intervals across replications.

Only issues reported after the warm-up count; worker time is clipped to the
window [warm-up, horizon]. Times are minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_LEVEL = 0.95


def _pct(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def issue_kpis(
    issues: pd.DataFrame, warmup: float, horizon: float, deadlines: dict[str, float]
) -> dict[str, float]:
    """Counts, response and resolution times, deadline compliance, mean number waiting.

    Response is reported -> on site; resolution is reported -> resolved. Both are
    over issues that reached that point by the horizon. Deadline compliance is
    over issues whose deadline fell before the horizon (later ones are censored).
    """
    obs = issues[issues["t_reported"] >= warmup]
    reported = obs["t_reported"].to_numpy()
    on_site = obs["t_on_site"].to_numpy()
    resolved = obs["t_resolved"].to_numpy()
    response = (on_site - reported)[~np.isnan(on_site)]
    resolution = (resolved - reported)[~np.isnan(resolved)]
    deadline = obs["colour"].astype(str).map(deadlines).to_numpy(dtype=float)
    due = reported + deadline <= horizon
    met = (resolved - reported <= deadline) & ~np.isnan(resolved)
    # time-average number waiting: overlap of [reported, dispatched) with the window
    all_rep = issues["t_reported"].to_numpy()
    disp = np.nan_to_num(issues["t_dispatched"].to_numpy(), nan=horizon)
    wait = np.clip(np.minimum(disp, horizon) - np.maximum(all_rep, warmup), 0.0, None)
    return {
        "arrived": float(len(obs)),
        "resolved": float((~np.isnan(resolved)).sum()),
        "open_at_end": float(np.isnan(resolved).sum()),
        "response_mean": _mean(response),
        "response_p50": _pct(response, 50),
        "response_p90": _pct(response, 90),
        "response_p95": _pct(response, 95),
        "resolution_mean": _mean(resolution),
        "resolution_p50": _pct(resolution, 50),
        "resolution_p90": _pct(resolution, 90),
        "within_deadline": float(met[due].mean()) if due.any() else float("nan"),
        "mean_waiting": float(wait.sum() / (horizon - warmup)),
    }


def worker_kpis(activity: pd.DataFrame, warmup: float, horizon: float) -> dict[str, float]:
    """Utilisation (busy / on duty), overall and per grid, and the share of duty time travelling.

    Busy is travelling to an issue or on site; the walk back to base is travel
    but not busy.
    """
    start = np.maximum(activity["t_start"].to_numpy(), warmup)
    end = np.minimum(activity["t_end"].to_numpy(), horizon)
    length = np.clip(end - start, 0.0, None)
    state = activity["state"].astype(str).to_numpy()
    busy = ((state == "on_site") | ((state == "travel") & (activity["issue_id"] >= 0))).to_numpy()
    on_duty = state != "off_shift"
    travel = state == "travel"
    out = {
        "utilisation": _ratio(length[busy].sum(), length[on_duty].sum()),
        "travel_share": _ratio(length[travel].sum(), length[on_duty].sum()),
    }
    grids = activity["grid"]
    for name in grids.cat.categories if hasattr(grids, "cat") else sorted(grids.unique()):
        mask = (grids == name).to_numpy()
        out[f"utilisation[{name}]"] = _ratio(
            length[busy & mask].sum(), length[on_duty & mask].sum())
    return out


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def replication_kpis(
    issues: pd.DataFrame,
    activity: pd.DataFrame,
    warmup: float,
    horizon: float,
    deadlines: dict[str, float],
) -> dict[str, float]:
    """Every KPI of one replication."""
    return {**issue_kpis(issues, warmup, horizon, deadlines),
            **worker_kpis(activity, warmup, horizon)}


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
    return pd.DataFrame(rows).set_index("kpi")
