"""KPIs of the governance mechanisms: per category, the share on site within the
response limit, overdue cases, repeat complaints, patrols and sensors, staff pools.

The assessment figures of work orders (响应率, 解决率, 满意率, …) are
:mod:`twin.metrics.assessment`'s, computed from the order and step tables.

All pure functions of record tables; issues reported after the warm-up count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.metrics.core import (
    busy_and_duty,
    busy_share,
    issue_deadline,
    mean,
    observed,
    pct,
    ratio,
)
from twin.vocab import (
    CHANNELS,
    GRID_WORKER,
    KINDS,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    VOLUNTEER,
)


def rate_kpis(issues: pd.DataFrame, warmup: float, horizon: float,
              deadlines: dict[str, float]) -> dict[str, float]:
    """Per category: count, resolution P50/P90, within its time limit; the share on site
    within ``deadlines.response``; overdue cases per grid; repeat complaints."""
    obs = observed(issues, warmup)
    rep = obs["t_reported"].to_numpy()
    res = obs["t_resolved"].to_numpy()
    on_site = obs["t_on_site"].to_numpy()
    deadline = issue_deadline(obs)
    due = rep + deadline <= horizon
    resolved = ~np.isnan(res)
    met = resolved & (res - rep <= deadline)
    complaints = obs["repeat_complaints"].to_numpy()
    out: dict[str, float] = {}
    category = obs["category"]
    names = (category.cat.categories if hasattr(category, "cat")
             else sorted(category.unique()))
    category = category.to_numpy()
    for c in names:
        m = category == c
        took = (res - rep)[m & resolved]
        out[f"count[{c}]"] = float(m.sum())
        out[f"resolution_p50[{c}]"] = pct(took, 50)
        out[f"resolution_p90[{c}]"] = pct(took, 90)
        out[f"within_deadline[{c}]"] = float(met[m & due].mean()) if (m & due).any() else float(
            "nan")
    respond_due = rep + deadlines["response"] <= horizon
    responded = (on_site - rep <= deadlines["response"]) & ~np.isnan(on_site)
    out["on_site_within_response"] = float(responded[respond_due].mean()) if (
        respond_due.any()) else float("nan")
    out["repeat_complaints"] = float(complaints.sum())
    out["repeat_complaints_per_100"] = 100.0 * ratio(complaints.sum(), len(obs))
    grids = obs["grid"]
    overdue = due & ~met
    for g in (grids.cat.categories if hasattr(grids, "cat") else sorted(grids.unique())):
        out[f"overdue[{g}]"] = float((overdue & (grids == g).to_numpy()).sum())
    return out


def channel_kpis(issues: pd.DataFrame, warmup: float) -> dict[str, float]:
    """Channel shares, and for latent hazards the delay to report and the exposure
    (occurrence -> resolved)."""
    obs = observed(issues, warmup)
    out = {f"channel_share[{c}]": float((obs["channel"] == c).mean()) if len(obs) else float(
        "nan") for c in CHANNELS}
    latent = issues[(issues["latent"]) & (issues["t_occurred"] >= warmup)]
    reported = latent["t_reported"].to_numpy() - latent["t_occurred"].to_numpy()
    exposure = latent["t_resolved"].to_numpy() - latent["t_occurred"].to_numpy()
    out["latent_report_delay_mean"] = mean(reported[~np.isnan(reported)])
    out["latent_exposure_mean"] = mean(exposure[~np.isnan(exposure)])
    out["latent_unreported"] = float(np.isnan(reported).sum())
    return out


def pool_kpis(activity: pd.DataFrame, warmup: float, horizon: float) -> dict[str, float]:
    """Utilisation and workload (busy staff-hours per day) of every staff pool: the grid
    workers, the volunteers, and each handling unit and the centre's desk."""
    length, busy, duty, _travel = busy_and_duty(activity, warmup, horizon)
    kind = activity["kind"].astype(str).to_numpy()
    unit = activity["unit"].astype(str).to_numpy()
    pool = np.where(np.isin(kind, (KINDS[GRID_WORKER], KINDS[VOLUNTEER])), kind, unit)
    days = (horizon - warmup) / MINUTES_PER_DAY
    out: dict[str, float] = {}
    for name in sorted(set(pool.tolist())):
        m = pool == name
        out[f"pool_utilisation[{name}]"] = busy_share(length, busy, duty, m)
        out[f"pool_workload[{name}]"] = float(length[busy & m].sum() / MINUTES_PER_HOUR / days)
    return out
