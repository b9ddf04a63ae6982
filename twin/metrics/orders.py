"""KPIs of work orders (工单) as pure functions of the order and step tables.

Orders count when received at or after the warm-up (``t_received >= warmup``);
a step counts when its order does. Times are calendar minutes since the start
of the run, measured from receipt. Time-averages (a unit's backlog) and staff
time (utilisation) are clipped to the window [warm-up, horizon]. Tables may
carry a ``replication`` column (a run's result); orders and steps are then
matched on (replication, order id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from twin.metrics.core import mean, ratio
from twin.vocab import (
    ASSIGN,
    CALLBACK,
    CHECK,
    GRID_WORKER,
    KINDS,
    LEAD,
    OFFER,
    SETTLE,
    SIGNED,
    STEP_OUTCOMES,
    STEPS,
    VERIFY,
    VOLUNTEER,
    WISH,
)

NO_UNIT = "none"
"""An order's unit before any work step."""
_LIFE = ("check", "file", "report", "assign", "offer", "lead", "handle", "settle", "wish",
         "verify", "callback")
STEP_ORDER: tuple[str, ...] = (*(s for s in _LIFE if s in STEPS),
                               *(s for s in STEPS if s not in _LIFE))
"""The steps in the order an order meets them (tables and charts list them so)."""
QUEUED = tuple(s for s in STEPS
               if s not in (STEPS[ASSIGN], STEPS[OFFER], STEPS[CALLBACK], STEPS[LEAD],
                            STEPS[WISH]))
"""Steps that wait in a unit's queue for its staff (an assignment waits for the unit
to sign or return it, an offer for a volunteer's answer, a callback for its due time,
a lead time for an appointment or parts; a small request waits for a volunteer, not
for its grid's workers)."""
_STAMPS = (("time_to_sign", "t_signed"), ("time_to_respond", "t_responded"),
           ("time_to_handle", "t_handled"), ("time_to_verify", "t_verified"),
           ("time_to_close", "t_closed"))
GRID_WORKERS, VOLUNTEERS = KINDS[GRID_WORKER], KINDS[VOLUNTEER]
"""The units shown for the grid workers' and the volunteers' steps when a unit's grids
are merged."""


def _order_key(table: pd.DataFrame, span: int) -> np.ndarray:
    """One integer per row naming its order: the order id, made unique across
    replications with ``replication * span`` when the table has that column."""
    key = table["order_id"].to_numpy(np.int64)
    if "replication" in table.columns:
        key = key + table["replication"].to_numpy(np.int64) * span
    return key


def present(column: pd.Series) -> list[str]:
    """Names that occur in a column, in category order (sorted if not categorical)."""
    values = set(column.astype(str))
    order = ([str(c) for c in column.cat.categories] if isinstance(column.dtype,
                                                                     pd.CategoricalDtype)
             else sorted(values))
    return [v for v in order if v in values]


