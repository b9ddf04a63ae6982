"""Headcount and cost KPIs: FTE per staff pool, total cost, cost per closed order.

The headcount itself (people, hours, FTE, cost a day) is the scenario's, computed once
per run by :func:`twin.headcount.headcount`; here it is joined with the orders closed in
the measured window. Cost counts the pools given a ``cost_per_fte`` only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from twin.metrics.core import ratio
from twin.metrics.orders import first_requests
from twin.vocab import MINUTES_PER_DAY


def people_kpis(fte: Mapping[str, float], cost_per_day: Mapping[str, float | None],
                orders: pd.DataFrame | None, warmup: float, horizon: float
                ) -> dict[str, float]:
    """``fte[TEAM]``; with some pool's cost, ``cost_total`` over [warm-up, horizon] and
    ``cost_per_closed_order`` (over filed first requests received after the warm-up and
    closed by the horizon)."""
    out = {f"fte[{pool}]": float(value) for pool, value in fte.items()}
    costs = [c for c in cost_per_day.values() if c is not None]
    if not costs:
        return out
    total = float(sum(costs)) * (horizon - warmup) / MINUTES_PER_DAY
    out["cost_total"] = total
    if orders is not None and len(orders):
        first = first_requests(orders, warmup)
        closed = first["filed"].to_numpy(bool) & (first["t_closed"].to_numpy(float) <= horizon)
        out["cost_per_closed_order"] = ratio(total, float(np.count_nonzero(closed)))
    return out


def handled_on_time(orders: pd.DataFrame | None, warmup: float, horizon: float
                    ) -> dict[str, float]:
    """``handled_on_time``: filed first requests whose flow sets a `handle_limit`, handled
    (the last handle or settle step ended) within it of their first assignment, over those
    handled or past it by the horizon ({} when no order has such a limit)."""
    if orders is None or "handle_limit" not in orders.columns or len(orders) == 0:
        return {}
    first = first_requests(orders, warmup)
    first = first[first["filed"].to_numpy(bool) & first["handle_limit"].notna()]
    if len(first) == 0:
        return {}
    due = first["t_assigned"].to_numpy(float) + first["handle_limit"].to_numpy(float)
    handled = first["t_handled"].to_numpy(float)
    known = ~np.isnan(handled) | (due <= horizon)
    in_time = ~np.isnan(handled) & (handled <= due)
    return {"handled_on_time": ratio(float(in_time[known].sum()), float(known.sum()))}
