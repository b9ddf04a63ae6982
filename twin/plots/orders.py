"""Where work orders (工单) spend their time: mean wait, travel and handling per step and unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from twin.metrics.orders import step_times
from twin.plots.labels import apply_font, plain_number, text, unit_label
from twin.vocab import ASSIGN, CALLBACK, LEAD, OFFER, STEPS

PARTS: dict[str, str] = {"wait": "#c44e52", "assignment": "#dd8452", "delay": "#8c8c8c",
                         "travel": "#4c72b0", "handling": "#55a868"}
"""The segments of a bar and their colours: queue wait, the time an assignment (or an
offer to a volunteer) takes to be signed for or sent back (退单), the time until a
callback falls due or a lead time (appointment, parts) ends, travel, handling."""
_ANSWERED = (STEPS[ASSIGN], STEPS[OFFER])
"""Steps whose wait is for an answer, not for staff."""


def _minutes(value: float) -> str:
    return f"{value:,.0f}" if round(value, 1) >= 10 else f"{value:.1f}"


def order_time_by_step(steps: pd.DataFrame, orders: pd.DataFrame | None, ax: Axes, *,
                       warmup: float = 0.0, per_grid: bool = False, lang: str = "en") -> Axes:
    """Horizontal stacked bars, one per (step, unit): the mean queue wait, travel and
    handling [min] of the steps of orders received after ``warmup``.

    An assignment's bar is the time from assignment until the unit signed for the
    order or sent it back as wrong ("assignment & returns"; an offer to volunteers
    likewise), a callback's the time until it fell due. Each segment is the
    mean over the rows where that time is known, so a bar's length is the sum of
    the three means (:func:`twin.metrics.orders.step_times`). Bars follow an
    order's life (check, file, report, assign, handle, settle, verify, callback);
    the number after each bar is its total, then its steps per replication.

    Parameters
    ----------
    steps
        Step records (``steps.parquet``; a run's ``steps``, with ``replication``).
    orders
        Order records, to pick the orders received after ``warmup``; None: the
        steps ready after it.
    ax
        Axes to draw on.
    warmup
        Orders received before this time [min] are left out.
    per_grid
        One bar per grid's copy of a unit and per grid's workers (default: merged).
    """
    table = step_times(steps, orders, warmup, per_grid=per_grid)
    step = table["step"].to_numpy(str)
    answered, due = np.isin(step, _ANSWERED), np.isin(step, (STEPS[CALLBACK], STEPS[LEAD]))
    wait = np.nan_to_num(table["wait"].to_numpy(float))
    widths = {"wait": np.where(answered | due, 0.0, wait),
              "assignment": np.where(answered, wait, 0.0), "delay": np.where(due, wait, 0.0),
              "travel": np.nan_to_num(table["travel"].to_numpy(float)),
              "handling": np.nan_to_num(table["handling"].to_numpy(float))}
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for part, colour in PARTS.items():
        ax.barh(y, widths[part], left=left, height=0.6, color=colour, edgecolor="white",
                linewidth=0.5)
        left = left + widths[part]
    widest = float(left.max()) if len(left) and left.max() > 0 else 1.0
    for yi, total, count in zip(y, left, table["count"].to_numpy(float), strict=True):
        ax.text(total + 0.01 * widest, float(yi), f"{_minutes(total)} · {plain_number(count)}",
                va="center", fontsize=8)
    names = [f"{text('step:' + s, lang)} · {unit_label(u, lang)}"
             for s, u in zip(table["step"], table["unit"], strict=True)]
    ax.set_yticks(y, names)
    ax.set_xlim(0, widest * 1.18)
    if len(table):
        ax.set_ylim(len(table) - 0.5, -0.5)
    else:
        ax.text(0.5, 0.5, text("no_data", lang), ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel(f"{text('minutes_per_step', lang)} · {text('rows_per_run', lang)}")
    ax.set_ylabel(text("step_unit", lang))
    handles = [Patch(color=colour, label=text("part:" + part, lang))
               for part, colour in PARTS.items() if widths[part].any()]
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.set_title(text("orders_wait", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    apply_font([ax], lang)
    return ax
