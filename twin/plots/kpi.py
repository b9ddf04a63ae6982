"""KPIs across scenarios and along a staffing sweep."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

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


MARKERS = ("o", "s", "^", "D", "v", "P", "h", "<")
"""Markers of the lines of a staffing curve, in order (each line also has its dash)."""
DASHES = ("-", "--", ":", "-.")
LOG_RATIO = 10.0
"""A collapsed point whose response is this many times another's sets a log axis."""
COLLAPSED_COLOUR = "#b00000"


def _series(table: pd.DataFrame, x: str, kpi: str) -> pd.DataFrame:
    """Rows of one KPI of a sweep summary, by increasing x (wide or long table), with
    the ``point`` name when the table has one."""
    named = ["point"] if "point" in table.columns else []
    if "kpi" in table.columns:
        rows = table[table["kpi"] == kpi][[x, "mean", "ci_low", "ci_high", *named]]
    else:
        cols = [kpi, f"{kpi}_ci_low", f"{kpi}_ci_high"]
        _need(table, [x, *cols], "staffing_curve")
        rows = table[[x, *cols, *named]].set_axis([x, "mean", "ci_low", "ci_high", *named],
                                                   axis=1)
    if rows[x].duplicated().any():
        raise ValueError(f"staffing_curve: several rows per {x} value for {kpi}; "
                         "name the other varied keys in `by` (one line per value)")
    values = rows[[x, "mean", "ci_low", "ci_high"]].astype(float)
    return values.assign(point=rows["point"].astype(str) if named else "").sort_values(x)


def _lines(table: pd.DataFrame, by: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    """(legend name, rows) of each combination of the values of ``by``, in order."""
    if not by:
        return [("", table)]
    names = {k: k.rsplit(".", 1)[-1] for k in by}
    keyed = table.assign(**{f"__{k}": table[k].map(  # a list is a value too: group its text
        lambda v: str(v) if isinstance(v, list | dict) else v) for k in by})
    out = []
    for combo, rows in keyed.groupby([f"__{k}" for k in by], sort=True, dropna=False):
        values = combo if isinstance(combo, tuple) else (combo,)
        out.append((" · ".join(f"{names[k]}={v}" for k, v in zip(by, values, strict=True)),
                    rows))
    return out


def staffing_curve(sweep_summary: pd.DataFrame, x: str, ax: Axes, *, lang: str = "en",
                   kpi: str = "response_p90", by: Sequence[str] = (),
                   collapsed: Collection[str] = ()) -> Axes:
    """One KPI against a staffing level, with its 95% confidence band: one line per
    combination of the values of the other varied keys ``by`` (colour, marker and dash
    differ; markers shrink line by line, so lines on top of each other stay visible).

    Every point is drawn. A collapsed point (its ``point`` name in ``collapsed``) gets
    a red cross and the word "collapsed"; when one makes the response KPI's values
    span more than :data:`LOG_RATIO`, its axis is logarithmic, and says so. Lines that
    coincide everywhere are named in a note on the panel.

    Parameters
    ----------
    sweep_summary
        One row per (point, KPI) with the numeric column ``x``, the columns of ``by``
        and ``kpi``, ``mean``, ``ci_low``, ``ci_high`` (the summary of ``twin.sweep``,
        whose ``point`` column names the points); or one row per point with columns
        ``KPI``, ``KPI_ci_low``, ``KPI_ci_high``.
    x
        The varied key on the x axis, e.g. ``workforce.per_grid``.
    ax
        Axes to draw on.
    kpi
        The KPI drawn, e.g. ``response_p90`` or ``within_deadline``.
    by
        The other varied keys.
    collapsed
        Names of the collapsed points (``twin.sweep.collapse_reason``).
    """
    _need(sweep_summary, (x, *by), "staffing_curve")
    share = is_share(kpi)
    drawn: list[np.ndarray] = []
    flagged = False
    for i, (name, rows) in enumerate(_lines(sweep_summary, by)):
        series = _series(rows, x, kpi)
        colour = PALETTE[i % len(PALETTE)]
        (line,) = ax.plot(series[x], series["mean"], marker=MARKERS[i % len(MARKERS)],
                          linestyle=DASHES[i % len(DASHES)], color=colour,
                          markersize=max(3.0, 8.0 - 1.5 * i), label=name or kpi_label(kpi, lang),
                          gid="curve")
        low, high = series["ci_low"], series["ci_high"]
        # a t-interval over few replications can reach impossible values: show the possible part
        low, high = (low.clip(0, 1), high.clip(0, 1)) if share else (low.clip(lower=0), high)
        ax.fill_between(series[x], low, high, color=colour, alpha=0.15, linewidth=0)
        drawn.append(series["mean"].to_numpy(float))
        gone = series[series["point"].isin(set(collapsed))]
        if len(gone):
            ax.plot(gone[x], gone["mean"], linestyle="none", marker="X", markersize=11,
                    color=COLLAPSED_COLOUR, markeredgecolor="white", zorder=5, gid="collapsed",
                    label="_collapsed" if flagged else text("collapsed", lang))
            flagged = True
            for xi, yi in zip(gone[x], gone["mean"], strict=True):
                ax.annotate(text("collapsed", lang), (xi, yi), xytext=(6, 6),
                            textcoords="offset points", color=COLLAPSED_COLOUR, fontsize=8)
    values = np.concatenate(drawn) if drawn else np.array([])
    values = values[np.isfinite(values) & (values > 0)]
    log = (not share and flagged and len(values) > 1
           and values.max() / values.min() > LOG_RATIO)
    ylabel = kpi_label(kpi, lang)
    if log:
        ax.set_yscale("log")  # ticks at 1, 2, 5 x 10^k, written as plain numbers
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: plain_number(v)))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ylabel = f"{ylabel} ({text('log_scale', lang)})"
    elif share:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(bottom=0, top=1.02)
    else:
        plain_ticks(ax.yaxis)
        ax.set_ylim(bottom=0)
    xlabel = kpi_label(x, lang)
    if len(drawn) > 1 and all(len(d) == len(drawn[0]) and np.allclose(
            d, drawn[0], equal_nan=True) for d in drawn[1:]):  # below the axis: never on a point
        xlabel += "\n" + text("lines_overlap", lang).format(keys=", ".join(by))
    xs = sweep_summary[x].astype(float)
    if len(xs) and float(xs.sub(xs.round()).abs().max()) == 0:
        ax.set_xticks(sorted(set(xs.to_numpy())))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(kpi_label(kpi, lang))
    ax.grid(alpha=0.3)
    if by or flagged:
        handles, names = ax.get_legend_handles_labels()
        order = sorted(range(len(names)), key=lambda i: names[i] == text("collapsed", lang))
        ax.legend([handles[i] for i in order], [names[i] for i in order], fontsize=8)
    apply_font([ax], lang)
    return ax
