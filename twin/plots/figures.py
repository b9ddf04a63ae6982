"""The standard figures of a set of runs, ready for a report or for files.

Each figure is put together from the plot functions of this package, from
result tables only: a run's ``summary``, ``issues``, ``escalations`` (and, when
it has work orders, ``steps`` and ``orders``) and its scenario's run length,
warm-up and response deadline.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from twin.metrics.daily import daily_table
from twin.metrics.hourly import hourly_table
from twin.metrics.orders import step_times
from twin.metrics.stats import confidence_interval
from twin.plots.breakeven import break_even_curve
from twin.plots.canvas import new_figure
from twin.plots.daily import daily_by_category
from twin.plots.flows import escalation_flow
from twin.plots.fonts import glyphs_checked
from twin.plots.hourly import response_by_hour
from twin.plots.kpi import kpi_bars, staffing_curve
from twin.plots.labels import check_lang, families, kpi_label, short_label, text
from twin.plots.maps import community_map, shared_scale
from twin.plots.orders import order_time_by_step
from twin.plots.timing import open_over_time, response_ecdf, response_limit
from twin.vocab import MINUTES_PER_DAY

if TYPE_CHECKING:
    from twin.geography import Community

PANEL_KPIS = ("response_mean", "response_p90", "within_deadline", "resolution_mean",
              "resolution_p90", "utilisation")
"""KPIs of the bar-chart panel: six of the catalogue's headline KPIs
(:func:`twin.metrics.catalogue.headline_kpis`; a test keeps them so). Each P90
stands next to its mean, so a policy that moves the bulk of the times and not
their tail (or the other way) shows in the panel."""
MAX_PANELS = 6
"""Figures with a panel or a line per scenario show at most this many (the first ones)."""


class RunLike(Protocol):
    """What the report needs of a run (a ``twin.RunResult`` has it)."""

    @property
    def summary(self) -> pd.DataFrame: ...
    @property
    def issues(self) -> pd.DataFrame: ...
    @property
    def escalations(self) -> pd.DataFrame: ...
    @property
    def kpis(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Plot:
    """One figure of the report."""

    slug: str
    """File name stem, e.g. ``response_ecdf``."""
    title: str
    """Caption."""
    figure: Figure


def scenario_of(run: RunLike) -> Any:
    """The run's scenario, if it carries one."""
    return getattr(run, "scenario", None)


def steps_of(run: RunLike) -> pd.DataFrame | None:
    """The run's step table of work orders, if it has one with rows."""
    steps = getattr(run, "steps", None)
    return steps if isinstance(steps, pd.DataFrame) and len(steps) else None


def setting(scenario: Any, dotted: str) -> Any:
    """A scenario value by dotted key (``deadlines.response``); None if absent."""
    node = scenario
    for part in dotted.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node


def _times(run: RunLike) -> tuple[float, float]:
    """(warm-up, horizon) of a run [min], from its scenario or its records."""
    scenario = scenario_of(run)
    if scenario is not None:
        return (float(scenario.run.warmup_days) * MINUTES_PER_DAY,
                float(scenario.run.horizon_days) * MINUTES_PER_DAY)
    ends = run.issues[["t_reported", "t_resolved"]].max()
    return 0.0, float(np.nanmax(np.r_[ends.to_numpy(float), 1.0]))


def summary_by_scenario(runs: Sequence[tuple[str, RunLike]]) -> pd.DataFrame:
    """Long table of every run's summary: scenario, kpi, mean, ci_low, ci_high, n."""
    frames = []
    for name, run in runs:
        table = run.summary.reset_index()
        if "kpi" not in table.columns:
            table = table.rename(columns={table.columns[0]: "kpi"})
        frames.append(table.assign(scenario=name))
    if not frames:
        return pd.DataFrame(columns=["scenario", "kpi", "mean", "ci_low", "ci_high", "n"])
    out = pd.concat(frames, ignore_index=True)
    return out[["scenario", *[c for c in out.columns if c != "scenario"]]]


def grid_response_p90(issues: pd.DataFrame, warmup: float) -> dict[str, float]:
    """P90 response time [min] of issues of each grid reported after ``warmup``."""
    reached = issues[(issues["t_reported"] >= warmup) & issues["t_on_site"].notna()]
    response = reached["t_on_site"] - reached["t_reported"]
    by_grid = response.groupby(reached["grid"].astype(str)).quantile(0.9)
    return {str(k): float(v) for k, v in by_grid.items()}


