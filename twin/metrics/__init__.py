"""KPIs as pure functions of record tables, confidence intervals across replications,
and the KPI catalogue (unit, direction, labels, headline, definition of every KPI)."""

from __future__ import annotations

import pandas as pd

from twin.metrics.catalogue import CATALOGUE, Kpi, headline_kpis, is_share, kpi_spec
from twin.metrics.core import issue_kpis, worker_kpis
from twin.metrics.disputes import dispute_kpis
from twin.metrics.governance import channel_kpis, pool_kpis, rate_kpis
from twin.metrics.orders import order_kpis, step_times
from twin.metrics.stats import DEFAULT_LEVEL, confidence_interval, summarise

__all__ = [
    "CATALOGUE",
    "DEFAULT_LEVEL",
    "Kpi",
    "confidence_interval",
    "headline_kpis",
    "is_share",
    "issue_kpis",
    "kpi_spec",
    "order_kpis",
    "replication_kpis",
    "step_times",
    "summarise",
    "worker_kpis",
]


def replication_kpis(
    issues: pd.DataFrame,
    activity: pd.DataFrame,
    warmup: float,
    horizon: float,
    deadlines: dict[str, float],
    visits: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    steps: pd.DataFrame | None = None,
    disputes: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Every KPI of one replication; each is described in :data:`CATALOGUE`.

    The work-order KPIs need ``orders`` (and ``steps``); there are none when the
    order table is empty (no category has a flow). The dispute KPIs need ``disputes``
    (and ``visits``, for the mediations)."""
    out = {**issue_kpis(issues, warmup, horizon),
           **worker_kpis(activity, warmup, horizon)}
    if "escalations" in issues.columns:
        out.update(rate_kpis(issues, warmup, horizon, deadlines))
        out.update(channel_kpis(issues, warmup))
    out.update(pool_kpis(activity, warmup, horizon))
    out.update(order_kpis(orders, steps, activity, warmup, horizon))
    out.update(dispute_kpis(disputes, visits, warmup))
    return out
