"""Where disputes end up: their first grade against their grade at close (三色流转)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from twin.engine.triggers import TRIGGERS
from twin.plots.labels import COLOUR_HEX, apply_font, text
from twin.vocab import COLOURS, YELLOW

CAUSES: tuple[str, ...] = tuple(t.cause for t in TRIGGERS.values() if not t.moves_down)
"""Causes shown under each bar: the triggers that move a dispute up, in registry order."""
DOWNS: tuple[str, ...] = tuple(t.cause for t in TRIGGERS.values() if t.moves_down)
"""Triggers that move a dispute down (settled, 降级销号), counted apart."""


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:.1f}"


def flow_counts(issues: pd.DataFrame, escalations: pd.DataFrame, disputes: pd.DataFrame,
                warmup: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Mean counts per replication of the disputes made known after ``warmup``.

    Returns ``(flows, causes, replications)``: ``flows`` has one row per first
    grade (the issue's ``colour``) and one column per grade at close; ``causes``
    one row per first grade and one column per cause of a grade change.
    Issues that are not in ``disputes`` (work orders, cases) are left out.
    """
    keys = ["replication", "issue_id"] if "replication" in issues.columns else ["issue_id"]
    reps = int(issues["replication"].nunique()) if "replication" in issues.columns else 1
    reps = max(reps, 1)
    if all(k in disputes.columns for k in keys):
        issues = issues.merge(disputes[keys].drop_duplicates(), on=keys)
    else:
        issues = issues.iloc[:0]
    picked = issues[issues["t_reported"] >= warmup]
    at_report = picked["colour"].astype(str)
    at_close = picked["colour_closed"].astype(str)
    colours = [c for c in COLOURS if c in set(at_report) | set(at_close)]
    colours += sorted((set(at_report) | set(at_close)) - set(colours))
    flows = (pd.crosstab(at_report, at_close).reindex(index=colours, columns=colours,
                                                      fill_value=0) / reps)
    causes = pd.DataFrame(0.0, index=colours, columns=[*CAUSES, *DOWNS])
    if len(escalations) and all(k in escalations.columns for k in keys):
        joined = escalations[[*keys, "cause"]].merge(
            picked[[*keys, "colour"]].assign(colour=at_report.to_numpy()), on=keys)
        table = pd.crosstab(joined["colour"], joined["cause"].astype(str)) / reps
        causes = causes.add(table.reindex(index=colours, columns=causes.columns,
                                          fill_value=0), fill_value=0)
    return flows, causes, reps


def escalation_flow(issues: pd.DataFrame, escalations: pd.DataFrame, ax: Axes, *,
                    disputes: pd.DataFrame, warmup: float = 0.0, lang: str = "en") -> Axes:
    """Stacked bars: for each first grade of a dispute (rows), how many disputes
    closed at each grade (segments), with the grade changes of that row by cause.

    Counts are means per replication of the disputes made known after ``warmup``
    [min]. A settled dispute closes green (降级销号), so the green segments are
    mostly settled disputes; a yellow or red segment is disputes open at the end,
    or referred to court or arbitration, at that grade.

    Parameters
    ----------
    issues
        Issue records with ``colour``, ``colour_closed``, ``t_reported``,
        ``issue_id`` (and ``replication`` when several).
    escalations
        Grade changes with ``issue_id``, ``cause`` (and ``replication``).
    ax
        Axes to draw on.
    disputes
        The dispute table (``issue_id``, and ``replication``): whose issues to show.
    """
    flows, causes, reps = flow_counts(issues, escalations, disputes, warmup)
    rows = list(flows.index)
    y = np.arange(len(rows))
    totals = flows.sum(axis=1).to_numpy(float)
    widest = float(totals.max()) if len(totals) and totals.max() > 0 else 1.0
    left = np.zeros(len(rows))
    for closed in flows.columns:
        width = flows[closed].to_numpy(float)
        ax.barh(y, width, left=left, height=0.5, color=COLOUR_HEX.get(closed, "#888888"),
                edgecolor="white", linewidth=1)
        for yi, x0, w in zip(y, left, width, strict=True):
            if w >= 0.06 * widest:
                ink = "black" if closed == COLOURS[YELLOW] else "white"
                ax.text(x0 + w / 2, float(yi), _number(w), ha="center", va="center", fontsize=9,
                        color=ink)
        left += width
    for yi, row in zip(y, rows, strict=True):
        ax.text(totals[yi] + 0.01 * widest, float(yi), _number(totals[yi]), va="center", fontsize=9)
        parts = [f"{_number(causes.loc[row, c])} {text('cause:' + c, lang)}"
                 for c in CAUSES if causes.loc[row, c] > 0]
        up = float(causes.loc[row, list(CAUSES)].sum())
        colon, comma, semi = ("：", "，", "；") if lang == "zh" else (": ", ", ", "; ")
        note = f"↑ {_number(up)} {text('escalations', lang)}"
        if parts:
            note += colon + comma.join(parts)
        down = float(causes.loc[row, list(DOWNS)].sum())
        if down > 0:
            note += f"{semi}↓ {_number(down)} " + comma.join(text("cause:" + c, lang)
                                                           for c in DOWNS)
        ax.text(0, float(yi) + 0.3, note, va="top", fontsize=8, color="#333333")
    ax.set_yticks(y, [text(r, lang) for r in rows])
    ax.set_ylim(len(rows) - 0.35, -0.5)
    ax.set_xlim(0, widest * 1.12)
    ax.set_ylabel(text("grade_first", lang))
    ax.set_xlabel(text("disputes_per_run", lang) + (f" (n={reps})" if reps > 1 else ""))
    if not rows:
        ax.text(0.5, 0.5, text("no_data", lang), ha="center", va="center",
                transform=ax.transAxes)
    handles = [Patch(color=COLOUR_HEX.get(c, "#888888"), label=text(c, lang))
               for c in flows.columns]
    if handles:
        ax.legend(handles=handles, title=text("grade_at_close", lang), fontsize=8,
                  title_fontsize=8, loc="lower right")
    ax.set_title(f"{text('grade_first', lang)} → {text('grade_at_close', lang)}")
    ax.spines[["top", "right"]].set_visible(False)
    apply_font([ax], lang)
    return ax