def grid_response_noise(issues: pd.DataFrame, warmup: float) -> dict[str, float]:
    """Half width [min] of the 95% confidence interval of each grid's P90 response,
    from the P90 of each replication (NaN with fewer than two replications)."""
    if "replication" not in issues.columns:
        return {}
    reached = issues[(issues["t_reported"] >= warmup) & issues["t_on_site"].notna()]
    response = reached["t_on_site"] - reached["t_reported"]
    per_rep = response.groupby([reached["grid"].astype(str),
                                reached["replication"]]).quantile(0.9)
    noise = {}
    for grid, values in per_rep.groupby(level=0):
        mean, low, _, _ = confidence_interval(values.to_numpy(float))
        noise[str(grid)] = mean - low
    return noise


def _titled(ax: Any, name: str) -> None:
    """Put the scenario's name, on one short line, before the panel's title."""
    ax.set_title(f"{short_label(name, width=28, lines=1)}: {ax.get_title()}")


def _panels(n: int, size: tuple[float, float]) -> tuple[Figure, list[Any]]:
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = new_figure(rows, cols, size=size)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def sweep_axis(sweep: pd.DataFrame, x: str | None = None) -> tuple[str | None, list[str]]:
    """The staffing axis of a sweep summary (``x``, else its first numeric varied key;
    None if it has none) and its other varied keys (one line each value)."""
    fixed = {"point", "kpi", "mean", "ci_low", "ci_high", "n", "replication", "value"}
    keys = [c for c in sweep.columns if c not in fixed]
    if x is None:
        x = next((k for k in keys if pd.api.types.is_numeric_dtype(sweep[k])), None)
    return x, [k for k in keys if k != x]


STAFFING_KPIS = ("response_p90", "within_deadline")
"""The panels of the staffing curve, side by side."""


