"""The break-even of a sweep against another scenario: a KPI's paired difference
along the varied key, and where it crosses zero."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from twin.plots.labels import apply_font, kpi_label, plain_number, text


def break_even_curve(paired: pd.DataFrame, x: str, kpi: str, ax: Axes, *,
                     found: Mapping[str, Any] | None = None, against: str = "",
                     lang: str = "en") -> Axes:
    """The paired difference of ``kpi`` (sweep point − ``against``) over the varied
    key ``x``, with each point's 95% CI as a band, the zero line, and the break-even
    with its CI (a row of ``breakeven.csv``, ``found``) as a line and a span.

    Parameters
    ----------
    paired
        Rows of ``paired.csv``: the column ``x``, ``kpi``, ``diff``,
        ``diff_ci_low``, ``diff_ci_high``.
    found
        The break-even row of this KPI: ``break_even``, ``ci_low``, ``ci_high``
        (±inf or NaN where it lies outside the swept range or is unknown).
    """
    rows = paired[paired["kpi"] == kpi][[x, "diff", "diff_ci_low", "diff_ci_high"]]
    rows = rows.astype(float).sort_values(x)
    colour = "#4c72b0"
    ax.plot(rows[x], rows["diff"], "o-", color=colour, label=text("paired_diff", lang))
    ax.fill_between(rows[x], rows["diff_ci_low"], rows["diff_ci_high"], color=colour,
                    alpha=0.2, linewidth=0, label=text("ci95", lang))
    ax.axhline(0.0, color="#555", linewidth=0.8)
    if found is not None:
        low, high = float(found["ci_low"]), float(found["ci_high"])
        lo_x, hi_x = float(rows[x].min()), float(rows[x].max())
        left, right = min(max(low, lo_x), hi_x), max(min(high, hi_x), lo_x)
        if not (math.isnan(low) or math.isnan(high)) and left < right:  # inside the range
            ax.axvspan(left, right, color="#c44e52", alpha=0.12, linewidth=0)
        value = float(found["break_even"])
        if math.isfinite(value):
            ax.axvline(value, color="#c44e52", linestyle="--",
                       label=f"{text('break_even', lang)} {plain_number(value)}")
    ax.set_xlabel(kpi_label(x, lang))
    ax.set_ylabel(f"Δ {kpi_label(kpi, lang)}")
    swept = str(found.get("scenario", "")) if found is not None else ""
    pair = f"{swept} − {against}" if swept else f"{text('sweep_minus', lang)} {against}"
    ax.set_title(f"{kpi_label(kpi, lang)}: {pair}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    apply_font([ax], lang)
    return ax
