"""KPIs as pure functions of record tables, and confidence intervals across replications."""

from __future__ import annotations

import pandas as pd

from twin.metrics.core import issue_kpis, worker_kpis
from twin.metrics.governance import channel_kpis, colour_kpis, pool_kpis, visit_kpis
from twin.metrics.stats import DEFAULT_LEVEL, confidence_interval, summarise

__all__ = [
    "DEFAULT_LEVEL",
    "confidence_interval",
    "issue_kpis",
    "replication_kpis",
    "summarise",
    "worker_kpis",
]


def replication_kpis(
    issues: pd.DataFrame,
    activity: pd.DataFrame,
    warmup: float,
    horizon: float,
    deadlines: dict[str, float],
    escalations: pd.DataFrame | None = None,
    visits: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Every KPI of one replication (see README, "KPIs")."""
    out = {**issue_kpis(issues, warmup, horizon, deadlines),
           **worker_kpis(activity, warmup, horizon)}
    if "escalations" in issues.columns:
        out.update(colour_kpis(issues, warmup, horizon, deadlines))
        out.update(channel_kpis(issues, warmup))
    if escalations is not None:
        out.update(pool_kpis(activity, escalations, warmup, horizon))
    if visits is not None:
        out.update(visit_kpis(visits, warmup))
    return out