def first_requests(orders: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """First requests (not repeats) received at or after ``warmup``."""
    return orders[(orders["repeat_of"] < 0) & (orders["t_received"] >= warmup)]


def steps_of_received(steps: pd.DataFrame, orders: pd.DataFrame | None, warmup: float
                      ) -> pd.DataFrame:
    """Steps of the orders received at or after ``warmup`` (without an order table:
    the steps ready at or after it)."""
    if orders is None:
        return steps[steps["t_ready"] >= warmup]
    span = int(max(orders["order_id"].to_numpy().max(initial=0),
                    steps["order_id"].to_numpy().max(initial=0))) + 1
    picked = _order_key(orders[orders["t_received"] >= warmup], span)
    return steps[np.isin(_order_key(steps, span), picked)]


def _is(steps: pd.DataFrame, *names: str) -> np.ndarray:
    """Rows of these steps."""
    return steps["step"].isin(names).to_numpy(bool)


def order_kpis(orders: pd.DataFrame | None, steps: pd.DataFrame | None,
               activity: pd.DataFrame | None, warmup: float, horizon: float,
               units: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """Every work-order KPI of one replication ({} without orders); each is described
    in the KPI catalogue. ``units`` (``signing``, ``working``, ``queued``: the units each
    per-unit KPI is given for, from the scenario) fixes the columns; absent, they are the
    units in the records."""
    if orders is None or len(orders) == 0:
        return {}
    if steps is None:
        steps = pd.DataFrame({"order_id": np.zeros(0, np.int64),
                              **{c: np.zeros(0, str) for c in ("step", "unit", "outcome")},
                              **{c: np.zeros(0) for c in ("t_ready", "t_on_site", "wait",
                                                          "travel", "handling", "limit")}})
    picked = steps_of_received(steps, orders, warmup)
    out = {**_totals(orders, warmup), **_times(orders, steps, warmup, units or {}),
           **_chased(orders, warmup), **_lapsed(picked)}
    out.update(_signed(picked))
    out.update(_queues(steps, picked, warmup, horizon, units or {}))
    return dict(sorted(out.items(), key=lambda item: "[" in item[0]))  # families last


def _filed(orders: pd.DataFrame, warmup: float | None) -> pd.DataFrame:
    """First requests filed as orders (received at or after ``warmup``; None: all)."""
    first = orders[orders["repeat_of"] < 0] if warmup is None else first_requests(orders,
                                                                                  warmup)
    return first[first["filed"].to_numpy(bool)]


def _totals(orders: pd.DataFrame, warmup: float) -> dict[str, float]:
    first = first_requests(orders, warmup)
    filed = _filed(orders, warmup)
    return {
        "orders_received": float(len(first)),
        "orders_answered_at_once": ratio(len(first) - len(filed), len(first)),
        "orders_filed": float(len(filed)),
        "orders_closed_share": ratio(filed["t_closed"].notna().sum(), len(filed)),
    }


def _since_receipt(orders: pd.DataFrame, stamp: str) -> np.ndarray:
    took = (orders[stamp] - orders["t_received"]).to_numpy(float)
    return took[~np.isnan(took)]


def _times(orders: pd.DataFrame, steps: pd.DataFrame, warmup: float,
           units: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Mean times from receipt to each stamp, overall, per category and per unit."""
    filed = _filed(orders, warmup)
    out = {name: mean(_since_receipt(filed, stamp)) for name, stamp in _STAMPS}
    first = _filed(orders, None)  # names from the whole run: the same columns every replication
    category = filed["category"].astype(str).to_numpy()
    for name in present(first["category"]):
        out[f"time_to_close[{name}]"] = mean(_since_receipt(filed[category == name], "t_closed"))
    unit = filed["unit"].astype(str).to_numpy()
    signing = units.get("signing") or present(steps.loc[_is(steps, STEPS[ASSIGN]), "unit"])
    working = units.get("working") or [u for u in present(first["unit"]) if u != NO_UNIT]
    for name in signing:
        out[f"time_to_sign[{name}]"] = mean(_since_receipt(filed[unit == name], "t_signed"))
    for name in working:
        out[f"time_to_handle[{name}]"] = mean(_since_receipt(filed[unit == name], "t_handled"))
    for name in working:
        out[f"orders_handled[{name}]"] = float((unit == name).sum())
    return out


def overdue(orders: pd.DataFrame, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Per order: overdue (closed after its limit, or open at the horizon past it) and
    known (closed, or its limit passed by the horizon)."""
    due = (orders["t_received"] + orders["limit"]).to_numpy(float)
    closed_at = orders["t_closed"].to_numpy(float)
    closed = ~np.isnan(closed_at)
    late = np.where(closed, closed_at > due, due < horizon)
    return late, closed | (due < horizon)


def _chased(orders: pd.DataFrame, warmup: float) -> dict[str, float]:
    """Orders chased as overdue (催办); overdue and supervised orders are assessment
    figures (:mod:`twin.metrics.assessment`)."""
    return {"chased_orders": float(_filed(orders, warmup)["t_chased"].notna().sum())}


def _lapsed(picked: pd.DataFrame) -> dict[str, float]:
    """Small requests (微心愿) nobody accepted in time, of those offered to volunteers."""
    offers = picked[_is(picked, STEPS[OFFER])]
    if not len(offers):
        return {}
    lapsed = offers.loc[offers["outcome"].astype(str) == "expired", "order_id"].nunique()
    return {"requests_lapsed": ratio(lapsed, offers["order_id"].nunique()
                                     + _wished_at_once(picked, offers))}


def _wished_at_once(picked: pd.DataFrame, offers: pd.DataFrame) -> int:
    """Small requests a volunteer took from the queue with no offer row."""
    wishes = picked.loc[_is(picked, STEPS[WISH]), "order_id"]
    return int((~wishes.isin(offers["order_id"])).sum())


def _signed(picked: pd.DataFrame) -> dict[str, float]:
    """Assignments signed for within the unit's signing limit, of those signed for."""
    rows = picked[_is(picked, STEPS[ASSIGN])]
    signed = rows[rows["outcome"].astype(str).to_numpy() == STEP_OUTCOMES[SIGNED]]
    return {"signed_on_time": mean((signed["wait"] <= signed["limit"]).to_numpy(float))}


def report_on_time(reports: pd.DataFrame, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Per report row (报到): arrived within its limit of the whistle, and known (arrived,
    or its limit passed by the horizon)."""
    ready = reports["t_ready"].to_numpy(float)
    took = reports["t_on_site"].to_numpy(float) - ready
    limit = reports["limit"].to_numpy(float)
    arrived = ~np.isnan(took)
    return arrived & (took <= limit), arrived | (ready + limit < horizon)


def _queues(steps: pd.DataFrame, picked: pd.DataFrame, warmup: float, horizon: float,
            units: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Per unit: mean queue wait of its steps, and the time-average number of steps
    waiting in its queue (every step row, clipped to the window)."""
    out: dict[str, float] = {}
    queued = steps[_is(steps, *QUEUED)]
    mine = picked[_is(picked, *QUEUED)]
    names = units.get("queued") or present(queued["unit"])
    wait = mine["wait"].to_numpy(float)
    unit = mine["unit"].astype(str).to_numpy()
    for name in names:
        m = (unit == name) & ~np.isnan(wait)
        out[f"step_wait[{name}]"] = mean(wait[m])
    ready = queued["t_ready"].to_numpy(float)
    left = np.nan_to_num(ready + queued["wait"].to_numpy(float), nan=horizon)
    waiting = np.clip(np.minimum(left, horizon) - np.maximum(ready, warmup), 0.0, None)
    all_units = queued["unit"].astype(str).to_numpy()
    window = horizon - warmup
    for name in names:
        out[f"unit_backlog[{name}]"] = ratio(waiting[all_units == name].sum(), window)
    return out


def unit_of_step(step: str, unit: str, per_grid: bool) -> str:
    """The unit a chart or table shows for a step row: the unit itself with
    ``per_grid``; otherwise a unit with one copy per grid (``name/grid``) as ``name``,
    a grid's own grid workers as :data:`GRID_WORKERS` and volunteers (who belong to
    a grid-worker unit) as :data:`VOLUNTEERS`."""
    if per_grid:
        return unit
    if step in (STEPS[WISH], STEPS[OFFER]):
        return VOLUNTEERS
    if "/" in unit:
        return unit.rsplit("/", 1)[0]
    return GRID_WORKERS if step in (STEPS[CHECK], STEPS[SETTLE], STEPS[VERIFY]) else unit


def step_times(steps: pd.DataFrame, orders: pd.DataFrame | None = None, warmup: float = 0.0,
               *, per_grid: bool = False) -> pd.DataFrame:
    """Mean wait, travel and handling [min] per (step, unit), over the steps of the
    orders received at or after ``warmup``, and rows per replication (``count``).

    Each mean is over the rows where that time is known (an open step has no
    handling yet). Rows follow :data:`STEP_ORDER`, then the unit's name. Units are
    merged as :func:`unit_of_step` says unless ``per_grid``.
    """
    columns = ["step", "unit", "wait", "travel", "handling", "count"]
    picked = steps_of_received(steps, orders, warmup) if len(steps) else steps
    if not len(picked):
        return pd.DataFrame(columns=columns)
    reps = max(int(steps["replication"].nunique()), 1) if "replication" in steps.columns else 1
    times = ["wait", "travel", "handling"]
    # sums and counts per (step, unit) first, so units are merged once per pair, not per row
    by_pair = picked.groupby(["step", "unit"], sort=False, observed=True)
    sums = by_pair[times].sum().join(by_pair[times].count().add_suffix("_n")).assign(
        rows=by_pair.size()).reset_index()
    sums["step"] = sums["step"].astype(str)
    sums["unit"] = [unit_of_step(s, str(u), per_grid) for s, u in zip(
        sums["step"], sums["unit"], strict=True)]
    merged = sums.groupby(["step", "unit"], sort=False).sum()
    out = pd.DataFrame({c: merged[c] / merged[f"{c}_n"].where(merged[f"{c}_n"] > 0)
                        for c in times})
    out["count"] = merged["rows"] / reps
    out = out.reset_index()
    rank = {s: i for i, s in enumerate(STEP_ORDER)}
    out = out.assign(_rank=out["step"].map(rank)).sort_values(["_rank", "unit"], kind="stable")
    return out[columns].reset_index(drop=True)

