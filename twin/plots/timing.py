"""Response-time distributions and open issues over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from twin.metrics.warmup import open_by_replication
from twin.plots.kpi import scenario_colour
from twin.plots.labels import COLOUR_HEX, apply_font, plain_ticks, short_label, text
from twin.vocab import COLOURS, MINUTES_PER_DAY, MINUTES_PER_HOUR

_STYLES = ("-", "--", ":", "-.")


def _scenarios(issues: pd.DataFrame) -> list[str | None]:
    if "scenario" not in issues.columns:
        return [None]
    return list(dict.fromkeys(issues["scenario"].astype(str)))


def _of(issues: pd.DataFrame, scenario: str | None) -> pd.DataFrame:
    return issues if scenario is None else issues[issues["scenario"].astype(str) == scenario]


def _reached(issues: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """Issues reported at or after ``warmup`` and reached by the horizon."""
    return issues[(issues["t_reported"] >= warmup) & issues["t_on_site"].notna()]


def response_limit(issues: pd.DataFrame, warmup: float = 0.0,
                   deadline: float | None = None) -> float:
    """The right end [min] of :func:`response_ecdf`'s x axis: the longest
    response drawn, or the deadline if it is further; 1 with nothing to draw.

    Take the largest over several panels and pass it as their ``xmax``, so the
    panels share one scale and a slow scenario cannot look fast on a short one.
    """
    picked = _reached(issues, warmup)
    times = (picked["t_on_site"] - picked["t_reported"]).to_numpy(float)
    ends = [float(times.max()) if len(times) else 0.0, deadline or 0.0]
    return max(*ends, 1.0)


def response_ecdf(issues: pd.DataFrame, ax: Axes, *, by: str = "category", warmup: float = 0.0,
                  deadline: float | None = None, lang: str = "en",
                  xmax: float | None = None) -> Axes:
    """Empirical distribution (ECDF) of response times, reported -> first on site.

    Over issues reported at or after ``warmup`` [min] and reached by the
    horizon, so each curve ends at 1; issues never reached are left out (the
    ``open_at_end`` KPI counts them). One curve per value of ``by`` (the
    ``category`` by default; ``colour``: a dispute's grade at report); with a
    ``scenario`` column holding several scenarios, one line style per scenario.

    Parameters
    ----------
    issues
        Issue records (any number of replications, optionally a ``scenario`` column).
    ax
        Axes to draw on.
    by
        Column that splits the curves.
    warmup
        Issues reported before this time [min] are left out.
    deadline
        Draw a vertical line at this response deadline [min].
    xmax
        Right end of the x axis [min]; default :func:`response_limit` of these
        issues. Panels to be compared need the same value.
    """
    for column in ("t_reported", "t_on_site", by):
        if column not in issues.columns:
            raise ValueError(f"response_ecdf needs column {column!r}")
    picked = _reached(issues, warmup)
    scenarios = _scenarios(picked) if by != "scenario" else [None]
    present = list(dict.fromkeys(picked[by].astype(str)))
    if by == "colour":
        groups = [c for c in COLOURS if c in present] + [
            c for c in present if c not in COLOURS]
    else:
        groups = sorted(present)
    for s_index, scenario in enumerate(scenarios):
        table = _of(picked, scenario)
        values = table[by].astype(str)
        for g_index, group in enumerate(groups):
            times = np.sort((table["t_on_site"] - table["t_reported"])[values == group]
                            .to_numpy(float))
            if len(times) == 0:
                continue
            share = np.arange(1, len(times) + 1) / len(times)
            name = text(group, lang) if by == "colour" else group
            if scenario is not None and len(scenarios) > 1:
                name = f"{short_label(scenario, width=24, lines=1)} · {name}"
            colour = COLOUR_HEX.get(group) if by == "colour" else scenario_colour(g_index)
            ax.step(np.r_[0.0, times], np.r_[0.0, share], where="post",
                    color=colour, linestyle=_STYLES[s_index % len(_STYLES)],
                    label=f"{name} (n={len(times):,})")
    if deadline is not None:
        ax.axvline(deadline, color="#555555", linewidth=1, linestyle=":",
                   label=f"{text('deadline', lang)} {deadline:,.0f}")
    ax.set_xlim(0, xmax if xmax is not None else response_limit(issues, warmup, deadline))
    plain_ticks(ax.xaxis)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(text("response_time", lang))
    ax.set_ylabel(text("share_reached", lang))
    ax.set_title(text("response_time", lang))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    apply_font([ax], lang)
    return ax


def open_counts(issues: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Issues open (reported, not yet resolved) at each time, per replication.

    Returns an array of shape (replications, len(times)).
    """
    return open_by_replication(issues, times)


def open_over_time(issues: pd.DataFrame, horizon: float, ax: Axes, *,
                   step: float = MINUTES_PER_HOUR, warmup: float = 0.0, band: str = "minmax",
                   lang: str = "en") -> Axes:
    """Number of open issues (reported, not resolved) over time.

    The line is the mean over replications, the band their spread: the lowest
    and highest replication (``band="minmax"``) or the 5th and 95th percentile
    (``band="5-95"``). The warm-up, left out of every KPI, is shaded. With a
    ``scenario`` column, one line and band per scenario.

    Parameters
    ----------
    issues
        Issue records with ``replication``, ``t_reported``, ``t_resolved``.
    horizon
        End of the run [min].
    ax
        Axes to draw on.
    step
        Time between counts [min].
    warmup
        End of the warm-up [min].
    band
        ``"minmax"`` or ``"5-95"``.
    """
    if band not in ("minmax", "5-95"):
        raise ValueError(f"band must be 'minmax' or '5-95', got {band!r}")
    if step <= 0 or horizon <= 0:
        raise ValueError("step and horizon must be positive")
    times = np.arange(0.0, horizon + step / 2, step)
    days = times / MINUTES_PER_DAY
    band_key = "band_minmax" if band == "minmax" else "band_5_95"
    scenarios = _scenarios(issues)
    for i, scenario in enumerate(scenarios):
        counts = open_counts(_of(issues, scenario), times)
        if counts.shape[0] == 0:
            continue
        if band == "minmax":
            low, high = counts.min(axis=0), counts.max(axis=0)
        else:
            low, high = np.percentile(counts, [5, 95], axis=0)
        colour = scenario_colour(i)
        name = text("mean", lang) if scenario is None else short_label(scenario, 24, 1)
        ax.fill_between(days, low, high, color=colour, alpha=0.2, linewidth=0,
                        label=f"{text(band_key, lang)}" if len(scenarios) == 1 else None)
        ax.plot(days, counts.mean(axis=0), color=colour, linewidth=1.5, label=name)
    if warmup > 0:
        ax.axvspan(0, warmup / MINUTES_PER_DAY, color="#999999", alpha=0.15,
                   label=text("warmup", lang))
    ax.set_xlim(0, horizon / MINUTES_PER_DAY)
    ax.set_ylim(bottom=0)
    plain_ticks(ax.yaxis, integer=True)
    ax.set_xlabel(text("time_days", lang))
    ax.set_ylabel(text("open_issues", lang))
    ax.set_title(text("open_issues", lang))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left")
    apply_font([ax], lang)
    return ax
