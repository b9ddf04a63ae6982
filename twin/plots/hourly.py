"""Response time by the hour of the day at which issues were reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from twin.metrics.hourly import HOURLY_COLUMNS
from twin.plots.kpi import scenario_colour
from twin.plots.labels import apply_font, text


def response_by_hour(hourly: pd.DataFrame, ax: Axes, *, lang: str = "en") -> Axes:
    """Mean (solid) and P90 (dashed) response time by hour of report, one colour per
    scenario, from :func:`twin.metrics.hourly.hourly_table` of one or more scenarios.

    An hour in which no issue was reached leaves a gap in its line.

    Parameters
    ----------
    hourly
        Rows of ``hourly_table`` (``scenario``, ``hour``, ``response_mean``,
        ``response_p90``), several scenarios stacked.
    ax
        Axes to draw on.
    """
    missing = [c for c in HOURLY_COLUMNS if c not in hourly.columns]
    if missing:
        raise ValueError(f"response_by_hour needs column {missing[0]!r}")
    scenarios = list(dict.fromkeys(hourly["scenario"].astype(str)))
    for i, scenario in enumerate(scenarios):
        rows = hourly[hourly["scenario"].astype(str) == scenario].sort_values("hour")
        name = f"{scenario} · " if scenario and len(scenarios) > 1 else ""
        colour = scenario_colour(i)
        ax.plot(rows["hour"], rows["response_mean"], color=colour, marker="o", markersize=3,
                label=f"{name}{text('mean', lang)}")
        ax.plot(rows["hour"], rows["response_p90"], color=colour, linestyle="--",
                label=f"{name}P90")
    ticks = np.arange(0, 24, 3)
    ax.set_xticks(ticks, [f"{h:02d}:00" for h in ticks])
    ax.set_xlim(-0.5, 23.5)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(text("response_time", lang))
    ax.set_title(text("response_by_hour", lang))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, ncols=2 if len(scenarios) > 2 else 1)
    apply_font([ax], lang)
    return ax
