"""Issues reported per day, one panel per category and one line per scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from twin.plots.canvas import new_figure
from twin.plots.labels import text


def daily_by_category(daily: pd.DataFrame, *, warmup_days: float = 0.0,
                      lang: str = "en", columns: int = 3) -> Figure:
    """Small multiples of the per-day table (:func:`twin.metrics.daily.daily_table` of
    several scenarios): issues reported per day (mean over replications) in each
    category, one line per scenario, on a shared x axis (dates when the table has
    them); the warm-up is shaded."""
    categories = list(dict.fromkeys(daily["category"]))
    rows = max(1, int(np.ceil(len(categories) / columns)))
    fig, axes = new_figure(rows, min(columns, max(1, len(categories))), size=(3.6, 2.4))
    flat: list[Axes] = list(axes.ravel())
    for ax in flat[1:]:
        ax.sharex(flat[0])  # one x axis: the days line up across categories
    dated = daily["date"].notna().all() and len(daily) > 0
    scenarios = list(dict.fromkeys(daily["scenario"]))
    colour = {name: f"C{i % 10}" for i, name in enumerate(scenarios)}  # the same in every panel
    for ax, name in zip(flat, categories, strict=False):
        mine = daily[daily["category"] == name]
        for scenario, rows_ in mine.groupby("scenario", sort=False):
            x = rows_["date"] if dated else rows_["day"]
            ax.plot(x, rows_["reported"], label=str(scenario), linewidth=1.2,
                    color=colour[scenario])
        if warmup_days > 0 and len(mine):
            first = mine["date"].min() if dated else 0
            end = (first + pd.Timedelta(days=warmup_days)) if dated else warmup_days
            ax.axvspan(first, end, color="0.9", zorder=0)
        ax.set_title(name, fontsize=9)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelbottom=True, labelrotation=30 if dated else 0)
    for ax in flat[len(categories):]:
        ax.set_visible(False)
    flat[0].set_ylabel(text("reported_per_day", lang), fontsize=8)
    if len(scenarios) > 1:
        flat[0].legend(fontsize=7)
    return fig
