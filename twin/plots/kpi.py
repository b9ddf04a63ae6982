"""KPIs across scenarios and along a staffing sweep."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from twin.plots.labels import (
    apply_font,
    is_count,
    is_share,
    kpi_label,
    plain_number,
    plain_ticks,
    short_label,
    text,
)

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
           "#ccb974", "#64b5cd", "#c44e52")
"""Colours of scenarios, in order."""


def scenario_colour(i: int) -> str:
    """Colour of the i-th scenario."""
    return PALETTE[i % len(PALETTE)]


def _need(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}; "
                         f"got {', '.join(map(str, table.columns))}")


def _errors(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error bar lengths below and above the mean; no interval -> no bar."""
    below = np.nan_to_num(mean - low, nan=0.0)
    above = np.nan_to_num(high - mean, nan=0.0)
    return np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def kpi_bars(summary: pd.DataFrame, kpi: str, ax: Axes, *, lang: str = "en",
             scenarios: Sequence[str] | None = None) -> Axes:
    """One bar per scenario: the KPI's mean, with its 95% confidence interval.

    Bars start at zero; long scenario names are wrapped (:func:`short_label`);
    numbers never show in scientific notation and counts get whole-number ticks.

    Parameters
    ----------
    summary
        Long table with columns ``scenario``, ``kpi``, ``mean``, ``ci_low``,
        ``ci_high`` (one row per scenario and KPI).
    kpi
        KPI to show, e.g. ``response_p90`` or ``within_deadline[repair]``.
    ax
        Axes to draw on.
    lang
        ``"en"`` or ``"zh"``.
    scenarios
        Scenarios and their order; default all, in order of first appearance.
    """
    _need(summary, ("scenario", "kpi", "mean", "ci_low", "ci_high"), "kpi_bars")
    rows = summary[summary["kpi"] == kpi]
    names = list(scenarios) if scenarios is not None else list(
        dict.fromkeys(rows["scenario"].astype(str)))
    rows = rows.assign(scenario=rows["scenario"].astype(str)).drop_duplicates(
        "scenario").set_index("scenario").reindex(names)
    mean = rows["mean"].to_numpy(float)
    low = rows["ci_low"].to_numpy(float)
    high = rows["ci_high"].to_numpy(float)
    x = np.arange(len(names))
    ax.bar(x, np.nan_to_num(mean), yerr=_errors(mean, low, high), capsize=4,
           color=[scenario_colour(i) for i in range(len(names))], edgecolor="white",
           error_kw={"elinewidth": 1.2, "ecolor": "#333333"})
    share = is_share(kpi)
    for xi, m, h in zip(x, mean, high, strict=True):
        if np.isnan(m):
            ax.annotate(text("no_data", lang), (xi, 0), ha="center", va="bottom", fontsize=8)
            continue
        shown = f"{m:.1%}" if share else plain_number(m)
        top = h if not np.isnan(h) else m
        ax.annotate(shown, (xi, max(top, m)), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    crowded = len(names) > 3  # long names wrapped onto short lines, never cut off
    ax.set_xticks(x, [short_label(n, width=10 if crowded else 16, lines=3) for n in names])
    if crowded:
        ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(text("scenario", lang))
    ax.set_ylabel(kpi_label(kpi, lang))
    ax.set_title(kpi_label(kpi, lang))
    if share:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        plain_ticks(ax.yaxis, integer=is_count(kpi))
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    apply_font([ax], lang)
    return ax


def _series(table: pd.DataFrame, x: str, kpi: str) -> pd.DataFrame:
    """Rows of one KPI of a sweep summary, by increasing x (wide or long table)."""
    if "kpi" in table.columns:
        rows = table[table["kpi"] == kpi][[x, "mean", "ci_low", "ci_high"]]
    else:
        cols = [kpi, f"{kpi}_ci_low", f"{kpi}_ci_high"]
        _need(table, [x, *cols], "staffing_curve")
        rows = table[[x, *cols]].set_axis([x, "mean", "ci_low", "ci_high"], axis=1)
    if rows[x].duplicated().any():
        raise ValueError(f"staffing_curve: several rows per {x} value for {kpi}; "
                         "filter the sweep to one value of the other varied keys")
    return rows.astype(float).sort_values(x)


def staffing_curve(sweep_summary: pd.DataFrame, x: str, ax: Axes, *, lang: str = "en",
                   response_kpi: str = "response_p90",
                   deadline_kpi: str = "within_deadline") -> Axes:
    """Response time (left axis) and deadline compliance (right axis) against a
    staffing level, each with its 95% confidence band.

    Parameters
    ----------
    sweep_summary
        One row per (point, KPI) with the numeric column ``x`` and ``kpi``,
        ``mean``, ``ci_low``, ``ci_high`` (the summary of ``twin.sweep``); or
        one row per point with columns ``KPI``, ``KPI_ci_low``, ``KPI_ci_high``.
    x
        The varied key, e.g. ``workforce.per_grid``.
    ax
        Axes for the response time; the compliance axis is its twin on the right.
    response_kpi, deadline_kpi
        KPIs of the two axes.
    """
    _need(sweep_summary, (x,), "staffing_curve")
    left_colour, right_colour = "#4c72b0", "#c44e52"
    resp = _series(sweep_summary, x, response_kpi)
    ok = _series(sweep_summary, x, deadline_kpi)
    (h1,) = ax.plot(resp[x], resp["mean"], "o-", color=left_colour,
                    label=kpi_label(response_kpi, lang))
    # a t-interval over few replications can reach impossible values: show the possible part
    ax.fill_between(resp[x], resp["ci_low"].clip(lower=0), resp["ci_high"], color=left_colour,
                    alpha=0.2, linewidth=0)
    right = ax.twinx()
    (h2,) = right.plot(ok[x], ok["mean"], "s--", color=right_colour,
                       label=kpi_label(deadline_kpi, lang))
    low, high = ok["ci_low"], ok["ci_high"]
    if is_share(deadline_kpi):
        low, high = low.clip(0, 1), high.clip(0, 1)
    right.fill_between(ok[x], low, high, color=right_colour, alpha=0.2, linewidth=0)
    ax.set_xlabel(kpi_label(x, lang))
    ax.set_ylabel(kpi_label(response_kpi, lang), color=left_colour)
    right.set_ylabel(kpi_label(deadline_kpi, lang), color=right_colour)
    if is_share(deadline_kpi):
        right.yaxis.set_major_formatter(PercentFormatter(1.0))
        right.set_ylim(top=1.02)
    if len(resp) and float(resp[x].sub(resp[x].round()).abs().max()) == 0:
        ax.set_xticks(resp[x].to_numpy())
    plain_ticks(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(handles=[h1, h2], loc="center right", fontsize=8)
    ax.set_title(f"{kpi_label(response_kpi, lang)} / {kpi_label(deadline_kpi, lang)}")
    apply_font([ax, right], lang)
    return ax
