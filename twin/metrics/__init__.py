"""KPIs as pure functions of record tables, confidence intervals across replications,
and the KPI catalogue (unit, direction, labels, headline, definition of every KPI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from twin.metrics.assessment import assessment_kpis, assessment_scopes
from twin.metrics.catalogue import CATALOGUE, Kpi, headline_kpis, is_share, kpi_spec
from twin.metrics.core import issue_kpis, worker_kpis
from twin.metrics.disputes import dispute_kpis
from twin.metrics.governance import channel_kpis, pool_kpis, rate_kpis
from twin.metrics.hourly import Working, time_of_day_kpis, working_time
from twin.metrics.orders import order_kpis, step_times
from twin.metrics.people import handled_on_time, people_kpis
from twin.metrics.stats import DEFAULT_LEVEL, confidence_interval, summarise

__all__ = [
    "CATALOGUE",
    "DEFAULT_LEVEL",
    "Kpi",
    "assessment_kpis",
    "assessment_scopes",
    "confidence_interval",
    "headline_kpis",
    "is_share",
    "issue_kpis",
    "kpi_spec",
    "order_kpis",
    "people_kpis",
    "replication_kpis",
    "step_times",
    "summarise",
    "time_of_day_kpis",
    "worker_kpis",
    "working_time",
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
    scopes: Mapping[str, Sequence[str]] | None = None,
    working: Working | None = None,
) -> dict[str, float]:
    """Every KPI of one replication; each is described in :data:`CATALOGUE`.

    The work-order KPIs and the assessment figures (考核) need ``orders`` (and
    ``steps``); there are none when the order table is empty (no category has a
    flow). The dispute KPIs need ``disputes`` (and ``visits``, for the mediations).
    ``scopes`` fixes the units, categories and grids of the assessment figures
    (:func:`~twin.metrics.assessment.assessment_scopes`; absent: those in the records).
    ``working`` tells which report times are in working hours, for the response and
    resolution split by time of day (:func:`~twin.metrics.hourly.working_time`; absent:
    office hours Monday to Friday)."""
    out = {**issue_kpis(issues, warmup, horizon),
           **time_of_day_kpis(issues, warmup, working),
           **worker_kpis(activity, warmup, horizon)}
    if "escalations" in issues.columns:
        out.update(rate_kpis(issues, warmup, horizon, deadlines))
        out.update(channel_kpis(issues, warmup))
    out.update(pool_kpis(activity, warmup, horizon))
    out.update(order_kpis(orders, steps, activity, warmup, horizon, scopes))
    out.update(assessment_kpis(orders, steps, warmup, horizon, scopes))
    out.update(handled_on_time(orders, warmup, horizon))
    out.update(dispute_kpis(disputes, visits, warmup))
    return out