def report_plots(runs: Sequence[tuple[str, RunLike]], *, sweep: pd.DataFrame | None = None,
                 community: Community | None = None, lang: str = "en",
                 sweep_x: str | None = None, paired: pd.DataFrame | None = None,
                 break_even: pd.DataFrame | None = None,
                 collapsed: Collection[str] = ()) -> list[Plot]:
    """Every figure of the report, in order.

    Bars show every scenario; figures with a panel or line per scenario show the
    first :data:`MAX_PANELS`. The map needs ``community``, the staffing curve a
    sweep summary with a numeric varied key (``sweep_x``, default the first: one line
    per value of the other varied keys; the points named in ``collapsed`` flagged); the
    time per step of work orders is drawn for the runs whose ``steps`` have rows.
    A sweep against another scenario (``paired``, ``break_even``) adds one panel
    per KPI of ``break_even``: the paired difference and where it crosses zero.
    """
    check_lang(lang)
    plots: list[Plot] = []
    summary = summary_by_scenario(runs)
    runs = list(runs)[:MAX_PANELS]
    present = [k for k in PANEL_KPIS if k in set(summary["kpi"])]
    if present:
        fig, axes = _panels(len(present), (4.2, 3.4))
        for kpi, ax in zip(present, axes, strict=True):
            kpi_bars(summary, kpi, ax, lang=lang)
        plots.append(Plot("kpi_bars", text("kpi_summary", lang), fig))
    if runs:
        fig, axes = _panels(len(runs), (5.0, 3.6))
        drawn = []
        for _, run in runs:
            deadline = setting(scenario_of(run), "deadlines.response")
            drawn.append((_times(run)[0], float(deadline) if deadline is not None else None))
        # one x scale for every panel: a slow scenario must not look fast on a short axis
        xmax = max(response_limit(run.issues, w, d) for (_, run), (w, d) in zip(
            runs, drawn, strict=True))
        for (name, run), (warmup, deadline), ax in zip(runs, drawn, axes, strict=True):
            response_ecdf(run.issues, ax, warmup=warmup, lang=lang, deadline=deadline,
                          xmax=xmax)
            _titled(ax, name)
        plots.append(Plot("response_ecdf", text("response_time", lang), fig))
        fig, single = new_figure(1, 1, size=(8.0, 3.6))
        stacked = pd.concat([run.issues.assign(scenario=name) for name, run in runs],
                            ignore_index=True)
        open_over_time(stacked, max(_times(r)[1] for _, r in runs), single[0, 0],
                       warmup=_times(runs[0][1])[0], lang=lang)
        plots.append(Plot("open_over_time", text("open_issues", lang), fig))
        fig, single = new_figure(1, 1, size=(8.0, 3.6))  # staffing by time of day shows here
        hourly = pd.concat([hourly_table(r.issues, _times(r)[0], scenario=n) for n, r in runs],
                           ignore_index=True)
        response_by_hour(hourly, single[0, 0], lang=lang)
        plots.append(Plot("response_by_hour", text("response_by_hour", lang), fig))
        dated = [(n, r) for n, r in runs
                 if getattr(scenario_of(r), "calendar", None) is not None]
        if dated:  # on real dates (events, holidays): the days per category
            daily = pd.concat([daily_table(r.issues, _times(r)[1], scenario=n,
                                           start=scenario_of(r).calendar.start)
                               for n, r in dated], ignore_index=True)
            fig = daily_by_category(daily, warmup_days=_times(dated[0][1])[0] / MINUTES_PER_DAY,
                                    lang=lang)
            plots.append(Plot("daily_by_category", text("per_day_by_category", lang), fig))
    flows = [(n, r, d) for n, r in runs
             if (d := getattr(r, "disputes", None)) is not None and len(d)]
    if flows:
        fig, axes = _panels(len(flows), (5.6, 3.4))
        for (name, run, disputes), ax in zip(flows, axes, strict=True):
            escalation_flow(run.issues, run.escalations, ax, disputes=disputes,
                            warmup=_times(run)[0], lang=lang)
            _titled(ax, name)
        plots.append(Plot("escalation_flow", text("grade_changes", lang), fig))
    ordered = [(name, run, steps) for name, run in runs
               if (steps := steps_of(run)) is not None]
    if ordered:
        tables = [(steps, getattr(run, "orders", None), _times(run)[0])
                  for _, run, steps in ordered]
        bars = max(len(step_times(steps, orders, warmup)) for steps, orders, warmup in tables)
        fig, axes = _panels(len(ordered), (6.4, 1.4 + 0.32 * max(bars, 1)))
        for (name, _, _), (steps, orders, warmup), ax in zip(ordered, tables, axes, strict=True):
            order_time_by_step(steps, orders, ax, warmup=warmup, lang=lang)
            _titled(ax, name)
        plots.append(Plot("order_time_by_step", text("where_orders_wait", lang), fig))
    if community is not None and runs:
        values = [grid_response_p90(run.issues, _times(run)[0]) for _, run in runs]
        noises = [grid_response_noise(run.issues, _times(run)[0]) for _, run in runs]
        # one colour scale over every panel, never narrower than the noise
        low, high = shared_scale([v for d in values for v in d.values()],
                                 [v for d in noises for v in d.values()])
        fig, axes = _panels(len(runs), (5.2, 4.2))
        for (name, _), vals, noise, ax in zip(runs, values, noises, axes, strict=True):
            community_map(community, vals, ax, label="response_p90", lang=lang,
                          vmin=low, vmax=high, noise_by_grid=noise)
            _titled(ax, name)
        fig.supxlabel(text("noise_note", lang), fontsize=8, fontfamily=families(lang))
        plots.append(Plot("community_map", kpi_label("response_p90", lang), fig))
    x, others = sweep_axis(sweep, sweep_x) if sweep is not None else (None, [])
    if sweep is not None and x is not None and set(STAFFING_KPIS) <= set(
            sweep.get("kpi", sweep.columns)):
        fig, grid = new_figure(1, len(STAFFING_KPIS), size=(5.2, 4.0))
        for kpi, ax in zip(STAFFING_KPIS, grid[0], strict=True):
            staffing_curve(sweep, x, ax, lang=lang, kpi=kpi, by=others, collapsed=collapsed)
        plots.append(Plot("staffing_curve", text("staffing_curve", lang), fig))
    if paired is not None and break_even is not None and len(break_even):
        found = break_even.to_dict("records")[:MAX_PANELS]
        fig, axes = _panels(len(found), (5.6, 3.8))
        for row, ax in zip(found, axes, strict=True):
            break_even_curve(paired, str(row["key"]), str(row["kpi"]), ax, found=row,
                             against=str(row["against"]), lang=lang)
        plots.append(Plot("break_even", text("break_even_section", lang), fig))
    return plots


def figure_bytes(figure: Figure, fmt: str = "png", dpi: int = 110) -> bytes:
    """A figure rendered as PNG or SVG."""
    buffer = io.BytesIO()
    with glyphs_checked(), warnings.catch_warnings():
        # a crowded figure keeps its layout; the terminal needs no word about it
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        figure.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


